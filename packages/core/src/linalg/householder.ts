/**
 * Householder reflectors `H = I - tau v v^T` with `v[0] = 1`, chosen so that
 * `H x = beta e_1`. `beta` takes the sign opposite to `x[0]`, so `x[0] - beta`
 * never cancels.
 */
import { vecNorm } from './matrix.js';

export interface Reflector {
  tau: number;
  beta: number;
}

/**
 * Turns the strided vector `x[off + i*stride], i < len` into its reflector in
 * place: entry 0 becomes `beta`, entries 1.. become `v[1..]`. When the tail is
 * already zero, `tau = 0` (H = I) and `x` is left unchanged.
 */
export function makeReflector(x: Float64Array, off: number, len: number, stride: number): Reflector {
  const alpha = x[off];
  const sigma = len > 1 ? vecNorm(x, off + stride, len - 1, stride) : 0;
  if (sigma === 0) return { tau: 0, beta: alpha };
  const norm = Math.hypot(alpha, sigma);
  const beta = alpha >= 0 ? -norm : norm;
  const scale = 1 / (alpha - beta);
  for (let i = 1, k = off + stride; i < len; i++, k += stride) x[k] *= scale;
  x[off] = beta;
  return { tau: (beta - alpha) / beta, beta };
}
