import { Injectable, type Type } from '@nestjs/common';
import { DuplicateTaskHandlerError } from './errors/bootstrap.errors.js';
import type { TaskHandlerOptions } from './decorators/task-handler.decorator.js';
import type { ResolvedRetryStrategies } from './failures/retry-policy.js';
import type { TaskContext } from './interfaces/task-context.interface.js';
import type { TaskQueueOptions, TaskScheduleOptions } from './interfaces/tasks-module-options.interface.js';

/** A registered handler: the task name, its queue, its settings, and how to call it. */
export interface RegisteredTaskHandler {
  taskName: string;
  queue: TaskQueueOptions;
  /** `ClassName.method`, for logs and errors. */
  location: string;
  /** The handler's time limit per attempt, if it declares one. */
  timeoutSeconds?: number;
  /** The handler's defaults for a task enqueued without its own (see TaskHandlerOptions). */
  defaults: Pick<TaskHandlerOptions, 'maxRetries' | 'priority' | 'expiresInSeconds'>;
  /** The module's strategies with the handler's own over them. */
  retryStrategies: ResolvedRetryStrategies;
  /** The class-validator DTO its params must satisfy, if it declares one. */
  paramsType?: Type<object>;
  /** The handler's own periodic schedule, if it declares one. */
  schedule?: TaskScheduleOptions;
  /** `internal`: not enqueueable over the REST routes. */
  enqueue: 'api' | 'internal';
  invoke(params: Record<string, unknown>, context: TaskContext): Promise<unknown>;
}

/**
 * Every task handler of this process, by task name. Filled once by the explorer at bootstrap;
 * refuses a second handler for a name ({@link DuplicateTaskHandlerError}).
 */
@Injectable()
export class TaskHandlerRegistry {
  private readonly handlers = new Map<string, RegisteredTaskHandler>();

  register(handler: RegisteredTaskHandler): void {
    const existing = this.handlers.get(handler.taskName);
    if (existing) throw new DuplicateTaskHandlerError(handler.taskName, existing.location, handler.location);
    this.handlers.set(handler.taskName, handler);
  }

  /** The handler of `taskName`, or undefined: each caller says what an unknown name means to it. */
  find(taskName: string): RegisteredTaskHandler | undefined {
    return this.handlers.get(taskName);
  }

  /** Every handler, by task name. */
  all(): RegisteredTaskHandler[] {
    return [...this.handlers.values()].sort((a, b) => a.taskName.localeCompare(b.taskName));
  }

  /** Names of the queues that have at least one handler in this process. */
  queuesWithHandlers(): string[] {
    return [...new Set([...this.handlers.values()].map((handler) => handler.queue.name))];
  }
}
