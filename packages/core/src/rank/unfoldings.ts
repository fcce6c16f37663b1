import type { RankSpec } from '../decomposition/plugin.js';
import type { Matrix } from '../linalg/matrix.js';
import { type NdArray, unfold } from '../linalg/tensor-ops.js';

/** A matrix whose spectrum informs one rank, with its name for selection reasons. */
export interface RankUnfolding {
  /** e.g. 'unfold(W,0)', 'unfold(W,1)', 'W as (O*I) x (Kh*Kw)'. */
  label: string;
  matrix: Matrix;
}

/**
 * The matrix whose spectrum informs each rank of a decomposition (energy and VBMF
 * selectors), for a weight `[O, I]` or `[O, I, Kh, Kw]`:
 * - one rank (SVD, CP): `W_mat = unfold(W, 0)`, `O x I*Kh*Kw`;
 * - two ranks (Tucker2's `[R1 (out), R2 (in)]`, TT's three-core output/input sides):
 *   `unfold(W, 0)` and `unfold(W, 1)`;
 * - as many ranks as the weight has axes minus one, three or more (TT/TR on a conv
 *   weight in its own axes): the sequential unfoldings, `O x I*Kh*Kw`, `O*I x Kh*Kw`,
 *   `O*I*Kh x Kw`;
 * - any other count (TT/TR on tensorized layouts): `W_mat` for every rank.
 * Matrices shared by several ranks are the same object, so callers can cache their SVD.
 */
export function rankUnfoldings(weight: NdArray, spec: RankSpec): RankUnfolding[] {
  const count = spec.max.length;
  const matrixOf: RankUnfolding = { label: 'unfold(W,0)', matrix: unfold(weight, 0) };
  if (count === 2) return [matrixOf, { label: 'unfold(W,1)', matrix: unfold(weight, 1) }];
  const axes = weight.shape.length;
  if (count >= 3 && count === axes - 1) {
    const names = axes === 4 ? ['O', 'I', 'Kh', 'Kw'] : weight.shape.map((_, k) => `n${k + 1}`);
    return Array.from({ length: count }, (_, k) => {
      const rows = weight.shape.slice(0, k + 1).reduce((p, d) => p * d, 1);
      const label = `W as (${names.slice(0, k + 1).join('*')}) x (${names.slice(k + 1).join('*')})`;
      return { label, matrix: { rows, cols: weight.data.length / rows, data: weight.data } };
    });
  }
  return Array.from({ length: count }, () => matrixOf);
}
