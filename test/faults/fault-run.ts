import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startPrivateMariaDb, startPrivateRedis, type PrivateMariaDb, type PrivateService } from '../support/private-services.js';
import { installAudit } from './audit.js';
import { DemoProcess, startSupervised } from './demo-process.js';
import type { Accepted, CancelAnswer, EnqueueAnswer, FaultProfile, FaultReport, Outage } from './fault-types.js';
import { drainedQueues } from './redis-drain.js';
import { connectWithRetry } from './mysql-connect.js';
import { verify } from './verify.js';
import { readHandlerLog } from './handler-log.js';
import { StreamSample } from './stream-sample.js';
import { acceptedWorkflow, verifyWorkflows, workflowBody, WORKFLOW_SHARE, type AcceptedWorkflow } from './workflow-load.js';
import type { TaskStatus } from '../../src/tasks/index.js';

export type { FaultProfile, FaultReport } from './fault-types.js';

export const FULL_PROFILE: FaultProfile = { tasks: 5000, workers: 2, workerKills: 5, cancelRatio: 0.05, clients: 20, loadMs: 50_000 };
/** The shorter configuration `npm test` runs in CI. */
export const CI_PROFILE: FaultProfile = { tasks: 1000, workers: 2, workerKills: 5, cancelRatio: 0.05, clients: 10, loadMs: 20_000 };
/** Every this many accepted tasks, one's live event stream is followed to its end (see StreamSample). */
const STREAM_EVERY = 10;

