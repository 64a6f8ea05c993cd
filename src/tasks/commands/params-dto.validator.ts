import type { Type } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';

/**
 * Checks a task's params against the class-validator DTO its handler declares. Returns every
 * problem, named by its path (`params.recipient_email must be an email`); empty when valid.
 * A missing property that breaks several rules is told once, as required (in its `@IsDefined`
 * message when it has one), rather than as every rule its absence breaks ("must be a string",
 * "should not be empty", "must be shorter than…"); one broken rule keeps its own message (a
 * host's wording). An `@IsOptional()` property is never told missing.
 */
export function paramsDtoProblems(type: Type<object>, params: Record<string, unknown>): string[] {
  const instance = plainToInstance(type, params);
  return flatten(validateSync(instance, { forbidUnknownValues: false }), 'params.');
}

function flatten(errors: ValidationError[], prefix: string): string[] {
  return errors.flatMap((error) => {
    const constraints = error.constraints ?? {};
    if (error.value === undefined && Object.keys(constraints).length > 1) {
      return [`${prefix}${constraints.isDefined ?? `${error.property} is required`}`];
    }
    return [...Object.values(constraints).map((message) => `${prefix}${message}`), ...flatten(error.children ?? [], `${prefix}${error.property}.`)];
  });
}
