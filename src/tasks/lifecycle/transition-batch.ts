import type { TaskErrorType } from '../failures/task-error-type.js';
import { TASK_TRANSITIONS, isFinalStatus, TaskStatus, type TaskTransition } from './task-status.js';

/**
 * Applies a write only to one attempt: the one that started at `startedAt` (what the
 * reconciler read), or the one that wrote `attemptToken` when it started (a worker's own
 * attempt). If another attempt started meanwhile, the write changes nothing.
 *
 * A worker's attempt whose `running` was never written (its handler finished first) names
 * `startsAt`: the write starts the attempt too, as a `start` with that token applied just
 * before it, so start and outcome cost one row write.
 */
export type AttemptGuard = { startedAt: Date | null } | WorkerAttempt;

/** A worker's own attempt: its token and, while its start is unwritten, when it started. */
export interface WorkerAttempt {
  attemptToken: string;
  /** The handler's start (`performance.now()` of the worker) when `running` was not written. */
  startsAt?: number;
}

/** Columns a transition may set besides the status and the timestamps. */
export interface TransitionValues {
  result?: unknown;
  errorMessage?: string | null;
  errorType?: TaskErrorType | null;
  retryCount?: number;
  /** `run_at` becomes the database's now plus this many ms (null clears it). */
  runAfterMs?: number | null;
  /** Written by `start`: the token of the attempt that starts. */
  attemptToken?: string;
  /**
   * Written by `start`: when the handler really started (`performance.now()` of the process
   * that asks); `started_at` is then the database's now minus the time since. Absent: now.
   */
  startedAt?: number;
}

/** One asked-for transition of one task. */
export interface TransitionRequest {
  taskId: string;
  transition: TaskTransition;
  values: TransitionValues;
  guard?: AttemptGuard;
}

/** What the row holds now, as far as the rules care. */
export interface RowState {
  status: TaskStatus;
  startedAt: Date | null;
  attemptToken?: string | null;
}

/** The net change of one row after every request of a batch. */
export interface RowChange {
  status: TaskStatus;
  /** The row started an attempt: stamp `started_at`. */
  started: boolean;
  /** The row reached a final state: stamp `completed_at`. */
  finished: boolean;
  /** A user's retry reopened the row: what belonged to the old round is cleared. */
  reopened: boolean;
  values: TransitionValues;
}

/**
 * Applies requests in order to the rows' current states with the one transition table, as
 * if each were its own compare-and-set `UPDATE … WHERE status IN (from)`: a request whose
 * source status (or attempt guard) no longer holds is refused and changes nothing. Returns
 * each request's outcome and the net change of every row that changed. Every task of the state
 * writer passes here once or twice, so nothing is copied per request.
 */
export function applyTransitions(
  requests: readonly TransitionRequest[],
  rows: ReadonlyMap<string, RowState>,
): { outcomes: boolean[]; changes: Map<string, RowChange> } {
  const current = new Map<string, RowState & { startedNow: boolean }>();
  for (const [taskId, row] of rows) current.set(taskId, { status: row.status, startedAt: row.startedAt, attemptToken: row.attemptToken, startedNow: false });
  const changes = new Map<string, RowChange>();
  const apply = (taskId: string, transition: TaskTransition, values: TransitionValues, guard: AttemptGuard | undefined): boolean => {
    const row = current.get(taskId);
    if (!row) return false;
    const rule = TASK_TRANSITIONS[transition];
    if (!rule.from.includes(row.status) || !guardHolds(guard, row)) return false;
    let change = changes.get(taskId);
    if (!change) {
      change = { status: row.status, started: false, finished: false, reopened: false, values: {} };
      changes.set(taskId, change);
    }
    if (rule.to === TaskStatus.Running) {
      change.started = true;
      row.startedNow = true;
      row.attemptToken = values.attemptToken ?? null;
    }
    if (isFinalStatus(rule.to)) change.finished = true;
    if (transition === 'resubmit') Object.assign(change, { started: false, finished: false, reopened: true });
    change.status = rule.to;
    // The change's own object (made above): later requests' values win.
    Object.assign(change.values, values);
    row.status = rule.to;
    return true;
  };
  const outcomes = requests.map(({ taskId, transition, values, guard }) => {
    if (!isUnwrittenStart(guard)) return apply(taskId, transition, values, guard);
    // The start an attempt whose `running` was never written carries with it, then its outcome.
    // Refused as a whole: a start that applies but whose outcome would not is never the case
    // (every outcome of a worker's attempt leaves `running`, which the start has just entered).
    const { attemptToken, startsAt } = guard;
    return apply(taskId, 'start', { attemptToken, startedAt: startsAt }, undefined) && apply(taskId, transition, values, { attemptToken });
  });
  return { outcomes, changes };
}

/** A worker's attempt whose `running` was never written: its write starts the attempt too. */
export function isUnwrittenStart(guard: AttemptGuard | undefined): guard is WorkerAttempt & { startsAt: number } {
  return guard !== undefined && 'attemptToken' in guard && guard.startsAt !== undefined;
}

/** A guard names its attempt; an attempt started in this batch (or with another token) is another one. */
function guardHolds(guard: AttemptGuard | undefined, row: RowState & { startedNow: boolean }): boolean {
  if (!guard) return true;
  if ('attemptToken' in guard) return row.attemptToken === guard.attemptToken;
  if (row.startedNow) return false;
  return (guard.startedAt?.getTime() ?? null) === (row.startedAt?.getTime() ?? null);
}
