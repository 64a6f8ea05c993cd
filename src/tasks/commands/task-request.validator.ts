import { WORKFLOW_TASK_TYPE } from '../lifecycle/workflow-names.js';
import { MAX_LIST_LIMIT, MAX_LIST_OFFSET, MAX_PRIORITY, MAX_RETRIES_LIMIT, MAX_TIMEOUT_SECONDS, MIN_PRIORITY, RUN_AT_PAST_TOLERANCE_MS } from '../tasks.constants.js';
import { TASK_ERROR_TYPES } from '../failures/task-error-type.js';
import type { ResolvedTasksOptions, TaskQueueOptions } from '../interfaces/tasks-module-options.interface.js';
import { TaskStatus } from '../lifecycle/task-status.js';
import type { EnqueueTaskInput, ListTasksInput, NamedTaskFilter } from '../interfaces/tasks-service.interfaces.js';
import { jsonValueProblems } from '../store/json-value.js';
import { isStringOfLength } from '../characters.js';

/**
 * The rules about the values of a request, written only here: the HTTP DTOs check the JSON's
 * shape, so callers of TasksService and HTTP clients get the same answers. Each returns the
 * list of what is wrong (empty when valid).
 */
export function enqueueProblems(
  input: EnqueueTaskInput,
  handlerQueue: TaskQueueOptions | undefined,
  options: ResolvedTasksOptions,
): string[] {
  const problems: string[] = [];
  // The name's problem, else the type's: the checks after them need both.
  const naming = lengthProblem('task_name', input.taskName, 255) ?? (input.taskType === undefined ? undefined : lengthProblem('task_type', input.taskType, 100));
  if (naming) {
    problems.push(naming);
  } else if (!handlerQueue) {
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
  problems.push(...scheduleProblems(input, options.maxDelaySeconds));
  problems.push(...expiryProblems(input, options.maxDelaySeconds));
  if (input.timeoutSeconds !== undefined && !isIntegerIn(input.timeoutSeconds, 1, MAX_TIMEOUT_SECONDS)) {
    problems.push(`timeout_seconds must be an integer from 1 to ${MAX_TIMEOUT_SECONDS}`);
  }
  problems.push(...keyProblems('idempotency_key', input.idempotencyKey), ...keyProblems('singleton_key', input.singletonKey));
  return problems;
}

/** A text field that must be a string of 1 to `max` characters as its column counts them (the names', the types' and the keys' rule). */
function lengthProblem(name: string, value: unknown, max: number): string | undefined {
  return isStringOfLength(value, 1, max) ? undefined : `${name} must be a string of 1 to ${max} characters`;
}

/** An idempotency or singleton key: 1 to 255 characters, compared byte for byte. */
function keyProblems(name: string, key: string | undefined): string[] {
  if (key === undefined) return [];
  const tooLong = lengthProblem(name, key, 255);
  if (tooLong) return [tooLong];
  // Keys are compared byte for byte, except that SQL ignores trailing spaces: refuse them.
  return key.trim() === key ? [] : [`${name} must not start or end with whitespace`];
}

/**
 * `delay_seconds` or `run_at`, not both; within `maxDelaySeconds`; a `run_at` no more than
 * {@link RUN_AT_PAST_TOLERANCE_MS} in the past (clocks differ a little; a time in the past runs at once).
 */
function scheduleProblems(input: EnqueueTaskInput, maxDelaySeconds: number): string[] {
  if (input.delaySeconds !== undefined && input.runAt !== undefined) return ['give delay_seconds or run_at, not both'];
  if (input.delaySeconds !== undefined) {
    const { delaySeconds } = input;
    return typeof delaySeconds === 'number' && delaySeconds >= 0 && delaySeconds <= maxDelaySeconds
      ? []
      : [`delay_seconds must be a number from 0 to ${maxDelaySeconds}`];
  }
  if (input.runAt === undefined) return [];
  const at = parseRunAt(input.runAt);
  if (at === undefined) return ['run_at must be an ISO 8601 date-time, e.g. 2030-01-15T10:30:00Z'];
  const now = Date.now();
  if (at < now - RUN_AT_PAST_TOLERANCE_MS) return [`run_at is in the past (${new Date(at).toISOString()})`];
  if (at > now + maxDelaySeconds * 1000) return [`run_at is more than ${maxDelaySeconds} seconds ahead`];
  return [];
}

/**
 * `expires_in_seconds` or `expires_at`, not both; later than now and than the time the task is
 * due (it could never start otherwise), and within `maxDelaySeconds`, as `run_at` is.
 */
function expiryProblems(input: EnqueueTaskInput, maxDelaySeconds: number): string[] {
  if (input.expiresInSeconds === undefined && input.expiresAt === undefined) return [];
  if (input.expiresInSeconds !== undefined && input.expiresAt !== undefined) return ['give expires_in_seconds or expires_at, not both'];
  const { expiresInSeconds } = input;
  if (expiresInSeconds !== undefined && !(typeof expiresInSeconds === 'number' && expiresInSeconds > 0 && expiresInSeconds <= maxDelaySeconds)) {
    return [`expires_in_seconds must be a number greater than 0 and at most ${maxDelaySeconds}`];
  }
  const now = Date.now();
  const expiresAt = expiryTime(input, now);
  if (expiresAt === undefined) return ['expires_at must be an ISO 8601 date-time, e.g. 2030-01-15T10:30:00Z'];
  if (expiresAt <= now) return [`expires_at is in the past (${new Date(expiresAt).toISOString()})`];
  if (expiresAt > now + maxDelaySeconds * 1000) return [`expires_at is more than ${maxDelaySeconds} seconds ahead`];
  const due = dueTime(input, now);
  if (due !== undefined && expiresAt <= due) {
    return [`the task would expire (${new Date(expiresAt).toISOString()}) before it is due (${new Date(due).toISOString()})`];
  }
  return [];
}

/** When a valid request's task expires (ms since the epoch), or undefined when it has no expiry or an unreadable one. */
export function expiryTime(input: EnqueueTaskInput, now: number): number | undefined {
  if (input.expiresInSeconds !== undefined) return now + input.expiresInSeconds * 1000;
  return input.expiresAt === undefined ? undefined : parseRunAt(input.expiresAt);
}

/** When a request's task is due (ms since the epoch); undefined when its schedule is itself invalid. */
function dueTime(input: EnqueueTaskInput, now: number): number | undefined {
  if (input.runAt !== undefined) return parseRunAt(input.runAt);
  if (input.delaySeconds === undefined) return now;
  return typeof input.delaySeconds === 'number' ? now + input.delaySeconds * 1000 : undefined;
}

/** Milliseconds since the epoch of a Date or an ISO 8601 date-time with a time, else undefined. */
export function parseRunAt(runAt: Date | string): number | undefined {
  if (runAt instanceof Date) return Number.isNaN(runAt.getTime()) ? undefined : runAt.getTime();
  if (typeof runAt !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(runAt)) return undefined;
  const at = Date.parse(runAt);
  return Number.isNaN(at) ? undefined : at;
}

/** `params` must be a plain JSON object no larger than `maxBytes` once serialised. */
export function paramsProblems(params: unknown, maxBytes: number): string[] {
  if (params === undefined) return [];
  if (params === null || typeof params !== 'object' || Array.isArray(params)) return ['params must be a JSON object'];
  // Before anything recursive (the size below is a JSON.stringify): depth, strings, numbers, keys.
  const problems = jsonValueProblems(params, 'params');
  if (problems.length > 0) return problems;
  const bytes = Buffer.byteLength(JSON.stringify(params), 'utf8');
  return bytes > maxBytes ? [`params is ${bytes} bytes of JSON; the limit is ${maxBytes}`] : [];
}

/** A lower-case UUID, as task ids are. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The task types of the configured queues, and the workflows'. */
export function configuredTaskTypes(options: ResolvedTasksOptions): string[] {
  return [...options.queues.map((queue) => queue.taskType), WORKFLOW_TASK_TYPE];
}

/** What a filter's task type that is neither configured nor has any task gets told. */
export function unknownTaskTypeProblem(options: ResolvedTasksOptions): string {
  return `task_type must be one of: ${configuredTaskTypes(options).join(', ')}; or a type that still has tasks (a retired queue's)`;
}

/**
 * The filter's values, but whether its task type exists: that may need MySQL (a type no queue
 * carries any more still lists its tasks), see FindTasksQuery. A task name (the stats', the live
 * events' and the bulk actions' filter) is one a task could have.
 */
export function filterProblems(filter: NamedTaskFilter): string[] {
  const problems: string[] = [];
  const nameProblem = filter.taskName === undefined ? undefined : lengthProblem('task_name', filter.taskName, 255);
  if (nameProblem) problems.push(nameProblem);
  if (filter.status !== undefined && !Object.values(TaskStatus).includes(filter.status)) {
    problems.push(`status must be one of: ${Object.values(TaskStatus).join(', ')}`);
  }
  const typeProblem = filter.taskType === undefined ? undefined : lengthProblem('task_type', filter.taskType, 100);
  if (typeProblem) problems.push(typeProblem);
  if (filter.workflowId !== undefined && !UUID.test(filter.workflowId)) problems.push('workflow_id must be a task id (a UUID)');
  if (filter.errorType !== undefined && !TASK_ERROR_TYPES.includes(filter.errorType)) {
    problems.push(`error_type must be one of: ${TASK_ERROR_TYPES.join(', ')}`);
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
  } else if (input.offset !== undefined && input.offset > MAX_LIST_OFFSET) {
    problems.push(`offset goes at most ${MAX_LIST_OFFSET} tasks deep; page deeper with cursor (each page's next_cursor)`);
  }
  return problems;
}

function isIntegerIn(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}
