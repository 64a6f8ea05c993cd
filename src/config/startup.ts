import { DataSource, MigrationExecutor } from 'typeorm';
import { tasksDataSourceOptions } from '../../migrations/data-source.js';
import { RedisUnreachableError } from 'tasks-module';
import { ensureDatabase } from './ensure-database.js';

/** A startup failure with the one line that explains it (what failed, which variable sets it). */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

/** Creates the database when missing and runs the migrations; a failure says which and why. */
export async function prepareDatabase(databaseUrl: string): Promise<void> {
  try {
    await ensureDatabase(databaseUrl);
  } catch (error) {
    throw new StartupError(mysqlProblem(databaseUrl, error));
  }
  const dataSource = new DataSource({ ...tasksDataSourceOptions(databaseUrl), migrationsTransactionMode: 'each' });
  try {
    await dataSource.initialize();
  } catch (error) {
    throw new StartupError(mysqlProblem(databaseUrl, error));
  }
  try {
    await dataSource.runMigrations();
  } catch (error) {
    const [failed] = await new MigrationExecutor(dataSource).getPendingMigrations().catch(() => []);
    throw new StartupError(`Migration ${failed?.name ?? '(unknown)'} failed on ${where(databaseUrl)} (DATABASE_URL): ${messageOf(error)}`);
  } finally {
    await dataSource.destroy();
  }
}

/** The one line to print for a startup failure. */
export function explainStartupError(error: unknown): string {
  if (error instanceof StartupError) return error.message;
  if (error instanceof RedisUnreachableError) return `${error.message} Set REDIS_URL, or start Redis (redis-server --daemonize yes).`;
  return messageOf(error);
}

/** What a MySQL error at startup means for the person starting the app. */
function mysqlProblem(databaseUrl: string, error: unknown): string {
  const { code } = (error ?? {}) as { code?: string };
  const server = where(databaseUrl);
  const user = decodeURIComponent(new URL(databaseUrl).username) || '(none)';
  if (code && ['ECONNREFUSED', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ECONNRESET'].includes(code)) {
    return `Cannot reach MySQL at ${server} (DATABASE_URL): ${code}. Start MariaDB or MySQL there, or set DATABASE_URL to yours.`;
  }
  // 1045/1698: unknown user or wrong password; the *ACCESS_DENIED_ERROR codes below: a missing privilege.
  if (code?.startsWith('ER_ACCESS_DENIED')) return `MySQL at ${server} refused user "${user}" (DATABASE_URL): ${messageOf(error)}`;
  if (code && /(DBACCESS|TABLEACCESS|COLUMNACCESS|SPECIFIC_ACCESS)_DENIED_ERROR$/.test(code)) {
    return `MySQL user "${user}" lacks a privilege on ${server} (DATABASE_URL): ${messageOf(error)}. It needs ALL on its database.`;
  }
  return `MySQL at ${server} (DATABASE_URL) failed: ${messageOf(error)}`;
}

/** host:port/database of a MySQL URL, without credentials. */
function where(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  return `${url.hostname}:${url.port || 3306}${url.pathname}`;
}

function messageOf(error: unknown): string {
  const { sqlMessage, message } = (error ?? {}) as { sqlMessage?: string; message?: string };
  return (sqlMessage ?? message ?? String(error)).split('\n')[0];
}
