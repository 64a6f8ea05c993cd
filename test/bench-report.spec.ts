import { describe, expect, it, jest } from '@jest/globals';
import { BenchReport } from '../bench/report.js';

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
