/** A fraction `num / den` of the rank bounds, kept exact so `floor(f * max)` never rounds wrongly. */
export interface Fraction {
  num: number;
  den: number;
}

/** `floor(f * bound)` in integers. */
export function scaled(f: Fraction, bound: number): number {
  return Math.floor((f.num * bound) / f.den);
}

/**
 * Every fraction at which some rank `floor(f * max)` steps up: `k / max` for each
 * bound and `k = 0..max`, sorted and without duplicates. Between two of them no rank
 * changes, so bisection over this list is bisection over `f` with no rounding left.
 */
export function breakpoints(bounds: readonly number[]): Fraction[] {
  const all: Fraction[] = [{ num: 0, den: 1 }];
  for (const den of new Set(bounds)) {
    for (let num = 1; num <= den; num++) all.push({ num, den });
  }
  all.sort((a, b) => a.num * b.den - b.num * a.den);
  return all.filter((f, i) => i === 0 || f.num * all[i - 1].den !== all[i - 1].num * f.den);
}
