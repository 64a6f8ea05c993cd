import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Pool, PoolConnection } from 'mysql2';
import type { DataSource } from 'typeorm';
import { InjectTasksDataSource } from './tasks-connection.js';
import { isDatabaseUnavailable } from './database-health.js';

/** Connections of the pool: the enqueue's four batches in flight and the state writer's one. */
const POOL_SIZE = 5;

/** A statement and its values, which the driver escapes into it. */
export type Statement = [sql: string, values: unknown[]];

/** What TypeORM's MySQL driver exposes of itself here (how it builds its own pool's options). */
interface MysqlDriverInternals {
  mysql: { createPool(options: Record<string, unknown>): Pool };
  options: Record<string, unknown> & { replication?: { master: Record<string, unknown> } };
  createConnectionOptions(options: unknown, credentials: unknown): Record<string, unknown>;
}

/** What a transaction's work may ask of it (the subset of EntityManager the store's statements use). */
export interface TransactionQueries {
  /** Sends the statements deferred so far and this one together; resolves with this one's result. */
  query<T = any>(sql: string, values?: unknown[]): Promise<T>;
  /** Queues a statement whose result nobody reads: it goes with the next query, or with the COMMIT. */
  defer(sql: string, values: unknown[]): void;
}

/**
 * Transactions in as few round trips as their reads allow: `START TRANSACTION` travels with
 * the first statement, the statements whose results nobody reads travel with the next one
 * or with the `COMMIT`. An enqueue (INSERT and counts) is one round trip, a batch of state
 * changes two (its locking read; then UPDATE, counts, stats and COMMIT), where TypeORM's
 * `transaction()` waits for each statement in turn. MySQL accepts several statements in one
 * request only from a connection that asked for it at login, so this keeps a small pool of
 * its own, made with the DataSource's own connection options (host, TLS, credentials,
 * `extra`) plus `multipleStatements`. Only statements built by the store, every value
 * escaped by the driver, ever go through it.
 */
@Injectable()
export class OneTripTransactions implements OnApplicationShutdown {
  private pool?: Pool;
  private closed = false;

  constructor(@InjectTasksDataSource() private readonly dataSource: DataSource) {}

  /** Commits every statement, or none, in one round trip. */
  run(statements: Statement[]): Promise<void> {
    return this.transaction(async (tx) => {
      for (const [sql, values] of statements) tx.defer(sql, values);
    });
  }

  /**
   * Runs `work` in a transaction and commits it; the first error (of a statement or of `work`)
   * rolls it back before the connection goes back to the pool, and is thrown.
   */
  async transaction<T>(work: (tx: TransactionQueries) => Promise<T>): Promise<T> {
    const connection = await this.connection();
    const tx = new OneTripTransaction(connection, this.pool!);
    let result: T;
    try {
      result = await work(tx);
      await tx.commit();
    } catch (error) {
      // Statements after a failed one never ran; what ran before it must not stay open.
      await this.rollback(connection, error);
      throw error;
    }
    connection.release();
    return result;
  }

  onApplicationShutdown(): Promise<void> | void {
    this.closed = true;
    const pool = this.pool;
    this.pool = undefined;
    if (pool) return new Promise((resolve) => pool.end(() => resolve()));
  }

  private connection(): Promise<PoolConnection> {
    // The driver's own words, which callers already read as "MySQL unavailable".
    if (this.closed) return Promise.reject(new Error('Pool is closed.'));
    this.pool ??= this.createPool();
    const pool = this.pool;
    return new Promise((resolve, reject) => pool.getConnection((error, connection) => (error ? reject(error) : resolve(connection))));
  }

  private createPool(): Pool {
    const driver = this.dataSource.driver as unknown as MysqlDriverInternals;
    const credentials = driver.options.replication?.master ?? driver.options;
    const options = driver.createConnectionOptions(driver.options, credentials);
    const pool = driver.mysql.createPool({ ...options, multipleStatements: true, connectionLimit: POOL_SIZE });
    // A connection that dies idle in the pool reports it here; the next statement meets it.
    pool.on('connection', (connection) => connection.on('error', () => undefined));
    return pool;
  }

  private async rollback(connection: PoolConnection, cause: unknown): Promise<void> {
    if (isDatabaseUnavailable(cause)) {
      connection.destroy();
      return;
    }
    await new Promise<void>((resolve) =>
      connection.query('ROLLBACK', (error) => {
        if (error) connection.destroy();
        else connection.release();
        resolve();
      }),
    );
  }
}

/** One open transaction on one connection: statements wait in `deferred` until something must be sent. */
class OneTripTransaction implements TransactionQueries {
  private readonly deferred = ['START TRANSACTION'];

  constructor(
    private readonly connection: PoolConnection,
    private readonly pool: Pool,
  ) {}

  defer(sql: string, values: unknown[]): void {
    this.deferred.push(this.pool.format(sql, values));
  }

  async query<T>(sql: string, values: unknown[] = []): Promise<T> {
    this.defer(sql, values);
    const results = await this.send();
    return results[results.length - 1] as T;
  }

  async commit(): Promise<void> {
    this.deferred.push('COMMIT');
    await this.send();
  }

  /** Sends what waits as one request; one result per statement. */
  private send(): Promise<unknown[]> {
    const statements = this.deferred.splice(0);
    return new Promise((resolve, reject) =>
      this.connection.query(statements.join(';\n'), (error, results) => {
        if (error) reject(error);
        else resolve(statements.length === 1 ? [results] : (results as unknown[]));
      }),
    );
  }
}
