import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { TaskStatus, type CreatedWorkflow } from '../src/tasks/index.js';
import { TasksUnavailableError } from '../src/tasks/errors/tasks.errors.js';
import { TaskQueues } from '../src/tasks/queue/task-queues.js';
import { countMismatches } from './support/task-rows.js';
import { createTestApp, waitFor, waitForFinalRow, type TestApp } from './support/test-app.js';
import { WorkflowTasks } from './support/workflow-tasks.processor.js';
import { TestTasks } from './support/test-tasks.processor.js';

describe('workflows: chains, groups, chords (MariaDB + Redis)', () => {
  let t: TestApp;
  let steps: WorkflowTasks;

  beforeAll(async () => {
    t = await createTestApp({ suite: 'workflows', providers: [WorkflowTasks] });
    steps = t.app.get(WorkflowTasks);
  });
  afterAll(() => t?.close());

  const add = (label: string, n: number, ms = 0) => ({ taskName: 'wf.add', params: { label, n, ms } });
  const nodeAt = (workflow: CreatedWorkflow, path: string) => workflow.nodes.find((node) => node.path === path)!;

  it('runs a chain in order, each step receiving the previous result, and completes with the last', async () => {
    const workflow = await t.tasks.chain([add('c1', 1, 30), add('c2', 10), add('c3', 100)]);
    const done = await waitForFinalRow(t.tasks, workflow.workflowId);
    expect(done).toMatchObject({ status: TaskStatus.Completed, result: 111, taskType: 'workflow', taskName: 'workflow.chain' });
    const [c1, c2, c3] = ['c1', 'c2', 'c3'].map((label) => steps.callOf(label)!);
    expect([c1.previousResult, c2.previousResult, c3.previousResult]).toEqual([undefined, 1, 11]);
    expect(c2.startedAt).toBeGreaterThanOrEqual(c1.endedAt!);
    expect(c3.startedAt).toBeGreaterThanOrEqual(c2.endedAt!);
    const step2 = await t.tasks.getTaskStatus(nodeAt(workflow, 'chain[1]').taskId);
    expect(step2).toMatchObject({ status: TaskStatus.Completed, result: 11, input: 1, workflowId: workflow.workflowId, parentId: workflow.workflowId, position: 1 });
    const listed = await t.tasks.listTasks({ workflowId: workflow.workflowId });
    expect(listed.tasks.map((task) => task.taskName).sort()).toEqual(['wf.add', 'wf.add', 'wf.add']);
    expect(await t.tasks.getTaskCount({ workflowId: workflow.workflowId, status: TaskStatus.Completed })).toBe(3);
    expect(await countMismatches((sql) => t.dataSource.query(sql))).toEqual([]);
  });

  it('runs a group at once and completes with the results in order, a chord passes them to its callback', async () => {
    const chord = await t.tasks.chord([add('g1', 1, 200), add('g2', 2, 200), add('g3', 3, 10)], { taskName: 'wf.collect', params: { label: 'cb' } });
    const done = await waitForFinalRow(t.tasks, chord.workflowId);
    expect(done.status).toBe(TaskStatus.Completed);
    expect(steps.callOf('cb')!.previousResult).toEqual([1, 2, 3]);
    expect(done.result).toEqual({ received: [1, 2, 3] });
    const [g1, g2] = [steps.callOf('g1')!, steps.callOf('g2')!];
    // Members overlap: the second started before the first ended.
    expect(g2.startedAt).toBeLessThan(g1.endedAt!);
    expect(steps.callOf('cb')!.startedAt).toBeGreaterThanOrEqual(Math.max(g1.endedAt!, g2.endedAt!));
    const { steps: members, summary } = await t.tasks.getWorkflowSteps(chord.workflowId);
    expect(members.map((member) => member.taskName)).toEqual(['workflow.group', 'wf.collect']);
    expect(summary).toMatchObject({ completed: 4, pending: 0 });
  });

  it('fails a chain at a failed step and cancels the steps after it, with the reason', async () => {
    steps.failing.add('f2');
    const workflow = await t.tasks.chain([add('f1', 1), add('f2', 1), add('f3', 1), { group: [add('f4', 1), add('f5', 1)] }]);
    const done = await waitForFinalRow(t.tasks, workflow.workflowId);
    expect(done.status).toBe(TaskStatus.Failed);
    expect(done.errorMessage).toContain('step 2 (wf.add) failed: f2 failed on purpose');
    const after = await t.tasks.getTaskStatus(nodeAt(workflow, 'chain[2]').taskId);
    expect(after).toMatchObject({ status: TaskStatus.Cancelled, errorMessage: 'cancelled: step 2 (wf.add) failed', blocked: true });
    for (const path of ['chain[3]', 'chain[3].group[0]', 'chain[3].group[1]']) expect((await t.tasks.getTaskStatus(nodeAt(workflow, path).taskId)).status).toBe(TaskStatus.Cancelled);
    expect(steps.callOf('f3')).toBeUndefined();

    // Retrying the failed step resumes the chain from there.
    steps.failing.delete('f2');
    await t.tasks.retryTask(nodeAt(workflow, 'chain[1]').taskId);
    const resumed = await waitFor(async () => {
      const row = await t.tasks.getTaskStatus(workflow.workflowId);
      return row.status === TaskStatus.Completed && row;
    }, 'the chain to complete after the retry');
    expect(resumed.result).toEqual([4, 4]);
    expect(steps.calls.filter((call) => call.label === 'f1')).toHaveLength(1);
    expect(steps.callOf('f3')!.previousResult).toBe(2);
  });

  it("fails a chord whose member failed and cancels its callback; 'continue' runs it with every outcome", async () => {
    steps.failing.add('m2');
    const strict = await t.tasks.chord([add('m1', 1), add('m2', 1)], { taskName: 'wf.collect', params: { label: 'strict-cb' } });
    expect((await waitForFinalRow(t.tasks, strict.workflowId)).status).toBe(TaskStatus.Failed);
    expect((await t.tasks.getTaskStatus(nodeAt(strict, 'callback').taskId)).status).toBe(TaskStatus.Cancelled);
    expect(steps.callOf('strict-cb')).toBeUndefined();

    const lenient = await t.tasks.chord([add('m3', 1), add('m2', 1)], { taskName: 'wf.collect', params: { label: 'lenient-cb' } }, { onMemberFailure: 'continue' });
    expect((await waitForFinalRow(t.tasks, lenient.workflowId)).status).toBe(TaskStatus.Completed);
    expect(steps.callOf('lenient-cb')!.previousResult).toEqual([
      { status: 'completed', result: 1, error: null },
      { status: 'failed', result: null, error: 'm2 failed on purpose' },
    ]);
    steps.failing.delete('m2');
  });

  it('nests: a chain of groups and a group of chains', async () => {
    const workflow = await t.tasks.chain([
      { group: [{ chain: [add('n1', 1), add('n2', 1)] }, add('n3', 5)] },
      { taskName: 'wf.collect', params: { label: 'n-end' } },
    ]);
    expect((await waitForFinalRow(t.tasks, workflow.workflowId)).status).toBe(TaskStatus.Completed);
    expect(steps.callOf('n2')!.previousResult).toBe(1);
    expect(steps.callOf('n-end')!.previousResult).toEqual([2, 5]);
  });

  it('cancels a chain: the running step is aborted, the rest cancelled, nothing runs after', async () => {
    const workflow = await t.tasks.chain([{ taskName: 'wf.wait', params: { label: 'w1' } }, add('w2', 1)]);
    await waitFor(() => steps.callOf('w1'), 'the first step to run');
    const cancelled = await t.tasks.cancelTask(workflow.workflowId);
    expect(cancelled).toMatchObject({ runningHandlerSignalled: true, handlerStopped: true });
    expect((await t.tasks.getTaskStatus(workflow.workflowId)).status).toBe(TaskStatus.Cancelled);
    for (const path of ['chain[0]', 'chain[1]']) expect((await t.tasks.getTaskStatus(nodeAt(workflow, path).taskId)).status).toBe(TaskStatus.Cancelled);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(steps.callOf('w2')).toBeUndefined();
    expect(await countMismatches((sql) => t.dataSource.query(sql))).toEqual([]);
  });

  it('purges a workflow whole once it finished, never the finished steps of one still running', async () => {
    const finished = await t.tasks.chain([add('p1', 1), add('p2', 1)]);
    await waitForFinalRow(t.tasks, finished.workflowId);
    const running = await t.tasks.chain([add('p3', 1), { taskName: 'wf.wait', params: { label: 'p4' } }]);
    await waitFor(() => steps.callOf('p4'), 'the waiting step to run');
    await t.tasks.purgeFinishedTasks(0);
    expect(await t.tasks.getTaskCount({ workflowId: finished.workflowId })).toBe(0);
    await expect(t.tasks.getTaskStatus(finished.workflowId)).rejects.toThrow('not found');
    expect((await t.tasks.getTaskStatus(nodeAt(running, 'chain[0]').taskId)).status).toBe(TaskStatus.Completed);
    await t.tasks.cancelTask(running.workflowId);
    expect(await countMismatches((sql) => t.dataSource.query(sql))).toEqual([]);
  });

  it('validates the whole tree first: a bad workflow creates nothing and names each problem by its path', async () => {
    const before = await t.tasks.getTaskCount();
    await expect(
      t.tasks.chain([add('v1', 1), { group: [{ taskName: 'no.such_task', params: {} }, { taskName: 'orders.send_confirmation', params: { order_id: 'o' } }] }, { chain: [] }]),
    ).rejects.toMatchObject({
      reasons: expect.arrayContaining([
        expect.stringMatching(/^chain\[1\]\.group\[0\]: /),
        expect.stringMatching(/^chain\[1\]\.group\[1\]: params\.recipient_email/),
        'chain[2]: chain must be a non-empty list',
      ]),
    });
    expect(await t.tasks.getTaskCount()).toBe(before);
  });

  it('creates nothing when Redis refuses part of the first steps\' jobs: 503, no rows, none of their jobs left', async () => {
    // Fault injection on the module's own queue handle: BullMQ's addBulk is a pipeline, so a
    // refusal can come after some of its jobs were added; here the first two of three.
    const queue = t.app.get(TaskQueues).get('email');
    const addBulk = queue.addBulk.bind(queue);
    const partly = jest.spyOn(queue, 'addBulk').mockImplementation(async (jobs) => {
      await addBulk(jobs.slice(0, 2));
      throw new Error("READONLY You can't write against a read only replica.");
    });
    await t.queue('email').pause();
    try {
      const before = await t.tasks.getTaskCount();
      await expect(t.tasks.group([add('r1', 1), add('r2', 2), add('r3', 3)])).rejects.toBeInstanceOf(TasksUnavailableError);
      expect(partly).toHaveBeenCalledTimes(1);
      expect(await t.tasks.getTaskCount()).toBe(before);
      expect(await t.queue('email').getJobCountByTypes('prioritized', 'wait')).toBe(0);
    } finally {
      partly.mockRestore();
      await t.queue('email').resume();
    }
  });
});

