import { cpus, totalmem } from 'node:os';

/** One scenario's figures: ours against the baseline measured in the same run. */
export interface BenchResult {
  scenario: string;
  ours: number;
  baseline: number;
  ratio: number;
  target: number;
  pass: boolean;
  unit: string;
}

/** Collects the results of a run, prints each as it comes and the table at the end. */
export class BenchReport {
  readonly results: BenchResult[] = [];
  /** Scenarios whose target is a ceiling (ours/baseline ≤ target) rather than a floor. */
  private readonly ceilings = new Set<string>();

  /** A ratio that must reach `target` (or stay under it with `atMost`). */
  record(scenario: string, ours: number, baseline: number, target: number, unit: string, atMost = false): void {
    const ratio = ours / baseline;
    const pass = atMost ? ratio <= target : ratio >= target;
    this.add({ scenario, ours: roundRate(ours), baseline: roundRate(baseline), ratio: shownRatio(ratio, target, pass), target, pass, unit }, atMost);
  }

  /** A latency that must stay under `maxMs` and grow at most `maxGrowth` times over its baseline. */
  recordLatency(scenario: string, oursMs: number, baselineMs: number, maxGrowth: number, maxMs: number): void {
    const ratio = oursMs / baselineMs;
    this.add({ scenario, ours: round(oursMs, 2), baseline: round(baselineMs, 2), ratio: shownRatio(ratio, maxGrowth, ratio <= maxGrowth), target: maxGrowth, pass: ratio <= maxGrowth && oursMs <= maxMs, unit: 'ms' }, true);
  }

  /** A latency that must stay under `maxMs`, reported against a slower way of answering the same question. */
  recordCeiling(scenario: string, oursMs: number, baselineMs: number, maxMs: number): void {
    this.add({ scenario, ours: round(oursMs, 2), baseline: round(baselineMs, 2), ratio: round(oursMs / baselineMs, 3), target: maxMs, pass: oursMs <= maxMs, unit: 'ms' }, true);
  }

  print(): void {
    console.log(`\n${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
    console.log('| scenario | ours | baseline | ratio | target | pass |');
    console.log('|---|---|---|---|---|---|');
    for (const r of this.results) {
      const bound = this.ceilings.has(r.scenario) ? '≤' : '≥';
      console.log(`| ${r.scenario} | ${r.ours} ${r.unit} | ${r.baseline} ${r.unit} | ${r.ratio} | ${bound} ${r.target} | ${r.pass ? 'yes' : 'no'} |`);
    }
  }

  private add(result: BenchResult, ceiling: boolean): void {
    if (ceiling) this.ceilings.add(result.scenario);
    this.results.push(result);
    console.log(JSON.stringify(result));
  }
}

/** A rate as the report prints it: two decimals below 10, whole numbers above. */
export function roundRate(value: number): number {
  return round(value, value < 10 ? 2 : 0);
}

/** Two decimals, or three where two would print the bound itself for a ratio on its wrong side (0.497, not 0.5 … no). */
function shownRatio(ratio: number, bound: number, withinBound: boolean): number {
  return round(ratio, 2) === bound && !withinBound ? round(ratio, 3) : round(ratio, 2);
}

/** `value` to `digits` decimals. */
export function round(value: number, digits = 0): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
