import { isFinalStatus, TaskStatus } from '../../src/tasks/index.js';
import type { HandlerEvent } from './handler-log.js';

/** Share of the load's requests that create a workflow instead of a task. */
export const WORKFLOW_SHARE = 0.04;

/** A workflow the API accepted (201): its rows, and its tasks in the order they must run. */
export interface AcceptedWorkflow {
  workflowId: string;
  kind: 'chain' | 'chord';
  /** Every row it created (the workflow's own, inner groups, tasks). */
  rowIds: string[];
  /** Tasks in order: a chain's steps; a chord's members, then its callback (last). */
  tasks: string[];
}

/** What the workflows of a fault run came to. */
export interface WorkflowVerdict {
  accepted: number;
  completed: number;
  failed: number;
  stuck: number;
  /** A step that started before its predecessor (all members, for a callback) had finished. */
  orderViolations: number;
  /** Extra handler starts of workflow tasks (at-least-once), counted within the suite's bound. */
  duplicates: number;
  rows: number;
  problems: string[];
}

const step = (ms: number) => ({ task_name: 'demo.sleep', params: { ms } });

/** A short chain of three steps, or a chord of two members and a callback. */
export function workflowBody(random: number): { kind: 'chain' | 'chord'; body: unknown } {
  const ms = () => Math.floor(Math.random() * 40);
  if (random < 0.5) return { kind: 'chain', body: { chain: [step(ms()), step(ms()), step(ms())] } };
  return { kind: 'chord', body: { chord: [step(ms()), step(ms())], callback: step(ms()) } };
}

/** The accepted workflow from the 201's body. */
export function acceptedWorkflow(kind: 'chain' | 'chord', answer: { workflow_id: string; nodes: { task_id: string; task_name: string; path: string }[] }): AcceptedWorkflow {
  const tasks = answer.nodes.filter((node) => node.task_name === 'demo.sleep');
  // Paths sort as the order of a chain's steps; a chord's callback comes after its members.
  const ordered = kind === 'chain' ? tasks : [...tasks.filter((node) => node.path !== 'callback'), ...tasks.filter((node) => node.path === 'callback')];
  return { workflowId: answer.workflow_id, kind, rowIds: answer.nodes.map((node) => node.task_id), tasks: ordered.map((node) => node.task_id) };
}

/** Checks each workflow against its rows and its tasks' handler log. */
export function verifyWorkflows(workflows: AcceptedWorkflow[], statusOf: (taskId: string) => TaskStatus | undefined, events: HandlerEvent[]): WorkflowVerdict {
  const verdict: WorkflowVerdict = { accepted: workflows.length, completed: 0, failed: 0, stuck: 0, orderViolations: 0, duplicates: 0, rows: 0, problems: [] };
  const note = (message: string) => verdict.problems.length < 20 && verdict.problems.push(message);
  const byTask = new Map<string, HandlerEvent[]>();
  for (const event of events) byTask.set(event.taskId, [...(byTask.get(event.taskId) ?? []), event]);
  const firstStart = (taskId: string) => Math.min(...(byTask.get(taskId) ?? []).filter((event) => event.event === 'start').map((event) => event.at));
  const lastFinish = (taskId: string) => Math.max(...(byTask.get(taskId) ?? []).filter((event) => event.event === 'finish').map((event) => event.at));
  for (const workflow of workflows) {
    verdict.rows += workflow.rowIds.length;
    const status = statusOf(workflow.workflowId);
    for (const rowId of workflow.rowIds) if (!statusOf(rowId)) note(`workflow ${workflow.workflowId}: row ${rowId} missing`);
    if (!status || !isFinalStatus(status)) { verdict.stuck++; note(`workflow ${workflow.workflowId} (${workflow.kind}) is ${status}`); continue; }
    if (status === TaskStatus.Completed) verdict.completed++;
    if (status === TaskStatus.Failed) verdict.failed++;
    // Each task may start only after those it waits for have finished.
    const waitsFor = (index: number) => (workflow.kind === 'chain' ? workflow.tasks.slice(index - 1, index) : index === workflow.tasks.length - 1 ? workflow.tasks.slice(0, -1) : []);
    workflow.tasks.forEach((taskId, index) => {
      const started = firstStart(taskId);
      if (!Number.isFinite(started)) return;
      for (const before of waitsFor(index)) {
        if (statusOf(before) !== TaskStatus.Completed || started < lastFinish(before)) {
          verdict.orderViolations++;
          note(`workflow ${workflow.workflowId}: ${taskId} started before ${before} (${statusOf(before)}) finished`);
        }
      }
      const attempts = new Map<number, number>();
      for (const event of byTask.get(taskId) ?? []) if (event.event === 'start') attempts.set(event.attempt, (attempts.get(event.attempt) ?? 0) + 1);
      for (const count of attempts.values()) verdict.duplicates += count - 1;
    });
    // Its tasks never fail on purpose: it completes, unless BullMQ's stall limit failed a task.
    if (status !== TaskStatus.Completed && !workflow.tasks.some((taskId) => statusOf(taskId) === TaskStatus.Failed)) note(`workflow ${workflow.workflowId} ended ${status} with no failed task`);
  }
  return verdict;
}
