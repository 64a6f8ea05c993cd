import { describe, expect, it, jest } from '@jest/globals';
import { InvalidTaskRequestError } from '../errors/tasks.errors.js';
import type { EnqueueTaskInput } from '../interfaces/tasks-service.interfaces.js';
import type { WorkflowStep } from '../interfaces/workflow.interfaces.js';
import type { NewTask } from '../store/pending-insert.js';
import { newTaskId } from './task-id.js';
import { MAX_WORKFLOW_TASKS, workflowBodySizeProblem, workflowRows } from './workflow-spec.js';

/** What the enqueue's `prepare` makes of a valid task, counted so a test can tell whether any task was validated. */
function countingPrepare() {
  return jest.fn((input: EnqueueTaskInput): NewTask => ({
    taskId: newTaskId(), taskName: input.taskName, taskType: 'test', priority: 5, maxRetries: 0, params: {}, paramsJson: '{}', runAt: null,
  }));
}
const task = (index = 0): EnqueueTaskInput => ({ taskName: `test.step${index}` });
const tasks = (count: number) => Array.from({ length: count }, (_, index) => task(index));
/** The problems a refused tree is answered with. */
function refusal(build: () => unknown): string[] {
  try {
    build();
  } catch (error) {
    if (error instanceof InvalidTaskRequestError) return error.reasons;
    throw error;
  }
  throw new Error('the tree was accepted');
}

describe('a workflow tree and its size', () => {
  it(`builds a tree of exactly ${MAX_WORKFLOW_TASKS} tasks, counting a chord's callback and the error callback among them`, () => {
    // A chain of a 997-member chord (plus its callback) and a step, and the error callback: 1,000 tasks.
    const root: WorkflowStep = { chain: [{ chord: tasks(997), callback: task() }, task()], onFailure: task() };
    const prepare = countingPrepare();
    const rows = workflowRows(root, prepare);
    expect(rows.filter((row) => row.kind === null)).toHaveLength(MAX_WORKFLOW_TASKS);
    expect(prepare).toHaveBeenCalledTimes(MAX_WORKFLOW_TASKS);
  });

  it('refuses one task more, whether the extra task is a member, a callback or the error callback', () => {
    const trees: WorkflowStep[] = [
      { group: tasks(1001) },
      { chain: [{ chord: tasks(998), callback: task() }, task()], onFailure: task() },
      { chord: tasks(999), callback: { chain: [task(), task()] } },
    ];
    for (const root of trees) expect(refusal(() => workflowRows(root, countingPrepare()))).toEqual([`a workflow holds at most ${MAX_WORKFLOW_TASKS} tasks, this one 1001`]);
  });

  it('refuses an oversized tree before validating any of its tasks, with that one problem', () => {
    const prepare = countingPrepare();
    const root: WorkflowStep = { group: [{ chain: tasks(60_000) }, { group: tasks(40_000) }] };
    expect(refusal(() => workflowRows(root, prepare))).toEqual(['a workflow holds at most 1000 tasks, this one 100000']);
    expect(prepare).not.toHaveBeenCalled();
  });

  it('counts only what the builder makes task rows of: no callback on a chain, nothing below the deepest level', () => {
    // A callback belongs to a chord only; a chain ignores one, so 1,000 members and a callback are 1,000 tasks.
    const prepare = countingPrepare();
    expect(workflowRows({ chain: tasks(1000), callback: task() } as WorkflowStep, prepare)).toHaveLength(1 + 1000);
    // A tree that refers to itself is refused for its depth, not walked forever.
    const cyclic: { chain: unknown[] } = { chain: [] };
    cyclic.chain.push(cyclic, task());
    expect(refusal(() => workflowRows(cyclic as WorkflowStep, countingPrepare()))).toContainEqual(expect.stringMatching(/nest at most 5 deep/));
  });

  it('counts a request body as POST /workflows spells it, before any of its tasks is checked', () => {
    const member = { task_name: 'nope.nothing' };
    expect(workflowBodySizeProblem({ group: Array.from({ length: 100_000 }, () => member) })).toBe('a workflow holds at most 1000 tasks, this one 100000');
    expect(workflowBodySizeProblem({ chord: Array.from({ length: 999 }, () => member), callback: member, on_failure: member })).toBe('a workflow holds at most 1000 tasks, this one 1001');
    expect(workflowBodySizeProblem({ chord: Array.from({ length: 998 }, () => member), callback: member, on_failure: member })).toBeNull();
    // The parser takes an object with a chain as a chain (its task_name is a problem it names), so its members count.
    expect(workflowBodySizeProblem({ task_name: 'x', chain: Array.from({ length: 1001 }, () => member) })).toMatch(/this one 1001$/);
    expect(workflowBodySizeProblem('not a tree')).toBeNull();
  });
});
