import { CreateBackgroundTasks1763800000000 } from './1763800000000-CreateBackgroundTasks.js';
import { AddTaskCounts1763900000000 } from './1763900000000-AddTaskCounts.js';

/** Every migration of TasksModule, oldest first. Hand these to your DataSource's `migrations`. */
export const TASKS_MIGRATIONS = [CreateBackgroundTasks1763800000000, AddTaskCounts1763900000000];
