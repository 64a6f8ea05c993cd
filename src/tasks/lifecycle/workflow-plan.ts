import { TaskErrorType } from '../failures/task-error-type.js';
import { isFinalStatus, TASK_TRANSITIONS, TaskStatus, type TaskTransition } from './task-status.js';
import type { TransitionRequest, TransitionValues } from './transition-batch.js';

/** A chain runs its steps one after another; a group runs its members at once. */
export type WorkflowKind = 'chain' | 'group';
/** What a group does when a member fails: fail itself once all members finished, or complete with every outcome. */
export type MemberFailurePolicy = 'fail' | 'continue';

/**
 * Most characters of JSON a group's result (its members' results together) may have. It is
 * written by the statement that finishes the group, with its successor's input (the same value)
 * and perhaps its chain's result: three copies stay well under MySQL's `max_allowed_packet`.
 */
export const MAX_GROUP_RESULT_LENGTH = 512 * 1024;

/**
 * The `position` of a workflow's error callback (`onFailure`), a task under its root that is no
 * step of it: released when the workflow fails, cancelled when it ends otherwise. The column is
 * a SMALLINT UNSIGNED; a workflow holds at most 1,000 tasks, so no step sits there.
 */
export const ERROR_CALLBACK_POSITION = 65_535;

/** One row of a workflow tree as a batch sees it: its state after the batch's own requests. */
export interface WorkflowNode {
  id: string;
  parentId: string | null;
  position: number;
  /** Null for a task (a leaf with a handler). */
  kind: WorkflowKind | null;
  onMemberFailure: MemberFailurePolicy;
  taskName: string;
  status: TaskStatus;
  blocked: boolean;
  result: unknown;
  errorMessage: string | null;
  errorType: TaskErrorType | null;
  input: unknown;
  /** A user's retry reopened it in this batch. */
  reopened: boolean;
}

/** What follows from a batch for the rest of the tree: more transitions, steps to release or hold back. */
export interface WorkflowPlan {
  requests: TransitionRequest[];
  /** Steps whose predecessors completed: no longer blocked, with what they receive. */
  unblock: Map<string, unknown>;
  /** Steps held back again (a retried step's successors). */
  block: Set<string>;
}

/**
 * The workflow rules, as the lifecycle table is for one task: given every node of the trees a
 * batch touched (one or several workflows), which composites start, complete, fail or are
 * cancelled, which steps are released with their predecessor's result, which are cancelled
 * because an earlier step failed, and what a retried step reopens. Pure: the state writer
 * applies the plan in the batch's transaction.
 */
export function planWorkflow(nodes: WorkflowNode[]): WorkflowPlan {
  const tree = new WorkflowTree(nodes);
  // A retried error callback runs again on its own: its workflow stays as it ended.
  for (const node of nodes) if (node.reopened && node.kind === null && node.position !== ERROR_CALLBACK_POSITION) tree.reopenAncestors(node);
  for (const root of nodes.filter((node) => node.parentId === null)) {
    tree.settle(root);
    tree.settleErrorCallback(root);
  }
  return tree.plan;
}

/** What a workflow's error callback receives (`context.previousResult`): the workflow that failed, and why. */
export interface WorkflowFailure {
  workflow_id: string;
  error_type: TaskErrorType | null;
  error_message: string | null;
}

/** The nodes that may run when a workflow is created: the first step of each chain, every member of each group. */
export function runnableAtStart(nodes: WorkflowNode[]): Map<string, unknown> {
  const tree = new WorkflowTree(nodes.map((node) => ({ ...node, blocked: true })));
  const root = nodes.find((node) => node.parentId === null);
  if (root) tree.release(root, null);
  return tree.plan.unblock;
}

class WorkflowTree {
  readonly plan: WorkflowPlan = { requests: [], unblock: new Map(), block: new Set() };
  private readonly byId = new Map<string, WorkflowNode>();
  private readonly children = new Map<string, WorkflowNode[]>();
  /** Each root's error callback, kept apart from its steps. */
  private readonly errorCallbacks = new Map<string, WorkflowNode>();

