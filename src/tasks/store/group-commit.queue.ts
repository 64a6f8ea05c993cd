/** A batch's result for one item that failed on its own: that item is rejected with `error`, the others keep theirs. */
export class ItemFailure {
  constructor(readonly error: unknown) {}
}

interface Waiting<T, R> {
  item: T;
  resolve(result: R): void;
  reject(error: unknown): void;
}

/**
 * Group commit: items submitted while a batch is being written wait for the next one, so under
 * load one write carries many items and alone an item goes out at once. A batch starts once the
 * code that submitted runs to its end (a microtask later), so items submitted together (a bulk
 * call, or callers a finished batch released at once) share one write rather than the first of
 * them going out alone. Up to `maxConcurrent` batches are in flight: a batch that leaves items
 * waiting (more than `maxBatch` were submitted) lets another batch start on them at once, so a
 * backlog is written by overlapping batches rather than one after another. `write` returns one result
 * per item, in order (an {@link ItemFailure} rejects that item alone); if it throws, every item
 * of that batch is rejected with the error.
 */
export class GroupCommitQueue<T, R> {
  private waiting: Waiting<T, R>[] = [];
  private flushers = 0;
  private flushScheduled = false;

  constructor(
    private readonly write: (items: T[]) => Promise<Array<R | ItemFailure>>,
    private readonly maxBatch: number,
    private readonly maxConcurrent: number,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.flushers >= this.maxConcurrent) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushers++;
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, this.maxBatch);
        if (this.waiting.length > 0) this.scheduleFlush();
        try {
          const results = await this.write(batch.map((waiting) => waiting.item));
          batch.forEach((waiting, index) => {
            const result = results[index];
            if (result instanceof ItemFailure) waiting.reject(result.error);
            else waiting.resolve(result);
          });
        } catch (error) {
          batch.forEach((waiting) => waiting.reject(error));
        }
      }
    } finally {
      this.flushers--;
    }
  }
}
