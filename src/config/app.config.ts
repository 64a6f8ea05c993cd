import { DEFAULT_DATABASE_URL } from '../../migrations/data-source.js';
import type { TasksRole } from 'tasks-module';

const ROLES: TasksRole[] = ['api', 'worker', 'all'];

/** The demo application's settings, read from the environment (see `.env.example`). */
export interface AppConfig {
  DATABASE_URL: string;
  REDIS_URL: string;
  PORT: number;
  TASKS_QUEUE_PREFIX: string;
  DEMO_OUTPUT_DIR: string;
  TASKS_ROLE: TasksRole;
  /** Optional tuning (module defaults when unset); the fault suite shortens them. */
  TASKS_RETRY_BACKOFF_MS?: number;
  TASKS_LOCK_DURATION_MS?: number;
  TASKS_STALLED_INTERVAL_MS?: number;
  TASKS_RECONCILE_INTERVAL_MS?: number;
  TASKS_RECONCILE_MIN_AGE_MS?: number;
  /** When set, the demo.* handlers append `<event> <task_id> <attempt> <epoch ms>` lines here. */
  DEMO_HANDLER_LOG?: string;
  /** When set, every task route wants it in the `x-api-key` header. */
  TASKS_API_KEY?: string;
}

const TUNING_KEYS = [
  'TASKS_RETRY_BACKOFF_MS',
  'TASKS_LOCK_DURATION_MS',
  'TASKS_STALLED_INTERVAL_MS',
  'TASKS_RECONCILE_INTERVAL_MS',
  'TASKS_RECONCILE_MIN_AGE_MS',
] as const;

/** Fills defaults and rejects values that would fail later and less clearly. */
export function validateAppConfig(env: Record<string, unknown>): AppConfig {
  const config: AppConfig = {
    DATABASE_URL: stringOr(env.DATABASE_URL, DEFAULT_DATABASE_URL),
    REDIS_URL: stringOr(env.REDIS_URL, 'redis://127.0.0.1:6379'),
    PORT: Number(stringOr(env.PORT, '3000')),
    TASKS_QUEUE_PREFIX: stringOr(env.TASKS_QUEUE_PREFIX, 'tasks'),
    DEMO_OUTPUT_DIR: stringOr(env.DEMO_OUTPUT_DIR, 'var'),
    TASKS_ROLE: stringOr(env.TASKS_ROLE, 'all') as TasksRole,
    DEMO_HANDLER_LOG: stringOr(env.DEMO_HANDLER_LOG, '') || undefined,
    TASKS_API_KEY: stringOr(env.TASKS_API_KEY, '') || undefined,
  };
  for (const key of TUNING_KEYS) {
    if (env[key] === undefined || env[key] === '') continue;
    const value = Number(env[key]);
    if (!Number.isInteger(value) || value < 0) throw new Error(`${key} must be an integer >= 0, got "${String(env[key])}"`);
    config[key] = value;
  }
  if (!ROLES.includes(config.TASKS_ROLE)) throw new Error(`TASKS_ROLE must be one of ${ROLES.join(', ')}, got "${config.TASKS_ROLE}"`);
  if (!Number.isInteger(config.PORT) || config.PORT < 0 || config.PORT > 65535) {
    throw new Error(`PORT must be an integer 0..65535, got "${String(env.PORT)}"`);
  }
  if (!/^mysql:\/\//.test(config.DATABASE_URL)) throw new Error('DATABASE_URL must start with mysql://');
  if (!/^rediss?:\/\//.test(config.REDIS_URL)) throw new Error('REDIS_URL must start with redis:// or rediss://');
  return config;
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' && value !== '' ? value : fallback;
}
