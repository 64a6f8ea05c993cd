import { setTimeout as sleep } from 'node:timers/promises';
import { TaskHandler, TaskProcessor, type TaskContext } from '../../src/tasks/index.js';

/** One observed handler call. */
export interface ObservedCall {
  taskId: string;
  taskName: string;
  attempt: number;
  params: Record<string, unknown>;
  at: number;
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

  private observe(taskName: string, params: Record<string, unknown>, context: TaskContext): void {
    this.calls.push({ taskId: context.taskId, taskName, attempt: context.attempt, params, at: Date.now() });
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

  /** Ignores its signal: notes the abort, keeps sleeping `ms`, then returns a result anyway. */
  @TaskHandler('test.ignores_abort')
  async ignoresAbort(params: { ms?: number }, context: TaskContext) {
    this.observe('test.ignores_abort', params, context);
    context.signal.addEventListener('abort', () => this.aborted.add(context.taskId), { once: true });
    await sleep(params.ms ?? 500);
    this.finished.add(context.taskId);
    return { finished: true };
  }
}
