import { InvalidTaskRequestError } from '../errors/tasks.errors.js';
import type { EnqueueTaskInput } from '../interfaces/tasks-service.interfaces.js';
import type { WorkflowRootOptions, WorkflowStep } from '../interfaces/workflow.interfaces.js';
import { TaskStatus } from '../lifecycle/task-status.js';
import { WORKFLOW_TASK_NAMES, WORKFLOW_TASK_TYPE } from '../lifecycle/workflow-names.js';
import { ERROR_CALLBACK_POSITION, runnableAtStart, type WorkflowKind } from '../lifecycle/workflow-plan.js';
import type { NewTask } from '../store/pending-insert.js';
import { newTaskId } from './task-id.js';

/** How deep chains and groups may nest, and how many tasks one workflow may hold. */
export const MAX_WORKFLOW_DEPTH = 5;
export const MAX_WORKFLOW_TASKS = 1000;

/** A row of a new workflow: a task, or a chain or group of its own. */
export type WorkflowRow = NewTask & { parentId: string | null; position: number; workflowId: string | null; blocked: boolean; kind: WorkflowKind | null; path: string };

/**
 * A workflow's tree as rows, every task validated as an enqueue is (each problem named by its
 * path, e.g. `chain[2].group[0]: params.x must be a string`), so a bad workflow creates
 * nothing. Tasks that may run at once are released; the others wait for their predecessors.
 */
export function workflowRows(root: WorkflowStep, prepare: (input: EnqueueTaskInput) => NewTask): WorkflowRow[] {
  const oversized = workflowSizeProblem(countTasks(root, SERVICE_TREE, 1));
  if (oversized) throw new InvalidTaskRequestError([oversized]);
  const builder = new WorkflowBuilder(prepare);
  builder.add(root, null, 0, '', 1);
  const problem = workflowSizeProblem(builder.rows.filter((row) => row.kind === null).length);
  if (problem) builder.problems.push(problem);
  if (builder.problems.length > 0) throw new InvalidTaskRequestError(builder.problems);
  return release(builder.rows);
}

/**
 * The problem with a `POST /workflows` body of more than {@link MAX_WORKFLOW_TASKS} tasks, or
 * null. Counted before any task is validated: a 5 MB body holds about 180,000 tasks, and
 * validating each of them first held the event loop for 13 s (every other request waiting)
 * only to refuse the tree. The service's trees are counted the same way (workflowRows).
 */
export function workflowBodySizeProblem(body: unknown): string | null {
  return workflowSizeProblem(countTasks(body, REQUEST_BODY, 1));
}

function workflowSizeProblem(tasks: number): string | null {
  return tasks > MAX_WORKFLOW_TASKS ? `a workflow holds at most ${MAX_WORKFLOW_TASKS} tasks, this one ${tasks}` : null;
}

/**
 * How a tree spells its nodes. The service's builder takes an object with `taskName` as a task
 * and its error callback is `onFailure`; a request body's parser takes an object with a chain,
 * group or chord as one (whatever else it holds) and its error callback is `on_failure`.
 */
interface TreeSpelling {
  taskFirst: boolean;
  onFailure: string;
}
const SERVICE_TREE: TreeSpelling = { taskFirst: true, onFailure: 'onFailure' };
const REQUEST_BODY: TreeSpelling = { taskFirst: false, onFailure: 'on_failure' };
const COMPOSITE_KINDS = ['chain', 'group', 'chord'] as const;

/**
 * A tree's tasks, as the builder would make task rows of them: a task node counts one, whatever
 * is wrong with it (the builder or the parser names that), and so do a chord's callback and the
 * error callback. Not below the deepest level a tree may have (refused anyway), so a deep or
 * cyclic object ends the walk. Never more than the builder would make of a tree it accepts.
 */
function countTasks(step: unknown, spelling: TreeSpelling, depth: number): number {
  if (step === null || typeof step !== 'object' || Array.isArray(step) || depth > MAX_WORKFLOW_DEPTH + 1) return 0;
  const node = step as Record<string, unknown>;
  if (spelling.taskFirst && 'taskName' in node) return 1;
  const kind = COMPOSITE_KINDS.find((key) => node[key] !== undefined);
  if (!kind) return 1;
  const steps = node[kind];
  const members = Array.isArray(steps) ? steps.reduce((sum: number, child) => sum + countTasks(child, spelling, depth + 1), 0) : 0;
  const callback = kind === 'chord' ? countTasks(node.callback, spelling, depth + 1) : 0;
  return members + callback + countTasks(node[spelling.onFailure], spelling, depth + 1);
}

/** Walks a workflow's tree depth first into rows, collecting every problem on the way. */
class WorkflowBuilder {
  readonly rows: WorkflowRow[] = [];
  readonly problems: string[] = [];
  private readonly rootId = newTaskId();

  constructor(private readonly prepare: (input: EnqueueTaskInput) => NewTask) {}

