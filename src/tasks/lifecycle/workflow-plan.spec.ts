import { describe, expect, it } from '@jest/globals';
import { TaskStatus } from './task-status.js';
import { TaskErrorType } from '../failures/task-error-type.js';
import { ERROR_CALLBACK_POSITION, MAX_GROUP_RESULT_LENGTH, planWorkflow, runnableAtStart, type WorkflowNode } from './workflow-plan.js';

/** A node with defaults: a pending, blocked task. */
function node(id: string, parentId: string | null, position: number, extra: Partial<WorkflowNode> = {}): WorkflowNode {
  return {
    id, parentId, position, kind: null, onMemberFailure: 'fail', taskName: id, status: TaskStatus.Pending, blocked: true,
    result: null, errorMessage: null, errorType: null, input: null, reopened: false, ...extra,
  };
}

/** chain(a, chord(group(m1, m2), cb)) */
function chainWithChord(): WorkflowNode[] {
  return [
    node('root', null, 0, { kind: 'chain', blocked: false }),
    node('a', 'root', 0),
    node('chord', 'root', 1, { kind: 'chain' }),
    node('group', 'chord', 0, { kind: 'group' }),
    node('m1', 'group', 0),
    node('m2', 'group', 1),
    node('cb', 'chord', 1),
  ];
}

describe('planWorkflow', () => {
  it('releases only the first step of a chain at the start, and nothing inside later steps', () => {
    expect([...runnableAtStart(chainWithChord()).keys()].sort()).toEqual(['a', 'root']);
  });

  it('does not release what a blocked chain holds while its predecessor runs', () => {
    const nodes = chainWithChord().map((n) => (n.id === 'a' ? { ...n, blocked: false, status: TaskStatus.Running } : n));
    const plan = planWorkflow(nodes);
    expect([...plan.unblock.keys()]).toEqual([]);
    expect(plan.requests).toEqual([{ taskId: 'root', transition: 'start', values: {} }]);
  });

  it("passes a completed step's result to every member of the group after it", () => {
    const nodes = chainWithChord().map((n) => (n.id === 'a' ? { ...n, blocked: false, status: TaskStatus.Completed, result: 7 } : n.id === 'root' ? { ...n, status: TaskStatus.Running } : n));
    const plan = planWorkflow(nodes);
    expect(Object.fromEntries(plan.unblock)).toEqual({ chord: 7, group: 7, m1: 7, m2: 7 });
  });

  it('completes a group with its results in order and releases the callback with them', () => {
    const nodes = chainWithChord().map((n) => {
      if (['root', 'chord', 'group'].includes(n.id)) return { ...n, status: TaskStatus.Running, blocked: false };
      if (n.id === 'a') return { ...n, status: TaskStatus.Completed, blocked: false, result: 1 };
      if (n.id === 'm1') return { ...n, status: TaskStatus.Completed, blocked: false, result: 'one' };
      if (n.id === 'm2') return { ...n, status: TaskStatus.Completed, blocked: false, result: 'two' };
      return n;
    });
    const plan = planWorkflow(nodes);
    expect(plan.requests).toContainEqual({ taskId: 'group', transition: 'complete', values: { errorMessage: null, errorType: null, result: ['one', 'two'] } });
    expect(Object.fromEntries(plan.unblock)).toEqual({ cb: ['one', 'two'] });
  });

  it("fails a group whose members' results together are too large to be written, and so its chord", () => {
    const half = 'x'.repeat(MAX_GROUP_RESULT_LENGTH / 2);
    const nodes = chainWithChord().map((n) => {
      if (['root', 'chord', 'group'].includes(n.id)) return { ...n, status: TaskStatus.Running, blocked: false };
      if (n.id === 'a') return { ...n, status: TaskStatus.Completed, blocked: false, result: 1 };
      if (n.id === 'm1' || n.id === 'm2') return { ...n, status: TaskStatus.Completed, blocked: false, result: half };
      return n;
    });
    const plan = planWorkflow(nodes);
    const group = plan.requests.find((request) => request.taskId === 'group')!;
    expect(group).toMatchObject({ transition: 'fail', values: { errorType: TaskErrorType.Validation } });
    expect(group.values.errorMessage).toBe(`the members' results together are ${MAX_GROUP_RESULT_LENGTH + 7} characters of JSON; a group's result holds at most ${MAX_GROUP_RESULT_LENGTH}`);
    expect(plan.requests).toContainEqual(expect.objectContaining({ taskId: 'cb', transition: 'cancel' }));
    expect(plan.unblock.size).toBe(0);
  });

  it('fails a chain at a failed step and cancels the steps after it; a retry of that step reopens them', () => {
    const failed = [
      node('root', null, 0, { kind: 'chain', blocked: false, status: TaskStatus.Running }),
      node('s1', 'root', 0, { blocked: false, status: TaskStatus.Failed, errorMessage: 'boom' }),
      node('s2', 'root', 1),
    ];
    const plan = planWorkflow(failed);
    expect(plan.requests).toEqual([
      { taskId: 's2', transition: 'cancel', values: { errorMessage: 'cancelled: step 1 (s1) failed' } },
      { taskId: 'root', transition: 'fail', values: { errorMessage: 'step 1 (s1) failed: boom', errorType: null } },
    ]);
    const retried = [
      node('root', null, 0, { kind: 'chain', blocked: false, status: TaskStatus.Failed }),
      node('s1', 'root', 0, { blocked: false, status: TaskStatus.Pending, reopened: true }),
      node('s2', 'root', 1, { status: TaskStatus.Cancelled }),
    ];
    const reopened = planWorkflow(retried);
    expect(reopened.requests.map((request) => [request.taskId, request.transition])).toEqual([['s2', 'resubmit'], ['root', 'resubmit']]);
    expect([...reopened.block]).toEqual(['s2']);
  });

  it('cancels everything under a cancelled workflow', () => {
    const nodes = chainWithChord().map((n) => (n.id === 'root' ? { ...n, status: TaskStatus.Cancelled } : n.id === 'a' ? { ...n, status: TaskStatus.Running, blocked: false } : n));
    const cancelled = planWorkflow(nodes).requests.filter((request) => request.transition === 'cancel').map((request) => request.taskId);
    expect(cancelled.sort()).toEqual(['a', 'cb', 'chord', 'group', 'm1', 'm2']);
  });

  it('settles every workflow of a batch, not only the first: each tree is planned', () => {
    const chord = (prefix: string, membersDone: string[]) => [
      node(`${prefix}root`, null, 0, { kind: 'chain', blocked: false, status: TaskStatus.Running }),
      node(`${prefix}group`, `${prefix}root`, 0, { kind: 'group', blocked: false, status: TaskStatus.Running }),
      ...['m1', 'm2'].map((id, position) => node(`${prefix}${id}`, `${prefix}group`, position, {
        blocked: false, status: membersDone.includes(id) ? TaskStatus.Completed : TaskStatus.Running, result: id,
      })),
      node(`${prefix}cb`, `${prefix}root`, 1),
    ];
    // The first workflow waits for a member; the second one's group has just finished.
    const plan = planWorkflow([...chord('a.', ['m1']), ...chord('b.', ['m1', 'm2'])]);
    expect(Object.fromEntries(plan.unblock)).toEqual({ 'b.cb': ['m1', 'm2'] });
    expect(plan.requests).toContainEqual({ taskId: 'b.group', transition: 'complete', values: { errorMessage: null, errorType: null, result: ['m1', 'm2'] } });
  });
});

