import { Module } from '@nestjs/common';
import { DEFAULT_TASK_QUEUES, type TaskQueueOptions } from '../tasks/index.js';
import { DemoFilesService } from './demo-files.service.js';
import { HandlerLogService } from './handler-log.service.js';
import { DemoTasks } from './demo.tasks.js';
import { EmailTasks } from './email.tasks.js';
import { AnalyticsTasks, CleanupTasks } from './maintenance.tasks.js';
import { ReportTasks } from './report.tasks.js';

/** The seed's four queues plus `demo`, which carries the `demo` task type. */
export const DEMO_QUEUES: TaskQueueOptions[] = [
  ...DEFAULT_TASK_QUEUES,
  { name: 'demo', taskType: 'demo', defaultPriority: 5, concurrency: 5 },
];

/** The demo's task handlers. */
@Module({
  providers: [DemoFilesService, HandlerLogService, EmailTasks, ReportTasks, AnalyticsTasks, CleanupTasks, DemoTasks],
})
export class DemoModule {}
