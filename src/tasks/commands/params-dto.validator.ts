import type { Type } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';

/**
 * Checks a task's params against the class-validator DTO its handler declares. Returns every
 * problem, named by its path (`params.recipient_email must be an email`); empty when valid.
 */
export function paramsDtoProblems(type: Type<object>, params: Record<string, unknown>): string[] {
  const instance = plainToInstance(type, params);
  return flatten(validateSync(instance, { forbidUnknownValues: false }), 'params.');
}

function flatten(errors: ValidationError[], prefix: string): string[] {
  return errors.flatMap((error) => [
    ...Object.values(error.constraints ?? {}).map((message) => `${prefix}${message}`),
    ...flatten(error.children ?? [], `${prefix}${error.property}.`),
  ]);
}
