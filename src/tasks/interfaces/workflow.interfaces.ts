import type { MemberFailurePolicy } from '../lifecycle/workflow-plan.js';
import type { EnqueueOptions, EnqueueTaskInput } from './tasks-service.interfaces.js';

export type { MemberFailurePolicy } from '../lifecycle/workflow-plan.js';

/**
 * What a whole workflow (its root only) may add: `onFailure`, a task that runs if the workflow
 * fails (Celery's `link_error`), receiving `{ workflow_id, error_type, error_message }` as
 * `context.previousResult`; cancelled when the workflow completes or is cancelled.
 */
export interface WorkflowRootOptions {
  onFailure?: EnqueueTaskInput;
}

/** How a workflow is created: in your transaction (`manager`), with an error callback (`onFailure`). */
export type WorkflowOptions = EnqueueOptions & WorkflowRootOptions;

/** Steps that run one after another; each receives the previous one's result (`context.previousResult`). */
export interface ChainStep extends WorkflowRootOptions {
  chain: WorkflowStep[];
}

/**
 * Members that run at once; the group finishes when every member has, and its result is the
 * members' results in order. `onMemberFailure`: `fail` (default) fails the group once all
 * finished if any failed; `continue` completes it with every member's `{ status, result, error }`.
 */
export interface GroupStep extends WorkflowRootOptions {
  group: WorkflowStep[];
  onMemberFailure?: MemberFailurePolicy;
}

/** A group, then a callback that receives the members' results in order (with `fail`, only when all completed). */
export interface ChordStep extends WorkflowRootOptions {
  chord: WorkflowStep[];
  callback: WorkflowStep;
  onMemberFailure?: MemberFailurePolicy;
}

/** A task (without delay, run_at or idempotency key) or a nested chain, group or chord. */
export type WorkflowStep = EnqueueTaskInput | ChainStep | GroupStep | ChordStep;

/** One row a workflow created: its tasks and its inner chains and groups. */
export interface WorkflowNodeView {
  taskId: string;
  taskName: string;
  /** Where it sits, e.g. `chain[1].group[0]`. */
  path: string;
  parentId: string | null;
  /** Runs now (true) or waits for its predecessors. */
  released: boolean;
}

export interface CreatedWorkflow {
  /** The workflow's own row: `GET /api/tasks/{workflowId}` shows its status and steps. */
  workflowId: string;
  kind: 'chain' | 'group' | 'chord';
  /** Every row it created, the workflow's first, in tree order. */
  nodes: WorkflowNodeView[];
}
