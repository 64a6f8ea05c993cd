import type { WorkflowKind } from './workflow-plan.js';

/** The task type of a workflow's own rows (its root and its inner chains and groups): no queue carries it. */
export const WORKFLOW_TASK_TYPE = 'workflow';

/** The task names of workflow rows; a chord is a chain of a group and its callback. */
export const WORKFLOW_TASK_NAMES = { chain: 'workflow.chain', group: 'workflow.group', chord: 'workflow.chord' } as const;

/** The kind of a workflow row, or null for a task with a handler. */
export function workflowKindOf(taskName: string, taskType: string): WorkflowKind | null {
  if (taskType !== WORKFLOW_TASK_TYPE) return null;
  return taskName === WORKFLOW_TASK_NAMES.group ? 'group' : 'chain';
}
