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
 * NaN as null), and the length of its JSON (`size`, what it weighs in a batch of writes). A
 * result MySQL would refuse (a lone surrogate, nesting past the limit, a prototype key) or over
 * `maxBytes` of JSON fails this task alone, at once and without retries: its write would
 * otherwise fail the batch it shares with other tasks' transitions, or never be written.
 */
export function toJsonValue(result: unknown, maxBytes: number): { value: unknown; size: number } {
  if (result === undefined) return { value: null, size: 0 };
  let text: string | undefined;
  try {
    text = JSON.stringify(result);
  } catch (error) {
    throw new NonRetryableError(`The handler's result cannot be stored: ${(error as Error).message}`, TaskErrorType.Validation);
  }
  if (text === undefined) return { value: null, size: 0 };
  // A code unit is at most 3 bytes of UTF-8: most results are measured without encoding them.
  const bytes = text.length * 3 <= maxBytes ? 0 : Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) {
    throw new NonRetryableError(`The handler's result is ${bytes} bytes of JSON; the limit is ${maxBytes} (maxResultBytes)`, TaskErrorType.Validation);
  }
  const value: unknown = JSON.parse(text);
  const problems = jsonValueProblems(value, 'result');
  if (problems.length > 0) throw new NonRetryableError(`The handler's result cannot be stored: ${problems[0]}`, TaskErrorType.Validation);
  return { value, size: text.length };
}
