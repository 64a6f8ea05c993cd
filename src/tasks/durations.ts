const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * A duration written as a number and a unit (`90s`, `15m`, `6h`, `7d`) in ms, or undefined when
 * it is not one: the stats route's `window` and the CLI's `--window` / `--older-than` read it.
 */
export function parseDuration(text: string, units: ReadonlyArray<keyof typeof UNIT_MS> = ['s', 'm', 'h', 'd']): number | undefined {
  const match = /^([1-9]\d{0,6})([smhd])$/.exec(text);
  if (!match || !units.includes(match[2] as keyof typeof UNIT_MS)) return undefined;
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}
