import { setTimeout as sleep } from 'node:timers/promises';
import { NonRetryableError, TaskHandler, TaskProcessor, type TaskContext } from '../../src/tasks/index.js';

/** One observed step: what it received and when it ran. */
export interface StepCall {
  taskId: string;
  taskName: string;
  label: string;
  previousResult: unknown;
  startedAt: number;
  endedAt?: number;
}

/** Workflow fixtures on the `email` queue (concurrency 10, so group members run at once). */
@TaskProcessor('email')
export class WorkflowTasks {
  readonly calls: StepCall[] = [];
  /** Labels whose steps fail (non-retryable) until removed. */
  readonly failing = new Set<string>();

  private begin(name: string, params: { label?: string }, context: TaskContext): StepCall {
    const call = { taskId: context.taskId, taskName: name, label: params.label ?? '', previousResult: context.previousResult, startedAt: Date.now() };
    this.calls.push(call);
    return call;
  }

  callOf(label: string): StepCall | undefined {
    return this.calls.find((call) => call.label === label);
  }

  /** Adds `n` to the number it receives (0 without one). */
  @TaskHandler('wf.add')
  async add(params: { label?: string; n?: number; ms?: number }, context: TaskContext) {
    const call = this.begin('wf.add', params, context);
    await sleep(params.ms ?? 0, undefined, { signal: context.signal });
    if (this.failing.has(params.label ?? '')) throw new NonRetryableError(`${params.label} failed on purpose`);
    call.endedAt = Date.now();
    return (typeof context.previousResult === 'number' ? context.previousResult : 0) + (params.n ?? 0);
  }

  /** Returns what it received. */
  @TaskHandler('wf.collect')
  collect(params: { label?: string }, context: TaskContext) {
    const call = this.begin('wf.collect', params, context);
    call.endedAt = Date.now();
    return { received: context.previousResult ?? null };
  }

  /** Runs until aborted. */
  @TaskHandler('wf.wait')
  async wait(params: { label?: string }, context: TaskContext) {
    this.begin('wf.wait', params, context);
    await new Promise<void>((resolve) => context.signal.addEventListener('abort', () => resolve(), { once: true }));
    throw new Error('aborted');
  }
}
