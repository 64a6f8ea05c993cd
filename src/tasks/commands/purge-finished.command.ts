import { Inject, Injectable } from '@nestjs/common';
import { InvalidTaskRequestError } from '../errors/tasks.errors.js';
import type { ResolvedTasksOptions } from '../interfaces/tasks-module-options.interface.js';
import { TaskDeletes } from '../store/task-deletes.js';
import { STATS_GRAINS, STATS_KEPT_MS } from '../store/task-stats.js';
import { TaskStatsRepository } from '../store/task-stats.repository.js';
import { TASKS_OPTIONS } from '../tasks.module-definition.js';
import { orMysqlUnavailable } from './unavailable.js';

/** Retention: deletes finished rows past an age, in batches (the scheduled cleanup and `purgeFinishedTasks`). */
@Injectable()
export class PurgeFinishedCommand {
  constructor(
    @Inject(TASKS_OPTIONS) private readonly options: ResolvedTasksOptions,
    private readonly deletes: TaskDeletes,
    private readonly stats: TaskStatsRepository,
  ) {}

  /**
   * Purges rows finished more than `maxAgeMs` ago; returns how many were deleted. Without an
   * age, the `retention.finishedMaxAgeMs` option applies, and its 0 ("keep every row") purges
   * nothing, even if a cleanup job queued by an earlier configuration still runs. The scheduled
   * cleanup (no age) also drops stats summary rows past their resolution's keep time.
   */
  async purge(maxAgeMs?: number): Promise<number> {
    if (maxAgeMs !== undefined && !(maxAgeMs >= 0)) throw new InvalidTaskRequestError(['maxAgeMs must be >= 0']);
    if (maxAgeMs === undefined) await orMysqlUnavailable(() => Promise.all(STATS_GRAINS.map((grain) => this.stats.purge(grain, STATS_KEPT_MS[grain]))));
    const age = maxAgeMs ?? this.options.retention.finishedMaxAgeMs;
    if (maxAgeMs === undefined && age <= 0) return 0;
    return orMysqlUnavailable(() => this.deletes.purgeFinished(age, this.options.retention.batchSize));
  }
}
