import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { isAllowedTransition, isFinalStatus, TaskStatus } from '../../src/tasks/index.js';
import { freePort, startPrivateMariaDb, startPrivateRedis, type PrivateService } from '../support/private-services.js';
import { installAudit, readAudit, type AuditRow } from './audit.js';
import { DemoProcess } from './demo-process.js';
import { readHandlerLog, type HandlerEvent } from './handler-log.js';

/** How hard the run is. */
export interface FaultProfile {
  tasks: number;
  workers: number;
  workerKills: number;
  cancelRatio: number;
  /** Concurrent HTTP clients enqueueing. */
  clients: number;
  /** The enqueues are spread evenly over this long, and every fault happens within it. */
  loadMs: number;
}

export const FULL_PROFILE: FaultProfile = { tasks: 5000, workers: 2, workerKills: 5, cancelRatio: 0.05, clients: 20, loadMs: 50_000 };
/** The shorter configuration `npm test` runs in CI. */
export const CI_PROFILE: FaultProfile = { tasks: 1000, workers: 2, workerKills: 5, cancelRatio: 0.05, clients: 10, loadMs: 20_000 };

export interface FaultReport {
  accepted: number;
  completed: number;
  failed: number;
  cancelled: number;
  lost: number;
  stuck: number;
  illegal: number;
  retryMismatches: number;
  duplicates: number;
  duplicateBound: number;
  rejected: number;
  cancelsAccepted: number;
  /** Handler returns observed after their cancel had returned (results dropped). */
  lateFinishes: number;
  /** Slowest enqueue answer (ms), whatever its status: outages must not make calls hang. */
  slowestEnqueueMs: number;
  handlerStarts: number;
  /** Repairs seen in the audit: stalled attempts requeued, lost attempts counted. */
  stalledRequeues: number;
  lostRepairs: number;
  problems: string[];
  summary: string;
}

interface Accepted {
  taskId: string;
  taskName: string;
  maxRetries: number;
  acceptedAt: number;
}