  add(step: WorkflowStep, parentId: string | null, position: number, path: string, depth: number): void {
    const where = path || 'workflow';
    if (step === null || typeof step !== 'object' || Array.isArray(step)) return void this.problems.push(`${where}: must be a task or a chain, group or chord`);
    if ('taskName' in step) return this.addTask(step, parentId, position, where);
    const kind = 'chain' in step ? 'chain' : 'group' in step ? 'group' : 'chord' in step ? 'chord' : undefined;
    if (!kind) return void this.problems.push(`${where}: must be a task (task_name) or a chain, group or chord`);
    if (depth > MAX_WORKFLOW_DEPTH) return void this.problems.push(`${where}: chains and groups nest at most ${MAX_WORKFLOW_DEPTH} deep`);
    const steps = (step as unknown as Record<string, unknown>)[kind];
    if (!Array.isArray(steps) || steps.length === 0) return void this.problems.push(`${where}: ${kind} must be a non-empty list`);
    const policy = 'onMemberFailure' in step ? step.onMemberFailure : undefined;
    if (policy !== undefined && policy !== 'fail' && policy !== 'continue') this.problems.push(`${where}: on_member_failure must be fail or continue`);
    const id = parentId === null ? this.rootId : newTaskId();
    this.rows.push(composite(id, kind, parentId, position, parentId === null ? null : this.rootId, path, policy));
    const at = (name: string) => `${path}${path ? '.' : ''}${name}`;
    if (kind !== 'chord') steps.forEach((child: WorkflowStep, index) => this.add(child, id, index, at(`${kind}[${index}]`), depth + 1));
    else {
      // A chord is a chain of a group and its callback.
      const groupId = newTaskId();
      this.rows.push(composite(groupId, 'group', id, 0, this.rootId, at('chord'), policy));
      steps.forEach((child: WorkflowStep, index) => this.add(child, groupId, index, at(`chord[${index}]`), depth + 1));
      this.add((step as { callback: WorkflowStep }).callback, id, 1, at('callback'), depth + 1);
    }
    this.addErrorCallback(step as WorkflowRootOptions, parentId, at('on_failure'));
  }

  /** The workflow's `onFailure` task, under its root and after every step; only the root may have one. */
  private addErrorCallback({ onFailure }: WorkflowRootOptions, parentId: string | null, where: string): void {
    if (onFailure === undefined) return;
    if (parentId !== null) return void this.problems.push(`${where}: applies to a whole workflow only, not to a nested chain, group or chord`);
    if (onFailure === null || typeof onFailure !== 'object' || Array.isArray(onFailure) || !('taskName' in onFailure)) return void this.problems.push(`${where}: must be a task (task_name)`);
    this.addTask(onFailure, this.rootId, ERROR_CALLBACK_POSITION, where);
  }

  private addTask(input: EnqueueTaskInput, parentId: string | null, position: number, where: string): void {
    if (parentId === null) return void this.problems.push('a workflow is a chain, group or chord, not a single task');
    const stepless = [input.delaySeconds, input.runAt, input.idempotencyKey, input.singletonKey, input.expiresInSeconds, input.expiresAt];
    if (stepless.some((value) => value !== undefined)) {
      this.problems.push(`${where}: delay_seconds, run_at, idempotency_key, singleton_key, expires_in_seconds and expires_at do not apply to workflow steps`);
    }
    try {
      this.rows.push({ ...this.prepare(input), parentId, position, workflowId: this.rootId, blocked: true, kind: null, path: where });
    } catch (error) {
      if (!(error instanceof InvalidTaskRequestError)) throw error;
      this.problems.push(...error.reasons.map((reason) => `${where}: ${reason}`));
    }
  }
}

function composite(id: string, kind: 'chain' | 'group' | 'chord', parentId: string | null, position: number, workflowId: string | null, path: string, policy?: string): WorkflowRow {
  const params = kind === 'chain' ? {} : { on_member_failure: policy ?? 'fail' };
  return {
    taskId: id,
    taskName: WORKFLOW_TASK_NAMES[kind],
    taskType: WORKFLOW_TASK_TYPE,
    priority: 5,
    maxRetries: 0,
    params,
    paramsJson: JSON.stringify(params),
    runAt: null,
    parentId,
    position,
    workflowId,
    blocked: true,
    kind: kind === 'group' ? 'group' : 'chain',
    path: path || 'workflow',
  };
}

/** Marks what may run at once (the planner's rule, as when a predecessor completes). */
function release(rows: WorkflowRow[]): WorkflowRow[] {
  const nodes = rows.map((row) => ({
    id: row.taskId, parentId: row.parentId, position: row.position, kind: row.kind, taskName: row.taskName, status: TaskStatus.Pending,
    blocked: true, result: null, errorMessage: null, errorType: null, input: null, reopened: false,
    onMemberFailure: row.params.on_member_failure === 'continue' ? ('continue' as const) : ('fail' as const),
  }));
  const runnable = runnableAtStart(nodes);
  return rows.map((row) => ({ ...row, blocked: !runnable.has(row.taskId) }));
}
