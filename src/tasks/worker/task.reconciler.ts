import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { JobState, Queue } from 'bullmq';
import { TaskRepository, type UnfinishedRow } from '../store/task.repository.js';
import { TASKS_ROLE, type TasksRole } from '../tasks.module-definition.js';
import type { ResolvedTasksOptions } from '../interfaces/tasks-module-options.interface.js';
import { TASKS_OPTIONS } from '../tasks.module-definition.js';
import { TaskErrorType } from '../failures/task-error-type.js';
import { TaskStatus } from '../lifecycle/task-status.js';
import { TaskJobs } from '../queue/task-jobs.js';
import { TaskQueues } from '../queue/task-queues.js';
import { TaskStateWriter, type AttemptGuard } from '../store/task-state.writer.js';
import { TasksMetrics } from '../metrics/tasks-metrics.js';
import { nextAttemptToken } from './attempt-start.js';

/** How many repairs of each kind the reconciler of this process has made. */
export interface ReconcilerStats {
  passes: number;
  /** `pending` rows whose job was missing in Redis and was created again. */
  jobsRecreated: number;
  /** `running` rows whose attempt was lost (job missing), moved to `pending` or `failed`. */
  lostAttemptsRecovered: number;
  /** `running` rows whose job BullMQ had put back in the queue (stalled), moved to `pending`. */
  stalledRequeued: number;
  /** Rows whose job had failed in Redis without the row saying so, moved to `failed`. */
  failuresRecorded: number;
  /** Rows whose job had completed without the row saying so (its worker died before the write), moved to `completed`. */
  completionsRecorded: number;
}

/** How long a claim to repair a row keeps other reconcilers off it. */
const REPAIR_CLAIM_MS = 10_000;

/** Job states in which BullMQ will still run the job. */
const QUEUED_STATES: string[] = ['waiting', 'prioritized', 'delayed', 'waiting-children'] satisfies JobState[];

/**
 * Repairs what a crash left, on an interval, in every worker process. Safe to run in many
 * processes at once: every row write is a compare-and-set and a job is re-created under
 * its task id, which BullMQ refuses to add twice.
 *
 * - a `pending` row whose job is missing (crash between insert and add, Redis lost its
 *   data) gets its job back, with its priority and remaining attempts;
 * - a `running` row whose job is missing lost its attempt: `pending` with retry_count + 1
 *   (and a new job), or `failed` when no attempt is left;
 * - a `running` row whose job is queued again was stalled: BullMQ re-runs it without
 *   counting an attempt, so the row goes back to `pending` without counting one either;
 * - a `pending` or `running` row whose job failed in Redis becomes `failed`;
 * - a `pending` or `running` row whose job completed (its worker died before the completion it
 *   wrote behind was committed) becomes `completed` with the job's return value as result.
 */
