/**
 * Every energy fraction at which some rank steps up: the cumulative shares
 * `sum_{i<=r} s_i^2 / sum s^2` of each spectrum, summed in the order `energyRank` sums
 * them (so `energyRank(s, c_r) = r` up to its 1e-12 slack), plus 1; sorted, without
 * duplicates. Between two of them no energy rank changes, so bisection over this list
 * is bisection over the fraction with no rounding left.
 */
export function energyFractions(spectra: Iterable<ArrayLike<number>>): number[] {
  const all = [1];
  for (const s of spectra) {
    let total = 0;
    for (let i = 0; i < s.length; i++) total += s[i] * s[i];
    if (total === 0) continue;
    let kept = 0;
    for (let r = 0; r < s.length; r++) {
      kept += s[r] * s[r];
      if (kept > 0) all.push(Math.min(1, kept / total));
    }
  }
  all.sort((a, b) => a - b);
  return all.filter((f, i) => i === 0 || f !== all[i - 1]);
}
