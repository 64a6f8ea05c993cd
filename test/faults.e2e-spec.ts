import { describe, expect, it } from '@jest/globals';
import { CI_PROFILE, FULL_PROFILE, runFaultSuite } from './faults/fault-run.js';

/** Slowest acceptable enqueue answer during the faults: measured 55-160 ms over many runs; a hang or a retry loop is far above. */
const MAX_ENQUEUE_ANSWER_MS = 2000;

/**
 * The fault suite: the demo as separate API and worker processes on a private MariaDB (set up as
 * production servers are) and Redis, under worker SIGKILLs, a Redis restart that loses its data,
 * a MySQL restart and random cancels. `npm test` runs the CI profile; `npm run test:faults` the full one.
 */
describe('truth under failure (private MariaDB + Redis, demo processes)', () => {
  const profile = process.env.FAULT_PROFILE === 'full' ? FULL_PROFILE : CI_PROFILE;

  it(`loses no task, leaves none stuck, never rewrites a final state, runs workflow steps in order (${profile.tasks} tasks)`, async () => {
    const report = await runFaultSuite(profile);
    console.log(
      `${report.summary}\n` +
        `refused with 503 during outages: ${report.rejected}; cancels accepted: ${report.cancelsAccepted}; ` +
        `handler returns after their cancel (results dropped): ${report.lateFinishes}; handler starts after their cancel: ${report.lateStarts}; retry_count mismatches: ${report.retryMismatches}\n` +
        `handler starts: ${report.handlerStarts}; stalled attempts requeued: ${report.stalledRequeues}; lost attempts counted: ${report.lostRepairs}; ` +
        `slowest enqueue answer: ${report.slowestEnqueueMs} ms; rows ${report.rows}; jobs left in Redis: ${report.jobsLeftInRedis}\n` +
        `event streams followed: ${report.streams.followed}, final status told from the row: ${report.streams.endedFromRow}, reconnects: ${report.streams.reconnects}` +
        (report.problems.length ? `\nproblems:\n  ${report.problems.join('\n  ')}` : ''),
    );
    expect(report.accepted).toBeGreaterThanOrEqual(profile.tasks);
    expect({ lost: report.lost, stuck: report.stuck, illegal: report.illegal, retryMismatches: report.retryMismatches }).toEqual({
      lost: 0, stuck: 0, illegal: 0, retryMismatches: 0,
    });
    expect(report.duplicates + report.workflows.duplicates).toBeLessThanOrEqual(report.duplicateBound);
    // Workflows under the same faults: none stuck, no step before its predecessors finished.
    expect(report.workflows.accepted).toBeGreaterThan(0);
    expect({ stuck: report.workflows.stuck, outOfOrder: report.workflows.orderViolations, problems: report.workflows.problems }).toEqual({ stuck: 0, outOfOrder: 0, problems: [] });
    // Cancels met tasks still queued or running (else the two checks below would hold vacuously).
    expect(report.cancelsAccepted).toBeGreaterThan(0);
    // The demo handlers honour their signal, and a cancel returns once the handler stopped.
    expect(report.lateFinishes).toBe(0);
    // Invariant 4, with handlers that start before their row says running: none starts after its cancel returned.
    expect(report.lateStarts).toBe(0);
    expect(report.completed + report.failed + report.cancelled).toBe(report.accepted);
    // A task's live event stream ends, with its row's final status, through the kills and restarts.
    expect(report.streams.followed).toBeGreaterThan(0);
    expect(report.streams.problems).toEqual([]);
    // Every claim of the README's guarantees, asserted rather than printed:
    expect(report.problems).toEqual([]);
    // Outages fail fast with 503, they do not hang: every answer 201 or 503, none slower than the bound.
    expect([...new Set(report.answers.map((answer) => answer.status))].sort()).toEqual([201, 503]);
    expect(report.slowestEnqueueMs).toBeLessThanOrEqual(MAX_ENQUEUE_ANSWER_MS);
    // Nothing left behind: exactly one row per 201, no row or handler run for a refused request,
    // each task ended as its params imply, Redis drained before the verdict.
    expect({ rows: report.rows, unannouncedRows: report.unannouncedRows, unannouncedRuns: report.unannouncedRuns, wrongOutcomes: report.wrongOutcomes, jobsLeftInRedis: report.jobsLeftInRedis })
      .toEqual({ rows: report.accepted + report.workflows.rows, unannouncedRows: 0, unannouncedRuns: 0, wrongOutcomes: 0, jobsLeftInRedis: 0 });
    // The faults had effect: each outage refused requests, each kill killed a running worker,
    // and attempts interrupted by the kills ran again (execution is at least once).
    for (const outage of report.outages) {
      const refused = report.answers.filter((answer) => answer.status === 503 && answer.sentAt + answer.ms >= outage.from && answer.sentAt <= outage.to);
      expect({ outage: outage.service, refused: refused.length > 0 }).toEqual({ outage: outage.service, refused: true });
    }
    expect(report.outages.map((outage) => outage.service).sort()).toEqual(['MySQL', 'Redis']);
    expect(report.killSignals).toEqual(Array(profile.workerKills).fill('SIGKILL'));
    expect(report.duplicates + report.lostRepairs + report.stalledRequeues).toBeGreaterThan(0);
  }, 600_000);
});
