import { InvalidTasksOptionsError } from './errors/bootstrap.errors.js';
import type { TasksModuleOptions } from './interfaces/tasks-module-options.interface.js';
import type { TasksRole } from './tasks.module-definition.js';

const ROLES: readonly TasksRole[] = ['api', 'worker', 'all'];

/**
 * The process-level settings the module reads from the environment when the host's options
 * leave them unset, so that one build runs as API or worker processes, on chosen queues, by
 * deployment alone (and the `tasks-module worker` CLI can set them):
 * `TASKS_ROLE`, `TASKS_WORKER_QUEUES` (comma-separated), `TASKS_PROBE_PORT`, `TASKS_PROBE_HOST`.
 */
export function roleFromEnvironment(env: NodeJS.ProcessEnv = process.env): TasksRole | undefined {
  const role = env.TASKS_ROLE?.trim();
  if (!role) return undefined;
  if (!ROLES.includes(role as TasksRole)) throw new InvalidTasksOptionsError(`TASKS_ROLE must be one of ${ROLES.join(', ')}, got "${role}"`);
  return role as TasksRole;
}

export function optionsFromEnvironment(env: NodeJS.ProcessEnv = process.env): Pick<TasksModuleOptions, 'workerQueues' | 'probePort' | 'probeHost'> {
  const queues = env.TASKS_WORKER_QUEUES?.trim();
  const port = env.TASKS_PROBE_PORT?.trim();
  if (port && !/^\d{1,5}$/.test(port)) throw new InvalidTasksOptionsError(`TASKS_PROBE_PORT must be a port number, got "${port}"`);
  return {
    workerQueues: queues ? queues.split(',').map((name) => name.trim()) : undefined,
    probePort: port ? Number(port) : undefined,
    probeHost: env.TASKS_PROBE_HOST?.trim() || undefined,
  };
}