describe('a workflow\'s error callback (onFailure)', () => {
  /** chain(a, b) with an error callback `oops`; `a` in the given state. */
  function chainWithErrorCallback(a: Partial<WorkflowNode>, root: Partial<WorkflowNode> = { status: TaskStatus.Running }): WorkflowNode[] {
    return [
      node('root', null, 0, { kind: 'chain', blocked: false, ...root }),
      node('a', 'root', 0, { blocked: false, ...a }),
      node('b', 'root', 1),
      node('oops', 'root', ERROR_CALLBACK_POSITION),
    ];
  }

  it('is not released at the start, nor counted as a step of its workflow', () => {
    expect([...runnableAtStart(chainWithErrorCallback({}, { status: TaskStatus.Pending })).keys()].sort()).toEqual(['a', 'root']);
    const plan = planWorkflow(chainWithErrorCallback({ status: TaskStatus.Completed, result: 1 }).map((n) => (n.id === 'b' ? { ...n, blocked: false, status: TaskStatus.Completed, result: 2 } : n)));
    expect(plan.requests).toContainEqual({ taskId: 'root', transition: 'complete', values: { errorMessage: null, errorType: null, result: 2 } });
    expect(plan.requests).toContainEqual({ taskId: 'oops', transition: 'cancel', values: { errorMessage: 'cancelled: its workflow completed' } });
    expect([...plan.unblock.keys()]).toEqual([]);
  });

  it('is released when the workflow fails, with what failed', () => {
    const plan = planWorkflow(chainWithErrorCallback({ status: TaskStatus.Failed, errorMessage: 'boom', errorType: TaskErrorType.Network }));
    expect(plan.requests).toContainEqual({ taskId: 'b', transition: 'cancel', values: { errorMessage: 'cancelled: step 1 (a) failed' } });
    expect(Object.fromEntries(plan.unblock)).toEqual({ oops: { workflow_id: 'root', error_type: TaskErrorType.Network, error_message: 'step 1 (a) failed: boom' } });
  });

  it('is cancelled with its workflow', () => {
    const plan = planWorkflow(chainWithErrorCallback({ status: TaskStatus.Running }, { status: TaskStatus.Cancelled }));
    expect(plan.requests).toContainEqual({ taskId: 'oops', transition: 'cancel', values: { errorMessage: 'cancelled: its workflow was cancelled' } });
    expect([...plan.unblock.keys()]).toEqual([]);
  });

  it('runs once: a retry that reopens the workflow leaves a released callback as it is, and its own retry reopens nothing', () => {
    const released = { blocked: false, status: TaskStatus.Completed };
    const reopened = chainWithErrorCallback({ status: TaskStatus.Pending, reopened: true }, { status: TaskStatus.Failed }).map((n) => (n.id === 'oops' ? { ...n, ...released } : n));
    const plan = planWorkflow(reopened);
    expect(plan.requests.filter((request) => request.taskId === 'oops')).toEqual([]);
    expect(plan.requests).toContainEqual({ taskId: 'root', transition: 'resubmit', values: { result: null, retryCount: 0, runAfterMs: null } });

    const retriedCallback = chainWithErrorCallback({ status: TaskStatus.Failed }, { status: TaskStatus.Failed }).map((n) => (n.id === 'oops' ? { ...n, blocked: false, reopened: true } : n.id === 'b' ? { ...n, status: TaskStatus.Cancelled } : n));
    expect(planWorkflow(retriedCallback).requests).toEqual([]);
  });
});
