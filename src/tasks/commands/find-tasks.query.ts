import { Inject, Injectable } from '@nestjs/common';
import { InvalidTaskRequestError, TaskNotFoundError } from '../errors/tasks.errors.js';
import type { ResolvedTasksOptions } from '../interfaces/tasks-module-options.interface.js';
import type { ListTasksInput, NamedTaskFilter, TaskFilter, TaskPage } from '../interfaces/tasks-service.interfaces.js';
import type { BackgroundTask } from '../store/background-task.entity.js';
import { decodeTaskCursor, encodeTaskCursor } from '../store/task-cursor.js';
import { TaskRepository } from '../store/task.repository.js';
import { DEFAULT_LIST_LIMIT } from '../tasks.constants.js';
import { TASKS_OPTIONS } from '../tasks.module-definition.js';
import { configuredTaskTypes, filterProblems, pageProblems, unknownTaskTypeProblem } from './task-request.validator.js';
import { orMysqlUnavailable } from './unavailable.js';

/** The reads: one task, a page of tasks, a count. They read MySQL only. */
@Injectable()
export class FindTasksQuery {
  constructor(
    @Inject(TASKS_OPTIONS) private readonly options: ResolvedTasksOptions,
    private readonly repository: TaskRepository,
  ) {}

  /** The task's row; throws {@link TaskNotFoundError} for an unknown id. */
  async get(taskId: string): Promise<BackgroundTask> {
    const task = await orMysqlUnavailable(() => this.repository.findById(taskId));
    if (!task) throw new TaskNotFoundError(taskId);
    return task;
  }

  /** A page of tasks, newest first, with the number of all tasks that match the filter. */
  async list(input: ListTasksInput): Promise<TaskPage> {
    const after = input.cursor === undefined ? undefined : decodeTaskCursor(input.cursor);
    assertValid([
      ...(await this.filterProblems(input)),
      ...pageProblems(input),
      ...(input.cursor !== undefined && !after ? ['cursor is not a cursor returned by this API'] : []),
      ...(after && (input.offset ?? 0) > 0 ? ['cursor and offset cannot be combined'] : []),
    ]);
    const limit = input.limit ?? DEFAULT_LIST_LIMIT;
    const offset = input.offset ?? 0;
    const filter = filterOf(input);
    const [tasks, totalCount] = await orMysqlUnavailable(() =>
      Promise.all([this.repository.listPage(filter, { limit, offset, after }), this.repository.count(filter)]),
    );
    const nextCursor = tasks.length === limit ? encodeTaskCursor(tasks[tasks.length - 1]) : null;
    return { tasks, totalCount, limit, offset, nextCursor };
  }

  /** How many tasks match the filter (exact, from the counter table). */
  async count(input: TaskFilter): Promise<number> {
    await this.assertValidFilter(input);
    return orMysqlUnavailable(() => this.repository.count(filterOf(input)));
  }

  /** Throws InvalidTaskRequestError naming what is wrong with the filter, as `list` and `count` would. */
  async assertValidFilter(filter: NamedTaskFilter): Promise<void> {
    assertValid(await this.filterProblems(filter));
  }

  /**
   * What is wrong with a filter. Its task type must be a configured queue's or the workflows',
   * or still have tasks: a queue's type taken out of the options (a retired queue) keeps its
   * history listable, countable and purgeable, and the stats, which report every type that has
   * tasks, link to it. Asking MySQL costs one read of the counter table, for such types only.
   */
  private async filterProblems(filter: NamedTaskFilter): Promise<string[]> {
    const problems = filterProblems(filter);
    const { taskType } = filter;
    if (problems.length > 0 || taskType === undefined || configuredTaskTypes(this.options).includes(taskType)) return problems;
    const tasksOfType = await orMysqlUnavailable(() => this.repository.count({ taskType }));
    return tasksOfType > 0 ? [] : [unknownTaskTypeProblem(this.options)];
  }
}

/** Only the filter's fields, whatever else the caller's object carries. */
function filterOf({ status, taskType, errorType, workflowId }: TaskFilter): TaskFilter {
  return { status, taskType, errorType, workflowId };
}

function assertValid(problems: string[]): void {
  if (problems.length > 0) throw new InvalidTaskRequestError(problems);
}