  constructor(nodes: WorkflowNode[]) {
    for (const node of nodes) this.byId.set(node.id, { ...node });
    for (const node of this.byId.values()) {
      if (node.parentId === null) continue;
      if (node.position === ERROR_CALLBACK_POSITION) {
        this.errorCallbacks.set(node.parentId, node);
        continue;
      }
      const siblings = this.children.get(node.parentId);
      if (siblings) siblings.push(node);
      else this.children.set(node.parentId, [node]);
    }
    for (const list of this.children.values()) list.sort((a, b) => a.position - b.position);
  }

  private kids(node: WorkflowNode): WorkflowNode[] {
    return this.children.get(node.id) ?? [];
  }

  /** Derives every composite's state from its children's, deepest first. */
  settle(node: WorkflowNode): void {
    const current = this.byId.get(node.id)!;
    if (current.kind === null) return;
    const kids = this.kids(current);
    for (const kid of kids) this.settle(kid);
    // A cancelled workflow (or inner chain or group) ends everything under it.
    if (current.status === TaskStatus.Cancelled) return kids.forEach((kid) => this.cancelSubtree(kid, 'cancelled: its workflow was cancelled'));
    if (kids.some((kid) => kid.status !== TaskStatus.Pending)) this.transition(current, 'start', {});
    if (current.kind === 'chain') this.settleChain(current, kids);
    else this.settleGroup(current, kids);
  }

  /**
   * Releases the workflow's error callback once the workflow failed, with what failed, or
   * cancels it once the workflow ended otherwise. A callback released before stays as it is:
   * it runs once, for the workflow's first failure, even if a retry reopens the workflow.
   */
  settleErrorCallback(root: WorkflowNode): void {
    const callback = this.errorCallbacks.get(root.id);
    const workflow = this.byId.get(root.id)!;
    if (!callback?.blocked || !isFinalStatus(workflow.status)) return;
    if (workflow.status !== TaskStatus.Failed) return this.cancelSubtree(callback, `cancelled: its workflow ${workflow.status === TaskStatus.Completed ? 'completed' : 'was cancelled'}`);
    const failure: WorkflowFailure = { workflow_id: workflow.id, error_type: workflow.errorType, error_message: workflow.errorMessage };
    this.release(callback, failure);
  }

  private settleChain(chain: WorkflowNode, kids: WorkflowNode[]): void {
    const broken = kids.find((kid) => kid.status === TaskStatus.Failed || kid.status === TaskStatus.Cancelled);
    if (broken) {
      const reason = `step ${broken.position + 1} (${broken.taskName}) ${broken.status}`;
      for (const later of kids.filter((kid) => kid.position > broken.position)) this.cancelSubtree(later, `cancelled: ${reason}`);
      const message = broken.errorMessage ? `${reason}: ${broken.errorMessage}` : reason;
      return this.finish(chain, broken.status, { errorMessage: message, errorType: broken.errorType });
    }
    if (kids.every((kid) => kid.status === TaskStatus.Completed)) return this.finish(chain, TaskStatus.Completed, { result: kids.at(-1)?.result ?? null });
    // A chain that waits for its own predecessors releases nothing yet.
    if (chain.blocked) return;
    const next = kids.findIndex((kid) => kid.status !== TaskStatus.Completed);
    if (kids[next].blocked) this.release(kids[next], next === 0 ? chain.input : kids[next - 1].result);
  }

  private settleGroup(group: WorkflowNode, kids: WorkflowNode[]): void {
    if (!kids.every((kid) => isFinalStatus(kid.status))) return;
    if (group.onMemberFailure === 'continue') {
      const outcomes = kids.map((kid) => ({ status: kid.status, result: kid.result ?? null, error: kid.errorMessage }));
      return this.completeGroup(group, outcomes);
    }
    if (kids.every((kid) => kid.status === TaskStatus.Completed)) return this.completeGroup(group, kids.map((kid) => kid.result ?? null));
    const failed = kids.filter((kid) => kid.status === TaskStatus.Failed);
    if (failed.length === 0) return this.finish(group, TaskStatus.Cancelled, { errorMessage: `${kids.filter((kid) => kid.status === TaskStatus.Cancelled).length} of ${kids.length} members cancelled` });
    const first = failed[0];
    this.finish(group, TaskStatus.Failed, { errorMessage: `${failed.length} of ${kids.length} members failed; member ${first.position + 1} (${first.taskName}): ${first.errorMessage ?? 'failed'}`, errorType: first.errorType });
  }

