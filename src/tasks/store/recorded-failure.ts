import type { TaskErrorType } from '../failures/task-error-type.js';
import { truncateCharacters } from '../characters.js';

/** A failed attempt as the row records it. */
export interface RecordedFailure {
  message: string;
  errorType: TaskErrorType;
  /** For a retry: how long until the next attempt (stored as `run_at`). */
  retryDelayMs?: number;
}

/** Longest error message kept in the row (TEXT holds 64 KiB; a stack trace is not a message). */
const MAX_ERROR_MESSAGE_LENGTH = 8000;

/** The message as the row keeps it: at most {@link MAX_ERROR_MESSAGE_LENGTH} characters. */
export function truncateMessage(message: string): string {
  const kept = truncateCharacters(message, MAX_ERROR_MESSAGE_LENGTH);
  return kept === message ? message : `${kept}…`;
}
