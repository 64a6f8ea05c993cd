import { Injectable } from '@nestjs/common';
import { In, IsNull, Not, type DataSource } from 'typeorm';
import { InjectTasksDataSource } from './tasks-connection.js';
import { TaskStatus } from '../lifecycle/task-status.js';
import { WORKFLOW_TASK_TYPE } from '../lifecycle/workflow-names.js';
import { BACKGROUND_TASKS_TABLE, BackgroundTask } from './background-task.entity.js';
import type { DispatchedStep } from './workflow-cascade.js';

/** The reads of a workflow's tree: its steps, its tasks by status, what is unfinished under it. */
@Injectable()
export class WorkflowRepository {
  constructor(@InjectTasksDataSource() private readonly dataSource: DataSource) {}

  /** The direct steps or members of a workflow row, in order. */
  findChildren(parentId: string): Promise<BackgroundTask[]> {
    return this.dataSource.getRepository(BackgroundTask).find({ where: { parentId }, order: { position: 'ASC' } });
  }

  /**
   * The released steps (pending, no longer waiting) of the workflows these tasks belong to: what
   * a batch of their transitions may have released in a commit whose answer was lost.
   */
  async releasedStepsOfWorkflowsOf(taskIds: string[]): Promise<DispatchedStep[]> {
    const tasks = this.dataSource.getRepository(BackgroundTask);
    const of = await tasks.find({ select: { workflowId: true }, where: { taskId: In(taskIds), workflowId: Not(IsNull()) } });
    const workflowIds = [...new Set(of.map((task) => task.workflowId!))];
    if (workflowIds.length === 0) return [];
    const steps = await tasks.find({ where: { workflowId: In(workflowIds), status: TaskStatus.Pending, blocked: false, taskType: Not(WORKFLOW_TASK_TYPE) } });
    return steps.map(({ taskId, taskName, taskType, workflowId, priority, params, maxRetries, retryCount, timeoutSeconds, input }) =>
      ({ taskId, taskName, taskType, workflowId: workflowId!, priority, params: params ?? {}, maxRetries, retryCount, timeoutSeconds, input }));
  }

  /** A workflow's tasks (not its inner chains and groups) by status. */
  async summary(workflowId: string): Promise<Record<string, number>> {
    const rows: { status: TaskStatus; n: string | number }[] = await this.dataSource.query(
      `SELECT status, COUNT(*) AS n FROM ${BACKGROUND_TASKS_TABLE} WHERE workflow_id = ? AND task_type <> ? GROUP BY status`,
      [workflowId, WORKFLOW_TASK_TYPE],
    );
    const summary: Record<string, number> = Object.fromEntries(Object.values(TaskStatus).map((status) => [status, 0]));
    for (const row of rows) summary[row.status] = Number(row.n);
    return summary;
  }

  /**
   * The unfinished tasks under a workflow row (any depth) that a cancel must reach: those that
   * run or have a job (not the steps still waiting, which the cancel's cascade ends).
   */
  async unfinishedTasksUnder(taskId: string, workflowId: string): Promise<Array<{ taskId: string; taskType: string; status: TaskStatus }>> {
    const rows: { task_id: string; parent_id: string | null; task_type: string; status: TaskStatus; blocked: number }[] = await this.dataSource.query(
      `SELECT task_id, parent_id, task_type, status, blocked FROM ${BACKGROUND_TASKS_TABLE} WHERE workflow_id = ?`,
      [workflowId],
    );
    const under = new Set([taskId]);
    // Rows come in no particular order: widen the set until it stops growing (depth ≤ a few levels).
    for (let grown = true; grown; ) {
      grown = false;
      for (const row of rows) if (row.parent_id && under.has(row.parent_id) && !under.has(row.task_id)) grown = under.add(row.task_id) !== undefined;
    }
    return rows
      .filter((row) => under.has(row.task_id) && row.task_type !== WORKFLOW_TASK_TYPE && !row.blocked)
      .filter((row) => row.status === TaskStatus.Pending || row.status === TaskStatus.Running)
      .map((row) => ({ taskId: row.task_id, taskType: row.task_type, status: row.status }));
  }
}
