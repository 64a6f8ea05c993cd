import {
  BadRequestException,
  ConflictException,
  GatewayTimeoutException,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import type { TaskStatus } from '../lifecycle/task-status.js';
import * as messages from './tasks.messages.js';

/*
 * Errors a caller of TasksService can act on. They extend Nest's HTTP exceptions so that a
 * host's own controllers get the right status code without a filter of their own; their
 * bodies are Nest's usual `{ statusCode, message, error }`.
 */

/** The request is wrong (unknown task, type mismatch, oversized params, …); `reasons` lists every problem. */
export class InvalidTaskRequestError extends BadRequestException {
  constructor(readonly reasons: string[]) {
    super(reasons);
  }
}

/** No task has this id. */
export class TaskNotFoundError extends NotFoundException {
  constructor(readonly taskId: string) {
    super(messages.TASK_NOT_FOUND(taskId));
  }
}

/** The task already reached a final state, so it cannot be cancelled. */
export class TaskNotCancellableError extends ConflictException {
  constructor(
    readonly taskId: string,
    readonly taskStatus: TaskStatus,
  ) {
    super(messages.TASK_NOT_CANCELLABLE(taskStatus));
  }
}

/** Only a finished task can be deleted, a workflow only once every task of it has finished, and a step only with its workflow. */
export class TaskNotDeletableError extends ConflictException {
  constructor(
    readonly taskId: string,
    readonly taskStatus: TaskStatus,
    reason = messages.TASK_NOT_DELETABLE(taskStatus),
  ) {
    super(reason);
  }
}

/** Only a failed or cancelled task whose last attempt has ended can be retried. */
export class TaskNotRetryableError extends ConflictException {
  constructor(
    readonly taskId: string,
    readonly taskStatus: TaskStatus,
    reason = messages.TASK_NOT_RETRYABLE(taskStatus),
  ) {
    super(reason);
  }
}

/**
 * `waitForTask` ran out of time before the task reached a final state (504 where a host's
 * controller lets it through: the task goes on, it has only not finished yet).
 */
export class TaskWaitTimeoutError extends GatewayTimeoutException {
  constructor(
    readonly taskId: string,
    readonly taskStatus: TaskStatus,
    readonly timeoutMs: number,
  ) {
    super(messages.TASK_WAIT_TIMED_OUT(taskId, taskStatus, timeoutMs));
  }
}

/** Redis or MySQL did not answer; nothing was half-created. */
export class TasksUnavailableError extends ServiceUnavailableException {
  constructor(readonly unavailable: 'MySQL' | 'Redis') {
    super(messages.SERVICE_UNAVAILABLE(unavailable));
  }
}

/** A status change through TypeORM that the lifecycle table does not allow. */
export class IllegalTaskTransitionError extends Error {
  override readonly name = 'IllegalTaskTransitionError';

  constructor(taskId: string, from: TaskStatus, to: TaskStatus) {
    super(messages.ILLEGAL_TRANSITION(taskId, from, to));
  }
}
