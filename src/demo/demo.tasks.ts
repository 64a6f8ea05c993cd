import { setTimeout as sleep } from 'node:timers/promises';
import { TaskHandler, TaskProcessor, TaskValidationError, type TaskContext } from 'tasks-module';
import { HandlerLogService } from './handler-log.service.js';

/** Longest `demo.sleep` accepted: an hour. */
const MAX_SLEEP_MS = 3_600_000;

/** Tasks to try the module from Swagger UI: priorities, progress, retries, time limits, cancellation. */
@TaskProcessor('demo')
export class DemoTasks {
  constructor(private readonly log: HandlerLogService) {}

  /** Sleeps `ms` milliseconds in ten steps, reporting progress; stops when cancelled. */
  @TaskHandler('demo.sleep')
  sleep(params: { ms?: unknown }, context: TaskContext) {
    return this.logged(context, () => this.sleepSteps(params, context));
  }

  /** Sleeps `ms` ignoring its signal: a cancel answers `handler_stopped: false`, and its late result is dropped. */
  @TaskHandler('demo.stubborn')
  stubborn(params: { ms?: unknown }, context: TaskContext) {
    return this.logged(context, async () => {
      const ms = typeof params.ms === 'number' && params.ms >= 0 && params.ms <= MAX_SLEEP_MS ? params.ms : 3000;
      await sleep(ms);
      return { slept_ms: ms, saw_abort: context.signal.aborted };
    });
  }

  /** Fails its first `fail_times` attempts, then succeeds: shows retries with backoff. */
  @TaskHandler('demo.flaky')
  flaky(params: { fail_times?: unknown }, context: TaskContext) {
    return this.logged(context, async () => this.failTimes(params, context));
  }

  private async logged<T>(context: TaskContext, run: () => Promise<T>): Promise<T> {
    this.log.record('start', context);
    try {
      const result = await run();
      this.log.record('finish', context);
      return result;
    } catch (error) {
      this.log.record('fail', context);
      throw error;
    }
  }

  private async sleepSteps(params: { ms?: unknown }, context: TaskContext) {
    const ms = params.ms ?? 1000;
    if (typeof ms !== 'number' || !(ms >= 0 && ms <= MAX_SLEEP_MS)) {
      throw new TaskValidationError(`ms must be a number from 0 to ${MAX_SLEEP_MS}`);
    }
    const started = Date.now();
    for (let step = 1; step <= 10; step++) {
      // Rejects with an AbortError as soon as the task is cancelled.
      await sleep(ms / 10, undefined, { signal: context.signal });
      await context.progress(step * 10, `slept ${step} of 10 steps`);
    }
    return { slept_ms: Date.now() - started };
  }

  private failTimes(params: { fail_times?: unknown }, context: TaskContext): { attempts: number } {
    const failTimes = params.fail_times ?? 1;
    if (typeof failTimes !== 'number' || !Number.isInteger(failTimes) || failTimes < 0) {
      throw new TaskValidationError('fail_times must be an integer >= 0');
    }
    if (context.attempt <= failTimes) throw new Error(`attempt ${context.attempt} of ${failTimes} planned failures`);
    return { attempts: context.attempt };
  }
}
