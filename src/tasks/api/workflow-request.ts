import type { EnqueueTaskInput } from '../interfaces/tasks-service.interfaces.js';
import type { ChainStep, ChordStep, GroupStep, WorkflowRootOptions, WorkflowStep } from '../interfaces/workflow.interfaces.js';
import { WORKFLOW_FIELDS } from './body-outline.js';
import { validateBulkItem } from './bulk-item.validator.js';

type Checked = { step: WorkflowStep } | { problems: string[] };

/**
 * A `POST /workflows` body as the service's tree: `{ chain: [...] }`, `{ group: [...],
 * on_member_failure? }` or `{ chord: [...], callback, on_member_failure? }`, whose items are
 * tasks (as `POST /enqueue` takes them, checked by the same DTO) or nested trees. Every problem
 * is named by its path; `isInternal` tasks are listed apart (403).
 */
export async function parseWorkflowBody(body: unknown, isInternal: (taskName: string) => boolean): Promise<{ root: ChainStep | GroupStep | ChordStep } | { problems: string[]; internal: string[] }> {
  const internal: string[] = [];
  const checked = await check(body, '', 0, (input, path) => (isInternal(input.taskName) ? void internal.push(`${path}: task_name "${input.taskName}" can only be enqueued by the application, not over HTTP`) : undefined));
  if ('problems' in checked || internal.length > 0) return { problems: 'problems' in checked ? checked.problems : [], internal };
  if ('taskName' in checked.step) return { problems: ['the body must be a chain, group or chord, not a single task'], internal };
  return { root: checked.step };
}

async function check(value: unknown, path: string, depth: number, onTask: (input: EnqueueTaskInput, path: string) => void): Promise<Checked> {
  const where = path || 'body';
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { problems: [`${where} must be a JSON object`] };
  // Keys left undefined (a DTO instance declares every field) are absent.
  const object = Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as Record<string, unknown>;
  const kind = ['chain', 'group', 'chord'].find((key) => key in object);
  if (!kind) {
    if (depth === 0) return { problems: ['the body must hold one of chain, group or chord'] };
    const task = await validateBulkItem(object);
    if ('problems' in task) return { problems: task.problems.map((problem) => `${where}: ${problem}`) };
    onTask(task.input, where);
    return { step: task.input };
  }
  const problems = Object.keys(object).filter((key) => !WORKFLOW_FIELDS.has(key)).map((key) => `${where}: property ${key} should not exist`);
  if (['chain', 'group', 'chord'].filter((key) => key in object).length > 1) problems.push(`${where}: holds more than one of chain, group, chord`);
  const items = object[kind];
  if (!Array.isArray(items)) return { problems: [...problems, `${where}.${kind} must be a list`] };
  const children = await Promise.all(items.map((item, index) => check(item, `${path}${path ? '.' : ''}${kind}[${index}]`, depth + 1, onTask)));
  const callback = kind === 'chord' ? await check(object.callback, `${path}${path ? '.' : ''}callback`, depth + 1, onTask) : undefined;
  const errorCallback = await checkErrorCallback(object, path, depth, onTask);
  for (const child of [...children, ...(callback ? [callback] : []), errorCallback]) if ('problems' in child) problems.push(...child.problems);
  if (problems.length > 0) return { problems };
  const steps = children.map((child) => (child as { step: WorkflowStep }).step);
  const onMemberFailure = object.on_member_failure as GroupStep['onMemberFailure'];
  const { onFailure } = errorCallback as WorkflowRootOptions;
  if (kind === 'chain') return { step: { chain: steps, onFailure } };
  if (kind === 'group') return { step: { group: steps, onMemberFailure, onFailure } };
  return { step: { chord: steps, callback: (callback as { step: WorkflowStep }).step, onMemberFailure, onFailure } };
}

/** A composite's `on_failure`, checked as a task is (whether it may sit there is the workflow builder's to say). */
async function checkErrorCallback(object: Record<string, unknown>, path: string, depth: number, onTask: (input: EnqueueTaskInput, path: string) => void): Promise<WorkflowRootOptions | { problems: string[] }> {
  if (!('on_failure' in object)) return {};
  const where = `${path}${path ? '.' : ''}on_failure`;
  const checked = await check(object.on_failure, where, depth + 1, onTask);
  if ('problems' in checked) return checked;
  if (!('taskName' in checked.step)) return { problems: [`${where}: must be a task (task_name), not a chain, group or chord`] };
  return { onFailure: checked.step };
}
