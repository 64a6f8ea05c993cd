/**
 * Runs at most `limit` pieces of work at once; the others wait and start in the order they
 * were given, each as soon as a running one settles (resolved or rejected). Each caller gets
 * its own piece's outcome.
 */
export class ConcurrencyLimit {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running < this.limit) this.running++;
    // A settling piece hands its place straight to the next waiting one.
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
