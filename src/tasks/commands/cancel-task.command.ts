import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { TASKS_OPTIONS, type ResolvedTasksOptions } from '../tasks.options.js';
import type { CancelledTask } from '../interfaces/tasks-service.interfaces.js';
import { TaskCancellationBus } from '../queue/task-cancellation.bus.js';
import { TaskQueues } from '../queue/task-queues.js';
import { TaskWorkersHost } from '../worker/task-workers.host.js';

/** Stops the job of a task whose row is already `cancelled`. */
@Injectable()
export class TaskCanceller {
  private readonly logger = new Logger('TasksService');

  constructor(
    @Inject(TASKS_OPTIONS) private readonly options: ResolvedTasksOptions,
    private readonly queues: TaskQueues,
    private readonly workers: TaskWorkersHost,
    private readonly cancellations: TaskCancellationBus,
  ) {}

  /**
   * Removes the job while it waits; when a worker holds it, fires the handler's AbortSignal
   * (at once in this process, through the cancellation bus elsewhere) and waits up to
   * `cancelWaitMs` for the attempt to end, so that no handler of a task whose cancel has
   * returned is still running unless it ignores its signal. Best effort: the row already says
   * `cancelled`, and an attempt that starts later sees that and skips the handler.
   */
  async stopJob(taskType: string, taskId: string): Promise<Omit<CancelledTask, 'taskId'>> {
    const idle = { runningHandlerSignalled: false, handlerStopped: true };
    const queueOptions = this.queues.forTaskType(taskType);
    if (!queueOptions) return idle;
    const queue = this.queues.get(queueOptions.name);
    try {
      // remove() refuses a job that a worker holds.
      if ((await queue.remove(taskId)) === 1 || (await queue.getJobState(taskId)) !== 'active') return idle;
      if (!this.workers.abortRunning(queueOptions.name, taskId, 'cancelled')) {
        await this.cancellations.publishCancel(queueOptions.name, taskId);
      }
      return { runningHandlerSignalled: true, handlerStopped: await this.attemptEnded(queue, taskId) };
    } catch (error) {
      this.logger.warn(`Cancelled task ${taskId}: its job could not be stopped (${(error as Error).message})`);
      const signalled = this.workers.abortRunning(queueOptions.name, taskId, 'cancelled');
      return { runningHandlerSignalled: signalled, handlerStopped: false };
    }
  }

  /** Polls until the job is no longer active (its handler returned or threw), or gives up. */
  private async attemptEnded(queue: Queue, taskId: string): Promise<boolean> {
    const deadline = Date.now() + this.options.cancelWaitMs;
    while ((await queue.getJobState(taskId)) === 'active') {
      if (Date.now() >= deadline) return false;
      await sleep(10);
    }
    return true;
  }
}
