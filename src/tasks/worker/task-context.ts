import type { Job } from 'bullmq';
import type { TaskContext } from '../interfaces/task-context.interface.js';
import type { TaskJobData } from '../queue/task-job.js';
import type { AttemptAbort } from './attempt-abort.js';
import type { ProgressReporter } from './progress-reporter.js';

/** What a handler is given beside its params: the attempt it runs, its abort signal, its progress. */
export function taskContextOf(job: Job<TaskJobData>, abort: AttemptAbort, progress: ProgressReporter): TaskContext {
  return {
    taskId: job.id!,
    taskName: job.name,
    attempt: attemptNumber(job),
    maxAttempts: (job.data.priorAttempts ?? 0) + (job.opts.attempts ?? 1),
    // Made when the handler first reads it (see AttemptAbort).
    get signal() {
      return abort.signal;
    },
    progress: (percent: number, message?: string) => progress.report(percent, message),
    previousResult: job.data.input,
  };
}

/** 1 for a task's first attempt, counting attempts made by earlier jobs of the same task. */
export function attemptNumber(job: Job<TaskJobData>): number {
  return (job.data.priorAttempts ?? 0) + job.attemptsMade + 1;
}
