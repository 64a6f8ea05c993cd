import { parseDuration } from '../durations.js';
import { InvalidTaskRequestError } from '../errors/tasks.errors.js';
import type { OutcomeSummary, TaskStatsReport } from '../stats/task-stats.query.js';
import type { OutcomeStatsDto, TaskStatsResponseDto } from './dto/index.js';

/** `15m`, `6h`, `7d` in ms; undefined for the default (the service checks the range). */
export function parseWindow(window: string | undefined): number | undefined {
  if (window === undefined) return undefined;
  const ms = parseDuration(window, ['m', 'h', 'd']);
  if (ms === undefined) throw new InvalidTaskRequestError(['window must be a whole number of minutes, hours or days, from 1, such as 15m, 6h or 7d']);
  return ms;
}

/** The report in the API's snake_case. */
export function statsResponse(report: TaskStatsReport): TaskStatsResponseDto {
  return {
    from: report.from.toISOString(),
    to: report.to.toISOString(),
    resolution: report.resolution,
    totals: outcomes(report.totals),
    types: report.types.map((type) => ({ task_type: type.taskType, ...outcomes(type), current: type.current })),
    tasks: report.tasks.map((task) => ({ task_type: task.taskType, task_name: task.taskName, ...outcomes(task) })),
    throughput: report.throughput.map((point) => ({ ...point, at: point.at.toISOString() })),
    queues: report.queues.map(({ taskType, ...depth }) => ({ ...depth, task_type: taskType })),
  };
}

function outcomes(summary: OutcomeSummary): OutcomeStatsDto {
  return {
    finished: summary.finished,
    completed: summary.completed,
    failed: summary.failed,
    cancelled: summary.cancelled,
    by_error_type: summary.byErrorType,
    success_rate: summary.successRate,
    duration_ms: summary.durationMs,
    per_minute: summary.perMinute,
  };
}
