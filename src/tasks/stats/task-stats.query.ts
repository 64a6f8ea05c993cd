import { Injectable } from '@nestjs/common';
import { FindTasksQuery } from '../commands/find-tasks.query.js';
import { orMysqlUnavailable, orRedisUnavailable } from '../commands/unavailable.js';
import { InvalidTaskRequestError } from '../errors/tasks.errors.js';
import { TaskStatus } from '../lifecycle/task-status.js';
import { TaskQueues, type QueueDepth } from '../queue/task-queues.js';
import { TaskStatsRepository, type OutcomeGroup, type StatsWindow } from '../store/task-stats.repository.js';
import { summarizeDurations, type DurationSummary } from './duration-percentiles.js';
import { groupBy } from '../group-by.js';

/** What `getTaskStats` reads: a window ending now, optionally one task type and/or name. */
export interface TaskStatsInput {
  taskType?: string;
  taskName?: string;
  /** Length of the window in ms; default 24 h, at most 400 days. */
  windowMs?: number;
}

/** The outcomes of the tasks that finished in the window. */
export interface OutcomeSummary {
  finished: number;
  completed: number;
  failed: number;
  cancelled: number;
  /** Failed and cancelled tasks by the class of their last failure (`none`: cancelled without one). */
  byErrorType: Record<string, number>;
  /** completed / (completed + failed); null when neither happened. */
  successRate: number | null;
  /** Of the final attempt, started to finished. */
  durationMs: DurationSummary | null;
  perMinute: number;
}

export interface TaskNameStats extends OutcomeSummary {
  taskType: string;
  taskName: string;
}

export interface TaskTypeStats extends OutcomeSummary {
  taskType: string;
  /** Exact counts of the rows now, by status (not limited to the window). */
  current: Record<TaskStatus, number>;
}

export interface TaskStatsReport {
  from: Date;
  to: Date;
  /** The summary's resolution used: minutes for windows up to 6 h, hours up to 8 days, days beyond. */
  resolution: 'minute' | 'hour' | 'day';
  totals: OutcomeSummary;
  types: TaskTypeStats[];
  tasks: TaskNameStats[];
  /** Finished tasks per bucket of the resolution. */
  throughput: { at: Date; completed: number; failed: number; cancelled: number }[];
  /** Jobs per state and the number of workers serving it (null: Redis would not say). */
  queues: Array<QueueDepth & { workers: number | null }>;
}

const DAY_MS = 24 * 3600_000;
const MINUTES_UP_TO_MS = 6 * 3600_000;
const HOURS_UP_TO_MS = 8 * DAY_MS;
const RESOLUTIONS = { m: 'minute', h: 'hour', d: 'day' } as const;

/** Stats over a time window from the outcome summary and the exact counts: no scan of the task table. */
@Injectable()
export class TaskStatsQuery {
  constructor(
    private readonly repository: TaskStatsRepository,
    private readonly queues: TaskQueues,
    private readonly finder: FindTasksQuery,
  ) {}

  async stats(input: TaskStatsInput = {}): Promise<TaskStatsReport> {
    const windowMs = input.windowMs ?? DAY_MS;
    if (!Number.isInteger(windowMs) || windowMs < 60_000 || windowMs > 400 * DAY_MS) {
      throw new InvalidTaskRequestError(['window must be a whole number of minutes from 1 minute to 400 days']);
    }
    // As the list checks them: a typo'd type (or an empty name) is refused rather than answered with zeros.
    await this.finder.assertValidFilter({ taskType: input.taskType, taskName: input.taskName });
    const to = new Date();
    const grain = windowMs <= MINUTES_UP_TO_MS ? 'm' : windowMs <= HOURS_UP_TO_MS ? 'h' : 'd';
    const window: StatsWindow = { from: new Date(to.getTime() - windowMs), to, grain, taskType: input.taskType, taskName: input.taskName };
    const [outcomes, series, counts] = await orMysqlUnavailable(() =>
      Promise.all([this.repository.outcomes(window), this.repository.series(window), this.repository.counts(input.taskType)]),
    );
    const [depths, workers] = await orRedisUnavailable(() => Promise.all([this.queues.depth(input.taskType), this.queues.workers(input.taskType)]));
    // Both lists are the configured queues in their order (TaskQueues.configured).
    const queues = depths.map((depth, index) => ({ ...depth, workers: workers[index].workers?.length ?? null }));
    const minutes = windowMs / 60_000;
    const types = groupBy(outcomes, (group) => group.taskType);
    for (const count of counts) if (!types.has(count.taskType)) types.set(count.taskType, []);
    return {
      from: window.from,
      to,
      resolution: RESOLUTIONS[grain],
      totals: summarize(outcomes, minutes),
      types: [...types].map(([taskType, groups]) => ({ taskType, ...summarize(groups, minutes), current: currentCounts(counts, taskType) })),
      tasks: [...groupBy(outcomes, (group) => `${group.taskType}\u0000${group.taskName}`).values()].map((groups) => ({
        taskType: groups[0].taskType,
        taskName: groups[0].taskName,
        ...summarize(groups, minutes),
      })),
      throughput: [...groupBy(series, (point) => point.at.getTime()).values()].map((points) => ({
        at: points[0].at,
        completed: points.find((point) => point.status === TaskStatus.Completed)?.finished ?? 0,
        failed: points.find((point) => point.status === TaskStatus.Failed)?.finished ?? 0,
        cancelled: points.find((point) => point.status === TaskStatus.Cancelled)?.finished ?? 0,
      })),
      queues,
    };
  }
}

function summarize(groups: OutcomeGroup[], minutes: number): OutcomeSummary {
  const sum = (status?: TaskStatus) => groups.filter((group) => !status || group.status === status).reduce((total, group) => total + group.finished, 0);
  const [completed, failed, cancelled] = [sum(TaskStatus.Completed), sum(TaskStatus.Failed), sum(TaskStatus.Cancelled)];
  const byErrorType: Record<string, number> = {};
  for (const group of groups) {
    if (group.status === TaskStatus.Completed) continue;
    const key = group.errorType || 'none';
    byErrorType[key] = (byErrorType[key] ?? 0) + group.finished;
  }
  return {
    finished: completed + failed + cancelled,
    completed,
    failed,
    cancelled,
    byErrorType,
    successRate: completed + failed === 0 ? null : Math.round((completed / (completed + failed)) * 10_000) / 10_000,
    durationMs: summarizeDurations(groups.map((group) => ({ bucket: group.durationBucket, count: group.finished, totalMs: group.durationMs }))),
    perMinute: Math.round(((completed + failed + cancelled) / minutes) * 100) / 100,
  };
}

function currentCounts(counts: { taskType: string; status: TaskStatus; count: number }[], taskType: string): Record<TaskStatus, number> {
  const current = Object.fromEntries(Object.values(TaskStatus).map((status) => [status, 0])) as Record<TaskStatus, number>;
  for (const count of counts) if (count.taskType === taskType) current[count.status] += count.count;
  return current;
}