  /** Completes a group with its members' results, or fails it when they are too large together to be written. */
  private completeGroup(group: WorkflowNode, result: unknown[]): void {
    const length = JSON.stringify(result).length;
    if (length <= MAX_GROUP_RESULT_LENGTH) return this.finish(group, TaskStatus.Completed, { result });
    const errorMessage = `the members' results together are ${length} characters of JSON; a group's result holds at most ${MAX_GROUP_RESULT_LENGTH}`;
    this.finish(group, TaskStatus.Failed, { errorMessage, errorType: TaskErrorType.Validation });
  }

  /** Releases a blocked node with what it receives; a composite releases its first step (chain) or every member (group). */
  release(node: WorkflowNode, input: unknown): void {
    const current = this.byId.get(node.id)!;
    if (!current.blocked) return;
    current.blocked = false;
    current.input = input;
    this.plan.unblock.set(current.id, input);
    this.plan.block.delete(current.id);
    const kids = this.kids(current);
    if (current.kind === 'chain' && kids.length > 0) this.release(kids[0], input);
    if (current.kind === 'group') for (const kid of kids) this.release(kid, input);
  }

  /** A retried step reopens the composites its failure ended and holds back the steps after it again. */
  reopenAncestors(step: WorkflowNode): void {
    let child = this.byId.get(step.id)!;
    for (let parent = this.parentOf(child); parent; child = parent, parent = this.parentOf(parent)) {
      if (parent.kind === 'chain') for (const later of this.kids(parent).filter((kid) => kid.position > child.position)) this.reopenSubtree(later);
      if (!isFinalStatus(parent.status) || parent.status === TaskStatus.Completed) return;
      this.transition(parent, 'resubmit', { result: null, retryCount: 0, runAfterMs: null });
    }
  }

  private reopenSubtree(node: WorkflowNode): void {
    const current = this.byId.get(node.id)!;
    if (current.status === TaskStatus.Cancelled || current.status === TaskStatus.Failed) this.transition(current, 'resubmit', { result: null, retryCount: 0, runAfterMs: null });
    current.blocked = true;
    this.plan.block.add(current.id);
    this.plan.unblock.delete(current.id);
    for (const kid of this.kids(current)) this.reopenSubtree(kid);
  }

  private cancelSubtree(node: WorkflowNode, reason: string): void {
    const current = this.byId.get(node.id)!;
    if (!isFinalStatus(current.status)) this.transition(current, 'cancel', { errorMessage: reason });
    for (const kid of this.kids(current)) this.cancelSubtree(kid, reason);
  }

  /** Moves a composite to a final state by the transitions its current state allows. */
  private finish(node: WorkflowNode, target: TaskStatus, values: TransitionValues): void {
    if (isFinalStatus(node.status)) return;
    if (target === TaskStatus.Cancelled) return this.transition(node, 'cancel', values);
    if (target === TaskStatus.Failed && node.status === TaskStatus.Pending) return this.transition(node, 'abandon', values);
    this.transition(node, 'start', {});
    this.transition(node, target === TaskStatus.Completed ? 'complete' : 'fail', { errorMessage: null, errorType: null, ...values });
  }

  private transition(node: WorkflowNode, transition: TaskTransition, values: TransitionValues): void {
    // The lifecycle table decides; a transition that would leave the status as it is (a
    // composite already running) is no change for the plan.
    const rule = TASK_TRANSITIONS[transition];
    if (!rule.from.includes(node.status) || rule.to === node.status) return;
    node.status = rule.to;
    if ('result' in values) node.result = values.result;
    if ('errorMessage' in values) node.errorMessage = values.errorMessage ?? null;
    if ('errorType' in values) node.errorType = values.errorType ?? null;
    this.plan.requests.push({ taskId: node.id, transition, values });
  }

  private parentOf(node: WorkflowNode): WorkflowNode | undefined {
    return node.parentId === null ? undefined : this.byId.get(node.parentId);
  }
}
