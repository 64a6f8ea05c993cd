import { UnrecoverableError, type Job } from 'bullmq';
import { classifyError } from '../failures/error-classifier.js';
import { requestedRetryDelayMs, retryDelayMs } from '../failures/retry-policy.js';
import { TaskFailure } from '../failures/task-failure.errors.js';
import type { ResolvedTasksOptions } from '../interfaces/tasks-module-options.interface.js';
import type { WorkerAttempt } from '../lifecycle/transition-batch.js';
import { TaskStatus } from '../lifecycle/task-status.js';
import type { TaskJobData } from '../queue/task-job.js';
import type { DatabaseHealth } from '../store/database-health.js';
import type { TaskStateWriter } from '../store/task-state.writer.js';
import type { RegisteredTaskHandler } from '../task-handler.registry.js';
import { describeError } from './attempt-values.js';
import { ScheduledRetry } from './scheduled-retry.js';
import { attemptNumber } from './task-context.js';

/**
 * Records a handler's failure: `pending` (a retry follows) or `failed`, then tells BullMQ the
 * same by what it throws. The failure's class picks the strategy (the handler's, over the
 * module's): whether to retry at all and how long to wait (unless the failure asked for its own
 * wait: RetryLaterError), which BullMQ applies through the workers' backoff strategy.
 */
export class AttemptFailures {
  constructor(
    private readonly options: ResolvedTasksOptions,
    private readonly writer: TaskStateWriter,
    private readonly health: DatabaseHealth,
  ) {}

  /** Without a guard the row refused this attempt (cancelled): nothing is written, no attempt follows. */
  async record(job: Job<TaskJobData>, handler: RegisteredTaskHandler | undefined, error: unknown, guard: WorkerAttempt | null): Promise<never> {
    const taskId = job.id!;
    const message = describeError(error);
    if (!guard) throw new UnrecoverableError(message);
    const errorType = classifyError(error);
    const strategy = (handler?.retryStrategies ?? this.options.retryStrategies)[errorType];
    const attemptsLeft = job.attemptsMade + 1 < (job.opts.attempts ?? 1);
    const retryable = !(error instanceof UnrecoverableError) && (error instanceof TaskFailure ? error.retryable ?? strategy.retry : strategy.retry);
    if (attemptsLeft && retryable) {
      const attempt = attemptNumber(job);
      const delayMs = requestedRetryDelayMs(error, this.options.maxDelaySeconds * 1000) ?? retryDelayMs(strategy, attempt);
      const retried = await this.health.durably(() => this.writer.scheduleRetry(taskId, { message, errorType, retryDelayMs: delayMs }, attempt, guard));
      if (retried || (await this.retryWasWritten(taskId, attempt))) throw new ScheduledRetry(message, delayMs);
      // The row left `running` meanwhile (cancelled), or another attempt took it over: no further attempt from here.
      throw new UnrecoverableError(message);
    }
    await this.health.durably(() => this.writer.fail(taskId, { message, errorType }, guard));
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
}
