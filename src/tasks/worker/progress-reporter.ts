import { truncateCharacters } from '../characters.js';

/** Longest progress message kept, in characters (the column is VARCHAR(500)). */
const MAX_MESSAGE_LENGTH = 500;

/**
 * Throttles one attempt's progress reports: the first goes out at once, later ones at most
 * once per `intervalMs`, and only the latest of those that arrive in between is written.
 * A handler that reports a thousand times a second costs one write a second. Writes go out
 * in order; one that fails (MySQL away) is logged and does not fail the handler.
 */
export class ProgressReporter {
  private lastWriteAt = Number.NEGATIVE_INFINITY;
  private pending?: { percent: number; message: string | null };
  private timer?: NodeJS.Timeout;
  private inFlight: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly write: (percent: number, message: string | null) => Promise<void>,
    private readonly intervalMs: number,
    private readonly onError: (error: Error) => void,
  ) {}

  /**
   * Records a report and resolves at once: the write happens in the background, so a slow or
   * absent MySQL never holds up the handler (nor its reaction to a cancel).
   */
  report(percent: number, message?: string): Promise<void> {
    if (typeof percent !== 'number' || Number.isNaN(percent)) {
      return Promise.reject(new TypeError(`progress percent must be a number 0..100, got ${String(percent)}`));
    }
    if (this.closed) return Promise.resolve();
    const text = message === undefined || message === null ? null : truncateCharacters(String(message), MAX_MESSAGE_LENGTH);
    this.pending = { percent: Math.round(Math.min(100, Math.max(0, percent))), message: text };
    const wait = this.lastWriteAt + this.intervalMs - Date.now();
    if (wait <= 0 && !this.timer) {
      void this.flush();
      return Promise.resolve();
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, wait);
    return Promise.resolve();
  }

  /**
   * Ends reporting when the attempt ends: writes the report still held back (the row keeps
   * the handler's last word) and waits until every write is done, so none lands after the outcome.
   */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private flush(): Promise<void> {
    const next = this.pending;
    this.pending = undefined;
    if (next) {
      this.lastWriteAt = Date.now();
      this.inFlight = this.inFlight.then(() => this.write(next.percent, next.message)).catch((error: Error) => this.onError(error));
    }
    return this.inFlight;
  }
}
