import { roundRate } from './report.js';

/** A measurement with a rate (higher is better). */
export interface Rated {
  perSecond: number;
}

/**
 * Measures `baseline` and `ours` in alternation, `rounds` times each, and gives the median round
 * of each (by rate), printing every round. One short measurement on this kind of machine (2 cores
 * shared by Node, MariaDB and Redis) swings by 20 % or more with whatever else the machine does:
 * alternating puts both sides through the same swings, and the median drops the round that one
 * hiccup spoilt, so a ratio near its target does not pass or fail by the luck of one run.
 */
export async function alternateRounds<B extends Rated, O extends Rated>(
  label: string,
  rounds: number,
  baseline: () => Promise<B>,
  ours: () => Promise<O>,
): Promise<{ baseline: B; ours: O }> {
  const baselines: B[] = [];
  const oursRounds: O[] = [];
  for (let round = 0; round < rounds; round++) {
    baselines.push(await baseline());
    oursRounds.push(await ours());
  }
  const rates = (measured: Rated[]) => measured.map((rated) => roundRate(rated.perSecond)).join(', ');
  console.log(`${label}: rounds ours ${rates(oursRounds)}; baseline ${rates(baselines)} (the median of each is reported)`);
  return { baseline: median(baselines), ours: median(oursRounds) };
}

function median<T extends Rated>(measured: T[]): T {
  return [...measured].sort((a, b) => a.perSecond - b.perSecond)[Math.floor(measured.length / 2)];
}