@Injectable()
export class TaskReconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TaskReconciler.name);
  private readonly stats: ReconcilerStats = { passes: 0, jobsRecreated: 0, lostAttemptsRecovered: 0, stalledRequeued: 0, failuresRecorded: 0, completionsRecorded: 0 };
  private timer?: NodeJS.Timeout;
  private pass?: Promise<void>;

  constructor(
    private readonly repository: TaskRepository,
    @Inject(TASKS_OPTIONS) private readonly options: ResolvedTasksOptions,
    @Inject(TASKS_ROLE) private readonly role: TasksRole,
    private readonly queues: TaskQueues,
    private readonly writer: TaskStateWriter,
    private readonly jobs: TaskJobs,
    private readonly metrics: TasksMetrics,
  ) {}

  onApplicationBootstrap(): void {
    const { intervalMs } = this.options.reconciler;
    if (this.role === 'api' || intervalMs <= 0) return;
    this.timer = setInterval(() => void this.reconcileOnce().catch((error: Error) => this.logger.warn(`Pass failed: ${error.message}`)), intervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.pass?.catch(() => undefined);
  }

  private repaired(kind: Exclude<keyof ReconcilerStats, 'passes'>): void {
    this.stats[kind]++;
    this.metrics.repaired(kind.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`));
  }

  /** A copy of the repair counters. */
  getStats(): ReconcilerStats {
    return { ...this.stats };
  }

  /** One pass over the unfinished rows old enough to judge; one pass at a time per process. */
  reconcileOnce(): Promise<void> {
    this.pass ??= this.reconcile().finally(() => (this.pass = undefined));
    return this.pass;
  }

  private async reconcile(): Promise<void> {
    const { minAgeMs, batchSize } = this.options.reconciler;
    // Younger rows may be between their insert and their add, or just starting.
    const rows = await this.repository.findUnfinishedOlderThan(minAgeMs, batchSize);
    for (const row of rows) await this.repair(row);
    this.stats.passes++;
  }

  private async repair(row: UnfinishedRow): Promise<void> {
    const queue = this.queues.queueOf(row.taskType);
    if (!queue) return;
    const state = await queue.getJobState(row.taskId);
    if (state === 'failed') return this.recordFailure(queue, row);
    if (state === 'completed') return this.recordCompletion(queue, row);
    if (row.status === TaskStatus.Pending && state === 'unknown') {
      // One reconciler (of all processes) repairs a row at a time: BullMQ would refuse a second
      // job with the same id anyway; the claim keeps the repair counted once.
      if (await this.queues.claim(`reconcile:${row.taskId}`, REPAIR_CLAIM_MS)) await this.recreateJob(row);
      return;
    }
    if (row.status === TaskStatus.Running && state === 'unknown') return this.recoverLostAttempt(row);
    if (row.status === TaskStatus.Running && QUEUED_STATES.includes(state)) {
      if (await this.writer.requeue(row.taskId, 'stalled: the worker running it stopped', this.sameAttempt(row))) {
        this.repaired('stalledRequeued');
        this.logger.warn(`Task ${row.taskId}: stalled job is queued again; row back to pending`);
      }
    }
  }

  private async recreateJob(row: UnfinishedRow): Promise<void> {
    const attemptsLeft = row.maxRetries + 1 - row.retryCount;
    // A delayed task (or a retry's backoff) keeps its due time.
    const delayMs = row.runAt ? Math.max(0, row.runAt.getTime() - Date.now()) : 0;
    await this.jobs.add(row, Math.max(1, attemptsLeft), row.retryCount, delayMs);
    this.repaired('jobsRecreated');
    this.logger.warn(`Task ${row.taskId}: job was missing in Redis; created again`);
  }

  private async recoverLostAttempt(row: UnfinishedRow): Promise<void> {
    const failure = { message: 'lost: its worker stopped and the job is gone from Redis', errorType: TaskErrorType.Unknown };
    if (row.retryCount < row.maxRetries) {
      if (!(await this.writer.scheduleRetry(row.taskId, { ...failure, retryDelayMs: 0 }, row.retryCount + 1, this.sameAttempt(row)))) return;
      await this.recreateJob({ ...row, runAt: null, retryCount: row.retryCount + 1 });
    } else if (!(await this.writer.fail(row.taskId, failure, this.sameAttempt(row)))) {
      return;
    }
    this.repaired('lostAttemptsRecovered');
    this.logger.warn(`Task ${row.taskId}: attempt lost with its worker; recorded`);
  }

  /**
   * Guards a write about a running row: it applies only if no new attempt started since the
   * row was read (a worker may have picked the job up again meanwhile).
   */
  private sameAttempt(row: UnfinishedRow): AttemptGuard {
    return { startedAt: row.startedAt };
  }

  private async recordCompletion(queue: Queue, row: UnfinishedRow): Promise<void> {
    const job = await queue.getJob(row.taskId);
    if (!job) return;
    // A pending row never had its start written: it is written with the outcome, at the job's start.
    const guard = row.status === TaskStatus.Running
      ? this.sameAttempt(row)
      : { attemptToken: nextAttemptToken(), startsAt: performance.now() - Math.max(0, Date.now() - (job.processedOn ?? Date.now())) };
    const result: unknown = job.returnvalue ?? null;
    if (await this.writer.complete(row.taskId, result, guard, undefined, JSON.stringify(result).length)) {
      this.repaired('completionsRecorded');
      this.logger.warn(`Task ${row.taskId}: job completed in Redis but not in MySQL (worker died before writing it); recorded`);
    }
  }

  private async recordFailure(queue: Queue, row: UnfinishedRow): Promise<void> {
    const job = await queue.getJob(row.taskId);
    const message = job?.failedReason || 'failed in the queue';
    const failure = { message, errorType: TaskErrorType.Unknown };
    const recorded = row.status === TaskStatus.Pending ? this.writer.abandon(row.taskId, failure) : this.writer.fail(row.taskId, failure);
    if (await recorded) {
      this.repaired('failuresRecorded');
      this.logger.warn(`Task ${row.taskId}: job failed in Redis (${message}); row marked failed`);
    }
  }
}
