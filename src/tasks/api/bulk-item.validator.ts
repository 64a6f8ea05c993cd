import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
import type { EnqueueTaskInput } from '../interfaces/tasks-service.interfaces.js';
import { EnqueueTaskDto } from './dto/enqueue-task.dto.js';

/** One bulk item checked with the same DTO rules as `POST /enqueue`: the input, or what is wrong. */
export async function validateBulkItem(item: unknown): Promise<{ input: EnqueueTaskInput } | { problems: string[] }> {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return { problems: ['each task must be a JSON object'] };
  const dto = plainToInstance(EnqueueTaskDto, item);
  const errors = await validate(dto, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) return { problems: errors.flatMap(messagesOf) };
  return { input: EnqueueTaskDto.toInput(dto) };
}

function messagesOf(error: ValidationError): string[] {
  return [...Object.values(error.constraints ?? {}), ...(error.children ?? []).flatMap(messagesOf)];
}
