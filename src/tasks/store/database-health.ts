import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DataSource } from 'typeorm';
import { InjectTasksDataSource } from './tasks-connection.js';

/** Driver error codes that mean "MySQL is unreachable", not "the statement is wrong". */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_SERVER_GONE_ERROR',
]);

/** Of those, the codes of a statement that never reached MySQL (no connection was made), so cannot have been applied. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ER_CON_COUNT_ERROR']);
const CLOSED_POOL = /Pool is closed|connection is in closed state|Can't add new command when connection is in closed state/i;

/** True when `error` says the database could not be reached (as opposed to a bad query). */
export function isDatabaseUnavailable(error: unknown): boolean {
  return someCause(error, (code, message) => (code !== undefined && CONNECTION_ERROR_CODES.has(code)) || (message !== undefined && CLOSED_POOL.test(message)));
}

/**
 * True when MySQL was unreachable before the statement was sent (refused or unknown host, a
 * closed pool): it cannot have been applied. Otherwise an unreachable MySQL may have applied it
 * and lost only the answer (a connection lost after its COMMIT arrived).
 */
export function wasNeverSent(error: unknown): boolean {
  return someCause(error, (code, message) => (code !== undefined && NOT_SENT_CODES.has(code)) || (message !== undefined && CLOSED_POOL.test(message)));
}

/** Whether `test` holds for the error or one of the errors it wraps (TypeORM's `driverError`, a `cause`). */
function someCause(error: unknown, test: (code: string | undefined, message: string | undefined) => boolean): boolean {
  let current: unknown = error;
  for (let depth = 0; current && depth < 4; depth++) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (test(typeof code === 'string' ? code : undefined, typeof message === 'string' ? message : undefined)) return true;
    current = (current as { driverError?: unknown; cause?: unknown }).driverError ?? (current as { cause?: unknown }).cause;
  }
  return false;
}

type Listener = (available: boolean) => void;

/**
 * Tracks whether MySQL answers. The workers pause while it does not (they take no job whose
 * transitions they could not write) and resume when a probe succeeds again.
 */
@Injectable()
export class DatabaseHealth implements OnApplicationShutdown {
  private readonly logger = new Logger(DatabaseHealth.name);
  private readonly listeners: Listener[] = [];
  private probing?: Promise<void>;
  private stopped = false;

  constructor(@InjectTasksDataSource() private readonly dataSource: DataSource) {}

  /** Resolves when MySQL answers a trivial query. */
  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }

  /** The server's `max_allowed_packet` in bytes; undefined while the data source is not initialised. */
  async maxAllowedPacket(): Promise<number | undefined> {
    if (!this.dataSource.isInitialized) return undefined;
    const [row] = (await this.dataSource.query('SELECT @@max_allowed_packet AS packet')) as Array<{ packet: number | string }>;
    return Number(row.packet);
  }

  /** Calls `listener(false)` when MySQL goes away and `listener(true)` when it is back. */
  onChange(listener: Listener): void {
    this.listeners.push(listener);
  }

  /**
   * Runs a mirror write until it succeeds, waiting out MySQL outages (the workers are paused
   * meanwhile). Errors that are not about availability are thrown at once.
   */
  async durably<T>(write: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await write();
      } catch (error) {
        if (!isDatabaseUnavailable(error) || this.stopped) throw error;
        await this.waitUntilAvailable();
      }
    }
  }

  /** Resolves once a probe query succeeds; the first caller starts the probing. */
  waitUntilAvailable(): Promise<void> {
    this.probing ??= this.probe().finally(() => (this.probing = undefined));
    return this.probing;
  }

  private async probe(): Promise<void> {
    this.logger.warn('MySQL is unavailable: workers paused until it answers again');
    this.listeners.forEach((listener) => listener(false));
    for (let delay = 100; !this.stopped; delay = Math.min(delay * 2, 2000)) {
      await sleep(delay, undefined, { ref: false });
      try {
        await this.dataSource.query('SELECT 1');
        break;
      } catch {
        // still down
      }
    }
    this.logger.log('MySQL answers again: workers resumed');
    this.listeners.forEach((listener) => listener(true));
  }

  onApplicationShutdown(): void {
    this.stopped = true;
  }
}
