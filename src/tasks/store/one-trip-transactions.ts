import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool, PoolConnection } from 'mysql2';
import type { DataSource } from 'typeorm';
import { isDatabaseUnavailable } from './database-health.js';

/** Connections of the pool: as many as enqueue batches can be in flight at once. */
const POOL_SIZE = 4;

/** A statement and its values, which the driver escapes into it. */
export type Statement = [sql: string, values: unknown[]];

/** What TypeORM's MySQL driver exposes of itself here (how it builds its own pool's options). */
interface MysqlDriverInternals {
  mysql: { createPool(options: Record<string, unknown>): Pool };
  options: Record<string, unknown> & { replication?: { master: Record<string, unknown> } };
  createConnectionOptions(options: unknown, credentials: unknown): Record<string, unknown>;
}

/**
 * Runs a transaction whose statements need no answer from each other as one round trip:
 * `START TRANSACTION; …; COMMIT` sent together, where TypeORM's `transaction()` waits for
 * each in turn (four round trips for an enqueue's INSERT and counts). MySQL accepts several
 * statements in one request only from a connection that asked for it at login, so this keeps
 * a small pool of its own, made with the DataSource's own connection options (host, TLS,
 * credentials, `extra`) plus `multipleStatements`. Only statements built here, with every
 * value escaped by the driver, ever go through it.
 */
@Injectable()
export class OneTripTransactions implements OnApplicationShutdown {
  private pool?: Pool;
  private closed = false;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Commits every statement, or none (the first error rolls the transaction back and is thrown). */
  async run(statements: Statement[]): Promise<void> {
    const connection = await this.connection();
    const pool = this.pool!;
    const sql = ['START TRANSACTION', ...statements.map(([text, values]) => pool.format(text, values)), 'COMMIT'].join(';\n');
    try {
      await new Promise<void>((resolve, reject) => connection.query(sql, (error) => (error ? reject(error) : resolve())));
    } catch (error) {
      // The statements after the failed one never ran; what ran before it must not stay open.
      await this.rollback(connection, error);
      throw error;
    }
    connection.release();
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
