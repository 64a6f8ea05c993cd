import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BackgroundTask } from '../../src/tasks/index.js';
import { createTestApp, waitFor, waitForFinalRow, type TestApp } from '../support/test-app.js';
import { WorkflowTasks } from '../support/workflow-tasks.processor.js';

/**
 * A schedule whose runs take longer than its interval: with `overlap: false` a run is skipped
 * while the previous one still waits or runs; by default (the control) they pile up and overlap.
 * Both on the `email` queue, whose concurrency (10) would let them run at once.
 */
describe("a schedule's overlap (MariaDB + Redis)", () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      suite: 'schedule_overlap',
      providers: [WorkflowTasks],
      tasks: {
        schedules: [
          { name: 'one-at-a-time', taskName: 'wf.add', everyMs: 1000, params: { label: 'single', ms: 2500 }, overlap: false },
          { name: 'piling-up', taskName: 'wf.add', everyMs: 1000, params: { label: 'piled', ms: 2500 } },
        ],
      },
    });
  });
  afterAll(() => t?.close());

  /** The runs of the schedule whose params carry `label`, oldest first. */
  const runsOf = async (label: string) =>
    (await t.dataSource.getRepository(BackgroundTask).find({ where: { taskName: 'wf.add' }, order: { id: 'ASC' } })).filter((row) => (row.params as { label?: string }).label === label);

  it('skips the runs that fire while the previous one is unfinished; without overlap: false they overlap', async () => {
    const { body } = await t.http().get('/api/tasks/schedules').expect(200);
    expect(body.schedules.map((schedule: { name: string; overlap: boolean }) => [schedule.name, schedule.overlap])).toEqual([
      ['one-at-a-time', false],
      ['piling-up', true],
    ]);
    // Five seconds of firings every second.
    await waitFor(async () => (await runsOf('piled')).length >= 5, 'five runs of the overlapping schedule', 15_000);
    const single = await runsOf('single');
    for (const run of single) await waitForFinalRow(t.tasks, run.taskId);
    const runs = await Promise.all(single.map((run) => t.tasks.getTaskStatus(run.taskId)));
    // Each run of 2.5 s absorbed the firings during it: at most one run per 2.5 s, none overlapping.
    expect(runs.length).toBeGreaterThanOrEqual(1);
    expect(runs.length).toBeLessThanOrEqual(3);
    for (let index = 1; index < runs.length; index++) expect(runs[index].createdAt.getTime()).toBeGreaterThanOrEqual(runs[index - 1].completedAt!.getTime());
    expect(runs.map((run) => run.singletonKey)).toEqual(runs.map(() => 'schedule:one-at-a-time'));

    const piled = await runsOf('piled');
    expect(piled.map((run) => run.singletonKey)).toEqual(piled.map(() => null));
    expect(piled.some((run, index) => index > 0 && run.createdAt.getTime() < (piled[index - 1].completedAt?.getTime() ?? Infinity))).toBe(true);
  }, 30_000);
});
