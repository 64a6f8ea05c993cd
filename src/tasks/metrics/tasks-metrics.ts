import { Injectable, Logger } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, register as defaultRegistry } from 'prom-client';
import { TaskQueues } from '../queue/task-queues.js';
import { TaskStateWriter } from '../store/task-state.writer.js';
import { TaskStatsRepository } from '../store/task-stats.repository.js';

/** Seconds: from a millisecond no-op to an hour-long report. */
const DURATION_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];
/** Seconds: a commit normally takes milliseconds; seconds mean MySQL lags the queue. */
const WRITE_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Which key found the task an enqueue answered instead of a new one (a label of `background_tasks_enqueue_deduplicated_total`). */
export type DeduplicationKey = 'idempotency' | 'singleton';

/** Why an enqueue was refused (a label of `background_tasks_enqueue_rejected_total`). */
export type EnqueueRejection = 'invalid' | 'unavailable' | 'error';

/**
 * The module's Prometheus metrics, in a registry of its own (two applications in one process
 * do not collide); `/metrics` serves it merged with prom-client's default registry, so the
 * host's own metrics appear beside them. Gauges are read when scraped: the exact counts (one
 * small read of the counter table), BullMQ's job counts and the workers of each queue.
 */
@Injectable()
export class TasksMetrics {
  private readonly logger = new Logger(TasksMetrics.name);
  readonly registry = new Registry();
  private readonly handlerDuration = new Histogram({
    name: 'background_tasks_handler_duration_seconds',
    help: 'Duration of handler attempts run by this process, by task name and outcome (completed or failed).',
    labelNames: ['task_name', 'outcome'],
    buckets: DURATION_BUCKETS_S,
    registers: [this.registry],
  });
  private readonly writeWait = new Histogram({
    name: 'background_tasks_transition_write_seconds',
    help: 'Time from a task event (start, outcome, cancel, retry) to its commit in MySQL: how far the table lags the queue.',
    buckets: WRITE_BUCKETS_S,
    registers: [this.registry],
  });
  private readonly transitions = new Counter({
    name: 'background_tasks_transitions_total',
    help: 'Status changes committed by this process, by task type and new status.',
    labelNames: ['task_type', 'status'],
    registers: [this.registry],
  });
  private readonly repairs = new Counter({
    name: 'background_tasks_reconciler_repairs_total',
    help: "Rows this process's reconciler repaired, by kind.",
    labelNames: ['kind'],
    registers: [this.registry],
  });
  private readonly expirations = new Counter({
    name: 'background_tasks_expired_total',
    help: 'Tasks this process did not start because their expiry had passed (cancelled as expired), by task name.',
    labelNames: ['task_name'],
    registers: [this.registry],
  });
  private readonly handlersMissing = new Counter({
    name: 'background_tasks_handler_missing_total',
    help: "Jobs this process's workers handed back to their queue for want of the task's handler (another worker may have it), by task name.",
    labelNames: ['task_name'],
    registers: [this.registry],
  });
  private readonly deduplicated = new Counter({
    name: 'background_tasks_enqueue_deduplicated_total',
    help: 'Enqueues this process answered with an existing task instead of a new one, by the key that found it (idempotency, singleton).',
    labelNames: ['key'],
    registers: [this.registry],
  });
  private readonly rejected = new Counter({
    name: 'background_tasks_enqueue_rejected_total',
    help: 'Enqueues refused by this process, by reason (invalid, unavailable, error).',
    labelNames: ['reason'],
    registers: [this.registry],
  });

  constructor(stats: TaskStatsRepository, queues: TaskQueues, writer: TaskStateWriter) {
    this.scrapeTables(stats);
    this.scrapeQueues(queues);
    writer.onCommit((changes, waitedMs) => {
      for (const ms of waitedMs) this.writeWait.observe(ms / 1000);
      for (const change of changes) if (change.kind === 'status') this.transitions.inc({ task_type: change.taskType, status: change.status });
    });
  }

  /** The exact counts, read from MySQL when scraped. */
  private scrapeTables(stats: TaskStatsRepository): void {
    const logger = this.logger;
    new Gauge({
      name: 'background_tasks',
      help: 'Tasks in MySQL by task type, status and error class (exact counts, over all processes).',
      labelNames: ['task_type', 'status', 'error_type'],
      registers: [this.registry],
      async collect() {
        this.reset();
        const counts = await stats.counts().catch((error: Error) => void logger.warn(`Counts not scraped: ${error.message}`));
        for (const count of counts ?? []) this.set({ task_type: count.taskType, status: count.status, error_type: count.errorType || 'none' }, count.count);
      },
    });
  }

  /** BullMQ's job counts and each queue's workers, read from Redis when scraped. */
  private scrapeQueues(queues: TaskQueues): void {
    const logger = this.logger;
    new Gauge({
      name: 'background_tasks_queue_jobs',
      help: 'BullMQ jobs per queue and state (waiting, prioritized, delayed, active).',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        this.reset();
        const depths = await queues.depth().catch((error: Error) => void logger.warn(`Queue depth not scraped: ${error.message}`));
        for (const { queue, taskType: _, ...states } of depths ?? []) {
          for (const [state, jobs] of Object.entries(states)) this.set({ queue, state }, jobs);
        }
      },
    });
    new Gauge({
      name: 'background_tasks_queue_workers',
      help: 'Workers serving each queue now, over all processes (none while Redis refuses to list its clients).',
      labelNames: ['queue'],
      registers: [this.registry],
      async collect() {
        this.reset();
        const queuesWorkers = await queues.workers().catch((error: Error) => void logger.warn(`Workers not scraped: ${error.message}`));
        for (const { queue, workers } of queuesWorkers ?? []) if (workers) this.set({ queue }, workers.length);
      },
    });
  }

  handlerFinished(taskName: string, outcome: 'completed' | 'failed', seconds: number): void {
    this.handlerDuration.observe({ task_name: taskName, outcome }, seconds);
  }

  expired(taskName: string): void {
    this.expirations.inc({ task_name: taskName });
  }

  handlerMissing(taskName: string): void {
    this.handlersMissing.inc({ task_name: taskName });
  }

  repaired(kind: string): void {
    this.repairs.inc({ kind });
  }

  enqueueDeduplicated(key: DeduplicationKey): void {
    this.deduplicated.inc({ key });
  }

  enqueueRejected(reason: EnqueueRejection): void {
    this.rejected.inc({ reason });
  }

  /** The text exposition of this module's metrics and the default registry's. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    const merged = Registry.merge([this.registry, defaultRegistry]);
    return { contentType: merged.contentType, body: await merged.metrics() };
  }
}
