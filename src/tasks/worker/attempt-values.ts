import { TaskErrorType } from '../failures/task-error-type.js';
import { NonRetryableError } from '../failures/task-failure.errors.js';
import { jsonValueProblems } from '../store/json-value.js';

/** The error's message, or a readable rendering of whatever was thrown. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}

/**
 * The result as stored in the JSON column (what `JSON.stringify` makes of it: dates as strings,
 * NaN as null). A result MySQL would refuse (a lone surrogate, nesting past the limit, a
 * prototype key) fails this task alone, at once and without retries: its write would otherwise
 * fail the batch it shares with other tasks' transitions.
 */
export function toJsonValue(result: unknown): unknown {
  if (result === undefined) return null;
  let text: string | undefined;
  try {
    text = JSON.stringify(result);
  } catch (error) {
    throw new NonRetryableError(`The handler's result cannot be stored: ${(error as Error).message}`, TaskErrorType.Validation);
  }
  const value: unknown = text === undefined ? null : JSON.parse(text);
  const problems = jsonValueProblems(value, 'result');
  if (problems.length > 0) throw new NonRetryableError(`The handler's result cannot be stored: ${problems[0]}`, TaskErrorType.Validation);
  return value;
}
