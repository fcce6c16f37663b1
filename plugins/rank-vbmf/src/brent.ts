const GOLDEN = 0.5 * (3 - Math.sqrt(5));
const SQRT_EPS = Math.sqrt(Number.EPSILON);

/**
 * Brent's bounded minimisation of a unimodal-ish `f` on `[a, b]`: golden-section steps,
 * replaced by parabolic interpolation through the three best points when it stays
 * inside the bracket and shrinks the step. Stops when the bracket around the best point
 * is below `2 * (sqrt(eps) |x| + xtol / 3)`.
 */
export function minimizeBounded(
  f: (x: number) => number,
  lower: number,
  upper: number,
  xtol: number,
): number {
  let [a, b] = [lower, upper];
  let x = a + GOLDEN * (b - a);
  let [w, v] = [x, x];
  let fx = f(x);
  let [fw, fv] = [fx, fx];
  let [d, e] = [0, 0];
  for (let iter = 0; iter < 500; iter++) {
    const m = 0.5 * (a + b);
    const tol1 = SQRT_EPS * Math.abs(x) + xtol / 3;
    const tol2 = 2 * tol1;
    if (Math.abs(x - m) <= tol2 - 0.5 * (b - a)) break;
    let parabolic = false;
    if (Math.abs(e) > tol1) {
      const r = (x - w) * (fx - fv);
      let q = (x - v) * (fx - fw);
      let p = (x - v) * q - (x - w) * r;
      q = 2 * (q - r);
      if (q > 0) p = -p;
      q = Math.abs(q);
      const previous = e;
      e = d;
      if (Math.abs(p) < Math.abs(0.5 * q * previous) && p > q * (a - x) && p < q * (b - x)) {
        d = p / q;
        const u = x + d;
        if (u - a < tol2 || b - u < tol2) d = x < m ? tol1 : -tol1;
        parabolic = true;
      }
    }
    if (!parabolic) {
      e = x >= m ? a - x : b - x;
      d = GOLDEN * e;
    }
    const u = x + (Math.abs(d) >= tol1 ? d : d >= 0 ? tol1 : -tol1);
    const fu = f(u);
    if (fu <= fx) {
      if (u >= x) a = x;
      else b = x;
      [v, fv, w, fw, x, fx] = [w, fw, x, fx, u, fu];
    } else {
      if (u < x) a = u;
      else b = u;
      if (fu <= fw || w === x) {
        [v, fv, w, fw] = [w, fw, u, fu];
      } else if (fu <= fv || v === x || v === w) {
        [v, fv] = [u, fu];
      }
    }
  }
  return x;
}
