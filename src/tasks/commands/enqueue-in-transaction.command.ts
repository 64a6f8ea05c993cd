import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { InvalidTaskRequestError } from '../errors/tasks.errors.js';
import type { BulkEnqueueOutcome, EnqueuedTask, EnqueueTaskInput } from '../interfaces/tasks-service.interfaces.js';
import { TaskJobs } from '../queue/task-jobs.js';
import { isDuplicateKeyError, TaskRepository } from '../store/task.repository.js';
import { MAX_BULK_ENQUEUE } from '../tasks.constants.js';
import { AfterCommitOutbox } from './after-commit.outbox.js';
import { EnqueueTaskCommand, hasSingletonKey, newView } from './enqueue-task.command.js';
import type { NewTask } from '../store/pending-insert.js';

/**
 * Transactional enqueue: the rows go into the caller's open TypeORM transaction, so they exist
 * exactly when the caller's own writes do, and the jobs are added once that transaction has
 * committed (a rollback leaves no row and no job). A process that dies between the commit and
 * the jobs leaves `pending` rows without jobs: the reconciler queues them once they are
 * `reconciler.minAgeMs` old (at its next pass), the same repair as after a Redis data loss.
 */
@Injectable()
export class EnqueueInTransactionCommand {
  constructor(
    private readonly enqueuer: EnqueueTaskCommand,
    private readonly repository: TaskRepository,
    private readonly jobs: TaskJobs,
    private readonly outbox: AfterCommitOutbox,
  ) {}

  async enqueue(input: EnqueueTaskInput, manager: EntityManager): Promise<EnqueuedTask> {
    const queryRunner = this.outbox.transactionOf(manager);
    const task = this.enqueuer.prepare(input);
    if (task.idempotencyKey !== undefined) {
      const existing = await this.repository.findByIdempotencyKeyIn(manager, task.idempotencyKey);
      if (existing) return this.enqueuer.answerExisting(existing, 'idempotency');
    }
    try {
      // A singleton key's row stays locked until the caller's transaction ends.
      if (!hasSingletonKey(task)) await this.repository.insertPending([task], manager);
      else {
        const holder = (await this.repository.insertSingletons([task], manager)).get(task.singletonKey);
        if (holder) return this.enqueuer.answerExisting(holder, 'singleton');
      }
    } catch (error) {
      // MySQL undoes only the failed statement: the caller's transaction goes on.
      if (!isDuplicateKeyError(error) || task.idempotencyKey === undefined) throw error;
      return this.enqueuer.answerExisting((await this.repository.findByIdempotencyKeyIn(manager, task.idempotencyKey))!, 'idempotency');
    }
    this.outbox.defer(queryRunner, () => this.addJobs([task]));
    return newView(task);
  }

  /** All-or-nothing, as the transaction is: any invalid input refuses the call before a row is written. */
  async enqueueMany(inputs: EnqueueTaskInput[], manager: EntityManager): Promise<BulkEnqueueOutcome[]> {
    const queryRunner = this.outbox.transactionOf(manager);
    if (!Array.isArray(inputs) || inputs.length < 1 || inputs.length > MAX_BULK_ENQUEUE) {
      throw new InvalidTaskRequestError([`tasks must hold 1 to ${MAX_BULK_ENQUEUE} tasks`]);
    }
    if (inputs.some((input) => input.idempotencyKey !== undefined || input.singletonKey !== undefined)) {
      throw new InvalidTaskRequestError(['idempotency and singleton keys are not supported by enqueueMany in a transaction: enqueue those tasks one by one']);
    }
    const problems: string[] = [];
    const tasks = inputs.map((input, index) => {
      try {
        return this.enqueuer.prepare(input);
      } catch (error) {
        if (!(error instanceof InvalidTaskRequestError)) throw error;
        problems.push(...error.reasons.map((reason) => `tasks[${index}]: ${reason}`));
        return undefined;
      }
    });
    if (problems.length > 0) throw new InvalidTaskRequestError(problems);
    const ready = tasks as NewTask[];
    await this.repository.insertPending(ready, manager);
    this.outbox.defer(queryRunner, () => this.addJobs(ready));
    return ready.map((task) => ({ task: newView(task) }));
  }

  private async addJobs(tasks: NewTask[]): Promise<void> {
    await this.jobs.addMany(tasks.map((task) => ({ task, attempts: task.maxRetries + 1, delayMs: task.delayMs })));
  }
}
