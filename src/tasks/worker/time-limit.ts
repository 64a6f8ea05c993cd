import { TaskTimeoutError } from '../failures/task-failure.errors.js';
import type { AttemptAbort } from './attempt-abort.js';

/**
 * Runs `invoke` under a time limit of `timeoutSeconds` (none when unset). At the limit the
 * attempt is aborted with a {@link TaskTimeoutError} (its handler's signal fires, unless a
 * cancel or a shutdown aborted it first); a handler that has not settled `graceMs` later is
 * left behind (JavaScript cannot stop it) and the call fails as timed out. A handler that
 * throws after the limit fired has timed out too.
 */
export async function withTimeLimit(
  invoke: () => Promise<unknown>,
  abort: AttemptAbort,
  timeoutSeconds: number | undefined,
  graceMs: number,
): Promise<unknown> {
  if (!timeoutSeconds) return invoke();
  const running = invoke();
  running.catch(() => undefined); // a handler left behind may still reject
  let limitTimer: NodeJS.Timeout | undefined;
  let graceTimer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    limitTimer = setTimeout(() => {
      const error = new TaskTimeoutError(`Timed out after ${timeoutSeconds} s`);
      abort.abort(error);
      graceTimer = setTimeout(() => reject(error), graceMs);
    }, timeoutSeconds * 1000);
  });
  try {
    return await Promise.race([running, timedOut]);
  } catch (error) {
    if (abort.reason instanceof TaskTimeoutError) throw abort.reason;
    throw error;
  } finally {
    clearTimeout(limitTimer);
    clearTimeout(graceTimer);
  }
}
