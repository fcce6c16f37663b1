import { linalg } from '@lowrank/core';
import { minimizeBounded } from './brent.js';

/** What EVBMF finds for a matrix: the rank, the noise variance and the singular-value threshold. */
export interface EvbmfResult {
  rank: number;
  /** The estimated noise variance `sigma^2`. */
  sigma2: number;
  /** Singular values above `sqrt(M sigma^2 x_bar)` count towards the rank. */
  threshold: number;
}

/** `tau(x) = (x - (1+alpha) + sqrt((x - (1+alpha))^2 - 4 alpha)) / 2`. */
function tau(x: number, alpha: number): number {
  const t = x - (1 + alpha);
  return 0.5 * (t + Math.sqrt(t * t - 4 * alpha));
}

/**
 * Empirical variational Bayesian matrix factorization (Nakajima et al. 2013) as
 * ALGORITHMS.md states it: for `Y` (`L x M`, transposed so `L <= M`) with singular values
 * `g_h`, `sigma^2` minimises `Phi` over `[lb, ub]` by bounded Brent; the rank is the count
 * of `g_h` above `sqrt(M sigma^2 x_bar)`. All `H = L` singular values are used, so the
 * residual and the `(L - H) ln sigma^2` term are zero. A zero matrix has rank 0.
 */
export function evbmf(y: linalg.Matrix): EvbmfResult {
  const [l, m] = y.rows <= y.cols ? [y.rows, y.cols] : [y.cols, y.rows];
  if (l === 0) return { rank: 0, sigma2: 0, threshold: 0 };
  const g = linalg.svd(y).s;
  const g2 = Array.from(g, (s) => s * s);
  const alpha = l / m;
  const tauBar = 2.5129 * Math.sqrt(alpha);
  const xBar = (1 + tauBar) * (1 + alpha / tauBar);
  const upper = g2.reduce((a, b) => a + b, 0) / (l * m);
  if (upper === 0) return { rank: 0, sigma2: 0, threshold: 0 };
  const e = Math.min(Math.ceil(l / (1 + alpha)) - 1, l) - 1;
  const tail = g2.slice(e + 1);
  const lower = Math.min(
    upper,
    Math.max(g2[e + 1] / (m * xBar), tail.reduce((a, b) => a + b, 0) / tail.length / m),
  );

  // Phi(s2); a zero singular value always takes the first branch, where x_h - ln x_h
  // = -ln 0 + ln(M s2): its infinite constant is dropped, which leaves the minimiser alone.
  const phi = (s2: number): number => {
    let total = 0;
    for (const gh2 of g2) {
      const x = gh2 / (m * s2);
      if (gh2 === 0) {
        total += Math.log(m * s2);
      } else if (x <= xBar) {
        total += x - Math.log(x);
      } else {
        const t = tau(x, alpha);
        total += x - t + Math.log((t + 1) / x) + alpha * Math.log(t / alpha + 1);
      }
    }
    return total;
  };
  const sigma2 = lower < upper ? minimizeBounded(phi, lower, upper, 1e-12 * upper) : upper;
  const threshold = Math.sqrt(m * sigma2 * xBar);
  return { rank: g.filter((s) => s > threshold).length, sigma2, threshold };
}

/** The EVBMF rank of a matrix: the count of its singular values above the EVBMF threshold. */
export function evbmfRank(y: linalg.Matrix): number {
  return evbmf(y).rank;
}
