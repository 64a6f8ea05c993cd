import type { TaskFilter } from '../interfaces/tasks-service.interfaces.js';
import type { BackgroundTask } from '../store/background-task.entity.js';
import { ConcurrencyLimit } from '../store/concurrency-limit.js';
import type { FindTasksQuery } from './find-tasks.query.js';

/** Tasks read per page, and actions in flight at once. */
const PAGE_SIZE = 500;
const ACTIONS_AT_ONCE = 16;

/**
 * Runs `act` on every task the filter lists when the call begins (and that `select` keeps), for
 * the bulk actions (cancel every waiting task, retry every failed one): pages go newest first by
 * cursor, so a task that matches only later (enqueued, or failed again after a retry) is newer
 * than every page and is left alone. Counts the tasks `act` handled (true) and skipped (false).
 * The finder validates the filter (InvalidTaskRequestError).
 */
export async function eachListedTask(
  finder: FindTasksQuery,
  filter: TaskFilter,
  select: (task: BackgroundTask) => boolean,
  act: (task: BackgroundTask) => Promise<boolean>,
): Promise<{ done: number; skipped: number }> {
  const limit = new ConcurrencyLimit(ACTIONS_AT_ONCE);
  const counts = { done: 0, skipped: 0 };
  let cursor: string | undefined;
  do {
    const page = await finder.list({ ...filter, limit: PAGE_SIZE, cursor });
    const outcomes = await Promise.all(page.tasks.filter(select).map((task) => limit.run(() => act(task))));
    for (const done of outcomes) counts[done ? 'done' : 'skipped']++;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return counts;
}
