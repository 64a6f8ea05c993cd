import { randomBytes } from 'node:crypto';
import type { WorkerAttempt } from '../lifecycle/transition-batch.js';

/**
 * Attempt tokens: this process's random prefix and a counter (16 characters, the column's
 * width), unique per attempt without asking the system for random bytes every time.
 */
const TOKEN_PREFIX = randomBytes(4).toString('hex');
let attempts = 0;
export function nextAttemptToken(): string {
  attempts = (attempts + 1) % 0x100000000;
  return TOKEN_PREFIX + attempts.toString(16).padStart(8, '0');
}

/** Writes `running` for the attempt with `attemptToken`, started at `startedAt`; true when the row took it. */
export type StartWrite = (attemptToken: string, startedAt: number) => Promise<boolean>;

/**
 * When one attempt's `running` is written. Either before its handler starts ({@link written}),
 * or deferred ({@link deferred}): the handler starts at once, and `running` (with `started_at`
 * back-dated to the handler's start) is written only once the handler has run `delayMs`; a
 * handler that ends sooner has its start written together with its outcome, one row write in
 * all. Progress reports wait for `running` (see {@link whenRunning}).
 */
export class AttemptStart {
  /** Guards the attempt's later writes: they apply only while the row holds this token. */
  readonly token = nextAttemptToken();
  readonly startedAt = performance.now();
  private writing?: Promise<boolean>;
  private timer?: NodeJS.Timeout;
  private ended = false;
  private resolveRunning!: (running: boolean) => void;
  private readonly running = new Promise<boolean>((resolve) => (this.resolveRunning = resolve));

  private constructor(private readonly write?: StartWrite) {}

  /** An attempt whose `running` the worker wrote (and the row took) before the handler started. */
  static written(): AttemptStart {
    const start = new AttemptStart();
    start.writing = Promise.resolve(true);
    start.resolveRunning(true);
    return start;
  }

  /**
   * An attempt whose handler starts now and whose `running` is written after `delayMs`.
   * `onRefused` runs when the row refuses it (cancelled meanwhile): the handler must stop.
   */
  static deferred(write: StartWrite, delayMs: number, onRefused: () => void): AttemptStart {
    const start = new AttemptStart(write);
    start.timer = setTimeout(() => void start.writeNow(onRefused), delayMs);
    return start;
  }

  /** True once `running` is written; false when the row refused it or the attempt ended first. */
  whenRunning(): Promise<boolean> {
    return this.running;
  }

  /**
   * The attempt ended: the guard of its outcome write. It carries the start when `running` was
   * never written (and progress reports still waiting are dropped); null when the row refused
   * the start, so there is nothing of this attempt to write.
   */
  async end(): Promise<WorkerAttempt | null> {
    this.ended = true;
    clearTimeout(this.timer);
    if (!this.writing) {
      this.resolveRunning(false);
      return { attemptToken: this.token, startsAt: this.startedAt };
    }
    return (await this.writing) ? { attemptToken: this.token } : null;
  }

  private writeNow(onRefused: () => void): void {
    if (this.ended) return;
    this.writing = this.write!(this.token, this.startedAt).then((taken) => {
      if (!taken) onRefused();
      return taken;
    });
    this.writing.then(this.resolveRunning, () => this.resolveRunning(false));
  }
}
