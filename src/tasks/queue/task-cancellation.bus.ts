import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Relay, type RelaySubscription } from 'bullmq';
import type { Redis } from 'ioredis';
import { TASKS_OPTIONS, type ResolvedTasksOptions } from '../tasks.options.js';
import { createRedisConnection, WORKER_REDIS_OPTIONS } from './redis-connection.factory.js';

/** What a cancel message carries. */
interface CancelMessage {
  taskId: string;
}

/** Relay namespace of the module's messages (one per queue prefix, so test runs stay apart). */
const RELAY_NAMESPACE = 'tasks';

/**
 * Carries cancel requests to every worker process, wherever it runs, over BullMQ's Relay
 * (per-node inboxes in Redis). A cancel is published on `cancel.<queue>`; each worker of that
 * queue aborts the job if it holds it and ignores the message otherwise, as
 * `worker.cancelJob` does.
 */
@Injectable()
export class TaskCancellationBus implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('TaskCancellationBus');
  private relay?: Relay;
  private connection?: Redis;
  private readonly subscriptions: RelaySubscription[] = [];

  constructor(@Inject(TASKS_OPTIONS) private readonly options: ResolvedTasksOptions) {}

  async onModuleInit(): Promise<void> {
    this.connection = createRedisConnection(this.options.redis, WORKER_REDIS_OPTIONS);
    this.relay = new Relay({ connection: this.connection, prefix: this.options.queuePrefix, namespace: RELAY_NAMESPACE });
    this.relay.on('error', (error: Error) => this.logger.warn(`Relay: ${error.message}`));
    await this.relay.waitUntilReady();
  }

  /** Asks every worker of `queue` to abort `taskId` if it is running it. */
  async publishCancel(queue: string, taskId: string): Promise<void> {
    await this.relay!.publish(topic(queue), { taskId } satisfies CancelMessage);
  }

  /** Calls `abort(taskId)` for every cancel published for `queue`. */
  async onCancel(queue: string, abort: (taskId: string) => void): Promise<void> {
    const subscription = await this.relay!.subscribe<CancelMessage>(topic(queue), (message) => {
      if (typeof message.data?.taskId === 'string') abort(message.data.taskId);
    });
    this.subscriptions.push(subscription);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay?.close();
    this.connection?.disconnect();
  }
}

function topic(queue: string): string {
  return `cancel.${queue}`;
}
