import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ResolvedTasksOptions, TaskQueueOptions } from '../interfaces/tasks-module-options.interface.js';
import { INTERNAL_QUEUE, TASKS_OPTIONS } from '../tasks.module-definition.js';
import { closeRedis, createRedisConnection, PRODUCER_REDIS_OPTIONS } from './redis-connection.factory.js';
import { readyWithin } from './redis-ready.js';

/** Jobs of one queue by BullMQ state. */
export interface QueueDepth {
  queue: string;
  taskType: string;
  waiting: number;
  prioritized: number;
  delayed: number;
  active: number;
}

/** One worker of a queue, as Redis sees its connection (a process serves a queue with one). */
export interface WorkerConnection {
  /** `host:port` of the worker's connection to Redis. */
  address: string;
  /** Seconds since that connection was made. */
  connectedSeconds: number;
}

/** The workers serving one queue now, over every process. */
export interface QueueWorkers {
  queue: string;
  taskType: string;
  /** Null when this Redis refuses to list its clients (`CLIENT LIST`), so nobody can tell. */
  workers: WorkerConnection[] | null;
}

/**
 * How Redis refuses `CLIENT LIST`: an ACL without it (`NOPERM`), or a managed Redis that renamed
 * or removed it. BullMQ itself answers a placeholder for the last (below).
 */
const CLIENT_LIST_REFUSED = /NOPERM|unknown command/i;
const BULLMQ_NO_CLIENT_LIST = 'GCP does not support client list';

/** The producer side: one BullMQ `Queue` per configured queue, sharing one Redis connection. */
@Injectable()
export class TaskQueues implements OnModuleInit, OnApplicationShutdown {
  private readonly queues = new Map<string, Queue>();
  private connection?: Redis;

  constructor(@Inject(TASKS_OPTIONS) private readonly options: ResolvedTasksOptions) {}

  async onModuleInit(): Promise<void> {
    this.connection = createRedisConnection(this.options.redis, PRODUCER_REDIS_OPTIONS);
    for (const name of [...this.options.queues.map((queue) => queue.name), INTERNAL_QUEUE]) {
      this.queues.set(name, new Queue(name, { connection: this.connection, prefix: this.options.queuePrefix }));
    }
    // Without an offline queue, commands sent before the connection is up would be refused.
    const ready = Promise.all([...this.queues.values()].map((queue) => queue.waitUntilReady()));
    await readyWithin(ready, this.options.redis, this.options.startupTimeoutMs).catch(async (error: unknown) => {
      await this.onApplicationShutdown();
      throw error;
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
    this.queues.clear();
    closeRedis(this.connection);
  }

  /** The BullMQ queue named `name`; the name is one of the configured queues. */
  get(name: string): Queue {
    const queue = this.queues.get(name);
    if (!queue) throw new Error(`Queue "${name}" is not configured`);
    return queue;
  }

  /** The configured queue that carries `taskType`, if any. */
  forTaskType(taskType: string): TaskQueueOptions | undefined {
    return this.options.queues.find((queue) => queue.taskType === taskType);
  }

  /** The configured queues, in their order: all, or the one that carries `taskType`. */
  private configured(taskType?: string): TaskQueueOptions[] {
    return this.options.queues.filter((queue) => taskType === undefined || queue.taskType === taskType);
  }

  /** The BullMQ queue that carries `taskType`, if one is configured. */
  queueOf(taskType: string): Queue | undefined {
    const options = this.forTaskType(taskType);
    return options && this.get(options.name);
  }

  /** Jobs per state of each configured queue (of one task type, if given): a few Redis reads per queue. */
  depth(taskType?: string): Promise<QueueDepth[]> {
    return Promise.all(
      this.configured(taskType).map(async (queue) => {
        const counts = await this.get(queue.name).getJobCounts('waiting', 'prioritized', 'delayed', 'active');
        return { queue: queue.name, taskType: queue.taskType, waiting: counts.waiting, prioritized: counts.prioritized, delayed: counts.delayed, active: counts.active };
      }),
    );
  }

  /**
   * The workers of each configured queue (of one task type, if given): BullMQ names each
   * worker's connection after its queue, and Redis lists the connections (one `CLIENT LIST`
   * per queue). A process that serves a queue counts once; `api` processes have no workers.
   */
  workers(taskType?: string): Promise<QueueWorkers[]> {
    return Promise.all(this.configured(taskType).map(async (queue) => ({ queue: queue.name, taskType: queue.taskType, workers: await this.workersOf(queue.name) })));
  }

  private async workersOf(name: string): Promise<WorkerConnection[] | null> {
    try {
      const clients = await this.get(name).getWorkers();
      if (clients.some((client) => client.name === BULLMQ_NO_CLIENT_LIST)) return null;
      return clients.map((client) => ({ address: client.addr, connectedSeconds: Number(client.age) }));
    } catch (error) {
      if (CLIENT_LIST_REFUSED.test((error as Error).message)) return null;
      throw error;
    }
  }

  /** Resolves when Redis answers a PING on the producer connection. */
  async ping(): Promise<void> {
    await this.connection!.ping();
  }

  internal(): Queue {
    return this.get(INTERNAL_QUEUE);
  }

  /**
   * Claims `name` for `ttlMs` over every process of this queue prefix (Redis `SET NX PX`): true
   * for the one caller that got it, false for the others until it expires.
   */
  async claim(name: string, ttlMs: number): Promise<boolean> {
    return (await this.connection!.set(`${this.options.queuePrefix}:tasks:${name}`, '1', 'PX', ttlMs, 'NX')) === 'OK';
  }
}
