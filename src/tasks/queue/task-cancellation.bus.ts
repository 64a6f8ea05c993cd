import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Relay } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ResolvedTasksOptions } from '../interfaces/tasks-module-options.interface.js';
import { TASKS_OPTIONS } from '../tasks.module-definition.js';
import { closeRedis, createRedisConnection, WORKER_REDIS_OPTIONS } from './redis-connection.factory.js';
import { readyWithin } from './redis-ready.js';
import { closeOrDrop } from './bounded-close.js';

/** What a cancel message carries: the task, and when its job was fetched (the job's `processedOn`). */
interface CancelMessage {
  taskId: string;
  processedOn?: number;
}

/**
 * Aborts the task's running handler if this process runs it; says whether it did. With
 * `processedOn`, the job's fetch the cancel saw: an attempt of that fetch that has not begun yet
 * is aborted as it begins.
 */
export type AbortRunning = (taskId: string, processedOn?: number) => boolean;

/** Relay namespace of the module's messages (one per queue prefix, so test runs stay apart). */
const RELAY_NAMESPACE = 'tasks';

/**
 * Carries cancel requests to the worker that runs the task, wherever it runs. Each worker
 * registers its queue's abort function here: a cancel first tries this process's worker, and
 * when none of this process runs the task it is published on `cancel.<queue>` over BullMQ's
 * Relay (per-node inboxes in Redis), where every worker of that queue aborts the job if it
 * holds it and ignores the message otherwise, as `worker.cancelJob` does.
 */
@Injectable()
export class TaskCancellationBus implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(TaskCancellationBus.name);
  private readonly local = new Map<string, AbortRunning>();
  private relay?: Relay;
  private connection?: Redis;

  constructor(@Inject(TASKS_OPTIONS) private readonly options: ResolvedTasksOptions) {}

  async onModuleInit(): Promise<void> {
    this.connection = createRedisConnection(this.options.redis, WORKER_REDIS_OPTIONS);
    this.relay = new Relay({ connection: this.connection, prefix: this.options.queuePrefix, namespace: RELAY_NAMESPACE });
    this.relay.on('error', (error: Error) => this.logger.warn(`Relay: ${error.message}`));
    await readyWithin(this.relay.waitUntilReady(), this.options.redis, this.options.startupTimeoutMs).catch(async (error: unknown) => {
      await this.onApplicationShutdown();
      throw error;
    });
  }

  /**
   * Aborts `taskId`'s handler: at once when this process runs it (returns true), else by a
   * message to every worker process of `queue` (returns false).
   */
  async cancel(queue: string, taskId: string, processedOn?: number): Promise<boolean> {
    if (this.abortHere(queue, taskId, processedOn)) return true;
    await this.relay!.publish(topic(queue), { taskId, processedOn } satisfies CancelMessage);
    return false;
  }

  /** Aborts `taskId`'s handler if this process runs it, without telling other processes. */
  abortHere(queue: string, taskId: string, processedOn?: number): boolean {
    return this.local.get(queue)?.(taskId, processedOn) ?? false;
  }

  /** A worker of `queue` in this process: cancels of its tasks, local or published, reach `abort`. */
  async register(queue: string, abort: AbortRunning): Promise<void> {
    this.local.set(queue, abort);
    await this.relay!.subscribe<CancelMessage>(topic(queue), (message) => {
      const processedOn = message.data?.processedOn;
      if (typeof message.data?.taskId === 'string') abort(message.data.taskId, typeof processedOn === 'number' ? processedOn : undefined);
    });
  }

  /** The worker of `queue` stopped: its tasks are no longer aborted here. */
  unregister(queue: string): void {
    this.local.delete(queue);
  }

  async onApplicationShutdown(): Promise<void> {
    // Dropping the relay's connection fails what its close waits for, and its close then ends.
    if (this.relay) await closeOrDrop(this.relay.close(), () => closeRedis(this.connection), 'The cancel relay', this.logger);
    closeRedis(this.connection);
  }
}

function topic(queue: string): string {
  return `cancel.${queue}`;
}