/** Which kind of task the i-th request enqueues: success, slow, fail-then-succeed, always-fail. */
function taskFor(random: number): { task_name: string; params: Record<string, unknown>; max_retries: number } {
  if (random < 0.45) return { task_name: 'demo.sleep', params: { ms: Math.floor(Math.random() * 20) }, max_retries: 3 };
  if (random < 0.55) return { task_name: 'demo.sleep', params: { ms: 300 + Math.floor(Math.random() * 500) }, max_retries: 3 };
  if (random < 0.8) return { task_name: 'demo.flaky', params: { fail_times: 1 + Math.floor(Math.random() * 2) }, max_retries: 3 };
  return { task_name: 'demo.flaky', params: { fail_times: 99 }, max_retries: 2 };
}

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
  mysqlServer: PrivateMariaDb,
  redisServer: PrivateService,
  processes: DemoProcess[],
): Promise<FaultReport> {
  const port = await freePort();
  const handlerLog = join(dir, 'handlers.log');
  // The demo runs as a production application user: ALL on its database, nothing else, on a
  // server with binary logging and MySQL 8's sql_mode.
  const env = {
    DATABASE_URL: await mysqlServer.createAppDatabase('tasks_faults'),
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
  // The audit's triggers are the test's, created as root (the application user could not).
  const db = await connectWithRetry(`${mysqlServer.url}/tasks_faults`);
  await installAudit(db);
  await db.end();

  const workers: DemoProcess[] = [];
  const startWorker = async (index: number) => {
    await startSupervised(() => {
      const worker = new DemoProcess(`worker-${index}`, { ...env, TASKS_ROLE: 'worker' });
      processes.push(worker);
      workers[index] = worker;
      return worker;
    }, /Worker started \(TASKS_ROLE=worker\)/, log);
  };
  for (let i = 0; i < profile.workers; i++) await startWorker(i);
  log(`api on :${port}, ${profile.workers} workers, MariaDB ${mysqlServer.url}, Redis ${redisServer.url}`);

  const base = `http://127.0.0.1:${port}/api/tasks`;
  const streams = new StreamSample(base, STREAM_EVERY);
  const accepted: Accepted[] = [];
  const workflows: AcceptedWorkflow[] = [];
  const cancels = new Map<string, CancelAnswer>(); // task id -> when the 200 came back, and what it said
  const cancelsSent = new Set<string>();
  const cancelRequests: Promise<void>[] = [];
  let rejected = 0;
  let requested = 0;
  const problems: string[] = [];
  const answers: EnqueueAnswer[] = [];
  const outages: Outage[] = [];
  const killSignals: Array<string | null> = [];

  const cancelLater = (taskId: string) => {
    cancelRequests.push(
      (async () => {
        // While most tasks are still queued, running or retrying (up to 2 s later, ~85 % met a finished task).
        await sleep(Math.random() * 400);
        cancelsSent.add(taskId);
        const response = await fetch(`${base}/${taskId}/cancel`, { method: 'POST', signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
        // `at` is read before the body is: when the answer came.
        if (response?.status === 200) cancels.set(taskId, { at: Date.now(), handlerStopped: ((await response.json().catch(() => ({}))) as { handler_stopped?: boolean }).handler_stopped });
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
      if (Math.random() < WORKFLOW_SHARE) {
        const { kind, body } = workflowBody(Math.random());
        const sentAt = Date.now();
        const response = await fetch(`${base}/workflows`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
        answers.push({ sentAt, ms: Date.now() - sentAt, status: response?.status ?? 0 });
        inFlight--;
        if (response?.status === 201) workflows.push(acceptedWorkflow(kind, (await response.json()) as Parameters<typeof acceptedWorkflow>[1]));
        else if (response?.status !== 503) problems.push(`workflow: ${response ? `HTTP ${response.status} ${await response.text()}` : 'no response'}`);
        continue;
      }
      const body = taskFor(Math.random());
      const sentAt = Date.now();
      const response = await fetch(`${base}/enqueue`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      }).catch(() => undefined);
      answers.push({ sentAt, ms: Date.now() - sentAt, status: response?.status ?? 0 });
      inFlight--;
      if (response?.status === 201) {
        const { task_id: taskId } = (await response.json()) as { task_id: string };
        accepted.push({ taskId, taskName: body.task_name, maxRetries: body.max_retries, acceptedAt: Date.now(), failTimes: Number(body.params.fail_times ?? 0) });
        streams.accept(taskId);
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
    const kills = killShares.map((share, i): [number, () => Promise<void>] => [share, async () => {
      const index = i % profile.workers;
      log(`SIGKILL ${workers[index].name}`);
      killSignals.push(await workers[index].kill());
      await startWorker(index);
    }]);
    const serviceOutages: Array<[number, () => Promise<void>]> = [
      [0.35, async () => {
        log('Redis: kill -9 and restart without its data');
        const from = Date.now();
        await redisServer.kill();
        await sleep(500);
        await redisServer.start();
        outages.push({ service: 'Redis', from, to: Date.now() + 3000 });
      }],
      [0.7, async () => {
        log('MariaDB: kill -9 and restart');
        const from = Date.now();
        await mysqlServer.kill();
        await sleep(500);
        await mysqlServer.start();
        outages.push({ service: 'MySQL', from, to: Date.now() + 3000 });
      }],
    ];
    // Two chains, each in time order: a slow worker restart on a busy machine must not push an
    // outage past the end of the load, where no request would meet it.
    const inOrder = async (chain: Array<[number, () => Promise<void>]>) => {
      for (const [share, fault] of chain) {
        await at(share);
        await fault();
      }
    };
    await Promise.all([inOrder(kills), inOrder(serviceOutages)]);
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
    const jobsLeftInRedis = await drainedQueues(redisServer.url, 'faults');
    const [statusRows] = await verifier.query('SELECT task_id, status FROM background_tasks');
    const statuses = new Map((statusRows as { task_id: string; status: TaskStatus }[]).map((row) => [row.task_id, row.status]));
    // Before the processes stop: the API serves the streams. A missed final status is read from the row within 5 s.
    const streamVerdict = await streams.verdict((taskId) => statuses.get(taskId), 15_000);
    if (process.env.FAULT_DEBUG) for (const child of processes) log(`--- ${child.name}\n${child.logTail().slice(-6000)}`);
    await Promise.all(processes.map((child) => child.stop()));
    const events = await readHandlerLog(handlerLog);
    const workflowRows = new Set(workflows.flatMap((workflow) => workflow.rowIds));
    const report = await verify(verifier, profile, accepted, cancels, cancelsSent, rejected, events, problems, workflowRows);
    const workflowVerdict = verifyWorkflows(workflows, (taskId) => statuses.get(taskId), events);
    const slowestEnqueueMs = Math.max(0, ...answers.map((answer) => answer.ms));
    const summary = `${report.summary}; workflows ${workflowVerdict.accepted} completed ${workflowVerdict.completed} failed ${workflowVerdict.failed} stuck ${workflowVerdict.stuck} out of order ${workflowVerdict.orderViolations} duplicates ${workflowVerdict.duplicates}`;
    return { ...report, summary, workflows: workflowVerdict, streams: streamVerdict, slowestEnqueueMs, answers, outages, killSignals, jobsLeftInRedis };
  } finally {
    await verifier.end();
  }
}
