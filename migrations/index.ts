import { CreateBackgroundTasks1763800000000 } from './1763800000000-CreateBackgroundTasks.js';
import { AddTaskCounts1763900000000 } from './1763900000000-AddTaskCounts.js';
import { AddTaskFeatures1764000000000 } from './1764000000000-AddTaskFeatures.js';
import { CountEpoch1764100000000 } from './1764100000000-CountEpoch.js';
import { AddAttemptToken1764200000000 } from './1764200000000-AddAttemptToken.js';
import { CountByErrorType1764300000000 } from './1764300000000-CountByErrorType.js';
import { CountsWithoutTriggers1764400000000 } from './1764400000000-CountsWithoutTriggers.js';
import { ExactIds1764500000000 } from './1764500000000-ExactIds.js';
import { TaskStats1764600000000 } from './1764600000000-TaskStats.js';
import { Workflows1764700000000 } from './1764700000000-Workflows.js';
import { LeanIndexes1764800000000 } from './1764800000000-LeanIndexes.js';
import { FewerIndexWrites1764900000000 } from './1764900000000-FewerIndexWrites.js';
import { TaskExpiry1765000000000 } from './1765000000000-TaskExpiry.js';
import { SingletonKeys1765100000000 } from './1765100000000-SingletonKeys.js';
import { TaskSingletonKey1765200000000 } from './1765200000000-TaskSingletonKey.js';

/** Every migration of TasksModule, oldest first. Hand these to your DataSource's `migrations`. */
export const TASKS_MIGRATIONS = [CreateBackgroundTasks1763800000000, AddTaskCounts1763900000000, AddTaskFeatures1764000000000, CountEpoch1764100000000, AddAttemptToken1764200000000, CountByErrorType1764300000000, CountsWithoutTriggers1764400000000, ExactIds1764500000000, TaskStats1764600000000, Workflows1764700000000, LeanIndexes1764800000000, FewerIndexWrites1764900000000, TaskExpiry1765000000000, SingletonKeys1765100000000, TaskSingletonKey1765200000000];
