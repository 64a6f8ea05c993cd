import { getMetadataStorage } from 'class-validator';
import { workflowBodySizeProblem } from '../commands/workflow-spec.js';
import { MAX_BULK_ENQUEUE } from '../tasks.constants.js';
import { EnqueueBulkDto } from './dto/enqueue-bulk.dto.js';
import { WorkflowRequestDto } from './dto/workflow.dto.js';

/**
 * The fields a DTO declares: those with validation decorators, which are what the validation
 * pipe's whitelist lets through, so the guard and the pipe cannot disagree.
 */
export function fieldsOf(dto: new () => object): Set<string> {
  return new Set(getMetadataStorage().getTargetValidationMetadatas(dto, '', false, false).map((metadata) => metadata.propertyName));
}

/** The fields of `POST /enqueue/bulk`, and of `POST /workflows` (and of every chain, group or chord nested in one). */
const BULK_FIELDS = fieldsOf(EnqueueBulkDto);
export const WORKFLOW_FIELDS = fieldsOf(WorkflowRequestDto);

/**
 * What the bulk route refuses about a body's outline (a field it does not take, more tasks than
 * a call may carry), found before Nest's ValidationPipe copies and walks every value of the
 * body: its gap closing, prototype stripping and class-transformer's copy took 0.95 s to tell
 * a body of two million numbers under an unknown field that the field should not exist. The
 * messages are the DTO's own, and the pipe still validates what passes.
 */
export function bulkOutlineProblems(body: unknown): string[] {
  if (!isObject(body)) return [];
  const problems = unknownFields(body, BULK_FIELDS);
  if (Array.isArray(body.tasks) && body.tasks.length > MAX_BULK_ENQUEUE) problems.push(`tasks must contain no more than ${MAX_BULK_ENQUEUE} elements`);
  return problems;
}

/** The same for the workflow route: a field it does not take, or more tasks than a workflow may hold (counted, not validated). */
export function workflowOutlineProblems(body: unknown): string[] {
  if (!isObject(body)) return [];
  const problems = unknownFields(body, WORKFLOW_FIELDS);
  const oversized = workflowBodySizeProblem(body);
  if (oversized) problems.push(oversized);
  return problems;
}

/**
 * What a route that takes a JSON object says of a body that is none (an array, say): a list sent
 * to `POST /enqueue` was told "task_name should not be empty", which did not say what was wrong.
 */
export function notAnObjectProblem(handler: string, body: unknown): string | null {
  if (body === undefined || isObject(body)) return null;
  if (handler === 'enqueue') return 'the body must be a JSON object, one task (several go to POST /enqueue/bulk as { "tasks": [...] })';
  if (handler === 'enqueueBulk') return 'the body must be a JSON object: { "tasks": [...] }';
  if (handler === 'createWorkflow') return 'the body must be a JSON object: { "chain": [...] }, { "group": [...] } or { "chord": [...], "callback": {...} }';
  return null;
}

function isObject(body: unknown): body is Record<string, unknown> {
  return body !== null && typeof body === 'object' && !Array.isArray(body);
}

function unknownFields(body: Record<string, unknown>, fields: Set<string>): string[] {
  return Object.keys(body).filter((field) => !fields.has(field)).map((field) => `property ${field} should not exist`);
}
