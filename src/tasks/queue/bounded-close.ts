import type { Logger } from '@nestjs/common';
import type { Worker } from 'bullmq';
import { setTimeout as sleep } from 'node:timers/promises';

/** How long BullMQ's workers and relay get to close at shutdown (their handlers already settled). */
export const CLOSE_TIMEOUT_MS = 5_000;

/**
 * Waits for BullMQ's `close()` at most {@link CLOSE_TIMEOUT_MS}, then drops its connections.
 * BullMQ's `close()` waits for Redis (a blocking connection's end, its last commands), and with
 * Redis unreachable at shutdown it never returns (taskforcesh/bullmq#4656): `app.close()` and the
 * process would never end. What BullMQ had not yet told Redis is then what a process killed at
 * that moment leaves, which the reconciler and BullMQ's stalled-job check already repair.
 */
export async function closeOrDrop(closing: Promise<unknown>, drop: () => void, what: string, logger: Logger): Promise<void> {
  // A close that failed has ended too (BullMQ reports its errors as `error` events).
  const closed = closing.then(() => true, () => true);
  // An unref'd timer: a close that settles must not keep the process alive for the rest of the bound.
  if (await Promise.race([closed, sleep(CLOSE_TIMEOUT_MS, false, { ref: false })])) return;
  logger.warn(`${what}: not closed within ${CLOSE_TIMEOUT_MS} ms (is Redis reachable?), connections dropped`);
  drop();
}

/** A BullMQ worker's connections dropped at once: its own, and the blocking one it made. */
export function dropWorker(worker: Worker): void {
  // Before `disconnect()`, which waits for its own connection's end before it drops the blocking one.
  void worker.backend.blockingClient?.then((client) => client.disconnect(), () => undefined);
  void worker.disconnect().catch(() => undefined);
}
