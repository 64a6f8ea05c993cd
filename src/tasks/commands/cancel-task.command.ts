import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { TaskNotCancellableError, TaskNotFoundError } from '../errors/tasks.errors.js';
import type { ResolvedTasksOptions } from '../interfaces/tasks-module-options.interface.js';
import type { CancelledTask } from '../interfaces/tasks-service.interfaces.js';
import { isFinalStatus, TaskStatus } from '../lifecycle/task-status.js';
import { TaskCancellationBus } from '../queue/task-cancellation.bus.js';
import { CancelMarks, unaskedStartWindowMs } from '../queue/cancel-marks.js';
import { stateAfterActive } from '../queue/job-activity.js';
import { TaskQueues } from '../queue/task-queues.js';
import type { BackgroundTask } from '../store/background-task.entity.js';
import { TaskRepository } from '../store/task.repository.js';
import { WorkflowRepository } from '../store/workflow.repository.js';
import { WORKFLOW_TASK_TYPE } from '../lifecycle/workflow-names.js';
import { TaskStateWriter } from '../store/task-state.writer.js';
import { TASKS_OPTIONS } from '../tasks.module-definition.js';
import { orMysqlUnavailable, orRedisUnavailable } from './unavailable.js';

/** Where a job is before a worker takes it. */
const WAITING_STATES = new Set(['waiting', 'delayed', 'prioritized', 'waiting-children']);

/**
 * Cancel: the task is marked in Redis, the row becomes `cancelled` (so no attempt can start or
 * finish over it), then a waiting job is removed and a running handler's AbortSignal fires,
 * wherever it runs. Without Redis a cancel answers 503: unmarked, a handler could still start.
 */
@Injectable()
export class CancelTaskCommand {
  private readonly logger = new Logger(CancelTaskCommand.name);

  constructor(
    @Inject(TASKS_OPTIONS) private readonly options: ResolvedTasksOptions,
    private readonly repository: TaskRepository,
    private readonly writer: TaskStateWriter,
    private readonly queues: TaskQueues,
    private readonly cancellations: TaskCancellationBus,
    private readonly workflows: WorkflowRepository,
    private readonly marks: CancelMarks,
  ) {}

  /** Throws {@link TaskNotFoundError}, or {@link TaskNotCancellableError} for a finished task. */
  async cancel(taskId: string): Promise<CancelledTask> {
    const task = await orMysqlUnavailable(() => this.repository.findById(taskId));
    if (!task) throw new TaskNotFoundError(taskId);
    if (isFinalStatus(task.status)) throw new TaskNotCancellableError(taskId, task.status);
    // From here on the id as stored: every comparison below is byte-exact.
    taskId = task.taskId;
    // Before the row says `cancelled`: a worker that has not yet started this task's handler
    // (or any step of its workflow) sees the mark and asks MySQL first (see CancelMarks).
    await orRedisUnavailable(() => this.marks.mark(task));
    if (task.taskType === WORKFLOW_TASK_TYPE) return this.cancelWorkflow(task);
    if (!(await orMysqlUnavailable(() => this.writer.cancel(taskId)))) {
      // It finished between the read and the write.
      const now = await orMysqlUnavailable(() => this.repository.findById(taskId));
      throw new TaskNotCancellableError(taskId, now?.status ?? task.status);
    }
    return { taskId, ...(await this.stopJob(task.taskType, taskId, task.status === TaskStatus.Running)) };
  }

  /**
   * A workflow (or an inner chain or group): its row is cancelled and, in the same transaction,
   * everything under it that has not finished (the writer's workflow cascade); then the jobs of
   * the tasks that were queued or running are stopped as for a single cancel. A step released
   * meanwhile finds its row cancelled when its job starts and never runs its handler.
   */
  private async cancelWorkflow(task: BackgroundTask): Promise<CancelledTask> {
    const live = await orMysqlUnavailable(() => this.workflows.unfinishedTasksUnder(task.taskId, task.workflowId ?? task.taskId));
    if (!(await orMysqlUnavailable(() => this.writer.cancel(task.taskId)))) {
      const now = await orMysqlUnavailable(() => this.repository.findById(task.taskId));
      throw new TaskNotCancellableError(task.taskId, now?.status ?? task.status);
    }
    const stops = await Promise.all(live.map((leaf) => this.stopJob(leaf.taskType, leaf.taskId, leaf.status === TaskStatus.Running)));
    return { taskId: task.taskId, runningHandlerSignalled: stops.some((stop) => stop.runningHandlerSignalled), handlerStopped: stops.every((stop) => stop.handlerStopped) };
  }

  /**
   * Removes the job while it waits; when a worker holds it, fires the handler's AbortSignal
   * and waits up to `cancelWaitMs` for the attempt to end, so that no handler of a task whose
   * cancel has returned is still running unless it ignores its signal. Best effort: the row
   * already says `cancelled`, and an attempt that starts later sees that and skips the handler.
   * A row that was `running` while Redis has no job (Redis lost its data), or while its job
   * waits (handed back when its worker's lock expired), may still have a handler at work: every
   * worker is told to abort it all the same, and nothing tells when it stops.
   */
  private async stopJob(taskType: string, taskId: string, wasRunning: boolean): Promise<Omit<CancelledTask, 'taskId'>> {
    const idle = { runningHandlerSignalled: false, handlerStopped: true };
    const queue = this.queues.queueOf(taskType);
    if (!queue) return idle;
    try {
      if (wasRunning && (await queue.getJobState(taskId)) === 'unknown') return await this.signalEveryWorker(queue.name, taskId);
      // remove() refuses a job that a worker holds.
      if ((await queue.remove(taskId)) === 1) return wasRunning ? await this.signalEveryWorker(queue.name, taskId) : idle;
      const state = await queue.getJobState(taskId);
      if (state !== 'active') {
        // Its attempt ended meanwhile, and a retry's job may wait again: its row refuses it, so it goes.
        if (WAITING_STATES.has(state)) await queue.remove(taskId);
        return wasRunning && WAITING_STATES.has(state) ? await this.signalEveryWorker(queue.name, taskId) : idle;
      }
      // Which fetch of the job to abort: its worker may not have begun the attempt yet.
      const processedOn = (await queue.getJob(taskId))?.processedOn ?? undefined;
      await this.cancellations.cancel(queue.name, taskId, processedOn);
      const after = await stateAfterActive(queue, taskId, this.options.cancelWaitMs);
      if (!WAITING_STATES.has(after)) return { runningHandlerSignalled: true, handlerStopped: after !== 'active' };
      // Handed back rather than ended: its worker stalled, and its handler may run on there.
      await queue.remove(taskId);
      return await this.signalEveryWorker(queue.name, taskId);
    } catch (error) {
      this.logger.warn(`Cancelled task ${taskId}: its job could not be stopped (${(error as Error).message})`);
      const signalled = this.cancellations.abortHere(queue.name, taskId);
      // A worker that fetched the job just before Redis failed may still start it unasked, but
      // only this soon after its fetch: the cancel returns after that, never before such a start.
      await sleep(unaskedStartWindowMs(this.options.cancelWaitMs));
      return { runningHandlerSignalled: signalled, handlerStopped: false };
    }
  }

  /**
   * A handler may run with no job in `active` to watch (Redis lost the job, or handed it back when
   * its worker stalled): every worker aborts it if it runs there, and it is not known to stop.
   */
  private async signalEveryWorker(queueName: string, taskId: string): Promise<Omit<CancelledTask, 'taskId'>> {
    await this.cancellations.cancel(queueName, taskId);
    return { runningHandlerSignalled: true, handlerStopped: false };
  }
}
