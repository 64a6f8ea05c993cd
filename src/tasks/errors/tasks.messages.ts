import type { TaskStatus } from '../lifecycle/task-status.js';

/*
 * Every message of the library's typed errors, as factories, so the wording lives in one
 * place (nestjs/bull's `bull.messages.ts`).
 */

export const TASK_NOT_FOUND = (taskId: string) => `Task ${taskId} not found`;
export const TASK_NOT_CANCELLABLE = (status: TaskStatus) => `Task is already ${status} and cannot be cancelled`;
export const TASK_NOT_RETRYABLE = (status: TaskStatus) => `Task is ${status}; only failed or cancelled tasks can be retried`;
export const TASK_NOT_DELETABLE = (status: TaskStatus) => `Task is ${status}; only a completed, failed or cancelled task can be deleted (cancel it first)`;
export const STEP_NOT_DELETABLE = (workflowId: string) => `A workflow's step goes with its workflow: delete workflow ${workflowId} once it has finished`;
export const WORKFLOW_NOT_FINISHED = () => 'A task of this workflow is not finished (its error callback, or a step a retry reopened); delete it once every one has';
export const TASK_STILL_RUNNING = () => 'The last attempt of this task is still running; retry once it has stopped';
export const TASK_CHANGED_MEANWHILE = () => 'The task changed meanwhile; read it again';
export const RETRY_A_STEP = () => 'A workflow is retried through its failed or cancelled step: retry that step and the workflow resumes from there';
export const STEP_WAITS_FOR_PREDECESSOR = () => 'This step never ran: it waits for an earlier step; retry that one and the workflow resumes from there';
export const NO_QUEUE_FOR_TYPE = (taskType: string) => `No queue carries task type "${taskType}"`;
export const NO_QUEUE_TO_RETRY_ON = (taskType: string) =>
  `task_type "${taskType}" has tasks but no queue of this process's options carries it (a retired queue?): its failed tasks cannot be retried here`;
export const TASK_WAIT_TIMED_OUT = (taskId: string, status: TaskStatus, ms: number) => `Task ${taskId} is still ${status} after ${ms} ms`;
export const SERVICE_UNAVAILABLE = (what: 'MySQL' | 'Redis') => `${what} is unavailable, try again later`;
export const ILLEGAL_TRANSITION = (taskId: string, from: TaskStatus, to: TaskStatus) => `Task ${taskId} cannot move from ${from} to ${to}`;

export const DUPLICATE_HANDLER = (taskName: string, first: string, second: string) =>
  `Task "${taskName}" is handled by both ${first} and ${second}; task names must be unique.`;
export const UNKNOWN_QUEUE = (processor: string, queue: string, known: string[]) =>
  `${processor} is a @TaskProcessor('${queue}') but no queue "${queue}" is configured ` +
  `(configured: ${known.join(', ')}). Add it to TasksModule's "queues" option.`;
export const HANDLER_OUTSIDE_PROCESSOR = (className: string, method: string) =>
  `${className}.${method} is a @TaskHandler but ${className} is not a @TaskProcessor(queue); ` +
  `decorate the class so the handler has a queue.`;
export const INVALID_OPTIONS = (reason: string) => `Invalid TasksModule options: ${reason}`;
export const REDIS_UNREACHABLE = (where: string, ms: number) =>
  `Redis at ${where} did not answer within ${ms} ms (TasksModule option "redis"); is it running?`;