/** Which kind of task the i-th request enqueues: success, slow, fail-then-succeed, always-fail. */
function taskFor(random: number): { task_name: string; params: Record<string, unknown>; max_retries: number } {
  if (random < 0.45) return { task_name: 'demo.sleep', params: { ms: Math.floor(Math.random() * 20) }, max_retries: 3 };
  if (random < 0.55) return { task_name: 'demo.sleep', params: { ms: 300 + Math.floor(Math.random() * 500) }, max_retries: 3 };
  if (random < 0.8) return { task_name: 'demo.flaky', params: { fail_times: 1 + Math.floor(Math.random() * 2) }, max_retries: 3 };
  return { task_name: 'demo.flaky', params: { fail_times: 99 }, max_retries: 2 };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (message: string) => process.stdout.write(`[faults ${new Date().toISOString().slice(11, 23)}] ${message}\n`);

/**
 * Runs the demo as one API and `profile.workers` worker processes on a private MariaDB and
 * Redis, enqueues over HTTP while killing workers, restarting Redis (losing its data) and
 * MySQL, and cancelling tasks at random; then checks every task against the audit.
 */
export async function runFaultSuite(profile: FaultProfile): Promise<FaultReport> {
  const dir = await mkdtemp(join(tmpdir(), 'tasks-faults-'));
  const [mysqlServer, redisServer] = await Promise.all([startPrivateMariaDb(), startPrivateRedis()]);
  const processes: DemoProcess[] = [];
  try {
    return await run(profile, dir, mysqlServer, redisServer, processes);
  } finally {
    await Promise.all(processes.map((child) => child.kill()));
    await Promise.all([mysqlServer.destroy(), redisServer.destroy()]);
    await rm(dir, { recursive: true, force: true });
  }
}

async function run(
  profile: FaultProfile,
  dir: string,
  mysqlServer: PrivateService,
  redisServer: PrivateService,
  processes: DemoProcess[],
): Promise<FaultReport> {
  const port = await freePort();
  const handlerLog = join(dir, 'handlers.log');
  const env = {
    DATABASE_URL: `${mysqlServer.url}/tasks_faults`,
    REDIS_URL: redisServer.url,
    TASKS_QUEUE_PREFIX: 'faults',
    DEMO_OUTPUT_DIR: dir,
    DEMO_HANDLER_LOG: handlerLog,
    // Short intervals so that crashes are noticed in seconds, not a minute.
    TASKS_RETRY_BACKOFF_MS: '100',
    TASKS_LOCK_DURATION_MS: '3000',
    TASKS_STALLED_INTERVAL_MS: '1000',
    TASKS_RECONCILE_INTERVAL_MS: '1000',
    TASKS_RECONCILE_MIN_AGE_MS: '5000',
  };
  const api = new DemoProcess('api', { ...env, TASKS_ROLE: 'api', PORT: String(port) });
  processes.push(api);
  await api.start(/Listening on/);
  const db = await mysql.createConnection(env.DATABASE_URL);
  await installAudit(db);
  await db.end();

  const workers: DemoProcess[] = [];
  const startWorker = async (index: number) => {
    const worker = new DemoProcess(`worker-${index}`, { ...env, TASKS_ROLE: 'worker' });
    processes.push(worker);
    workers[index] = worker;
    await worker.start(/Worker started \(TASKS_ROLE=worker\)/);
  };
  for (let i = 0; i < profile.workers; i++) await startWorker(i);
  log(`api on :${port}, ${profile.workers} workers, MariaDB ${mysqlServer.url}, Redis ${redisServer.url}`);

  const base = `http://127.0.0.1:${port}/api/tasks`;
  const accepted: Accepted[] = [];
  const cancels = new Map<string, number>(); // task id -> when the 200 came back
  const cancelRequests: Promise<void>[] = [];
  let rejected = 0;
  let requested = 0;
  let slowestEnqueueMs = 0;
  const problems: string[] = [];

  const cancelLater = (taskId: string) => {
    cancelRequests.push(
      (async () => {
        await sleep(Math.random() * 2000);
        const response = await fetch(`${base}/${taskId}/cancel`, { method: 'POST', signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
        if (response?.status === 200) cancels.set(taskId, Date.now());
        else if (response && ![409, 503].includes(response.status)) problems.push(`cancel ${taskId}: HTTP ${response.status}`);
      })(),
    );
  };

  const started = Date.now();
  let inFlight = 0;
  const client = async () => {
    // Until `tasks` enqueues were accepted: requests refused during outages are made up for.
    while (accepted.length + inFlight < profile.tasks) {
      // Request i is due at i/tasks of the load time, so the load spans every fault.
      const due = started + (requested * profile.loadMs) / profile.tasks;
      requested++;
      inFlight++;
      if (due > Date.now()) await sleep(due - Date.now());
      const body = taskFor(Math.random());
      const sentAt = Date.now();
      const response = await fetch(`${base}/enqueue`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      }).catch(() => undefined);
      slowestEnqueueMs = Math.max(slowestEnqueueMs, Date.now() - sentAt);
      inFlight--;
      if (response?.status === 201) {
        const { task_id: taskId } = (await response.json()) as { task_id: string };
        accepted.push({ taskId, taskName: body.task_name, maxRetries: body.max_retries, acceptedAt: Date.now() });
        if (Math.random() < profile.cancelRatio) cancelLater(taskId);
      } else if (response?.status === 503) {
        rejected++;
        await sleep(50);
      } else {
        problems.push(`enqueue: ${response ? `HTTP ${response.status} ${await response.text()}` : 'no response'}`);
      }
    }
  };

  // Faults, each at a share of the load time.
  const chaos = async () => {
    const at = async (share: number) => {
      const due = started + share * profile.loadMs;
      if (due > Date.now()) await sleep(due - Date.now());
    };
    const killShares = Array.from({ length: profile.workerKills }, (_, i) => 0.1 + (0.75 * i) / Math.max(1, profile.workerKills - 1));
    const events: Array<[number, () => Promise<void>]> = [
      ...killShares.map((share, i): [number, () => Promise<void>] => [share, async () => {
        const index = i % profile.workers;
        log(`SIGKILL ${workers[index].name}`);
        await workers[index].kill();
        await startWorker(index);
      }]),
      [0.35, async () => {
        log('Redis: kill -9 and restart without its data');
        await redisServer.kill();
        await sleep(500);
        await redisServer.start();
      }],
      [0.7, async () => {
        log('MariaDB: kill -9 and restart');
        await mysqlServer.kill();
        await sleep(500);
        await mysqlServer.start();
      }],
    ];
    events.sort((a, b) => a[0] - b[0]);
    for (const [share, fault] of events) {
      await at(share);
      await fault();
    }
  };

  await Promise.all([...Array.from({ length: profile.clients }, client), chaos()]);
  await Promise.all(cancelRequests);
  log(`load done in ${Date.now() - started} ms: ${accepted.length} accepted, ${rejected} refused with 503`);

  const verifier = await connectWithRetry(env.DATABASE_URL);
  try {
    const unfinished = async () => {
      const [rows] = await verifier.query(`SELECT COUNT(*) AS n FROM background_tasks WHERE status IN ('pending', 'running')`);
      return Number((rows as { n: number }[])[0].n);
    };
    const deadline = Date.now() + 180_000;
    let left = await unfinished();
    while (left > 0 && Date.now() < deadline) {
      await sleep(1000);
      left = await unfinished();
    }
    log(`settled after ${Date.now() - started} ms (${left} unfinished)`);
    if (process.env.FAULT_DEBUG) for (const child of processes) log(`--- ${child.name}\n${child.logTail().slice(-6000)}`);
    await Promise.all(processes.map((child) => child.stop()));
    const report = await verify(verifier, profile, accepted, cancels, rejected, await readHandlerLog(handlerLog), problems);
    return { ...report, slowestEnqueueMs };
  } finally {
    await verifier.end();
  }
}

async function connectWithRetry(url: string): Promise<mysql.Connection> {
  for (let i = 0; ; i++) {
    try {
      return await mysql.createConnection(url);
    } catch (error) {
      if (i > 50) throw error;
      await sleep(200);
    }
  }
}

async function verify(
  db: mysql.Connection,
  profile: FaultProfile,
  accepted: Accepted[],
  cancels: Map<string, number>,
  rejected: number,
  handlerEvents: HandlerEvent[],
  problems: string[],
): Promise<Omit<FaultReport, 'slowestEnqueueMs'>> {
  const [rowsResult] = await db.query('SELECT task_id, status, retry_count, max_retries, result FROM background_tasks');
  const rows = new Map((rowsResult as { task_id: string; status: TaskStatus; retry_count: number; max_retries: number; result: unknown }[]).map((row) => [row.task_id, row]));
  const audit = await readAudit(db);
  const auditByTask = new Map<string, AuditRow[]>();
  for (const change of audit) {
    const list = auditByTask.get(change.task_id) ?? [];
    list.push(change);
    auditByTask.set(change.task_id, list);
  }
  const eventsByTask = new Map<string, HandlerEvent[]>();
  for (const event of handlerEvents) {
    const list = eventsByTask.get(event.taskId) ?? [];
    list.push(event);
    eventsByTask.set(event.taskId, list);
  }

  let lost = 0, stuck = 0, illegal = 0, retryMismatches = 0, duplicates = 0, lateFinishes = 0;
  const counts = { completed: 0, failed: 0, cancelled: 0 };
  const note = (message: string) => problems.length < 50 && problems.push(message);

  for (const row of rows.values()) if (!isFinalStatus(row.status)) { stuck++; note(`stuck ${row.task_id} ${row.status}`); }
  // The counter table the API counts from must agree with the rows after every crash and restart.
  const [countRows] = await db.query(
    `SELECT c.task_type, c.status, c.error_type, c.n AS counted, COALESCE(t.n, 0) AS actual FROM
       (SELECT task_type, status, error_type, SUM(count) AS n FROM background_task_counts GROUP BY task_type, status, error_type) c
       LEFT JOIN (SELECT task_type, status, COALESCE(error_type, '') AS error_type, COUNT(*) AS n FROM background_tasks
                  GROUP BY task_type, status, COALESCE(error_type, '')) t
       ON t.task_type = c.task_type AND t.status = c.status AND t.error_type = c.error_type`,
  );
  for (const row of countRows as { task_type: string; status: string; error_type: string; counted: string; actual: string }[]) {
    if (Number(row.counted) !== Number(row.actual)) {
      illegal++;
      note(`count of ${row.task_type}/${row.status}/${row.error_type || '-'} is ${row.counted}, rows say ${row.actual}`);
    }
  }
  for (const change of audit) {
    const from = change.old_status as TaskStatus | null;
    const to = change.new_status as TaskStatus | null;
    const legal = from === null ? to === TaskStatus.Pending : to === null ? from === TaskStatus.Pending : isAllowedTransition(from, to) && !(isFinalStatus(from) && from !== to) && !(isFinalStatus(from) && change.old_retry !== change.new_retry);
    // A final row may only be deleted by nobody here (no cleanup runs); a pending row is deleted when Redis refused its job.
    if (!legal) { illegal++; note(`illegal ${change.task_id}: ${from} -> ${to}`); }
  }

  for (const task of accepted) {
    const row = rows.get(task.taskId);
    if (!row) { lost++; note(`lost ${task.taskId}`); continue; }
    if (isFinalStatus(row.status)) counts[row.status as keyof typeof counts]++;
    const finals = (auditByTask.get(task.taskId) ?? []).filter((change) => change.new_status && isFinalStatus(change.new_status as TaskStatus) && change.old_status !== change.new_status);
    if (isFinalStatus(row.status) && finals.length !== 1) { illegal++; note(`${task.taskId} reached ${finals.length} final states`); }

    const cancelledAt = cancels.get(task.taskId);
    if (cancelledAt !== undefined && row.status !== TaskStatus.Cancelled) { illegal++; note(`cancel of ${task.taskId} returned 200 but it is ${row.status}`); }
    if (row.status === TaskStatus.Cancelled && row.result !== null) { illegal++; note(`cancelled ${task.taskId} has a result`); }

    const events = eventsByTask.get(task.taskId) ?? [];
    if (cancelledAt !== undefined) lateFinishes += events.filter((event) => event.event === 'finish' && event.at > cancelledAt).length;
    const starts = new Map<number, number>();
    for (const event of events) if (event.event === 'start') starts.set(event.attempt, (starts.get(event.attempt) ?? 0) + 1);
    for (const count of starts.values()) duplicates += count - 1;

    if (row.status === TaskStatus.Completed || row.status === TaskStatus.Failed) {
      const maxAttempts = row.max_retries + 1;
      // Attempts that failed and were retried: those a handler reported failing, and those the
      // reconciler found lost with their worker and job. One attempt can be both (its worker
      // died right after the handler threw), so they are counted by attempt number.
      const retried = new Set(events.filter((event) => event.event === 'fail' && event.attempt < maxAttempts).map((event) => event.attempt));
      for (const change of auditByTask.get(task.taskId) ?? []) {
        if (change.error_message?.startsWith('lost:') && change.old_status === TaskStatus.Running && change.new_status === TaskStatus.Pending) {
          retried.add((change.old_retry ?? 0) + 1);
        }
      }
      const expected = retried.size;
      if (row.retry_count !== expected) {
        retryMismatches++;
        note(`retry_count of ${task.taskId} (${row.status}) is ${row.retry_count}, attempts observed say ${expected}`);
        note(`  its changes: ${(auditByTask.get(task.taskId) ?? []).map((c) => `${c.old_status}->${c.new_status} r${c.new_retry} ${c.error_message ?? ''}`).join(' | ')}`);
        note(`  its handler: ${events.map((e) => `${e.event}#${e.attempt}@${e.at}`).join(' ')}`);
      }
    }
  }

  // At-least-once bound: every attempt running in a killed worker or when Redis lost its jobs
  // may run again: kills x demo concurrency (5) per worker, plus everything running at the restart.
  const duplicateBound = (profile.workerKills + profile.workers) * 5;
  const summary = `accepted ${accepted.length} completed ${counts.completed} failed ${counts.failed} cancelled ${counts.cancelled} lost ${lost} stuck ${stuck} illegal ${illegal} duplicates ${duplicates} (bound ${duplicateBound})`;
  return {
    accepted: accepted.length, ...counts, lost, stuck, illegal, retryMismatches, duplicates, duplicateBound, rejected,
    cancelsAccepted: cancels.size, lateFinishes, problems, summary,
    handlerStarts: handlerEvents.filter((event) => event.event === 'start').length,
    stalledRequeues: audit.filter((change) => change.error_message?.startsWith('stalled:') && change.new_status === TaskStatus.Pending).length,
    lostRepairs: audit.filter((change) => change.error_message?.startsWith('lost:')).length,
  };
}
