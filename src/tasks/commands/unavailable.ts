import { HttpException, Logger } from '@nestjs/common';
import { TasksUnavailableError } from '../errors/tasks.errors.js';
import { isDatabaseUnavailable, wasNeverSent } from '../store/database-health.js';

const logger = new Logger('TasksCommands');

/*
 * The one place where "cannot reach MySQL or Redis" becomes TasksUnavailableError (503):
 * every command wraps its calls to either in one of these.
 */

/**
 * Runs a MySQL call, turning "cannot reach MySQL" into {@link TasksUnavailableError}. A write
 * whose connection was lost once sent may have been applied with only its answer lost:
 * `mayHaveLanded` then runs (a connection refused outright never sent it).
 */
export async function orMysqlUnavailable<T>(call: () => Promise<T>, mayHaveLanded?: () => void): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!isDatabaseUnavailable(error)) throw error;
    if (mayHaveLanded && !wasNeverSent(error)) mayHaveLanded();
    throw new TasksUnavailableError('MySQL');
  }
}

/**
 * Runs a Redis call, turning its failure into {@link TasksUnavailableError}; the library's own
 * typed errors thrown inside pass through.
 */
export async function orRedisUnavailable<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof HttpException) throw error;
    logger.warn(`Redis call failed: ${(error as Error).message}`);
    throw new TasksUnavailableError('Redis');
  }
}
