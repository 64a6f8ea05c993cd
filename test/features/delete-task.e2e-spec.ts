import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TaskNotDeletableError, TaskNotFoundError, TaskStatus } from '../../src/tasks/index.js';
import { countMismatches } from '../support/task-rows.js';
import { createTestApp, waitFor, waitForFinalRow, type TestApp } from '../support/test-app.js';
import { TestTasks } from '../support/test-tasks.processor.js';
import { WorkflowTasks } from '../support/workflow-tasks.processor.js';

/** Deleting one finished task (Celery's `AsyncResult.forget`): the row and what it carried go, before retention. */
describe('deleting a finished task (MariaDB + Redis)', () => {
  let t: TestApp;
  let steps: WorkflowTasks;

  beforeAll(async () => {
    t = await createTestApp({ suite: 'delete_task', providers: [TestTasks, WorkflowTasks] });
    steps = t.app.get(WorkflowTasks);
  });
  afterAll(() => t?.close());

  const rowCount = async (taskIds: string[]) => Number((await t.dataSource.query('SELECT COUNT(*) AS n FROM background_tasks WHERE task_id IN (?) OR workflow_id IN (?)', [taskIds, taskIds]))[0].n);

  it('deletes a completed task over HTTP, with its singleton key row; then answers 404', async () => {
    const { taskId } = await t.tasks.enqueue({ taskName: 'test.record', params: { email: 'someone@example.com' }, singletonKey: 'erase-me' });
    await waitForFinalRow(t.tasks, taskId);
    const { body } = await t.http().delete(`/api/tasks/${taskId}`).expect(200);
    expect(body).toEqual({ task_id: taskId, success: true, message: 'Task deleted' });
    expect(await rowCount([taskId])).toBe(0);
    expect(await t.dataSource.query('SELECT * FROM background_task_singletons WHERE task_id = ?', [taskId])).toEqual([]);
    await t.http().get(`/api/tasks/${taskId}`).expect(404);
    await t.http().delete(`/api/tasks/${taskId}`).expect(404);
    expect(await countMismatches((sql) => t.dataSource.query(sql))).toEqual([]);
  });

  it('refuses a pending or running task (409, success false), and deletes it once cancelled', async () => {
    const { taskId } = await t.tasks.enqueue({ taskName: 'test.until_aborted', params: {} });
    await waitFor(async () => (await t.tasks.getTaskStatus(taskId)).status === TaskStatus.Running, 'the task to run');
    const { body } = await t.http().delete(`/api/tasks/${taskId}`).expect(409);
    expect(body).toEqual({ task_id: taskId, success: false, message: 'Task is running; only a completed, failed or cancelled task can be deleted (cancel it first)' });
    await t.tasks.cancelTask(taskId);
    await t.tasks.deleteTask(taskId);
    expect(await rowCount([taskId])).toBe(0);
  });

  it('deletes a finished workflow whole by its id, never one of its steps, nor (as retention neither) a workflow whose error callback still runs', async () => {
    const workflow = await t.tasks.chain([{ taskName: 'wf.add', params: { n: 1 } }, { taskName: 'wf.add', params: { n: 2 } }]);
    await waitForFinalRow(t.tasks, workflow.workflowId);
    const step = workflow.nodes[1].taskId;
    await expect(t.tasks.deleteTask(step)).rejects.toThrow(new TaskNotDeletableError(step, TaskStatus.Completed, `A workflow's step goes with its workflow: delete workflow ${workflow.workflowId} once it has finished`));
    await t.tasks.deleteTask(workflow.workflowId);
    expect(await rowCount([workflow.workflowId])).toBe(0);

    steps.failing.add('breaks');
    const failing = await t.tasks.chain([{ taskName: 'wf.add', params: { label: 'breaks' } }], { onFailure: { taskName: 'wf.wait', params: { label: 'still-alerting' } } });
    await waitFor(() => steps.callOf('still-alerting') !== undefined, 'the error callback to run');
    const refused = t.tasks.deleteTask(failing.workflowId);
    await expect(refused).rejects.toBeInstanceOf(TaskNotDeletableError);
    await expect(refused).rejects.toThrow('A task of this workflow is not finished');
    expect(await rowCount([failing.workflowId])).toBe(3);
    // Retention leaves it too while its callback runs.
    await t.tasks.purgeFinishedTasks(0);
    expect(await rowCount([failing.workflowId])).toBe(3);
    await t.tasks.cancelTask(failing.nodes.find((node) => node.path === 'on_failure')!.taskId);
    await t.tasks.deleteTask(failing.workflowId);
    expect(await rowCount([failing.workflowId])).toBe(0);
    await expect(t.tasks.deleteTask(failing.workflowId)).rejects.toBeInstanceOf(TaskNotFoundError);
    expect(await countMismatches((sql) => t.dataSource.query(sql))).toEqual([]);
  });
});
