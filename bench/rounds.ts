import { round, roundRate } from './report.js';

/** A measurement with a rate (higher is better). */
export interface Rated {
  perSecond: number;
}

/** One round of a comparison: the baseline's measurement and ours right after it. */
export interface RoundPair<B extends Rated, O extends Rated> {
  baseline: B;
  ours: O;
}

/**
 * Measures `baseline` and `ours` in alternation, `rounds` times each, and gives the round pair
 * whose ratio (ours over the baseline measured just before it) is the median of the pairs',
 * printing every round. One short measurement on this kind of machine (2 cores shared by Node,
 * MariaDB and Redis) swings by 20 % or more with whatever else the machine does, and its speed
 * drifts within minutes: each pair puts both sides through the same minute, and the median pair
 * drops the pairs that a hiccup spoilt on one side. (Until 2026-12-06 the bench reported each
 * side's median round, from different minutes: a run whose paired rounds read 0.54, 0.44 and
 * 0.64 then reported 0.60.) Both figures of a row, and the CPU beside them, come from one pair.
 */
export async function alternateRounds<B extends Rated, O extends Rated>(
  label: string,
  rounds: number,
  baseline: () => Promise<B>,
  ours: () => Promise<O>,
): Promise<RoundPair<B, O>> {
  const pairs: Array<RoundPair<B, O>> = [];
  for (let index = 0; index < rounds; index++) {
    const measuredBaseline = await baseline();
    pairs.push({ baseline: measuredBaseline, ours: await ours() });
  }
  const rates = (side: 'baseline' | 'ours') => pairs.map((pair) => roundRate(pair[side].perSecond)).join(', ');
  const ratios = pairs.map((pair) => round(ratioOf(pair), 2)).join(', ');
  console.log(`${label}: rounds ours ${rates('ours')}; baseline ${rates('baseline')}; ratios ${ratios} (the pair with the median ratio is reported)`);
  return medianPair(pairs);
}

/** The pair whose ratio is the median (of an even number, the upper of the two middle ones). */
export function medianPair<P extends RoundPair<Rated, Rated>>(pairs: P[]): P {
  return [...pairs].sort((a, b) => ratioOf(a) - ratioOf(b))[Math.floor(pairs.length / 2)];
}

function ratioOf(pair: RoundPair<Rated, Rated>): number {
  return pair.ours.perSecond / pair.baseline.perSecond;
}
