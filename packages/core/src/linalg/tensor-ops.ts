/**
 * N-d arrays (row-major, float64) and the tensor-algebra operations the
 * decompositions are written in: mode-n unfolding and folding, and mode-n
 * products.
 *
 * Conventions (ALGORITHMS.md, matching TensorLy and PyTorch):
 * `unfold(X, n) = reshape(moveaxis(X, n, 0), (I_n, -1))`, so the columns of
 * the unfolding run over the remaining modes in increasing order, the last
 * fastest. `X x_n U` (with `U: J x I_n`) replaces mode n by `J` and satisfies
 * `unfold(X x_n U, n) = U unfold(X, n)`.
 *
 * Every operation views the array as `(L, I_n, R)` (`L` the product of the
 * sizes before mode n, `R` after), so nothing is ever physically permuted
 * beyond one contiguous copy per `(l, i)` pair.
 */
import { LinalgError } from './errors.js';
import { gemm } from './gemm.js';
import { type Matrix, transpose } from './matrix.js';

export interface NdArray {
  shape: number[];
  /** Row-major: the last index varies fastest. */
  data: Float64Array;
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((p, s) => p * s, 1);
}

/** Wraps `data` (a Float64Array is used as-is, anything else converted) or allocates zeros. */
export function ndarray(shape: readonly number[], data?: ArrayLike<number>): NdArray {
  for (const s of shape) {
    if (!Number.isInteger(s) || s < 0)
      throw new LinalgError('ndarray', shape, 'sizes must be non-negative integers');
  }
  const size = sizeOf(shape);
  if (data === undefined) return { shape: [...shape], data: new Float64Array(size) };
  if (data.length !== size)
    throw new LinalgError('ndarray', shape, `expected ${size} values, got ${data.length}`);
  return { shape: [...shape], data: data instanceof Float64Array ? data : Float64Array.from(data) };
}

/** `(L, I_n, R)` for mode `n`, after checking it exists. */
function split(fn: string, shape: readonly number[], mode: number): [number, number, number] {
  if (!Number.isInteger(mode) || mode < 0 || mode >= shape.length) {
    throw new LinalgError(fn, shape, `mode ${mode} is out of range for ${shape.length} modes`);
  }
  return [sizeOf(shape.slice(0, mode)), shape[mode], sizeOf(shape.slice(mode + 1))];
}

/** The mode-`n` unfolding, `I_n x (product of the other sizes)`. */
export function unfold(x: NdArray, mode: number): Matrix {
  const [L, I, R] = split('unfold', x.shape, mode);
  const cols = L * R;
  const out = new Float64Array(I * cols);
  for (let l = 0; l < L; l++) {
    for (let i = 0; i < I; i++) {
      const src = (l * I + i) * R;
      out.set(x.data.subarray(src, src + R), i * cols + l * R);
    }
  }
  return { rows: I, cols, data: out };
}

/** The inverse of `unfold`: the array of `shape` whose mode-`n` unfolding is `m`. */
export function fold(m: Matrix, mode: number, shape: readonly number[]): NdArray {
  const [L, I, R] = split('fold', shape, mode);
  if (m.rows !== I || m.cols !== L * R) {
    throw new LinalgError(
      'fold',
      [m.rows, m.cols],
      `is not the mode-${mode} unfolding of shape ${shape.join('x')}`,
    );
  }
  const out = new Float64Array(I * L * R);
  for (let l = 0; l < L; l++) {
    for (let i = 0; i < I; i++) {
      const src = i * m.cols + l * R;
      out.set(m.data.subarray(src, src + R), (l * I + i) * R);
    }
  }
  return { shape: [...shape], data: out };
}

export interface ModeProductOptions {
  /** Multiply by `U^T` (`U` is then `I_n x J`): projections such as `X x_1 U^T` without forming `U^T`. */
  transpose?: boolean;
}

/** `X x_n U`: mode `n` (size `I_n`) becomes size `J` for `U: J x I_n`. */
export function modeProduct(x: NdArray, u: Matrix, mode: number, opts: ModeProductOptions = {}): NdArray {
  const [L, I, R] = split('modeProduct', x.shape, mode);
  const ut = opts.transpose ? transpose(u) : u;
  if (ut.cols !== I) {
    throw new LinalgError(
      'modeProduct',
      [u.rows, u.cols],
      `matrix${opts.transpose ? ' (transposed)' : ''} must have ${I} columns to act on mode ${mode} of ${x.shape.join('x')}`,
    );
  }
  const J = ut.rows;
  const shape = [...x.shape];
  shape[mode] = J;
  const out = new Float64Array(L * J * R);
  if (R === 1) {
    // Last mode: Y (L x J) = X (L x I) U^T, one product.
    const uT = opts.transpose ? u : transpose(u);
    gemm(L, J, I, 1, x.data, 0, I, uT.data, 0, J, 0, out, 0, J);
  } else {
    // Y[l] (J x R) = U X[l] (I x R) for every leading index l.
    for (let l = 0; l < L; l++) gemm(J, R, I, 1, ut.data, 0, I, x.data, l * I * R, R, 0, out, l * J * R, R);
  }
  return { shape, data: out };
}

/**
 * `X x_1 U_1 x_2 U_2 ...` over the modes whose factor is given (`null` or a
 * missing entry skips the mode), e.g. a Tucker core `W x_1 U^T x_2 V^T` or the
 * reconstruction `G x_1 U x_2 V`. Modes are applied in the order that shrinks
 * the array fastest; the result does not depend on the order.
 */
export function multiModeProduct(
  x: NdArray,
  factors: readonly (Matrix | null | undefined)[],
  opts: ModeProductOptions = {},
): NdArray {
  if (factors.length > x.shape.length) {
    throw new LinalgError(
      'multiModeProduct',
      x.shape,
      `${factors.length} factors for ${x.shape.length} modes`,
    );
  }
  const modes: number[] = [];
  factors.forEach((f, m) => {
    if (f) modes.push(m);
  });
  const ratio = (m: number): number => {
    const f = factors[m]!;
    return (opts.transpose ? f.cols : f.rows) / x.shape[m];
  };
  modes.sort((a, b) => ratio(a) - ratio(b));
  let y = x;
  for (const m of modes) y = modeProduct(y, factors[m]!, m, opts);
  return y;
}
