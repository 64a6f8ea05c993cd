import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Redis } from 'ioredis';
import { CANCEL_MARK_TTL_MS, CancelMarks } from '../../src/tasks/queue/cancel-marks.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { TestTasks } from '../support/test-tasks.processor.js';

/**
 * The marks a cancel leaves in Redis, as a worker reads them before it starts a handler whose
 * `running` is not written yet (invariant 4 rests on this answer).
 */
describe('cancel marks (Redis)', () => {
  let t: TestApp;
  let marks: CancelMarks;

  beforeAll(async () => {
    t = await createTestApp({ suite: 'cancelmarks', role: 'api', providers: [TestTasks] });
    marks = t.app.get(CancelMarks);
  });
  afterAll(() => t.close());

  it('answers every check of one turn for its own task, in one MGET: a marked task or workflow may not start, the others may', async () => {
    const [markedTask, markedWorkflow, free, freeStep, freeWorkflow] = Array.from({ length: 5 }, () => randomUUID());
    await marks.mark({ taskId: markedTask, taskType: 'test' });
    await marks.mark({ taskId: randomUUID(), workflowId: markedWorkflow, taskType: 'test' });
    const mget = jest.spyOn(Redis.prototype, 'mget');
    try {
      const now = Date.now();
      const answers = await Promise.all([
        marks.mayStartUnwritten({ taskId: free }, now),
        marks.mayStartUnwritten({ taskId: markedTask }, now),
        marks.mayStartUnwritten({ taskId: randomUUID(), workflowId: markedWorkflow }, now),
        marks.mayStartUnwritten({ taskId: freeStep, workflowId: freeWorkflow }, now),
        marks.mayStartUnwritten({ taskId: markedTask, workflowId: freeWorkflow }, now),
        marks.mayStartUnwritten({ taskId: randomUUID() }, now),
      ]);
      expect(answers).toEqual([true, false, false, true, false, true]);
      expect(mget).toHaveBeenCalledTimes(1);
    } finally {
      mget.mockRestore();
    }
  });

  it("keeps out an enqueue's job added after the mark, even once the job it found was removed; a job added without the deduplication id (a repair) still goes in", async () => {
    const queue = t.queue('test');
    const [late, removed, repaired] = Array.from({ length: 3 }, () => randomUUID());
    const asEnqueued = (taskId: string) => queue.add('test.record', { params: {} }, { jobId: taskId, deduplication: { id: taskId }, delay: 60_000 });
    await asEnqueued(removed);
    for (const taskId of [late, removed, repaired]) await marks.mark({ taskId, taskType: 'test' });
    expect(await queue.remove(removed)).toBe(1);
    await asEnqueued(late);
    await asEnqueued(removed);
    await queue.add('test.record', { params: {} }, { jobId: repaired, delay: 60_000 });
    expect(await queue.getJob(late)).toBeUndefined();
    expect(await queue.getJob(removed)).toBeUndefined();
    expect((await queue.getJob(repaired))?.id).toBe(repaired);
    await queue.remove(repaired);
  });

  it('lets no job start unwritten that is older than a mark lives (a cancel of it could have left a mark that expired)', async () => {
    expect(await marks.mayStartUnwritten({ taskId: randomUUID() }, Date.now() - CANCEL_MARK_TTL_MS)).toBe(false);
  });

  it('lets no job start unwritten while Redis cannot be asked', async () => {
    marks.onApplicationShutdown();
    expect(await Promise.all([marks.mayStartUnwritten({ taskId: randomUUID() }, Date.now()), marks.mayStartUnwritten({ taskId: randomUUID() }, Date.now())])).toEqual([false, false]);
  });
});
