import { GroupCommitQueue, ItemFailure } from './group-commit.queue.js';

/** A write that records each batch and completes when the test says so. */
function recordingWrite() {
  const batches: number[][] = [];
  const pending: Array<() => void> = [];
  const write = (items: number[]) =>
    new Promise<Array<number | ItemFailure>>((resolve) => {
      batches.push(items);
      pending.push(() => resolve(items.map((item) => (item < 0 ? new ItemFailure(new Error(`bad ${item}`)) : item * 10))));
    });
  const finishNext = async () => {
    pending.shift()!();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { batches, write, finishNext };
}

describe('GroupCommitQueue', () => {
  it('writes the items submitted in one synchronous run as one batch', async () => {
    const { batches, write, finishNext } = recordingWrite();
    const queue = new GroupCommitQueue(write, 1000, 4);
    const results = Promise.all([1, 2, 3, 4, 5].map((item) => queue.submit(item)));
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([[1, 2, 3, 4, 5]]);
    await finishNext();
    await expect(results).resolves.toEqual([10, 20, 30, 40, 50]);
  });

  it('keeps each batch within its weight, a heavier item going out alone', async () => {
    const { batches, write, finishNext } = recordingWrite();
    // Each item weighs its own value; a batch at most 1000.
    const queue = new GroupCommitQueue(write, 1000, 1, 1000, { of: (item) => item, max: 1000 });
    const results = Promise.all([600, 300, 600, 2000, 10, 20].map((item) => queue.submit(item)));
    for (let batch = 0; batch < 4; batch++) {
      await new Promise((resolve) => setImmediate(resolve));
      await finishNext();
    }
    expect(batches).toEqual([[600, 300], [600], [2000], [10, 20]]);
    await expect(results).resolves.toEqual([6000, 3000, 6000, 20000, 100, 200]);
  });

  it('sends an item submitted alone at once, without waiting for company', async () => {
    const { batches, write, finishNext } = recordingWrite();
    const queue = new GroupCommitQueue(write, 1000, 1);
    const result = queue.submit(7);
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([[7]]);
    await finishNext();
    await expect(result).resolves.toBe(70);
  });

  it('gathers what arrives while the batches in flight are written into the next batch, at most maxBatch each', async () => {
    const { batches, write, finishNext } = recordingWrite();
    const queue = new GroupCommitQueue(write, 2, 1);
    const first = queue.submit(1);
    await new Promise((resolve) => setImmediate(resolve));
    const later = [2, 3, 4].map((item) => queue.submit(item));
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([[1]]);
    await finishNext();
    expect(batches).toEqual([[1], [2, 3]]);
    await finishNext();
    await finishNext();
    expect(batches).toEqual([[1], [2, 3], [4]]);
    await expect(Promise.all([first, ...later])).resolves.toEqual([10, 20, 30, 40]);
  });

  it('writes a backlog larger than maxBatch as overlapping batches, up to maxConcurrent', async () => {
    const { batches, write, finishNext } = recordingWrite();
    const queue = new GroupCommitQueue(write, 2, 2);
    const results = Promise.all([1, 2, 3, 4, 5].map((item) => queue.submit(item)));
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([[1, 2], [3, 4]]);
    await finishNext();
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
    await finishNext();
    await finishNext();
    await expect(results).resolves.toEqual([10, 20, 30, 40, 50]);
  });

  it('shares a backlog of at least twice minSplit evenly among batches in flight, and keeps a smaller one whole', async () => {
    const { batches, write, finishNext } = recordingWrite();
    const queue = new GroupCommitQueue(write, 250, 4, 25);
    const items = (count: number, from: number) => Array.from({ length: count }, (_, index) => from + index);
    const sizes = () => batches.map((batch) => batch.length);

    const fifty = Promise.all(items(50, 1).map((item) => queue.submit(item)));
    await new Promise((resolve) => setImmediate(resolve));
    expect(sizes()).toEqual([25, 25]);
    await finishNext();
    await finishNext();
    await expect(fifty).resolves.toEqual(items(50, 1).map((item) => item * 10));

    const fortyNine = Promise.all(items(49, 100).map((item) => queue.submit(item)));
    await new Promise((resolve) => setImmediate(resolve));
    expect(sizes()).toEqual([25, 25, 49]);
    await finishNext();
    await fortyNine;

    const thousand = Promise.all(items(1000, 1000).map((item) => queue.submit(item)));
    await new Promise((resolve) => setImmediate(resolve));
    expect(sizes().slice(3)).toEqual([250, 250, 250, 250]);
    for (let batch = 0; batch < 4; batch++) await finishNext();
    await expect(thousand).resolves.toEqual(items(1000, 1000).map((item) => item * 10));
    expect(batches.flat()).toEqual([...items(50, 1), ...items(49, 100), ...items(1000, 1000)]);
  });

  it('drains a backlog many batches long in order, each item once, while more items arrive', async () => {
    const batches: number[][] = [];
    const write = async (items: number[]) => {
      batches.push(items);
      await new Promise((resolve) => setImmediate(resolve));
      return items.map((item) => item * 10);
    };
    const queue = new GroupCommitQueue(write, 250, 2, 25);
    const items = (count: number, from: number) => Array.from({ length: count }, (_, index) => from + index);
    const first = Promise.all(items(5000, 0).map((item) => queue.submit(item)));
    await new Promise((resolve) => setImmediate(resolve));
    // Submitted while the first backlog is being taken, batch by batch, off the front of the list.
    const second = Promise.all(items(5000, 5000).map((item) => queue.submit(item)));
    await expect(first).resolves.toEqual(items(5000, 0).map((item) => item * 10));
    await expect(second).resolves.toEqual(items(5000, 5000).map((item) => item * 10));
    expect(batches.flat()).toEqual(items(10_000, 0));
    expect(Math.max(...batches.map((batch) => batch.length))).toBe(250);
  });

  it('rejects only the item its write marked as failed, and every item of a batch whose write threw', async () => {
    const { write, finishNext } = recordingWrite();
    const queue = new GroupCommitQueue(write, 1000, 1);
    const outcomes = Promise.allSettled([queue.submit(1), queue.submit(-2), queue.submit(3)]);
    await new Promise((resolve) => setImmediate(resolve));
    await finishNext();
    expect((await outcomes).map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);

    const failing = new GroupCommitQueue<number, number>(() => Promise.reject(new Error('down')), 1000, 1);
    const all = await Promise.allSettled([failing.submit(1), failing.submit(2)]);
    expect(all.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
  });
});
