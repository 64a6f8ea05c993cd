import { setTimeout as sleep } from 'node:timers/promises';
import {
  NonRetryableError,
  RetryLaterError,
  TaskErrorType,
  TaskFailure,
  TaskHandler,
  TaskNetworkError,
  TaskProcessor,
  TaskResourceError,
  TaskValidationError,
  type TaskContext,
} from '../../src/tasks/index.js';

/** One observed handler call. */
/** A progress message with quotes, a backslash, a newline, an emoji and a lone surrogate (`\ud800`). */
export const ODD_PROGRESS_MESSAGE = 'say "hi" \\ then\nnext line 😀 and a lone \ud800 half';

export interface ObservedCall {
  taskId: string;
  taskName: string;
  attempt: number;
  params: Record<string, unknown>;
  at: number;
  /** `performance.now()` when the handler started (this process's monotonic clock). */
  tick: number;
}

/**
 * Fixture handlers on the `test` queue. They record every call so that tests can see what
 * ran, in which order, and whether a handler saw its abort signal.
 */
@TaskProcessor('test')
export class TestTasks {
  readonly calls: ObservedCall[] = [];
  readonly aborted = new Set<string>();
  readonly finished = new Set<string>();
  /** When each task's handler saw its abort (ms since the epoch). */
  readonly abortedAt = new Map<string, number>();
  /** The reason of each task's abort, as its handler's signal gave it. */
  readonly abortReasons = new Map<string, unknown>();

  private observe(taskName: string, params: Record<string, unknown>, context: TaskContext): void {
    this.calls.push({ taskId: context.taskId, taskName, attempt: context.attempt, params, at: Date.now(), tick: performance.now() });
  }

  callsOf(taskId: string): ObservedCall[] {
    return this.calls.filter((call) => call.taskId === taskId);
  }

  @TaskHandler('test.record')
  record(params: Record<string, unknown>, context: TaskContext) {
    this.observe('test.record', params, context);
    return { label: params.label ?? null };
  }

  @TaskHandler('test.always_fail')
  alwaysFail(params: Record<string, unknown>, context: TaskContext) {
    this.observe('test.always_fail', params, context);
    throw new Error(`planned failure on attempt ${context.attempt}`);
  }

  /** Runs until its signal fires, then throws the abort reason. */
  @TaskHandler('test.until_aborted')
  async untilAborted(params: Record<string, unknown>, context: TaskContext) {
    this.observe('test.until_aborted', params, context);
    await new Promise<void>((resolve) => context.signal.addEventListener('abort', () => resolve(), { once: true }));
    this.aborted.add(context.taskId);
    this.abortedAt.set(context.taskId, Date.now());
    this.abortReasons.set(context.taskId, context.signal.reason);
    throw new Error('aborted');
  }

  /** Sleeps `ms` (honouring its signal), then returns. */
  @TaskHandler('test.sleep')
  async sleep(params: { ms?: number }, context: TaskContext) {
    this.observe('test.sleep', params, context);
    await sleep(params.ms ?? 200, undefined, { signal: context.signal });
    this.finished.add(context.taskId);
    return { slept: params.ms ?? 200 };
  }

  /** Sleeps `ms` in ten steps, reporting progress after each (`slept 3 of 10 steps`); honours its signal. */
  @TaskHandler('test.steps')
  async steps(params: { ms?: number }, context: TaskContext) {
    this.observe('test.steps', params, context);
    for (let step = 1; step <= 10; step++) {
      await sleep((params.ms ?? 100) / 10, undefined, { signal: context.signal });
      await context.progress(step * 10, `slept ${step} of 10 steps`);
    }
    return { steps: 10 };
  }

  /** Reports 50 % with {@link ODD_PROGRESS_MESSAGE} once its `running` is written, then returns after `ms`. */
  @TaskHandler('test.odd_progress')
  async oddProgress(params: { ms?: number }, context: TaskContext) {
    this.observe('test.odd_progress', params, context);
    await sleep(200);
    await context.progress(50, ODD_PROGRESS_MESSAGE);
    await sleep(params.ms ?? 300);
    return { reported: true };
  }

  /** Fails its first `fail_times` attempts (default 1), then succeeds. */
  @TaskHandler('test.flaky')
  flaky(params: { fail_times?: number }, context: TaskContext) {
    this.observe('test.flaky', params, context);
    if (context.attempt <= (params.fail_times ?? 1)) throw new Error(`attempt ${context.attempt} of ${params.fail_times ?? 1} planned failures`);
    return { attempts: context.attempt };
  }

  /** Returns a result MySQL's JSON would refuse (a lone surrogate): the task must fail alone. */
  @TaskHandler('test.poisoned_result')
  poisonedResult(params: Record<string, unknown>, context: TaskContext) {
    this.observe('test.poisoned_result', params, context);
    return { text: 'half a character: \ud800' };
  }

  /** A maintenance task: enqueued by the application only, never over HTTP. */
  @TaskHandler('test.internal', { enqueue: 'internal' })
  internal(params: Record<string, unknown>, context: TaskContext) {
    this.observe('test.internal', params, context);
    return { internal: true };
  }

