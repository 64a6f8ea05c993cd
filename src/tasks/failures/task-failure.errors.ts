import { TaskErrorType } from './task-error-type.js';

/**
 * A failure a handler throws on purpose, with its class. The class picks the retry strategy
 * (and is stored as `error_type`); `retryable: false` ends the task at once whatever the
 * strategy says; `retryAfterMs` sets the wait before the next attempt instead of the strategy's
 * backoff (see {@link RetryLaterError}).
 */
export class TaskFailure extends Error {
  constructor(
    message: string,
    readonly errorType: TaskErrorType = TaskErrorType.Unknown,
    readonly retryable?: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * Celery's `self.retry(countdown=…)`: the attempt failed, and the next one should come after
 * `delayMs` (a remote service's `Retry-After`, say), whatever the class's backoff and its
 * `retry` say. `max_retries` still bounds the attempts; the wait is at most `maxDelaySeconds`.
 */
export class RetryLaterError extends TaskFailure {
  constructor(message: string, delayMs: number, errorType: TaskErrorType = TaskErrorType.Network) {
    super(message, errorType, true, delayMs);
  }
}

/** Trying again cannot help (bad data, a record that no longer exists): the task fails now. */
export class NonRetryableError extends TaskFailure {
  constructor(message: string, errorType: TaskErrorType = TaskErrorType.Unknown) {
    super(message, errorType, false);
  }
}

/** The task's input is wrong; not retried unless the handler's policy says otherwise. */
export class TaskValidationError extends TaskFailure {
  constructor(message: string) {
    super(message, TaskErrorType.Validation);
  }
}

/** A remote service failed or could not be reached; retried with exponential backoff. */
export class TaskNetworkError extends TaskFailure {
  constructor(message: string) {
    super(message, TaskErrorType.Network);
  }
}

/** A database call failed; retried with exponential backoff. */
export class TaskDatabaseError extends TaskFailure {
  constructor(message: string) {
    super(message, TaskErrorType.Database);
  }
}

/** Memory, disk, quota or another resource ran out; retried after longer waits. */
export class TaskResourceError extends TaskFailure {
  constructor(message: string) {
    super(message, TaskErrorType.Resource);
  }
}

/** The attempt ran past its time limit (the library throws it; handlers may too). */
export class TaskTimeoutError extends TaskFailure {
  constructor(message: string) {
    super(message, TaskErrorType.Timeout);
  }
}
