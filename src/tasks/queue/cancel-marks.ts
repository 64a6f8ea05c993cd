import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { ResolvedTasksOptions } from '../interfaces/tasks-module-options.interface.js';
import { TASKS_OPTIONS } from '../tasks.module-definition.js';
import { closeRedis, createRedisConnection, PRODUCER_REDIS_OPTIONS } from './redis-connection.factory.js';
import { readyWithin } from './redis-ready.js';
import { TaskQueues } from './task-queues.js';

/**
 * How long a cancel's mark lives. A job created longer ago than this, less an hour for clocks
 * that disagree, never starts its handler before its row says `running` (see
 * {@link CancelMarks.mayStartUnwritten}).
 */
export const CANCEL_MARK_TTL_MS = 24 * 60 * 60 * 1000;
const CLOCK_MARGIN_MS = 60 * 60 * 1000;
/** What a cancel writes in a task's deduplication key: no job has this id. */
const CANCELLED_DEDUPLICATION_VALUE = 'cancelled';

/** How soon after its fetch an enqueue's job may start without asking about cancels (at most a quarter of `cancelWaitMs`; worker/unasked-start.ts). */
export const UNASKED_START_WITHIN_MS = 250;

/** How long after its fetch a job may still start unasked, with this `cancelWaitMs`. */
export function unaskedStartWindowMs(cancelWaitMs: number): number {
  return Math.min(UNASKED_START_WITHIN_MS, cancelWaitMs / 4);
}

/** What names a task for the marks: its id and, for a workflow step or node, its workflow's. */
export interface MarkedTask {
  taskId: string;
  workflowId?: string | null;
}

/** A task a cancel marks: its queue is found by its type. */
export interface TaskToMark extends MarkedTask {
  taskType: string;
}

/** A worker's check waiting for the end of the event loop's turn. */
interface PendingCheck {
  keys: string[];
  resolve(mayStart: boolean): void;
}

/**
 * Redis marks that a cancel is under way, set before the cancel writes `cancelled` (one
 * `SET PX` per id, pipelined). A worker may start a handler before its row says `running`
 * only when no mark names the task or its workflow: a cancel that marked first is seen (the
 * worker then writes `running` first, which the cancelled row refuses), and a cancel that
 * marks later finds the job active and aborts the handler through the cancellation bus before
 * it reports success. Either way no handler starts after a cancel has succeeded.
 *
 * The same pipeline sets the task's BullMQ deduplication key, for as long as a mark lives: the
 * job of an enqueue carries that id (TaskJobs.addEach), so once the cancel has set it, a job
 * added late (the enqueue's add that follows its `INSERT`) is not added at all. A worker can
 * then start such a job without this check: a cancel either removes its job, or finds it
 * active and aborts it, or keeps it out (see worker/unasked-start.ts).
 */
@Injectable()
export class CancelMarks implements OnModuleInit, OnApplicationShutdown {
  /**
   * Its own connection, not auto-pipelined: ioredis keeps one auto-pipeline in flight per
   * connection, so each turn's `MGET` waited for the one before it (scratch, end-to-end at
   * concurrency 50: a check's wait p50 4.7 → 3.1 ms, p90 9.4 → 7.4 ms without it). A cancel's
   * marks still go out in one write, as an explicit pipeline.
   */
  private connection?: Redis;
  /** Checks asked for in this turn of the event loop: they go to Redis as one `MGET` at its end. */
  private checks: PendingCheck[] = [];

  constructor(
    @Inject(TASKS_OPTIONS) private readonly options: ResolvedTasksOptions,
    private readonly queues: TaskQueues,
  ) {}

  async onModuleInit(): Promise<void> {
    const connection = createRedisConnection(this.options.redis, PRODUCER_REDIS_OPTIONS);
    this.connection = connection;
    // Outages show where the marks are used (a cancel answers 503, a worker asks MySQL first).
    connection.on('error', () => undefined);
    await readyWithin(new Promise((resolve) => connection.once('ready', resolve)), this.options.redis, this.options.startupTimeoutMs).catch((error: unknown) => {
      this.onApplicationShutdown();
      throw error;
    });
  }

  onApplicationShutdown(): void {
    closeRedis(this.connection);
  }

  /**
   * Marks the task and its workflow (if any), and sets the task's deduplication key; rejects
   * when Redis does not take them. The key's value is no job id and it expires: BullMQ then
   * keeps it through the job's removal and end, and never takes it for a stale one.
   */
  async mark(task: TaskToMark): Promise<void> {
    const pipeline = this.connection!.pipeline();
    for (const key of this.keys(task)) pipeline.set(key, '1', 'PX', CANCEL_MARK_TTL_MS);
    const queue = this.queues.queueOf(task.taskType);
    if (queue) pipeline.set(`${queue.keys.de}:${task.taskId}`, CANCELLED_DEDUPLICATION_VALUE, 'PX', CANCEL_MARK_TTL_MS);
    for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
  }

  /**
   * True when the task's job, created at `jobCreatedAt` (ms since the epoch), may start its
   * handler before its `running` is written: no cancel marked the task or its workflow, and any
   * cancel since the job was created would still be marked. False on any doubt (Redis
   * unreachable included).
   */
  mayStartUnwritten(task: MarkedTask, jobCreatedAt: number): Promise<boolean> {
    if (Date.now() - jobCreatedAt > CANCEL_MARK_TTL_MS - CLOCK_MARGIN_MS) return Promise.resolve(false);
    return new Promise((resolve) => {
      if (this.checks.push({ keys: this.keys(task), resolve }) === 1) setImmediate(() => this.checkPending());
    });
  }

  /**
   * The worker slots whose jobs arrived in one turn of the event loop check their marks in one
   * command: one `MGET` for all of them costs Node a third to a half of an `EXISTS` each
   * (scratch, 16 checks a turn: 10.2-10.8 -> 4.7-6.8 us per check). Each check still reads
   * Redis after its job was fetched, which is all the guard needs.
   */
  private checkPending(): void {
    const checks = this.checks;
    this.checks = [];
    const settle = (marks: Array<string | null> | undefined) => {
      let first = 0;
      for (const { keys, resolve } of checks) {
        const own = marks?.slice(first, first + keys.length);
        first += keys.length;
        resolve(own !== undefined && own.every((mark) => mark === null));
      }
    };
    Promise.resolve()
      .then(() => this.connection!.mget(checks.flatMap((check) => check.keys)))
      .then(settle, () => settle(undefined));
  }

  /** A task's marks: its own, and its workflow's, which a cancel of the workflow (or of any part of it) sets. */
  private keys({ taskId, workflowId }: MarkedTask): string[] {
    return [taskId, ...(workflowId ? [workflowId] : [])].map((id) => `${this.options.queuePrefix}:tasks:cancelling:${id}`);
  }
}