  /** Fails; its retry waits a minute (a fixed strategy), so the row can be read while it waits. */
  @TaskHandler('test.fails_then_waits', { retry: { unknown: { backoff: 'fixed', delayMs: 60_000 } } })
  failsThenWaits(params: Record<string, unknown>, context: TaskContext) {
    this.observe('test.fails_then_waits', params, context);
    throw new Error(`attempt ${context.attempt} failed; the next waits a minute`);
  }

  /** Fails; its retry waits 3 s (a fixed strategy), longer than the expiry its test gives it. */
  @TaskHandler('test.fails_then_retries_late', { retry: { unknown: { backoff: 'fixed', delayMs: 3000 } } })
  failsThenRetriesLate(params: Record<string, unknown>, context: TaskContext) {
    this.observe('test.fails_then_retries_late', params, context);
    throw new Error(`attempt ${context.attempt} failed; the next waits 3 s`);
  }

  /** Fails its first attempt asking for the next one `delay_ms` later (RetryLaterError, of class `error_type`), then returns. */
  @TaskHandler('test.retry_later')
  retryLater(params: { delay_ms?: number; error_type?: TaskErrorType }, context: TaskContext) {
    this.observe('test.retry_later', params, context);
    if (context.attempt === 1) throw new RetryLaterError('rate limited: retry later', params.delay_ms ?? 1000, params.error_type);
    return { attempt: context.attempt };
  }

  /** Returns a string of `bytes` characters. */
  @TaskHandler('test.big_result')
  bigResult(params: { bytes?: number }, context: TaskContext) {
    this.observe('test.big_result', params, context);
    return { text: 'x'.repeat(params.bytes ?? 1000) };
  }

  /** Ignores its signal: notes the abort, keeps sleeping `ms`, then returns a result anyway. */
  @TaskHandler('test.ignores_abort')
  async ignoresAbort(params: { ms?: number }, context: TaskContext) {
    this.observe('test.ignores_abort', params, context);
    context.signal.addEventListener('abort', () => this.aborted.add(context.taskId), { once: true });
    // Unref'd: a sleep its app outlived (closed under it) must not hold the test process open.
    await sleep(params.ms ?? 500, undefined, { ref: false });
    this.finished.add(context.taskId);
    return { finished: true };
  }

  /** Reports `reports` progress values as fast as it can, then waits `ms` and returns. */
  @TaskHandler('test.chatty_progress')
  async chattyProgress(params: { reports?: number; ms?: number }, context: TaskContext) {
    this.observe('test.chatty_progress', params, context);
    const reports = params.reports ?? 1000;
    for (let i = 1; i <= reports; i++) void context.progress((i / reports) * 100, `report ${i} of ${reports}`);
    await sleep(params.ms ?? 0);
    return { reports };
  }

  /** Reports 40 % and then runs until aborted (so the row can be read mid-run). */
  @TaskHandler('test.progress_then_wait')
  async progressThenWait(params: Record<string, unknown>, context: TaskContext) {
    this.observe('test.progress_then_wait', params, context);
    await context.progress(40, 'halfway there');
    await new Promise<void>((resolve) => context.signal.addEventListener('abort', () => resolve(), { once: true }));
    throw new Error('aborted');
  }

  /** Throws the failure named by `kind` on every attempt. */
  @TaskHandler('test.throws')
  throws(params: { kind?: string }, context: TaskContext) {
    this.observe('test.throws', params, context);
    throw failureOf(params.kind ?? 'plain');
  }

  /** A handler with a 1 s time limit that honours its signal. */
  @TaskHandler('test.slow_limited', { timeoutSeconds: 1 })
  async slowLimited(params: { ms?: number }, context: TaskContext) {
    this.observe('test.slow_limited', params, context);
    await sleep(params.ms ?? 5000, undefined, { signal: context.signal });
    return { slept: params.ms ?? 5000 };
  }

  /** Validation failures of this handler are retried (a per-handler strategy), after a fixed 100 ms. */
  @TaskHandler('test.retries_validation', { retry: { validation: { retry: true, backoff: 'fixed', delayMs: 100 } } })
  retriesValidation(params: Record<string, unknown>, context: TaskContext) {
    this.observe('test.retries_validation', params, context);
    throw new TaskValidationError('bad input, but this handler retries it');
  }
}

/** The error `test.throws` throws for each `kind`. */
function failureOf(kind: string): unknown {
  switch (kind) {
    case 'network':
      return new TaskNetworkError('upstream refused');
    case 'econnrefused':
      return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    case 'resource':
      return new TaskResourceError('disk full');
    case 'validation':
      return new TaskValidationError('fir_id is malformed');
    case 'non_retryable':
      return new NonRetryableError('the record is gone', TaskErrorType.Database);
    case 'retryable_validation':
      return new TaskFailure('odd but worth another try', TaskErrorType.Validation, true);
    default:
      return new Error('plain failure');
  }
}
