/**
 * Dense linear algebra on float64 arrays: factorizations, solvers, Krylov
 * methods, tensor products and unfoldings. Everything is computed in float64
 * on the CPU; the Tensor layer converts to and from the dtype asked for.
 */
export { type Cholesky, type CholeskyOptions, cholesky } from './cholesky.js';
export { type Eigh, type EighOptions, eigh } from './eigh.js';
export { LinalgError, NonConvergenceError } from './errors.js';
export { gemm } from './gemm.js';
export {
  type CgOptions,
  cg,
  type KrylovOptions,
  type KrylovResult,
  type LinearOperator,
  minres,
} from './krylov.js';
export { type Lstsq, type LstsqOptions, lstsq, pinv } from './lstsq.js';
export {
  clone,
  diag,
  eye,
  fromArrays,
  gram,
  type MatmulOptions,
  type Matrix,
  matmul,
  matrix,
  matvec,
  norm,
  scaleCols,
  sliceCols,
  sub,
  toArrays,
  transpose,
  vecNorm,
  zeros,
} from './matrix.js';
export { khatriRao, kron } from './products.js';
export { meanDiagonal, PROXIMAL_WEIGHT, type ProximalSolveOptions, proximalSolve } from './proximal.js';
export { type QR, qr } from './qr.js';
export { type RandomizedSvdOptions, randomizedSvd } from './randomized.js';
export {
  choleskySolve,
  type LU,
  lu,
  luSolve,
  type RightHandSide,
  solve,
  solveTriangular,
  type TriangularOptions,
} from './solve.js';
export { type SVD, type SvdOptions, svd } from './svd.js';
export { fromMatrix, fromNdArray, toMatrix, toNdArray } from './tensor-bridge.js';
export {
  fold,
  type ModeProductOptions,
  modeProduct,
  multiModeProduct,
  type NdArray,
  ndarray,
  unfold,
} from './tensor-ops.js';
export { svdTruncated, type TruncatedMethod, type TruncatedSvdOptions } from './truncated.js';
