import { describe, expect, it } from '@jest/globals';
import { CI_PROFILE, FULL_PROFILE, runFaultSuite } from './faults/fault-run.js';

/**
 * The fault suite: the demo as separate API and worker processes on a private MariaDB and
 * Redis, under worker SIGKILLs, a Redis restart that loses its data, a MySQL restart and
 * random cancels. `npm test` runs the CI profile; `npm run test:faults` the full one.
 */
describe('truth under failure (private MariaDB + Redis, demo processes)', () => {
  const profile = process.env.FAULT_PROFILE === 'full' ? FULL_PROFILE : CI_PROFILE;

  it(`loses no task, leaves none stuck and never rewrites a final state (${profile.tasks} tasks)`, async () => {
    const report = await runFaultSuite(profile);
    console.log(
      `${report.summary}\n` +
        `refused with 503 during outages: ${report.rejected}; cancels accepted: ${report.cancelsAccepted}; ` +
        `handler returns after their cancel (results dropped): ${report.lateFinishes}; retry_count mismatches: ${report.retryMismatches}\n` +
        `handler starts: ${report.handlerStarts}; stalled attempts requeued: ${report.stalledRequeues}; lost attempts counted: ${report.lostRepairs}; ` +
        `slowest enqueue answer: ${report.slowestEnqueueMs} ms` +
        (report.problems.length ? `\nproblems:\n  ${report.problems.join('\n  ')}` : ''),
    );
    expect(report.accepted).toBeGreaterThanOrEqual(profile.tasks);
    expect({ lost: report.lost, stuck: report.stuck, illegal: report.illegal, retryMismatches: report.retryMismatches }).toEqual({
      lost: 0, stuck: 0, illegal: 0, retryMismatches: 0,
    });
    expect(report.duplicates).toBeLessThanOrEqual(report.duplicateBound);
    // The demo handlers honour their signal, and a cancel returns once the handler stopped.
    expect(report.lateFinishes).toBe(0);
    expect(report.completed + report.failed + report.cancelled).toBe(report.accepted);
  }, 600_000);
});
