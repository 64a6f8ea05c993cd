import { Injectable } from '@nestjs/common';
import type { TaskContext } from '../task-context.js';
import type { TaskQueueOptions } from '../tasks.options.js';
import { DuplicateTaskHandlerError } from '../tasks.errors.js';

/** A registered handler: the task name, its queue, and how to call it. */
export interface RegisteredTaskHandler {
  taskName: string;
  queue: TaskQueueOptions;
  /** `ClassName.method`, for logs and errors. */
  location: string;
  invoke(params: Record<string, unknown>, context: TaskContext): Promise<unknown>;
}

/** Every task handler of this process, by task name. Filled once by the explorer at bootstrap. */
@Injectable()
export class TaskHandlerRegistry {
  private readonly handlers = new Map<string, RegisteredTaskHandler>();

  register(handler: RegisteredTaskHandler): void {
    const existing = this.handlers.get(handler.taskName);
    if (existing) throw new DuplicateTaskHandlerError(handler.taskName, existing.location, handler.location);
    this.handlers.set(handler.taskName, handler);
  }

  get(taskName: string): RegisteredTaskHandler | undefined {
    return this.handlers.get(taskName);
  }

  /** Names of the queues that have at least one handler in this process. */
  queuesWithHandlers(): string[] {
    return [...new Set([...this.handlers.values()].map((handler) => handler.queue.name))];
  }

  taskNames(): string[] {
    return [...this.handlers.keys()].sort();
  }
}
