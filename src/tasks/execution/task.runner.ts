import { Injectable, Logger } from '@nestjs/common';
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { TaskContext } from '../task-context.js';
import { DatabaseHealth, isDatabaseUnavailable } from './database-health.js';
import type { TaskJobData } from './task-job.js';
import { TaskHandlerRegistry } from './task-handler.registry.js';
import { TaskStateWriter } from './task-state.writer.js';
import { TaskStatus } from '../task-status.js';

/**
 * Runs one BullMQ job: marks the row running, calls the handler with `(params, context)`,
 * and writes the outcome. Every write is a compare-and-set, so an attempt whose task was
 * cancelled meanwhile neither runs nor overwrites `cancelled` with its result.
 */
@Injectable()
export class TaskRunner {
  private readonly logger = new Logger('TaskRunner');
  /** Attempts running in this process, by task id. */
  private readonly running = new Map<string, Promise<unknown>>();

  constructor(
    private readonly registry: TaskHandlerRegistry,
    private readonly writer: TaskStateWriter,
    private readonly health: DatabaseHealth,
  ) {}

  async run(job: Job<TaskJobData>, token: string | undefined, signal: AbortSignal | undefined): Promise<null> {
    const attempt = this.attempt(job, token, signal);
    this.running.set(job.id!, attempt);
    try {
      return await attempt;
    } finally {
      this.running.delete(job.id!);
    }
  }

  /** Ids of the tasks whose handlers run in this process now. */
  runningTaskIds(): string[] {
    return [...this.running.keys()];
  }

  /** Resolves when every attempt running now has settled. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.running.values()]);
  }

  private async attempt(job: Job<TaskJobData>, token: string | undefined, signal: AbortSignal | undefined): Promise<null> {
    const taskId = job.id!;
    if (!(await this.markRunning(job, token))) {
      // Cancelled (or finished) before this attempt began: the handler never starts.
      this.logger.debug(`Task ${taskId} is no longer runnable; job ${job.name} skipped`);
      return null;
    }
    const handler = this.registry.get(job.name);
    try {
      if (!handler) throw new UnrecoverableError(`No handler for task "${job.name}" in this worker`);
      const result = await handler.invoke(job.data.params ?? {}, this.contextFor(job, signal));
      const json = toJsonValue(result);
      await this.health.durably(() => this.writer.complete(taskId, json));
    } catch (error) {
      if (signal?.aborted && signal.reason === SHUTDOWN_REASON) await this.handBack(job, token);
      await this.recordFailure(job, error);
    }
    // The result lives in MySQL; Redis keeps nothing it would have to hold twice.
    return null;
  }

  /**
   * Writes `running`. When MySQL cannot be reached the job goes back to the queue without
   * counting an attempt (the handler has not started), and the workers pause until it answers.
   */
  private async markRunning(job: Job<TaskJobData>, token: string | undefined): Promise<boolean> {
    try {
      return await this.writer.start(job.id!);
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      void this.health.waitUntilAvailable();
      await job.moveToDelayed(Date.now() + 1000, token);
      throw new DelayedError();
    }
  }

  /**
   * The worker is shutting down and aborted this attempt: the row goes back to `pending`
   * and the job to the queue, neither counting a failed attempt.
   */
  private async handBack(job: Job<TaskJobData>, token: string | undefined): Promise<never> {
    await this.health.durably(() => this.writer.requeue(job.id!));
    await job.moveToDelayed(Date.now(), token);
    throw new DelayedError();
  }

  /** Writes `pending` (a retry follows) or `failed`, then tells BullMQ the same. */
  private async recordFailure(job: Job<TaskJobData>, error: unknown): Promise<never> {
    const taskId = job.id!;
    const message = describeError(error);
    const attemptsLeft = job.attemptsMade + 1 < (job.opts.attempts ?? 1);
    const retryable = !(error instanceof UnrecoverableError);
    if (attemptsLeft && retryable) {
      const attempt = attemptNumber(job);
      const retried = await this.health.durably(() => this.writer.retry(taskId, message, attempt));
      if (retried || (await this.retryWasWritten(taskId, attempt))) throw error instanceof Error ? error : new Error(message);
      // The row left `running` meanwhile (cancelled): no further attempt.
      throw new UnrecoverableError(message);
    }
    await this.health.durably(() => this.writer.fail(taskId, message));
    throw new UnrecoverableError(message);
  }

  /**
   * A retry write can commit and still fail on the client (MySQL died before it answered);
   * the write that was then tried again is refused. The row tells which happened.
   */
  private async retryWasWritten(taskId: string, attempt: number): Promise<boolean> {
    const row = await this.health.durably(() => this.writer.read(taskId));
    return row?.status === TaskStatus.Pending && row.retryCount === attempt;
  }

  private contextFor(job: Job<TaskJobData>, signal: AbortSignal | undefined): TaskContext {
    return {
      taskId: job.id!,
      taskName: job.name,
      attempt: attemptNumber(job),
      maxAttempts: (job.data.priorAttempts ?? 0) + (job.opts.attempts ?? 1),
      // BullMQ passes a signal whenever the processor declares its third parameter.
      signal: signal ?? new AbortController().signal,
      progress: async (percent: number, message?: string) => {
        const clamped = Math.min(100, Math.max(0, percent));
        await job.updateProgress(message === undefined ? { percent: clamped } : { percent: clamped, message });
      },
    };
  }
}

/** 1 for a task's first attempt, counting attempts made by earlier jobs of the same task. */
function attemptNumber(job: Job<TaskJobData>): number {
  return (job.data.priorAttempts ?? 0) + job.attemptsMade + 1;
}

/** The abort reason the workers use when the process shuts down (not a cancel). */
export const SHUTDOWN_REASON = 'worker shutdown';

/** The error's message, or a readable rendering of whatever was thrown. */
function describeError(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}

/** The result as stored in the JSON column; a result JSON cannot hold fails the attempt. */
function toJsonValue(result: unknown): unknown {
  if (result === undefined) return null;
  const text = JSON.stringify(result);
  return text === undefined ? null : JSON.parse(text);
}
