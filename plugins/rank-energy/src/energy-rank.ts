/**
 * The smallest `r` whose leading singular values keep at least `fraction` of the sum of
 * squared singular values (`s` in decreasing order). All-zero spectra give 0. The
 * comparison allows a relative `1e-12` so that `fraction = 1` is met despite rounding.
 */
export function energyRank(s: ArrayLike<number>, fraction: number): number {
  let total = 0;
  for (let i = 0; i < s.length; i++) total += s[i] * s[i];
  if (total === 0) return 0;
  const target = fraction * total * (1 - 1e-12);
  let kept = 0;
  for (let r = 0; r < s.length; r++) {
    kept += s[r] * s[r];
    if (kept >= target) return r + 1;
  }
  return s.length;
}
