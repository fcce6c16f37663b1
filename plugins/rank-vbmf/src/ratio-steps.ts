/** One rank's ends: its rank bound `max` and its EVBMF rank `vbmf`. */
export interface RatioEnds {
  max: number;
  vbmf: number;
}

/**
 * One VBMF ratio inside each interval of `[0, 1]` on which no rank
 * `round((1 - a) max + a vbmf)` changes, increasing. A rank with `d = max - vbmf > 0`
 * steps down where `(1 - a) max + a vbmf` crosses a half-integer, at `a = (2j - 1) / 2d`,
 * `j = 1..d`; these breakpoints are compared as exact fractions, and each interval is
 * represented by its midpoint (0 and 1 for the end intervals), far from any rounding tie.
 * Bisection over this list is bisection over the ratio with no rounding left.
 */
export function ratioSteps(ranks: Iterable<RatioEnds>): number[] {
  const breaks: { num: number; den: number }[] = [];
  for (const { max, vbmf } of ranks) {
    const d = max - vbmf;
    for (let j = 1; j <= d; j++) breaks.push({ num: 2 * j - 1, den: 2 * d });
  }
  breaks.sort((a, b) => a.num * b.den - b.num * a.den);
  const distinct = breaks.filter(
    (b, i) => i === 0 || b.num * breaks[i - 1].den !== breaks[i - 1].num * b.den,
  );
  const at = distinct.map((b) => b.num / b.den);
  return [0, ...at.slice(1).map((b, i) => (at[i] + b) / 2), ...(at.length > 0 ? [1] : [])];
}
