import { Injectable, Logger } from '@nestjs/common';
import type { DataSource, EntityManager, EntitySubscriberInterface, QueryRunner, TransactionCommitEvent, TransactionRollbackEvent } from 'typeorm';
import { InjectTasksDataSource } from '../store/tasks-connection.js';
import { InvalidTaskRequestError } from '../errors/tasks.errors.js';

/** Work to do once the transaction that wrote it has committed, and the savepoint depth it was written at. */
interface Deferred {
  depth: number;
  run(): Promise<void>;
}

/**
 * Runs work after the caller's TypeORM transaction commits, never after a rollback: the jobs of
 * tasks enqueued with `{ manager }`. A TypeORM subscriber on the module's data source, keyed by
 * the transaction's QueryRunner. Nested transactions (savepoints) are followed: a savepoint
 * that rolls back drops what was deferred inside it; a savepoint that is released hands it to
 * the enclosing transaction; only the outermost commit runs it.
 */
@Injectable()
export class AfterCommitOutbox implements EntitySubscriberInterface {
  private readonly logger = new Logger(AfterCommitOutbox.name);
  private readonly deferred = new WeakMap<QueryRunner, Deferred[]>();

  constructor(@InjectTasksDataSource() private readonly dataSource: DataSource) {
    dataSource.subscribers.push(this);
  }

  /**
   * The open transaction of `manager` on the module's data source, where an enqueue may write
   * and defer its jobs; InvalidTaskRequestError for any other manager.
   */
  transactionOf(manager: EntityManager | undefined): QueryRunner {
    const queryRunner = manager?.queryRunner;
    if (!queryRunner || queryRunner.connection !== this.dataSource || !queryRunner.isTransactionActive) {
      throw new InvalidTaskRequestError(['manager must be the EntityManager of an open transaction on the data source TasksModule uses']);
    }
    return queryRunner;
  }

  defer(queryRunner: QueryRunner, run: () => Promise<void>): void {
    const list = this.deferred.get(queryRunner) ?? [];
    list.push({ depth: depthOf(queryRunner), run });
    this.deferred.set(queryRunner, list);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    const list = this.deferred.get(event.queryRunner);
    if (!list) return;
    const depth = depthOf(event.queryRunner);
    if (event.queryRunner.isTransactionActive) {
      // A savepoint was released: its work now belongs to the enclosing level.
      for (const item of list) item.depth = Math.min(item.depth, depth);
      return;
    }
    this.deferred.delete(event.queryRunner);
    for (const item of list) {
      item.run().catch((error: Error) => this.logger.warn(`After-commit work failed (the reconciler will finish it): ${error.message}`));
    }
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    const list = this.deferred.get(event.queryRunner);
    if (!list) return;
    const depth = depthOf(event.queryRunner);
    const kept = event.queryRunner.isTransactionActive ? list.filter((item) => item.depth <= depth) : [];
    if (kept.length > 0) this.deferred.set(event.queryRunner, kept);
    else this.deferred.delete(event.queryRunner);
  }
}

/** How deep in savepoints the runner is (1: the outermost transaction); TypeORM keeps it on the runner. */
function depthOf(queryRunner: QueryRunner): number {
  return (queryRunner as unknown as { transactionDepth?: number }).transactionDepth ?? 1;
}
