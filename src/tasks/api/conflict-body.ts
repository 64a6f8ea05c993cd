import { ConflictException } from '@nestjs/common';
import { TaskNotCancellableError, TaskNotDeletableError, TaskNotRetryableError } from '../errors/tasks.errors.js';

/** A 409 of cancel, retry or delete answers in the REST contract's shape: `{ task_id, success: false, message }`. */
export async function withConflictBody<T>(taskId: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof TaskNotCancellableError || error instanceof TaskNotRetryableError || error instanceof TaskNotDeletableError) {
      throw new ConflictException({ task_id: taskId, success: false, message: error.message });
    }
    throw error;
  }
}
