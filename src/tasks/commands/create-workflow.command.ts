import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { TasksUnavailableError } from '../errors/tasks.errors.js';
import type { CreatedWorkflow, WorkflowStep } from '../interfaces/workflow.interfaces.js';
import { TaskJobs } from '../queue/task-jobs.js';
import { DatabaseHealth } from '../store/database-health.js';
import { TaskDeletes } from '../store/task-deletes.js';
import { TaskRepository } from '../store/task.repository.js';
import { TaskStateWriter, type DispatchedStep } from '../store/task-state.writer.js';
import { WorkflowRepository } from '../store/workflow.repository.js';
import { AfterCommitOutbox } from './after-commit.outbox.js';
import { EnqueueTaskCommand } from './enqueue-task.command.js';
import { RetractedTasks } from './retracted-tasks.js';
import { orMysqlUnavailable } from './unavailable.js';
import { workflowRows, type WorkflowRow } from './workflow-spec.js';

/**
 * Workflows: creates every row of the tree in one transaction (validated first: a bad workflow
 * creates nothing), adds the jobs of the steps that may run at once, and, for every batch the
 * state writer commits, the jobs of the steps it released. Should a process die before those
 * jobs exist, the steps are `pending` rows without jobs: the reconciler queues them.
 */
@Injectable()
export class CreateWorkflowCommand implements OnModuleInit {
  private readonly logger = new Logger(CreateWorkflowCommand.name);

  constructor(
    private readonly enqueuer: EnqueueTaskCommand,
    private readonly repository: TaskRepository,
    private readonly deletes: TaskDeletes,
    private readonly writer: TaskStateWriter,
    private readonly jobs: TaskJobs,
    private readonly outbox: AfterCommitOutbox,
    private readonly retracted: RetractedTasks,
    private readonly workflows: WorkflowRepository,
    private readonly health: DatabaseHealth,
  ) {}

  onModuleInit(): void {
    this.writer.onDispatch((steps) => {
      this.addJobs(steps).catch((error: Error) => this.logger.warn(`Jobs of ${steps.length} released workflow step(s) not added (the reconciler will): ${error.message}`));
    });
    this.writer.onUncertainCommit((taskIds) => {
      this.queueReleasedWithoutJobs(taskIds).catch((error: Error) => this.logger.warn(`Steps released by an unanswered commit not looked for (the reconciler will): ${error.message}`));
    });
  }

  async create(root: WorkflowStep, kind: CreatedWorkflow['kind'], manager?: EntityManager): Promise<CreatedWorkflow> {
    const transaction = manager && this.outbox.transactionOf(manager);
    const rows = workflowRows(root, (input) => this.enqueuer.prepare(input, true));
    const released = rows.filter((row) => row.kind === null && !row.blocked).map((row) => stepOf(row));
    if (manager && transaction) {
      await this.repository.insertPending(rows, manager);
      this.outbox.defer(transaction, () => this.addJobs(released));
    } else {
      await this.retracted.inserting(rows, () => this.repository.insertPending(rows));
      try {
        await this.addJobs(released);
      } catch (error) {
        this.logger.warn(`Workflow refused by Redis: ${(error as Error).message}`);
        // A pipeline that threw may have added some of the jobs: they go before their rows do.
        await this.jobs.removeWaiting(released);
        await this.deletes.deleteWorkflow(rows[0].taskId).catch(() => this.retracted.retract(rows));
        throw new TasksUnavailableError('Redis');
      }
    }
    return {
      workflowId: rows[0].taskId,
      kind,
      nodes: rows.map((row) => ({ taskId: row.taskId, taskName: row.taskName, path: row.path, parentId: row.parentId, released: row.kind === null && !row.blocked })),
    };
  }

  /**
   * A batch whose commit an outage met may have landed unseen: the steps it released would have
   * no job until the reconciler's min age. Once MySQL answers, the released steps of its tasks'
   * workflows that have no job get one (BullMQ takes one job per id, so a step queued meanwhile
   * is not queued twice).
   */
  private async queueReleasedWithoutJobs(taskIds: string[]): Promise<void> {
    const released = await this.health.durably(() => this.workflows.releasedStepsOfWorkflowsOf(taskIds));
    const missing = await this.jobs.withoutJobs(released);
    if (missing.length === 0) return;
    await this.addJobs(missing);
    this.logger.warn(`Queued ${missing.length} workflow step(s) released by a commit whose answer was lost`);
  }

  private async addJobs(steps: DispatchedStep[]): Promise<void> {
    if (steps.length === 0) return;
    await this.jobs.addMany(
      steps.map((step) => ({ task: step, attempts: Math.max(1, step.maxRetries + 1 - step.retryCount), priorAttempts: step.retryCount })),
    );
  }
}

function stepOf(row: WorkflowRow): DispatchedStep {
  return {
    taskId: row.taskId,
    taskName: row.taskName,
    taskType: row.taskType,
    workflowId: row.workflowId!,
    priority: row.priority,
    params: row.params,
    maxRetries: row.maxRetries,
    retryCount: 0,
    timeoutSeconds: row.timeoutSeconds ?? null,
    input: null,
  };
}
