import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { TASKS_OPTIONS, type ResolvedTasksOptions } from '../tasks.options.js';
import { createRedisConnection, WORKER_REDIS_OPTIONS } from './redis-connection.factory.js';
import type { TaskJobData } from './task-job.js';
import { TaskHandlerRegistry } from './task-handler.registry.js';
import { TaskRunner } from './task.runner.js';

/**
 * One BullMQ Worker per queue that has handlers in this process. Started once the
 * application has bootstrapped (every handler is registered by then) and closed before
 * the database connection goes away, letting running handlers finish.
 */
@Injectable()
export class TaskWorkersHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('TaskWorkers');
  private readonly workers = new Map<string, { worker: Worker; connection: Redis }>();

  constructor(
    @Inject(TASKS_OPTIONS) private readonly options: ResolvedTasksOptions,
    private readonly registry: TaskHandlerRegistry,
    private readonly runner: TaskRunner,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const name of this.registry.queuesWithHandlers()) {
      const queue = this.options.queues.find((candidate) => candidate.name === name)!;
      const connection = createRedisConnection(this.options.redis, WORKER_REDIS_OPTIONS);
      // The processor declares `signal` so that BullMQ hands it one (it checks the arity).
      const processor = (job: Job<TaskJobData>, _token?: string, signal?: AbortSignal) =>
        this.runner.run(job, signal);
      const worker = new Worker<TaskJobData>(name, processor, {
        connection,
        prefix: this.options.queuePrefix,
        concurrency: queue.concurrency,
        removeOnComplete: { age: this.options.jobRetention.completedAgeSeconds },
        removeOnFail: { age: this.options.jobRetention.failedAgeSeconds },
      });
      worker.on('error', (error) => this.logger.error(`Worker ${name}: ${error.message}`));
      this.workers.set(name, { worker, connection });
      await worker.waitUntilReady();
      this.logger.log(`Worker started on queue ${name} (concurrency ${queue.concurrency})`);
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    const running = [...this.workers.values()];
    this.workers.clear();
    await Promise.all(running.map(({ worker }) => worker.close()));
    for (const { connection } of running) connection.disconnect();
  }

  /**
   * Fires the AbortSignal of the task if one of this process's workers is running it.
   * Returns whether a running handler was signalled.
   */
  abortRunning(queueName: string, taskId: string, reason: string): boolean {
    return this.workers.get(queueName)?.worker.cancelJob(taskId, reason) ?? false;
  }
}
