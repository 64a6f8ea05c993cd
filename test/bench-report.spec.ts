import { describe, expect, it, jest } from '@jest/globals';
import { BenchReport } from '../bench/report.js';
import { busyPercent, cpuBoundCeiling } from '../bench/process-cpu.js';

describe('the bench report', () => {
  it('prints a ratio that misses its target with the third decimal, never as the target itself', () => {
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const report = new BenchReport();
    report.record('misses', 3.79, 7.62, 0.5, 'workflows/s');
    report.record('meets', 3.83, 7.62, 0.5, 'workflows/s');
    report.recordLatency('grows too much', 6.01, 4, 1.5, 10);
    expect(report.results.map(({ scenario, ratio, pass }) => [scenario, ratio, pass])).toEqual([
      ['misses', 0.497, false],
      ['meets', 0.5, true],
      ['grows too much', 1.503, false],
    ]);
  });
});

describe('the CPU-bound ceiling beside the end-to-end and enqueue rows', () => {
  // 145 µs per task on 2 cores: 13,793 tasks/s at most, 0.52 of a baseline at 26,504.
  const ours = { node: 60, mysql: 33, redis: 52, steal: 0 };

  it('is the ratio ours reaches with every core busy at its CPU per task', () => {
    expect(cpuBoundCeiling(ours, 26_504, 2)).toBe(0.52);
    expect(cpuBoundCeiling(ours, 26_504, 4)).toBe(1.04);
  });

  it('gives the share of the cores a rate kept busy', () => {
    expect(busyPercent(11_280, ours, 2)).toBe(82);
  });

  it('says nothing when MySQL or Redis could not be read (servers on other hosts)', () => {
    expect(cpuBoundCeiling({ node: 60, redis: 52 }, 26_504, 2)).toBeUndefined();
    expect(busyPercent(11_280, { node: 60, mysql: 33 }, 2)).toBeUndefined();
  });
});
