import { DURATION_BUCKETS_MS, NO_DURATION } from '../store/task-stats.js';

/** One duration bucket of a histogram: its index and what fell into it. */
export interface DurationBucketCount {
  bucket: number;
  count: number;
  /** The summed durations of the bucket's tasks. */
  totalMs: number;
}

/** Estimated percentiles and the exact mean, in ms; null without any timed task. */
export interface DurationSummary {
  p50: number;
  p95: number;
  p99: number;
  mean: number;
}

/**
 * Percentiles from the summary's duration buckets, which keep each bucket's count and summed
 * duration. A percentile is the task at its rank (nearest rank); within its bucket the tasks are
 * taken as spread evenly over the widest span inside the bucket's bounds whose middle is their
 * mean. So a bucket of one task gives that task's duration exactly (spreading over the whole
 * bucket put a single 115 ms task's p50 at 175 and its p99 at 248.5), no estimate leaves the
 * bucket its rank falls in (never off by more than its width), the estimated durations keep the
 * exact mean, and the open last bucket stands at its mean.
 */
export function summarizeDurations(buckets: DurationBucketCount[]): DurationSummary | null {
  const timed = mergeBuckets(buckets.filter((entry) => entry.bucket !== NO_DURATION && entry.count > 0));
  const total = timed.reduce((sum, entry) => sum + entry.count, 0);
  if (total === 0) return null;
  const totalMs = timed.reduce((sum, entry) => sum + entry.totalMs, 0);
  return { p50: percentile(timed, total, 0.5), p95: percentile(timed, total, 0.95), p99: percentile(timed, total, 0.99), mean: round(totalMs / total) };
}

function percentile(sorted: DurationBucketCount[], total: number, fraction: number): number {
  const rank = Math.max(1, Math.ceil(fraction * total));
  let below = 0;
  for (const entry of sorted) {
    if (below + entry.count >= rank) {
      const mean = entry.totalMs / entry.count;
      const lower = entry.bucket === 0 ? 0 : DURATION_BUCKETS_MS[entry.bucket - 1];
      const upper = DURATION_BUCKETS_MS[entry.bucket];
      if (upper === undefined) return round(mean);
      const half = Math.max(0, Math.min(mean - lower, upper - mean));
      return round(mean - half + ((rank - below - 0.5) / entry.count) * 2 * half);
    }
    below += entry.count;
  }
  return round(sorted[sorted.length - 1].totalMs / sorted[sorted.length - 1].count);
}

/** One entry per bucket, in bucket order. */
function mergeBuckets(entries: DurationBucketCount[]): DurationBucketCount[] {
  const merged = new Map<number, DurationBucketCount>();
  for (const entry of entries) {
    const existing = merged.get(entry.bucket) ?? { bucket: entry.bucket, count: 0, totalMs: 0 };
    merged.set(entry.bucket, { bucket: entry.bucket, count: existing.count + entry.count, totalMs: existing.totalMs + entry.totalMs });
  }
  return [...merged.values()].sort((a, b) => a.bucket - b.bucket);
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
