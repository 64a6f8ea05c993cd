import { describe, expect, it } from '@jest/globals';
import { DURATION_BUCKETS_MS, durationBucket, NO_DURATION } from '../store/task-stats.js';
import { summarizeDurations } from './duration-percentiles.js';

describe('summarizeDurations', () => {
  it('is null without a timed task', () => {
    expect(summarizeDurations([])).toBeNull();
    expect(summarizeDurations([{ bucket: NO_DURATION, count: 4, totalMs: 0 }])).toBeNull();
  });

  it("spreads a bucket's tasks evenly around their mean and keeps the exact mean", () => {
    // 100 tasks in (100, 250] ms averaging 175: spread over the whole bucket, p50 near half-way, p95 near the top.
    const bucket = durationBucket(200);
    expect(DURATION_BUCKETS_MS[bucket]).toBe(250);
    expect(summarizeDurations([{ bucket, count: 100, totalMs: 17_500 }])).toEqual({ p50: 174.3, p95: 241.8, p99: 247.8, mean: 175 });
    // 100 tasks averaging 110: spread over (100, 120], never up to 250.
    expect(summarizeDurations([{ bucket, count: 100, totalMs: 11_000 }])).toEqual({ p50: 109.9, p95: 118.9, p99: 119.7, mean: 110 });
  });

  it("gives the duration of a bucket's only task exactly, and of two tasks their span around the mean", () => {
    const bucket = durationBucket(115);
    expect(summarizeDurations([{ bucket, count: 1, totalMs: 115 }])).toEqual({ p50: 115, p95: 115, p99: 115, mean: 115 });
    // 110 and 120 ms: taken as 107.5 and 122.5 (their mean 115, spread over the widest span inside (100, 250]).
    expect(summarizeDurations([{ bucket, count: 2, totalMs: 230 }])).toEqual({ p50: 107.5, p95: 122.5, p99: 122.5, mean: 115 });
  });

  it('places each percentile in the bucket that holds its rank, across split entries', () => {
    const fast = durationBucket(5);
    const slow = durationBucket(4000);
    const summary = summarizeDurations([
      { bucket: slow, count: 2, totalMs: 8000 },
      { bucket: fast, count: 49, totalMs: 245 },
      { bucket: fast, count: 49, totalMs: 245 },
    ])!;
    expect(summary.p50).toBeLessThanOrEqual(10);
    expect(summary.p99).toBeGreaterThan(2500);
    expect(summary.p99).toBeLessThanOrEqual(5000);
    expect(summary.mean).toBe(84.9);
  });

  it('stands the open last bucket at its mean', () => {
    const summary = summarizeDurations([{ bucket: durationBucket(7_200_000), count: 2, totalMs: 14_400_000 }])!;
    expect(summary.p50).toBe(7_200_000);
  });
});
