import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
import type { BulkEnqueueOutcome, EnqueueTaskInput } from '../interfaces/tasks-service.interfaces.js';
import type { EnqueueBulkItemDto, EnqueueBulkResponseDto } from './dto/enqueue-bulk.dto.js';
import { EnqueueTaskDto } from './dto/enqueue-task.dto.js';

/**
 * One bulk item checked with the same DTO rules as `POST /enqueue`: the input, or what is wrong.
 * Its params are set aside while class-transformer builds the DTO, and put back as sent: the
 * DTO checks only that they are an object, and a copy of each value in them (up to 64 KiB of
 * JSON per item, a thousand items) was most of what a large bulk call cost.
 */
export async function validateBulkItem(item: unknown): Promise<{ input: EnqueueTaskInput } | { problems: string[] }> {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return { problems: ['each task must be a JSON object'] };
  const { params, ...fields } = item as Record<string, unknown>;
  const dto = plainToInstance(EnqueueTaskDto, fields);
  if (Object.hasOwn(item, 'params')) dto.params = params as Record<string, unknown>;
  const errors = await validate(dto, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) return { problems: errors.flatMap(validationMessages) };
  return { input: EnqueueTaskDto.toInput(dto) };
}

/** A validation error's messages, its nested properties' included. */
export function validationMessages(error: ValidationError): string[] {
  return [...Object.values(error.constraints ?? {}), ...(error.children ?? []).flatMap(validationMessages)];
}

/** A bulk item as the controller checked it: the service's input, or why it was refused (400, or 403). */
export type CheckedBulkItem = { input: EnqueueTaskInput } | { problems: string[]; status?: number };

/** The response of a bulk call: every item's answer, in order, from its check or its enqueue. */
export function bulkResponse(checked: CheckedBulkItem[], enqueued: { index: number; outcome: BulkEnqueueOutcome }[]): EnqueueBulkResponseDto {
  const results: EnqueueBulkItemDto[] = checked.map((item, index) => ('problems' in item ? { index, error: refusal(item) } : { index }));
  for (const { index, outcome } of enqueued) {
    results[index] = outcome.task
      ? { index, task_id: outcome.task.taskId, created: outcome.task.created, message: enqueuedMessage(outcome.task, (checked[index] as { input: EnqueueTaskInput }).input) }
      : { index, error: { statusCode: outcome.error.statusCode, error: outcome.error.statusCode === 503 ? 'Service Unavailable' : 'Bad Request', message: outcome.error.message } };
  }
  const accepted = results.filter((result) => result.task_id).length;
  return { results, accepted, rejected: results.length - accepted };
}

/** What an enqueue answers: a new task, or the one its idempotency key named, or the unfinished one holding its singleton key. */
export function enqueuedMessage(task: { created: boolean; priority: number }, input: Pick<EnqueueTaskInput, 'idempotencyKey' | 'singletonKey'>): string {
  if (task.created) return `Task enqueued successfully with priority ${task.priority}`;
  if (input.singletonKey === undefined) return 'Task already exists for this idempotency_key';
  if (input.idempotencyKey === undefined) return 'A task with this singleton_key is still pending or running';
  return 'A task with this idempotency_key exists, or one with this singleton_key is still pending or running';
}

function refusal(item: { problems: string[]; status?: number }) {
  return item.status === 403 ? { statusCode: 403, error: 'Forbidden', message: item.problems } : { statusCode: 400, error: 'Bad Request', message: item.problems };
}
