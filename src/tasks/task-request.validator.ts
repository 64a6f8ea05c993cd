import { MAX_LIST_LIMIT, MAX_PRIORITY, MAX_RETRIES_LIMIT, MIN_PRIORITY } from './tasks.constants.js';
import type { ResolvedTasksOptions, TaskQueueOptions } from './tasks.options.js';
import { TaskStatus } from './task-status.js';
import type { EnqueueTaskInput, ListTasksInput, TaskFilter } from './tasks.types.js';

/**
 * Checks of a request that the service makes itself, so that callers of TasksService get the
 * same answers as HTTP clients. Each returns the list of what is wrong (empty when valid).
 */
export function enqueueProblems(
  input: EnqueueTaskInput,
  handlerQueue: TaskQueueOptions | undefined,
  options: ResolvedTasksOptions,
): string[] {
  const problems: string[] = [];
  if (!handlerQueue) {
    problems.push(`task_name "${input.taskName}" is not registered by any @TaskHandler`);
  } else if (input.taskType !== undefined && input.taskType !== handlerQueue.taskType) {
    problems.push(
      `task_type "${input.taskType}" does not match task "${input.taskName}", which is of type "${handlerQueue.taskType}"`,
    );
  }
  if (input.priority !== undefined && !isIntegerIn(input.priority, MIN_PRIORITY, MAX_PRIORITY)) {
    problems.push(`priority must be an integer from ${MIN_PRIORITY} to ${MAX_PRIORITY}`);
  }
  if (input.maxRetries !== undefined && !isIntegerIn(input.maxRetries, 0, MAX_RETRIES_LIMIT)) {
    problems.push(`max_retries must be an integer from 0 to ${MAX_RETRIES_LIMIT}`);
  }
  problems.push(...paramsProblems(input.params, options.maxParamsBytes));
  return problems;
}

/** `params` must be a plain JSON object no larger than `maxBytes` once serialised. */
export function paramsProblems(params: unknown, maxBytes: number): string[] {
  if (params === undefined) return [];
  if (params === null || typeof params !== 'object' || Array.isArray(params)) return ['params must be a JSON object'];
  const bytes = Buffer.byteLength(JSON.stringify(params), 'utf8');
  return bytes > maxBytes ? [`params is ${bytes} bytes of JSON; the limit is ${maxBytes}`] : [];
}

export function filterProblems(filter: TaskFilter, options: ResolvedTasksOptions): string[] {
  const problems: string[] = [];
  if (filter.status !== undefined && !Object.values(TaskStatus).includes(filter.status)) {
    problems.push(`status must be one of: ${Object.values(TaskStatus).join(', ')}`);
  }
  const types = options.queues.map((queue) => queue.taskType);
  if (filter.taskType !== undefined && !types.includes(filter.taskType)) {
    problems.push(`task_type must be one of: ${types.join(', ')}`);
  }
  return problems;
}

export function pageProblems(input: ListTasksInput): string[] {
  const problems: string[] = [];
  if (input.limit !== undefined && !isIntegerIn(input.limit, 1, MAX_LIST_LIMIT)) {
    problems.push(`limit must be an integer from 1 to ${MAX_LIST_LIMIT}`);
  }
  if (input.offset !== undefined && !isIntegerIn(input.offset, 0, Number.MAX_SAFE_INTEGER)) {
    problems.push('offset must be an integer >= 0');
  }
  return problems;
}

function isIntegerIn(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}
