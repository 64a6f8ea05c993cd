import { Module } from '@nestjs/common';
import type { TaskQueueOptions } from 'tasks-module';
import { DemoFilesService } from './demo-files.service.js';
import { HandlerLogService } from './handler-log.service.js';
import { DemoTasks } from './demo.tasks.js';
import { EmailTasks } from './email.tasks.js';
import { AnalyticsTasks, CleanupTasks } from './maintenance.tasks.js';
import { ReportTasks } from './report.tasks.js';

/**
 * The seed's four task types and their queues (e-mail limited to 50 per minute over all
 * workers), plus `demo`, which carries the `demo` task type.
 */
export const DEMO_QUEUES: TaskQueueOptions[] = [
  { name: 'email', taskType: 'email', defaultPriority: 3, concurrency: 10, rateLimit: { max: 50, durationMs: 60_000 } },
  { name: 'reports', taskType: 'report', defaultPriority: 5, concurrency: 2 },
  { name: 'analytics', taskType: 'analytics', defaultPriority: 2, concurrency: 2 },
  { name: 'cleanup', taskType: 'cleanup', defaultPriority: 1, concurrency: 1 },
  { name: 'demo', taskType: 'demo', defaultPriority: 5, concurrency: 5 },
];

/** The demo's task handlers. */
@Module({
  providers: [DemoFilesService, HandlerLogService, EmailTasks, ReportTasks, AnalyticsTasks, CleanupTasks, DemoTasks],
})
export class DemoModule {}
