import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TaskStatus, type CreatedWorkflow } from '../src/tasks/index.js';
import { countMismatches } from './support/task-rows.js';
import { createTestApp, waitFor, waitForFinalRow, type TestApp } from './support/test-app.js';
import { TestTasks } from './support/test-tasks.processor.js';
import { WorkflowTasks } from './support/workflow-tasks.processor.js';

/** A workflow's error callback (`onFailure`, Celery's `link_error`): a task that runs if, and only if, the workflow fails. */
describe("a workflow's error callback (MariaDB + Redis)", () => {
  let t: TestApp;
  let steps: WorkflowTasks;

  beforeAll(async () => {
    t = await createTestApp({ suite: 'workflow_on_failure', providers: [WorkflowTasks, TestTasks] });
    steps = t.app.get(WorkflowTasks);
  });
  afterAll(() => t?.close());

  const add = (label: string, n: number) => ({ taskName: 'wf.add', params: { label, n } });
  const collect = (label: string) => ({ taskName: 'wf.collect', params: { label } });
  const errorCallbackOf = (workflow: CreatedWorkflow) => workflow.nodes.find((node) => node.path === 'on_failure')!;

  it('runs once the workflow failed, receiving what failed; a retry that rescues the workflow does not run it again', async () => {
    steps.failing.add('x2');
    const workflow = await t.tasks.chain([add('x1', 1), add('x2', 1), add('x3', 1)], { onFailure: collect('oops') });
    expect(errorCallbackOf(workflow)).toMatchObject({ taskName: 'wf.collect', parentId: workflow.workflowId, released: false });
    const failed = await waitForFinalRow(t.tasks, workflow.workflowId);
    expect(failed).toMatchObject({ status: TaskStatus.Failed, errorMessage: 'step 2 (wf.add) failed: x2 failed on purpose' });
    const callback = await waitForFinalRow(t.tasks, errorCallbackOf(workflow).taskId);
    const failure = { workflow_id: workflow.workflowId, error_type: failed.errorType, error_message: failed.errorMessage };
    expect(callback).toMatchObject({ status: TaskStatus.Completed, input: failure, result: { received: failure }, workflowId: workflow.workflowId });
    expect(steps.callOf('oops')!.previousResult).toEqual(failure);
    expect(steps.callOf('x3')).toBeUndefined();

    // GET shows it apart from the steps; the summary counts it with the workflow's tasks.
    const view = (await t.http().get(`/api/tasks/${workflow.workflowId}`).expect(200)).body;
    expect(view.steps.map((step: { task_name: string; status: string }) => step.status)).toEqual(['completed', 'failed', 'cancelled']);
    expect(view.on_failure).toMatchObject({ task_id: callback.taskId, task_name: 'wf.collect', status: 'completed', blocked: false });
    expect(view.summary).toMatchObject({ completed: 2, failed: 1, cancelled: 1 });

    steps.failing.delete('x2');
    await t.tasks.retryTask(workflow.nodes.find((node) => node.path === 'chain[1]')!.taskId);
    await waitFor(async () => (await t.tasks.getTaskStatus(workflow.workflowId)).status === TaskStatus.Completed, 'the workflow to complete after the retry');
    expect(steps.calls.filter((call) => call.label === 'oops')).toHaveLength(1);
    expect((await t.tasks.getTaskStatus(callback.taskId)).status).toBe(TaskStatus.Completed);
    expect(await countMismatches((sql) => t.dataSource.query(sql))).toEqual([]);
  });

  it('runs again when retried after it failed itself, leaving its workflow failed', async () => {
    steps.failing.add('y1');
    steps.failing.add('alert-1');
    const workflow = await t.tasks.chain([add('y1', 1)], { onFailure: { taskName: 'wf.add', params: { label: 'alert-1', n: 0 } } });
    const callbackId = errorCallbackOf(workflow).taskId;
    expect((await waitForFinalRow(t.tasks, callbackId)).status).toBe(TaskStatus.Failed);
    const failed = await t.tasks.getTaskStatus(workflow.workflowId);
    steps.failing.delete('alert-1');
    await t.tasks.retryTask(callbackId);
    await waitFor(async () => (await t.tasks.getTaskStatus(callbackId)).status === TaskStatus.Completed, 'the retried callback to complete');
    expect(steps.calls.filter((call) => call.label === 'alert-1')).toHaveLength(2);
    // Not reopened at all (not even reopened and failed again in the same batch): the row as it was.
    const after = await t.tasks.getTaskStatus(workflow.workflowId);
    expect([after.status, after.completedAt, after.errorMessage]).toEqual([TaskStatus.Failed, failed.completedAt, failed.errorMessage]);
    expect(steps.calls.filter((call) => call.label === 'y1')).toHaveLength(1);
  });

  it("runs for a group or chord that failed, and is cancelled, never run, once its workflow completes or is cancelled", async () => {
    steps.failing.add('g2');
    const chord = await t.tasks.chord([add('g1', 1), add('g2', 1)], collect('chord-cb'), { onFailure: collect('chord-oops') });
    expect((await waitForFinalRow(t.tasks, chord.workflowId)).status).toBe(TaskStatus.Failed);
    expect((await waitForFinalRow(t.tasks, errorCallbackOf(chord).taskId)).status).toBe(TaskStatus.Completed);
    expect(steps.callOf('chord-cb')).toBeUndefined();

    const completed = await t.tasks.group([add('ok1', 1), add('ok2', 2)], { onFailure: collect('never') });
    expect((await waitForFinalRow(t.tasks, completed.workflowId)).status).toBe(TaskStatus.Completed);
    expect(await waitForFinalRow(t.tasks, errorCallbackOf(completed).taskId)).toMatchObject({ status: TaskStatus.Cancelled, errorMessage: 'cancelled: its workflow completed' });

    const cancelled = await t.tasks.chain([{ taskName: 'wf.wait', params: { label: 'waiting' } }], { onFailure: collect('never-either') });
    await waitFor(() => steps.callOf('waiting') !== undefined, 'the step to start');
    await t.tasks.cancelTask(cancelled.workflowId);
    expect((await waitForFinalRow(t.tasks, errorCallbackOf(cancelled).taskId)).status).toBe(TaskStatus.Cancelled);
    expect((await waitForFinalRow(t.tasks, cancelled.workflowId)).status).toBe(TaskStatus.Cancelled);
    expect(steps.callOf('never')).toBeUndefined();
    expect(steps.callOf('never-either')).toBeUndefined();
  });

  it('takes on_failure over HTTP, for the whole workflow only, as a task validated like a step; a bad one creates nothing', async () => {
    const { body } = await t.http().post('/api/tasks/workflows').send({ chain: [{ task_name: 'wf.add', params: { n: 1 } }], on_failure: { task_name: 'wf.collect', params: {} } }).expect(201);
    expect(body.message).toBe('Workflow created with 2 task(s)');
    expect(body.nodes.map((node: { path: string; released: boolean }) => [node.path, node.released])).toEqual([['workflow', false], ['chain[0]', true], ['on_failure', false]]);

    const before = await t.tasks.getTaskCount();
    const step = { task_name: 'wf.add', params: { n: 1 } };
    const cases: Array<[unknown, string]> = [
      [{ chain: [step, { group: [step], on_failure: { task_name: 'wf.collect', params: {} } }] }, 'chain[1].on_failure: applies to a whole workflow only, not to a nested chain, group or chord'],
      [{ chain: [step], on_failure: { chain: [step] } }, 'on_failure: must be a task (task_name), not a chain, group or chord'],
      [{ chain: [step], on_failure: { task_name: 'wf.collect', params: {}, delay_seconds: 5 } }, 'on_failure: delay_seconds, run_at, idempotency_key, singleton_key, expires_in_seconds and expires_at do not apply to workflow steps'],
      [{ chain: [step], on_failure: { task_name: 'nope.task', params: {} } }, 'on_failure: task_name \\"nope.task\\" is not registered by any @TaskHandler'],
      [{ chain: [step], on_failure: 'notify' }, 'on_failure must be an object'],
    ];
    for (const [request, expected] of cases) {
      const refused = await t.http().post('/api/tasks/workflows').send(request as object).expect(400);
      expect([request, JSON.stringify(refused.body.message)]).toEqual([request, expect.stringContaining(expected)]);
    }
    const internal = await t.http().post('/api/tasks/workflows').send({ chain: [step], on_failure: { task_name: 'test.internal', params: {} } }).expect(403);
    expect(internal.body.message).toEqual(['on_failure: task_name "test.internal" can only be enqueued by the application, not over HTTP']);
    expect(await t.tasks.getTaskCount()).toBe(before);
  });
});
