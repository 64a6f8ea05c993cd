import {
  BadRequestException,
  ConflictException,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import { TaskStatus } from '../lifecycle/task-status.js';

/*
 * Errors a caller of TasksService can act on. They extend Nest's HTTP exceptions so that a
 * host's own controllers get the right status code without a filter of their own.
 */

/** The enqueue request is wrong (unknown task, type mismatch, oversized params, …). */
export class InvalidTaskRequestError extends BadRequestException {
  constructor(readonly reasons: string[]) {
    super({ message: reasons, error: 'Bad Request', statusCode: 400 });
  }
}

/** No task has this id. */
export class TaskNotFoundError extends NotFoundException {
  constructor(readonly taskId: string) {
    super(`Task ${taskId} not found`);
  }
}

/** The task already reached a final state, so it cannot be cancelled. */
export class TaskNotCancellableError extends ConflictException {
  constructor(
    readonly taskId: string,
    readonly taskStatus: TaskStatus,
  ) {
    super({
      task_id: taskId,
      success: false,
      message: `Task is already ${taskStatus} and cannot be cancelled`,
    });
  }
}

/** Only a failed or cancelled task whose last attempt has ended can be retried. */
export class TaskNotRetryableError extends ConflictException {
  constructor(
    readonly taskId: string,
    readonly taskStatus: TaskStatus,
    reason = `Task is ${taskStatus}; only failed or cancelled tasks can be retried`,
  ) {
    super({ task_id: taskId, success: false, message: reason });
  }
}

/** Redis or MySQL did not answer; nothing was half-created. */
export class TasksUnavailableError extends ServiceUnavailableException {
  constructor(what: string) {
    super(`${what} is unavailable, try again later`);
  }
}

/* Bootstrap errors: thrown while the application starts, naming the class at fault. */

/** Two handlers claim the same task name. */
export class DuplicateTaskHandlerError extends Error {
  constructor(taskName: string, first: string, second: string) {
    super(`Task "${taskName}" is handled by both ${first} and ${second}; task names must be unique.`);
    this.name = 'DuplicateTaskHandlerError';
  }
}

/** A `@TaskProcessor` names a queue that the module options do not declare. */
export class UnknownTaskQueueError extends Error {
  constructor(processor: string, queue: string, known: string[]) {
    super(
      `${processor} is a @TaskProcessor('${queue}') but no queue "${queue}" is configured ` +
        `(configured: ${known.join(', ')}). Add it to TasksModule's "queues" option.`,
    );
    this.name = 'UnknownTaskQueueError';
  }
}

/** A `@TaskHandler` method sits on a class that is not a `@TaskProcessor`. */
export class TaskHandlerOutsideProcessorError extends Error {
  constructor(className: string, method: string) {
    super(
      `${className}.${method} is a @TaskHandler but ${className} is not a @TaskProcessor(queue); ` +
        `decorate the class so the handler has a queue.`,
    );
    this.name = 'TaskHandlerOutsideProcessorError';
  }
}

/** The module options contradict themselves. */
export class InvalidTasksOptionsError extends Error {
  constructor(reason: string) {
    super(`Invalid TasksModule options: ${reason}`);
    this.name = 'InvalidTasksOptionsError';
  }
}
