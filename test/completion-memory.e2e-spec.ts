import { setImmediate as nextTurn } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { QueryRunner } from 'typeorm';
import { TaskHandler, TaskProcessor, TaskStatus, type TaskContext } from '../src/tasks/index.js';
import { createTestApp, waitForFinalRow, waitForJobState, type TestApp } from './support/test-app.js';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Keeps a weak reference to every params object its handler is given, nothing stronger. */
@TaskProcessor('test')
class ParamsWatcher {
  readonly seen = new Map<string, WeakRef<object>>();

  @TaskHandler('memory.watch_params')
  watch(params: Record<string, unknown>, context: TaskContext) {
    this.seen.set(context.taskId, new WeakRef(params));
    return { kept: 'only this result' };
  }
}

/** True once a full collection has freed the object behind `ref` (up to ten tries, a turn apart). */
async function collected(ref: WeakRef<object>): Promise<boolean> {
  for (let attempt = 0; attempt < 10; attempt++) {
    // A WeakRef's target stays alive until the turn that read it ends.
    await nextTurn();
    collectGarbage();
    if (ref.deref() === undefined) return true;
  }
  return false;
}

describe('a success written behind, while it waits for MySQL', () => {
  let app: TestApp;
  let lock: QueryRunner | undefined;

  beforeAll(async () => {
    app = await createTestApp({ suite: 'done_memory', providers: [ParamsWatcher] });
  });
  afterAll(async () => {
    if (lock?.isTransactionActive) await lock.rollbackTransaction();
    await lock?.release();
    await app?.close();
  });

  it('holds the result it will write, not the job: the task\'s params are freed before its row commits', async () => {
    // Up to 1,000 completions wait at once (CompletionWrites): each holding its job would keep
    // that many params in memory whenever MySQL is slow.
    const queue = app.queue('test');
    await queue.pause();
    const { taskId } = await app.tasks.enqueue({ taskName: 'memory.watch_params', params: { payload: 'x'.repeat(10_000) } });
    // A transaction holding the task's row keeps the completion's UPDATE waiting.
    lock = app.dataSource.createQueryRunner();
    await lock.connect();
    await lock.startTransaction();
    await lock.query('SELECT task_id FROM background_tasks WHERE task_id = ? FOR UPDATE', [taskId]);
    await queue.resume();

    await waitForJobState(queue, taskId, 'completed');
    const params = app.app.get(ParamsWatcher).seen.get(taskId)!;
    expect(params).toBeDefined();
    expect(await collected(params)).toBe(true);
    expect((await app.tasks.getTaskStatus(taskId)).status).toBe(TaskStatus.Pending);

    await lock.commitTransaction();
    expect(await waitForFinalRow(app.tasks, taskId)).toMatchObject({ status: TaskStatus.Completed, result: { kept: 'only this result' } });
  });
});
