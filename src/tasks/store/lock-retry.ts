/** MySQL's deadlock (1213) and lock-wait-timeout (1205) errors. */
const RETRYABLE_ERRNOS = new Set([1213, 1205]);
/** Tries in all before the error is let through. */
const MAX_TRIES = 5;

/** True for an error after which the statement (or transaction) was rolled back and may simply run again. */
export function isLockConflict(error: unknown): boolean {
  const { errno, driverError } = (error ?? {}) as { errno?: number; driverError?: { errno?: number } };
  return RETRYABLE_ERRNOS.has(errno ?? driverError?.errno ?? 0);
}

/**
 * Runs a statement or a transaction again when MySQL rolled it back over a lock conflict
 * (concurrent batches can meet on the same counter rows in different orders); any other
 * error, or the fifth conflict in a row, is thrown.
 */
export async function withLockRetry<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (attempt >= MAX_TRIES || !isLockConflict(error)) throw error;
    }
  }
}
