import { HttpException } from '@nestjs/common';
import { InvalidTaskRequestError } from '../errors/tasks.errors.js';
import { WORKFLOW_TASK_TYPE } from '../lifecycle/workflow-names.js';
import { ERROR_CALLBACK_POSITION } from '../lifecycle/workflow-plan.js';
import type { BackgroundTask } from '../store/background-task.entity.js';
import type { TasksService } from '../tasks.service.js';
import { TaskResponseDto } from './dto/index.js';

/** The longest long poll: the idle timeout of common proxies and load balancers (60 s); behind one, clients ask for less. */
export const MAX_WAIT_SECONDS = 60;

type CloseListener = (event: 'close', listener: () => void) => unknown;

/** What the read route needs of the HTTP response: to learn that the client left (Express's response; Fastify's `reply.raw`). */
export interface ClosableResponse {
  on?: CloseListener;
  raw?: { on: CloseListener };
}

/** `?wait_seconds` as seconds, or a 400 that says what it takes. */
export function parseWaitSeconds(text: string | undefined): number {
  if (text === undefined) return 0;
  const seconds = /^\d{1,3}$/.test(text) ? Number(text) : NaN;
  if (!(seconds <= MAX_WAIT_SECONDS)) throw new InvalidTaskRequestError([`wait_seconds must be a whole number of seconds from 0 to ${MAX_WAIT_SECONDS}`]);
  return seconds;
}

/**
 * The row once final, or as it is after `seconds`: a long poll answers 200 either way, and the
 * client reads `status`. A client that leaves stops the wait at once.
 */
export async function waitedTask(tasks: TasksService, taskId: string, seconds: number, response: ClosableResponse): Promise<BackgroundTask> {
  if (seconds === 0) return tasks.getTaskStatus(taskId);
  const gone = new AbortController();
  (response.raw ?? response).on?.('close', () => gone.abort());
  try {
    return await tasks.getTaskStatus(taskId, { timeoutMs: seconds * 1000, signal: gone.signal });
  } catch (error) {
    // Nobody to answer; an HTTP error, so that it is not logged as a failure (nginx's 499).
    if (gone.signal.aborted) throw new HttpException('Client closed the request', 499);
    throw error;
  }
}

/** The body of `GET /:task_id`: the row, and for a workflow (or its inner chain or group) its steps in order and its tasks by status. */
export async function taskView(tasks: TasksService, row: BackgroundTask): Promise<TaskResponseDto> {
  const task = TaskResponseDto.from(row);
  if (task.task_type !== WORKFLOW_TASK_TYPE) return task;
  const { steps, summary } = await tasks.getWorkflowSteps(task.task_id);
  const view = (step: BackgroundTask) => ({ task_id: step.taskId, task_name: step.taskName, position: step.position ?? 0, status: step.status, blocked: Boolean(step.blocked), error_message: step.errorMessage });
  const errorCallback = steps.find((step) => step.position === ERROR_CALLBACK_POSITION);
  const body = { ...task, steps: steps.filter((step) => step !== errorCallback).map(view), summary };
  return errorCallback ? { ...body, on_failure: view(errorCallback) } : body;
}
