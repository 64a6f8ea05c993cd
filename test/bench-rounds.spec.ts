import { describe, expect, it, jest } from '@jest/globals';
import { alternateRounds, medianPair } from '../bench/rounds.js';

const rated = (perSecond: number) => ({ perSecond });

describe('the bench rounds', () => {
  it('measures the baseline and ours in alternation, in pairs', async () => {
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const calls: string[] = [];
    let round = 0;
    await alternateRounds(
      'order',
      3,
      async () => (calls.push(`baseline ${round}`), rated(100)),
      async () => (calls.push(`ours ${round++}`), rated(50)),
    );
    expect(calls).toEqual(['baseline 0', 'ours 0', 'baseline 1', 'ours 1', 'baseline 2', 'ours 2']);
  });

  it('reports the pair whose ratio is the median, both figures from that pair', async () => {
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    // Each side's median round (8,079 and 13,402) would read 0.60; the pairs read 0.54, 0.44 and 0.64.
    const baselines = [13_402, 18_521, 12_737];
    const ours = [7_294, 8_079, 8_153];
    let b = 0;
    let o = 0;
    const pair = await alternateRounds('e2e', 3, async () => rated(baselines[b++]), async () => rated(ours[o++]));
    expect(pair).toEqual({ baseline: rated(13_402), ours: rated(7_294) });
  });

  it('takes the upper middle pair of an even number, and a single pair as it is', () => {
    const pairs = [0.5, 0.7, 0.6, 0.4].map((ratio) => ({ baseline: rated(1000), ours: rated(1000 * ratio) }));
    expect(medianPair(pairs).ours.perSecond).toBe(600);
    expect(medianPair(pairs.slice(0, 1)).ours.perSecond).toBe(500);
  });
});
