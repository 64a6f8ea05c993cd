import { InvalidTaskRequestError, TasksUnavailableError } from '../errors/tasks.errors.js';
import { ItemFailure } from '../store/group-commit.queue.js';
import { isDuplicateKeyError } from '../store/task.repository.js';

/** Writes a batch of items: one result per item, in order (an {@link ItemFailure} fails that item alone). */
export type BatchWrite<T, R> = (items: T[]) => Promise<Array<R | ItemFailure>>;

/**
 * `write`, isolating a bad item: when MySQL refuses a batch for a reason that is not an outage,
 * its items are written one by one, so that only the item it will not store fails (see
 * {@link refusedByMysql}) and the others are written. An outage fails the whole batch.
 */
export function isolatingBadItems<T, R>(write: BatchWrite<T, R>): BatchWrite<T, R> {
  const isolated: BatchWrite<T, R> = async (items) => {
    try {
      return await write(items);
    } catch (error) {
      if (error instanceof TasksUnavailableError) throw error;
      if (items.length === 1) throw refusedByMysql(error);
      return Promise.all(items.map((item) => isolated([item]).then(([outcome]) => outcome, (failure: unknown) => new ItemFailure(failure))));
    }
  };
  return isolated;
}

/**
 * What the caller of a task MySQL will not store learns: a 400 that quotes MySQL. A duplicate key
 * stays as it is, for the enqueue's idempotency check to answer with the duplicate's winner.
 */
function refusedByMysql(error: unknown): unknown {
  if (isDuplicateKeyError(error)) return error;
  return new InvalidTaskRequestError([`MySQL refused this task: ${(error as { sqlMessage?: string }).sqlMessage ?? (error as Error).message}`]);
}
