import { HttpException, Logger } from '@nestjs/common';
import { TasksUnavailableError } from '../errors/tasks.errors.js';
import { isDatabaseUnavailable } from '../store/database-health.js';

const logger = new Logger('TasksCommands');

/*
 * The one place where "cannot reach MySQL or Redis" becomes TasksUnavailableError (503):
 * every command wraps its calls to either in one of these.
 */

/** Runs a MySQL call, turning "cannot reach MySQL" into {@link TasksUnavailableError}. */
export async function orMysqlUnavailable<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isDatabaseUnavailable(error)) throw new TasksUnavailableError('MySQL');
    throw error;
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
