import { setTimeout as sleep } from 'node:timers/promises';
import { isFinalStatus } from '../../src/tasks/lifecycle/task-status.js';
import type { TaskStatus } from '../../src/tasks/index.js';
import { readEvents, type ReceivedEvent } from '../support/sse-client.js';

/** What the sampled streams came to. */
export interface StreamVerdict {
  followed: number;
  /** Times a stream ended before its final status and was opened again with Last-Event-ID. */
  reconnects: number;
  /** Streams whose final status was told from the row (the live stream missed it: a killed worker, Redis restarted without its data). */
  endedFromRow: number;
  problems: string[];
}

/**
 * Live event streams (`GET /{task_id}/events`) of every `every`-th accepted task, each opened
 * when its task is accepted and read until it ends, through the worker kills and the Redis and
 * MySQL restarts. Each must end, and with the final status its row holds: a change the live
 * stream missed is told from the row (see events/task-follower.ts), else the stream stayed open.
 */
export class StreamSample {
  private readonly reads = new Map<string, Promise<ReceivedEvent[] | Error>>();
  private readonly stop = new AbortController();
  private accepted = 0;
  private reconnects = 0;

  constructor(
    private readonly base: string,
    private readonly every: number,
  ) {}

  /** Follows the task if it is one of the sample. */
  accept(taskId: string): void {
    if (this.accepted++ % this.every === 0) this.reads.set(taskId, this.read(taskId));
  }

  /**
   * Waits up to `graceMs` for the streams still open (the row's reads tell a missed final status
   * within 5 s), stops the others, and judges each against its row's final status.
   */
  async verdict(finalStatusOf: (taskId: string) => TaskStatus | undefined, graceMs: number): Promise<StreamVerdict> {
    const grace = setTimeout(() => this.stop.abort(new Error(`still open ${graceMs} ms after every task settled`)), graceMs);
    const problems: string[] = [];
    let endedFromRow = 0;
    for (const [taskId, read] of this.reads) {
      const events = await read;
      if (events instanceof Error) {
        problems.push(`stream of ${taskId}: ${events.message}`);
        continue;
      }
      const last = events.at(-1);
      const row = finalStatusOf(taskId);
      if (!last || last.data.status !== row) {
        problems.push(`stream of ${taskId} ended at ${last ? `${last.type} ${String(last.data.status)}` : 'nothing'}, its row ${row}`);
        continue;
      }
      // A status told from the row carries the last id the stream sent; live events have ids of their own.
      if (last.type === 'status' && events.length > 1 && last.id === events.at(-2)!.id) endedFromRow++;
    }
    clearTimeout(grace);
    return { followed: this.reads.size, reconnects: this.reconnects, endedFromRow, problems };
  }

  /**
   * The task's stream, read as a browser's EventSource reads it: opened again while the API
   * answers 503 (Redis or MySQL restarting), and again with `Last-Event-ID` when the server ends
   * it before a final status (counted in `reconnects`), until a final status or an error.
   */
  private async read(taskId: string): Promise<ReceivedEvent[] | Error> {
    const events: ReceivedEvent[] = [];
    for (let attempt = 0; attempt < 100; attempt++) {
      const lastId = events.at(-1)?.id;
      try {
        events.push(...(await readEvents(`${this.base}/${taskId}/events`, { timeoutMs: 600_000, signal: this.stop.signal, headers: lastId ? { 'last-event-id': lastId } : {} })));
        if (isFinalStatus(events.at(-1)?.data.status as TaskStatus)) return events;
        this.reconnects++;
      } catch (error) {
        if ((error as { status?: number }).status !== 503) return error as Error;
      }
      await sleep(200);
    }
    return new Error(`no final status in 100 connections`);
  }
}
