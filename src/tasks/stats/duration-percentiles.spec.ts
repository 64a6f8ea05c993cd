import { describe, expect, it } from '@jest/globals';
import { DURATION_BUCKETS_MS, durationBucket, NO_DURATION } from '../store/task-stats.js';
import { summarizeDurations } from './duration-percentiles.js';

describe('summarizeDurations', () => {
  it('is null without a timed task', () => {
    expect(summarizeDurations([])).toBeNull();
    expect(summarizeDurations([{ bucket: NO_DURATION, count: 4, totalMs: 0 }])).toBeNull();
  });

  it('interpolates within a bucket and keeps the exact mean', () => {
    // 100 tasks in (100, 250] ms: p50 half-way, p95 near the top.
    const bucket = durationBucket(200);
    expect(DURATION_BUCKETS_MS[bucket]).toBe(250);
    const summary = summarizeDurations([{ bucket, count: 100, totalMs: 17_500 }])!;
    expect(summary).toEqual({ p50: 175, p95: 242.5, p99: 248.5, mean: 175 });
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
