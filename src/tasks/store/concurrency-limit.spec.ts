import { ConcurrencyLimit } from './concurrency-limit.js';

describe('ConcurrencyLimit', () => {
  it('runs at most its limit at once, starts the waiting ones in order, and gives each caller its own outcome', async () => {
    const limit = new ConcurrencyLimit(2);
    const log: string[] = [];
    let running = 0;
    const piece = (name: string, ms: number, fails = false) => async () => {
      running++;
      log.push(`${name} starts with ${running} running`);
      await new Promise((resolve) => setTimeout(resolve, ms));
      running--;
      if (fails) throw new Error(`${name} failed`);
      return name;
    };
    const outcomes = await Promise.allSettled([
      limit.run(piece('a', 20)),
      limit.run(piece('b', 5, true)),
      limit.run(piece('c', 5)),
      limit.run(piece('d', 5)),
    ]);
    expect(log).toEqual(['a starts with 1 running', 'b starts with 2 running', 'c starts with 2 running', 'd starts with 2 running']);
    expect(outcomes).toEqual([
      { status: 'fulfilled', value: 'a' },
      { status: 'rejected', reason: new Error('b failed') },
      { status: 'fulfilled', value: 'c' },
      { status: 'fulfilled', value: 'd' },
    ]);
    // Every place was given back: the next pieces start at once, two together.
    log.length = 0;
    await Promise.all([limit.run(piece('e', 5)), limit.run(piece('f', 5))]);
    expect(log).toEqual(['e starts with 1 running', 'f starts with 2 running']);
  });
});
