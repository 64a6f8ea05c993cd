import type mysql from 'mysql2/promise';
import { isAllowedWrite, isFinalStatus, TaskStatus } from '../../src/tasks/index.js';
import { countMismatches } from '../support/task-rows.js';
import { readAudit, type AuditRow } from './audit.js';
import type { Accepted, CancelAnswer, FaultProfile, FaultReport } from './fault-types.js';
import type { HandlerEvent } from './handler-log.js';

/** Checks every accepted task against its row, the audit of its changes and its handler log. */
export async function verify(
  db: mysql.Connection,
  profile: FaultProfile,
  accepted: Accepted[],
  cancels: Map<string, CancelAnswer>,
  cancelsSent: Set<string>,
  rejected: number,
  handlerEvents: HandlerEvent[],
  problems: string[],
  /** Rows a 201 announced besides the tasks (the workflows' rows, checked on their own). */
  workflowRows: Set<string>,
): Promise<Omit<FaultReport, 'slowestEnqueueMs' | 'answers' | 'outages' | 'killSignals' | 'jobsLeftInRedis' | 'workflows' | 'streams'>> {
  const [rowsResult] = await db.query('SELECT task_id, task_name, status, retry_count, max_retries, result, created_at FROM background_tasks');
  const rows = new Map((rowsResult as { task_id: string; task_name: string; status: TaskStatus; retry_count: number; max_retries: number; result: unknown; created_at: Date }[]).map((row) => [row.task_id, row]));
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

  let lost = 0, stuck = 0, illegal = 0, retryMismatches = 0, duplicates = 0, lateFinishes = 0, lateStarts = 0;
  const counts = { completed: 0, failed: 0, cancelled: 0 };
  const note = (message: string) => problems.length < 50 && problems.push(message);

  for (const row of rows.values()) if (!isFinalStatus(row.status)) { stuck++; note(`stuck ${row.task_id} ${row.status}`); }
  // The counter table the API counts from must agree with the rows after every crash and restart.
  for (const mismatch of await countMismatches(async (sql) => (await db.query(sql))[0] as unknown[])) {
    illegal++;
    note(mismatch);
  }
  for (const change of audit) {
    const from = change.old_status as TaskStatus | null;
    const to = change.new_status as TaskStatus | null;
    const finalRewritten = from !== null && isFinalStatus(from) && (from !== to || change.old_retry !== change.new_retry || change.old_outcome !== change.new_outcome);
    const legal = from === null ? to === TaskStatus.Pending : to === null ? from === TaskStatus.Pending : isAllowedWrite(from, to) && !finalRewritten;
    // A final row may only be deleted by nobody here (no cleanup runs); a pending row is deleted when Redis refused its job.
    if (!legal) { illegal++; note(`illegal ${change.task_id}: ${from} -> ${to}`); }
  }

  for (const task of accepted) {
    const row = rows.get(task.taskId);
    if (!row) { lost++; note(`lost ${task.taskId}`); continue; }
    if (isFinalStatus(row.status)) counts[row.status as keyof typeof counts]++;
    const finals = (auditByTask.get(task.taskId) ?? []).filter((change) => change.new_status && isFinalStatus(change.new_status as TaskStatus) && change.old_status !== change.new_status);
    if (isFinalStatus(row.status) && finals.length !== 1) { illegal++; note(`${task.taskId} reached ${finals.length} final states`); }

    const cancel = cancels.get(task.taskId);
    const cancelledAt = cancel?.at;
    if (cancelledAt !== undefined && row.status !== TaskStatus.Cancelled) { illegal++; note(`cancel of ${task.taskId} returned 200 but it is ${row.status}`); }
    if (row.status === TaskStatus.Cancelled && row.result !== null) { illegal++; note(`cancelled ${task.taskId} has a result`); }

    const events = eventsByTask.get(task.taskId) ?? [];
    const finishedLate = cancelledAt === undefined ? [] : events.filter((event) => event.event === 'finish' && event.at > cancelledAt);
    lateFinishes += finishedLate.length;
    // Which promise a late finish broke: the cancel's answer says whether it saw the handler stop.
    for (const event of finishedLate) note(`${task.taskId}'s handler returned ${event.at - cancelledAt!} ms after its cancel answered handler_stopped: ${cancel!.handlerStopped}`);
    if (cancelledAt !== undefined) lateStarts += events.filter((event) => event.event === 'start' && event.at > cancelledAt).length;
    const starts = new Map<number, number>();
    for (const event of events) if (event.event === 'start') starts.set(event.attempt, (starts.get(event.attempt) ?? 0) + 1);
    for (const count of starts.values()) duplicates += count - 1;

    if (row.status === TaskStatus.Completed || row.status === TaskStatus.Failed) {
      const maxAttempts = row.max_retries + 1;
      // Attempts that failed and were retried: those a handler reported failing once the task
      // moved on from them (a later attempt started, or the retry was written: retry_count set
      // to that attempt), and those the reconciler found lost with their worker and job. One
      // attempt can be both (its worker died right after the handler threw), so they are counted
      // by attempt number. A failure whose worker died before writing it is no retry: BullMQ runs
      // the same attempt again as a stalled job, or fails the job once it stalled too often (a
      // run of 2026-12-03: a handler failed 4 ms before its worker's SIGKILL, the next worker to
      // take the job was killed too, and the row ended failed by the stall limit, retry_count 0).
      const moved = (attempt: number) =>
        events.some((event) => event.event === 'start' && event.attempt > attempt) ||
        (auditByTask.get(task.taskId) ?? []).some((change) => change.new_status === TaskStatus.Pending && change.new_retry === attempt && (change.old_retry ?? 0) < attempt);
      const retried = new Set(events.filter((event) => event.event === 'fail' && event.attempt < maxAttempts && moved(event.attempt)).map((event) => event.attempt));
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

  const announced = new Set([...accepted.map((task) => task.taskId), ...workflowRows]);
  const unannounced = [...rows.values()].filter((row) => !announced.has(row.task_id));
  const unannouncedRows = unannounced.length;
  const unannouncedRuns = handlerEvents.filter((event) => event.event === 'start' && !announced.has(event.taskId)).length;
  if (unannouncedRows > 0) note(`${unannouncedRows} rows of tasks no 201 announced`);
  // Which path left each (a commit whose answer an outage lost, a refused job whose row could not be deleted): its row, its runs, and its time against the faults' log lines.
  for (const row of unannounced.slice(0, 5)) {
    const runs = handlerEvents.filter((event) => event.event === 'start' && event.taskId === row.task_id).length;
    note(`  ${row.task_id} ${row.task_name} ${row.status}, created ${row.created_at.toISOString()}, handler started ${runs} times`);
  }
  const wrong = accepted.filter((task) => !outcomeAsImplied(task, rows.get(task.taskId)?.status, auditByTask.get(task.taskId) ?? [], cancelsSent));
  const wrongOutcomes = wrong.length;
  for (const task of wrong.slice(0, 5)) {
    note(`${task.taskId} (${task.taskName}, fail_times ${task.failTimes}, max_retries ${task.maxRetries}) ended ${rows.get(task.taskId)?.status}, which its params do not imply`);
    note(`  its changes: ${(auditByTask.get(task.taskId) ?? []).map((c) => `${c.old_status}->${c.new_status} r${c.new_retry} ${c.error_message ?? ''}`).join(' | ')}`);
  }

  // At-least-once bound: every attempt running in a killed worker or when Redis lost its jobs
  // may run again: kills x demo concurrency (5) per worker, plus everything running at the restart.
  const duplicateBound = (profile.workerKills + profile.workers) * 5;
  const summary = `accepted ${accepted.length} completed ${counts.completed} failed ${counts.failed} cancelled ${counts.cancelled} lost ${lost} stuck ${stuck} illegal ${illegal} duplicates ${duplicates} (bound ${duplicateBound})`;
  return {
    accepted: accepted.length, ...counts, lost, stuck, illegal, retryMismatches, duplicates, duplicateBound, rejected,
    rows: rows.size, unannouncedRows, unannouncedRuns, wrongOutcomes,
    cancelsAccepted: cancels.size, lateFinishes, lateStarts, problems, summary,
    handlerStarts: handlerEvents.filter((event) => event.event === 'start').length,
    stalledRequeues: audit.filter((change) => change.error_message?.startsWith('stalled:') && change.new_status === TaskStatus.Pending).length,
    lostRepairs: audit.filter((change) => change.error_message?.startsWith('lost:')).length,
  };
}

/**
 * Whether a task ended as its params imply: cancelled only if a cancel was sent for it; failed
 * by BullMQ's stall limit (crashes under it); otherwise a task whose planned failures plus the
 * attempts its crashed workers lost fit in its attempts completed, one whose planned failures
 * alone exceed them failed (between the two, an attempt both planned to fail and lost may count
 * once: either end is right).
 */
function outcomeAsImplied(task: Accepted, status: string | undefined, changes: AuditRow[], cancelsSent: Set<string>): boolean {
  if (status === TaskStatus.Cancelled) return cancelsSent.has(task.taskId);
  // BullMQ fails a job whose worker died under it more than `workers.maxStalledCount` times
  // (documented: the row is then failed), whatever attempts it had left.
  const finalChange = changes.at(-1);
  if (status === TaskStatus.Failed && /stalled more than allowable limit/.test(finalChange?.error_message ?? '')) return true;
  // Attempts that ended with their worker rather than their handler, found lost by the reconciler.
  const lostAttempts = changes.filter((change) => change.error_message?.startsWith('lost:')).length;
  if (task.failTimes + lostAttempts <= task.maxRetries) return status === TaskStatus.Completed;
  if (task.failTimes > task.maxRetries) return status === TaskStatus.Failed;
  return status === TaskStatus.Completed || status === TaskStatus.Failed;
}
