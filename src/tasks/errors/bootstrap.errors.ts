import * as messages from './tasks.messages.js';

/* Thrown while the application starts, naming the class at fault. */

/** Two handlers claim the same task name. */
export class DuplicateTaskHandlerError extends Error {
  override readonly name = 'DuplicateTaskHandlerError';

  constructor(taskName: string, first: string, second: string) {
    super(messages.DUPLICATE_HANDLER(taskName, first, second));
  }
}

/** A `@TaskProcessor` names a queue that the module options do not declare. */
export class UnknownTaskQueueError extends Error {
  override readonly name = 'UnknownTaskQueueError';

  constructor(processor: string, queue: string, known: string[]) {
    super(messages.UNKNOWN_QUEUE(processor, queue, known));
  }
}

/** A `@TaskHandler` method sits on a class that is not a `@TaskProcessor`. */
export class TaskHandlerOutsideProcessorError extends Error {
  override readonly name = 'TaskHandlerOutsideProcessorError';

  constructor(className: string, method: string) {
    super(messages.HANDLER_OUTSIDE_PROCESSOR(className, method));
  }
}

/** Redis did not answer while the module started (option `startupTimeoutMs`). */
export class RedisUnreachableError extends Error {
  override readonly name = 'RedisUnreachableError';

  constructor(readonly where: string, timeoutMs: number) {
    super(messages.REDIS_UNREACHABLE(where, timeoutMs));
  }
}

/** The module options (or a handler's settings) contradict themselves. */
export class InvalidTasksOptionsError extends Error {
  override readonly name = 'InvalidTasksOptionsError';

  constructor(reason: string) {
    super(messages.INVALID_OPTIONS(reason));
  }
}
