import { TaskTimeoutError } from '../failures/task-failure.errors.js';

/**
 * Runs `invoke` under a time limit of `timeoutSeconds` (none when unset). At the limit the
 * signal it was given fires with a {@link TaskTimeoutError}; a handler that has not settled
 * `graceMs` later is left behind (JavaScript cannot stop it) and the call fails as timed out.
 * A handler that throws after the limit fired has timed out too. `signal` (the job's: cancel,
 * shutdown) is passed on, combined with the limit's.
 */
export async function withTimeLimit(
  invoke: (signal: AbortSignal) => Promise<unknown>,
  signal: AbortSignal | undefined,
  timeoutSeconds: number | undefined,
  graceMs: number,
): Promise<unknown> {
  if (!timeoutSeconds) return invoke(signal ?? new AbortController().signal);
  const limit = new AbortController();
  const running = invoke(signal ? AbortSignal.any([signal, limit.signal]) : limit.signal);
  running.catch(() => undefined); // a handler left behind may still reject
  let limitTimer: NodeJS.Timeout | undefined;
  let graceTimer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    limitTimer = setTimeout(() => {
      const error = new TaskTimeoutError(`Timed out after ${timeoutSeconds} s`);
      limit.abort(error);
      graceTimer = setTimeout(() => reject(error), graceMs);
    }, timeoutSeconds * 1000);
  });
  try {
    return await Promise.race([running, timedOut]);
  } catch (error) {
    if (limit.signal.aborted && !signal?.aborted) throw limit.signal.reason;
    throw error;
  } finally {
    clearTimeout(limitTimer);
    clearTimeout(graceTimer);
  }
}
