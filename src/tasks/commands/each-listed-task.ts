import { InvalidTaskRequestError } from '../errors/tasks.errors.js';
import type { TaskFilter } from '../interfaces/tasks-service.interfaces.js';
import { WORKFLOW_TASK_TYPE } from '../lifecycle/workflow-names.js';
import type { BackgroundTask } from '../store/background-task.entity.js';
import { ConcurrencyLimit } from '../store/concurrency-limit.js';
import type { FindTasksQuery } from './find-tasks.query.js';
import { filterProblems } from './task-request.validator.js';

/** Tasks read per page, and actions in flight at once. */
const PAGE_SIZE = 500;
const ACTIONS_AT_ONCE = 16;

/**
 * Runs `act` on every task the filter lists when the call begins (of `taskName` only, if given), for
 * the bulk actions (cancel every waiting task, retry every failed one): pages go newest first by
 * cursor, so a task that matches only later (enqueued, or failed again after a retry) is newer
 * than every page and is left alone. Counts the tasks `act` handled (true) and skipped (false).
 * The type must be a queue's and the name, if any, a name; the finder validates the rest
 * (InvalidTaskRequestError).
 */
export async function eachListedTask(
  finder: FindTasksQuery,
  filter: TaskFilter & { taskType: string },
  taskName: string | undefined,
  act: (task: BackgroundTask) => Promise<boolean>,
): Promise<{ done: number; skipped: number }> {
  assertBulkTarget(filter.taskType, taskName);
  const limit = new ConcurrencyLimit(ACTIONS_AT_ONCE);
  const counts = { done: 0, skipped: 0 };
  let cursor: string | undefined;
  do {
    const page = await finder.list({ ...filter, limit: PAGE_SIZE, cursor });
    const named = page.tasks.filter((task) => taskName === undefined || task.taskName === taskName);
    const outcomes = await Promise.all(named.map((task) => limit.run(() => act(task))));
    for (const done of outcomes) counts[done ? 'done' : 'skipped']++;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return counts;
}

function assertBulkTarget(taskType: string, taskName: string | undefined): void {
  if (taskType === WORKFLOW_TASK_TYPE) throw new InvalidTaskRequestError(["task_type must be a queue's type: act on a workflow by its id"]);
  const nameProblems = filterProblems({ taskName });
  if (nameProblems.length > 0) throw new InvalidTaskRequestError(nameProblems);
}

type ErrorClass = abstract new (...args: never[]) => Error;

/** True once `work` succeeded; false when it threw one of `refusals` (the task moved on since its page was read). */
export async function doneUnlessRefused(work: () => Promise<unknown>, refusals: ErrorClass[]): Promise<boolean> {
  try {
    await work();
    return true;
  } catch (error) {
    if (refusals.some((refusal) => error instanceof refusal)) return false;
    throw error;
  }
}
