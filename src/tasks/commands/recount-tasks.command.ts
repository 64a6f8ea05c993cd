import { Injectable } from '@nestjs/common';
import { TaskRepository } from '../store/task.repository.js';
import { orMysqlUnavailable } from './unavailable.js';

/**
 * Recount: rebuilds the counts from the rows. The library keeps them exact through its own
 * writes; a host's own writes to `background_tasks` (plain SQL, its own TypeORM saves) are
 * not counted until this runs.
 */
@Injectable()
export class RecountTasksCommand {
  constructor(private readonly repository: TaskRepository) {}

  /** Returns how many rows were counted. */
  recount(): Promise<number> {
    return orMysqlUnavailable(() => this.repository.recount());
  }
}
