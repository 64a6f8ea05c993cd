import { SetMetadata, type Type } from '@nestjs/common';
import type { TaskRetryStrategies } from '../failures/retry-policy.js';
import type { TaskHandlerSchedule } from '../interfaces/tasks-module-options.interface.js';
import { TASK_HANDLER_METADATA } from '../tasks.constants.js';

/** Per-handler settings of `@TaskHandler`. */
export interface TaskHandlerOptions {
  /**
   * Time limit of each attempt, in seconds; an enqueue may set its own. At the limit the
   * handler's AbortSignal fires; if it has not returned `timeoutGraceMs` later the attempt
   * fails with a `timeout` error and the retry policy applies.
   */
  timeoutSeconds?: number;
  /** Retries of a task enqueued without `max_retries` (0..25); default: the module's `retry.maxRetries`. */
  maxRetries?: number;
  /** Priority (1..10, 10 first) of a task enqueued without one; default: its queue's `defaultPriority`. */
  priority?: number;
  /**
   * A task enqueued without an expiry of its own is never started more than this many seconds
   * after it was due (its enqueue, or the end of its delay), as Celery's `expires` on a task:
   * the worker that takes it later cancels it. At most `maxDelaySeconds`. Workflow steps never expire.
   */
  expiresInSeconds?: number;
  /** Retry strategy per failure class, over the module's (`retry.strategies`). */
  retry?: TaskRetryStrategies;
  /**
   * A class-validator DTO for the params: enqueue validates against it (400 listing the
   * problems) and Swagger shows its schema. The handler still receives the plain JSON object.
   */
  params?: Type<object>;
  /** Runs this task periodically (a schedule named after the task unless `name` is given). */
  schedule?: TaskHandlerSchedule;
  /**
   * Who may enqueue it: `api` (default) over the REST routes and through TasksService;
   * `internal` only through TasksService and schedules (the routes answer 403), for
   * maintenance tasks no HTTP client should start.
   */
  enqueue?: 'api' | 'internal';
}

/** What `@TaskHandler` records on a method. */
export interface TaskHandlerMetadata extends TaskHandlerOptions {
  taskName: string;
}

/**
 * Marks a method of a `@TaskProcessor` class as the handler of `taskName`
 * (e.g. `orders.send_confirmation`). It is called as `(params, context)`.
 */
export const TaskHandler = (taskName: string, options: TaskHandlerOptions = {}): MethodDecorator =>
  SetMetadata(TASK_HANDLER_METADATA, { ...options, taskName } satisfies TaskHandlerMetadata);
