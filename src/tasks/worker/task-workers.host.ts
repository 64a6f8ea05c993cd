import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ResolvedTasksOptions, TaskQueueOptions } from '../interfaces/tasks-module-options.interface.js';
import { TASKS_OPTIONS, TASKS_ROLE, type TasksRole } from '../tasks.module-definition.js';
import { TaskQueues } from '../queue/task-queues.js';
import { closeRedis, createRedisConnection, WORKER_REDIS_OPTIONS } from '../queue/redis-connection.factory.js';
import { DatabaseHealth } from '../store/database-health.js';
import { TaskCancellationBus } from '../queue/task-cancellation.bus.js';
import type { TaskJobData } from '../queue/task-job.js';
import { TaskHandlerRegistry } from '../task-handler.registry.js';
import { TaskStateWriter } from '../store/task-state.writer.js';
import { TaskRunner } from './task.runner.js';
import { CANCEL_REASON, SHUTDOWN_REASON } from './attempt-abort.js';
import { ScheduledRetry } from './scheduled-retry.js';
import { closeOrDrop, dropWorker } from '../queue/bounded-close.js';
import { watchLostLocks } from './lost-locks.js';

/**
 * One BullMQ Worker per queue that has handlers in this process (none in the `api` role).
 * Started once the application has bootstrapped, and stopped before the database connection
 * goes away: no new jobs, running handlers get `shutdownGraceMs` to finish, then their
 * AbortSignal fires and they are handed back to the queue, so no row is left `running`.
 */
@Injectable()
export class TaskWorkersHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(TaskWorkersHost.name);
  private readonly workers = new Map<string, { worker: Worker; connection: Redis }>();

  constructor(
    @Inject(TASKS_OPTIONS) private readonly options: ResolvedTasksOptions,
    @Inject(TASKS_ROLE) private readonly role: TasksRole,
    private readonly registry: TaskHandlerRegistry,
    private readonly runner: TaskRunner,
    private readonly writer: TaskStateWriter,
    private readonly cancellations: TaskCancellationBus,
    private readonly queues: TaskQueues,
    health: DatabaseHealth,
  ) {
    // Take no job while MySQL is away: its transitions could not be written.
    health.onChange((available) => {
      for (const { worker } of this.workers.values()) {
        if (available) worker.resume();
        else void worker.pause(true);
      }
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.role === 'api') return;
    for (const name of this.servedQueues()) await this.startWorker(name);
  }

  /** The queues this process runs jobs of: those with handlers, narrowed by `workerQueues`. */
  servedQueues(): string[] {
    if (this.role === 'api') return [];
    const served = this.options.workerQueues;
    return this.registry.queuesWithHandlers().filter((name) => !served || served.includes(name));
  }

  /** Whether every served queue has a worker that is running (readiness). */
  workersRunning(): { queue: string; running: boolean }[] {
    return this.servedQueues().map((queue) => ({ queue, running: this.workers.get(queue)?.worker.isRunning() ?? false }));
  }

  private async startWorker(name: string): Promise<void> {
    const queue = this.options.queues.find((candidate) => candidate.name === name)!;
    const connection = createRedisConnection(this.options.redis, WORKER_REDIS_OPTIONS);
    // No `signal` parameter: BullMQ then makes no AbortController per job; the runner aborts
    // its own attempts (cancels, shutdown) and makes a handler's signal only when it is used.
    const processor = (job: Job<TaskJobData>, token?: string) => this.runner.run(job, token);
    await this.applyQueueLimits(queue);
    const worker = new Worker<TaskJobData>(name, processor, {
      connection,
      prefix: this.options.queuePrefix,
      concurrency: queue.concurrency,
      settings: { backoffStrategy: taskBackoff(this.options.retry.backoffDelayMs) },
      lockDuration: this.options.workers.lockDurationMs,
      stalledInterval: this.options.workers.stalledIntervalMs,
      maxStalledCount: this.options.workers.maxStalledCount,
      removeOnComplete: { age: this.options.jobRetention.completedAgeSeconds },
      removeOnFail: { age: this.options.jobRetention.failedAgeSeconds },
    });
    worker.on('error', (error) => this.logger.error(`Worker ${name}: ${error.message}`));
    watchLostLocks(worker, connection, this.runner.attempts, this.logger, this.options.workers.lockDurationMs);
    this.workers.set(name, { worker, connection });
    await this.cancellations.register(name, (taskId, processedOn) => this.runner.abort(taskId, CANCEL_REASON, processedOn));
    await worker.waitUntilReady();
    this.logger.log(`Worker started on queue ${name} (concurrency ${queue.concurrency})`);
  }

  /**
   * Writes the queue's global concurrency and rate limit into Redis, where BullMQ enforces
   * them for every worker process of the queue; a limit no longer configured is removed.
   */
  private async applyQueueLimits(queue: TaskQueueOptions): Promise<void> {
    const bullQueue = this.queues.get(queue.name);
    await (queue.globalConcurrency ? bullQueue.setGlobalConcurrency(queue.globalConcurrency) : bullQueue.removeGlobalConcurrency());
    await (queue.rateLimit ? bullQueue.setGlobalRateLimit(queue.rateLimit.max, queue.rateLimit.durationMs) : bullQueue.removeGlobalRateLimit());
  }

  async beforeApplicationShutdown(): Promise<void> {
    const stopping = [...this.workers.values()];
    for (const name of this.workers.keys()) this.cancellations.unregister(name);
    this.workers.clear();
    if (stopping.length === 0) return;
    await Promise.all(stopping.map(({ worker }) => worker.pause(true)));
    if (!(await this.settledWithin(this.options.shutdownGraceMs))) {
      this.logger.warn(`Aborting ${this.runner.runningTaskIds().length} running task(s) at shutdown`);
      this.runner.abortAll(SHUTDOWN_REASON);
      await this.settledWithin(this.options.shutdownAbortGraceMs);
    }
    // Handlers that ignore their signal: their rows go back to pending; BullMQ re-runs the
    // job once its lock expires. Their late results are dropped by the compare-and-set.
    const stuck = this.runner.runningTaskIds();
    await Promise.all(
      stuck.map((taskId) =>
        this.writer.requeue(taskId).catch((error: Error) => this.logger.error(`Task ${taskId} left running: ${error.message}`)),
      ),
    );
    const closing = Promise.all(stopping.map(({ worker }) => worker.close(stuck.length > 0)));
    await closeOrDrop(closing, () => stopping.forEach(({ worker }) => dropWorker(worker)), "BullMQ's workers", this.logger);
    for (const { connection } of stopping) closeRedis(connection);
  }

  private async settledWithin(ms: number): Promise<boolean> {
    const settled = this.runner.settled().then(() => true);
    // An unref'd timer: a settled race must not keep the process alive for the rest of `ms`.
    return Promise.race([settled, sleep(ms, false, { ref: false })]);
  }
}

/**
 * BullMQ's backoff strategy for task jobs: the delay the runner chose for the failure's class
 * (see ScheduledRetry); plain exponential backoff for anything else.
 */
function taskBackoff(baseDelayMs: number) {
  return (attemptsMade: number, _type?: string, error?: Error): number =>
    error instanceof ScheduledRetry ? error.retryDelayMs : baseDelayMs * 2 ** Math.max(0, attemptsMade - 1);
}
