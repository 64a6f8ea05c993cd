import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from '@jest/globals';
import { ProgressReporter } from './progress-reporter.js';

describe('ProgressReporter', () => {
  const recorder = (intervalMs: number) => {
    const writes: [number, string | null][] = [];
    const reporter = new ProgressReporter(async (percent, message) => void writes.push([percent, message]), intervalMs, () => undefined);
    return { writes, reporter };
  };

  it('resolves at once, writes the first report at once and only the latest of a burst after the interval', async () => {
    const { writes, reporter } = recorder(50);
    await reporter.report(1, 'a');
    for (let i = 2; i <= 100; i++) void reporter.report(i, `step ${i}`);
    expect(writes).toEqual([[1, 'a']]);
    await sleep(80);
    expect(writes).toEqual([[1, 'a'], [100, 'step 100']]);
  });

  it('clamps and rounds percentages, truncates messages, and refuses a non-number', async () => {
    const { writes, reporter } = recorder(0);
    await reporter.report(150);
    await reporter.report(-3, 'x'.repeat(600));
    await reporter.report(33.4);
    await reporter.close();
    expect(writes.map(([percent]) => percent)).toEqual([100, 0, 33]);
    expect(writes[1][1]).toHaveLength(500);
    await expect(reporter.report(Number.NaN)).rejects.toThrow('progress percent must be a number 0..100');
  });

  it('keeps 500 characters of a message, as the VARCHAR(500) counts them, never half of one', async () => {
    const { writes, reporter } = recorder(0);
    // U+1F600 is one character and two UTF-16 units.
    await reporter.report(1, '\u{1F600}'.repeat(600));
    await reporter.report(2, `${'x'.repeat(499)}\u{1F600}\u{1F600}`);
    await reporter.close();
    expect(writes[0][1]).toBe('\u{1F600}'.repeat(500));
    expect(writes[1][1]).toBe(`${'x'.repeat(499)}\u{1F600}`);
  });

  it('writes the report held back when the attempt ends, and nothing after', async () => {
    const { writes, reporter } = recorder(10_000);
    await reporter.report(10);
    void reporter.report(90, 'almost');
    await reporter.close();
    await reporter.report(95);
    expect(writes).toEqual([[10, null], [90, 'almost']]);
  });
});