describe('POST /api/tasks/workflows', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ suite: 'workflows_http', providers: [WorkflowTasks, TestTasks] });
  });
  afterAll(() => t?.close());

  it('creates a workflow from a tree; GET shows its steps and summary; list and count filter by it', async () => {
    const { body } = await t.http().post('/api/tasks/workflows')
      .send({ chain: [{ task_name: 'wf.add', params: { n: 2 } }, { chord: [{ task_name: 'wf.add', params: { n: 3 } }], callback: { task_name: 'wf.collect', params: {} } }] })
      .expect(201);
    expect(body).toMatchObject({ kind: 'chain', message: 'Workflow created with 3 task(s)' });
    expect(body.nodes.map((node: { path: string }) => node.path)).toEqual(['workflow', 'chain[0]', 'chain[1]', 'chain[1].chord', 'chain[1].chord[0]', 'chain[1].callback']);
    expect(body.nodes.filter((node: { released: boolean }) => node.released).map((node: { path: string }) => node.path)).toEqual(['chain[0]']);
    await waitForFinalRow(t.tasks, body.workflow_id);
    const workflow = (await t.http().get(`/api/tasks/${body.workflow_id}`).expect(200)).body;
    expect(workflow).toMatchObject({ status: 'completed', task_type: 'workflow', task_name: 'workflow.chain', result: { received: [5] }, summary: { completed: 3 } });
    expect(workflow.steps.map((step: { task_name: string; status: string }) => [step.task_name, step.status])).toEqual([['wf.add', 'completed'], ['workflow.chord', 'completed']]);
    const listed = (await t.http().get(`/api/tasks?workflow_id=${body.workflow_id}`).expect(200)).body;
    expect(listed.total_count).toBe(5);
    expect((await t.http().get(`/api/tasks/count/all?workflow_id=${body.workflow_id}&task_type=workflow`).expect(200)).body.count).toBe(2);
    await t.http().get('/api/tasks?workflow_id=not-an-id').expect(400);
    await t.http().get('/api/tasks/count/all?task_type=workflow').expect(200);
  });

  it('refuses a bad tree with every problem by its path, creating nothing', async () => {
    const before = await t.tasks.getTaskCount();
    const cases: Array<[unknown, string]> = [
      [{ chain: [{ task_name: 'wf.add', params: { n: 1 } }, { group: [{ task_name: 'wf.add', params: {} }, { priority: 5 }] }] }, 'chain[1].group[1]: task_name must be a string'],
      [{ chain: [{ task_name: 'wf.add', params: { n: 1 } }, { group: [{ task_name: 'nope.task', params: {} }] }] }, 'chain[1].group[0]: task_name'],
      [{ chain: [{ task_name: 'wf.add', params: {}, delay_seconds: 5 }] }, 'chain[0]: delay_seconds, run_at, idempotency_key, singleton_key, expires_in_seconds and expires_at do not apply to workflow steps'],
      [{ group: [{ task_name: 'wf.add', params: {}, expires_in_seconds: 60 }] }, 'group[0]: delay_seconds, run_at, idempotency_key, singleton_key, expires_in_seconds and expires_at do not apply to workflow steps'],
      [{ chain: [] }, 'chain must be a non-empty list'],
      [{ chord: [{ task_name: 'wf.add', params: {} }] }, 'callback must be a JSON object'],
      [{ task_name: 'wf.add', params: {} }, 'property task_name should not exist'],
      [{ chain: [{ chain: [{ chain: [{ chain: [{ chain: [{ chain: [{ task_name: 'wf.add', params: {} }] }] }] }] }] }] }, 'nest at most 5 deep'],
      [{ group: [{ task_name: 'wf.add', params: {} }], on_member_failure: 'sometimes' }, 'on_member_failure must be one of the following values: fail, continue'],
    ];
    for (const [request, expected] of cases) {
      const { body } = await t.http().post('/api/tasks/workflows').send(request as object).expect(400);
      expect([request, JSON.stringify(body.message)]).toEqual([request, expect.stringContaining(expected)]);
    }
    const internal = await t.http().post('/api/tasks/workflows').send({ group: [{ task_name: 'test.internal', params: {} }] }).expect(403);
    expect(internal.body.message).toEqual(['group[0]: task_name "test.internal" can only be enqueued by the application, not over HTTP']);
    expect(await t.tasks.getTaskCount()).toBe(before);
  });
});
