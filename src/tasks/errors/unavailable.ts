import { HttpException, Logger } from '@nestjs/common';
import { isDatabaseUnavailable } from '../store/database-health.js';
import { TasksUnavailableError } from './tasks.errors.js';

const logger = new Logger('TasksService');

/** Runs a MySQL call, turning "cannot reach MySQL" into {@link TasksUnavailableError} (503). */
export async function orMysqlUnavailable<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isDatabaseUnavailable(error)) throw new TasksUnavailableError('MySQL');
    throw error;
  }
}

/**
 * Runs a Redis call, turning its failure into {@link TasksUnavailableError} (503); the
 * library's own HTTP errors thrown inside pass through.
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
