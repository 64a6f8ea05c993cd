/** The abort reason the workers use when the process shuts down (not a cancel). */
export const SHUTDOWN_REASON = 'worker shutdown';
/** The abort reason of a cancel. */
export const CANCEL_REASON = 'cancelled';
/**
 * The abort reason when this worker lost its job's lock (see watchLostLocks): another attempt runs
 * the task, or will, and this one must stop.
 */
export const LOCK_LOST_REASON = 'job lock lost';

/**
 * Why an attempt must stop: a cancel, the process shutting down, or its time limit; the first
 * reason wins. The handler's `AbortSignal` is made only when the handler asks for it
 * (`context.signal`): an `AbortController` is an `EventTarget`, a few µs of CPU per task that a
 * handler that never looks at its signal should not pay (scratch, end-to-end no-op tasks at
 * concurrency 50, four alternated pairs: 3,867 → 4,062 tasks/s median, each pair 1.03-1.13×,
 * Node 205 → 188 µs per task).
 */
export class AttemptAbort {
  private controller?: AbortController;
  private abortedWith?: { reason: unknown };

  get aborted(): boolean {
    return this.abortedWith !== undefined;
  }

  /** What the first abort gave as its reason (undefined while not aborted). */
  get reason(): unknown {
    return this.abortedWith?.reason;
  }

  /** The handler's signal: made on first use, already aborted when the attempt is. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.abortedWith) this.controller.abort(this.abortedWith.reason);
    }
    return this.controller.signal;
  }

  /** Aborts the attempt with `reason` unless it was aborted already. */
  abort(reason: unknown): void {
    if (this.abortedWith) return;
    this.abortedWith = { reason };
    this.controller?.abort(reason);
  }
}
