import { describe, expect, it } from '@jest/globals';
import { UNASKED_START_WITHIN_MS } from '../queue/cancel-marks.js';
import { startsUnasked } from './unasked-start.js';

describe('startsUnasked', () => {
  const now = 1_000_000;
  const enqueued = { id: 'task-1', deduplicationId: 'task-1', data: { params: {} }, processedOn: now - 5, attemptsMade: 0 };

  it('lets an enqueue\'s job fetched moments ago start without asking', () => {
    expect(startsUnasked(enqueued, 2000, now)).toBe(true);
  });

  it('asks for a job a cancel could not keep out: no deduplication id (a repair, a retry), or another one', () => {
    expect(startsUnasked({ ...enqueued, deduplicationId: undefined }, 2000, now)).toBe(false);
    expect(startsUnasked({ ...enqueued, deduplicationId: 'other' }, 2000, now)).toBe(false);
  });

  it('asks for a retry: a cancel may have seen its job only after the failed attempt put it back to wait', () => {
    expect(startsUnasked({ ...enqueued, attemptsMade: 1 }, 2000, now)).toBe(false);
  });

  it("asks for a workflow's step (a cancel of its workflow marks the workflow)", () => {
    expect(startsUnasked({ ...enqueued, data: { params: {}, workflowId: 'wf-1' } }, 2000, now)).toBe(false);
  });

  it('asks when the job was fetched too long ago for a cancel to still be waiting on it, or its fetch time is unknown', () => {
    expect(startsUnasked({ ...enqueued, processedOn: now - UNASKED_START_WITHIN_MS }, 2000, now)).toBe(false);
    expect(startsUnasked({ ...enqueued, processedOn: now - 100 }, 200, now)).toBe(false);
    expect(startsUnasked({ ...enqueued, processedOn: undefined }, 2000, now)).toBe(false);
  });

  it('always asks when cancels do not wait for a running handler (cancelWaitMs 0)', () => {
    expect(startsUnasked({ ...enqueued, processedOn: now }, 0, now)).toBe(false);
  });
});
