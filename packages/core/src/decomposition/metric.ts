import type { Tensor } from '../tensor.js';

/**
 * What a decomposition minimises; the meeting point of norm and decomposition
 * plugins. With `W_mat` the weight as O x P (P = I*Kh*Kw, im2col order):
 * - frobenius: `‖W - What‖_F`;
 * - whitened: `‖(W_mat - What_mat) L‖_F` with `L` (P x P, lower triangular,
 *   L L^T = Sigma) from the Sigma norm. With `mean` (the input patch mean `mu`, length
 *   P), `L` whitens the centred covariance and the layer's mean output error
 *   `(W_mat - What_mat) mu` belongs in its bias (`correctedBias`): then the norm is the
 *   whole output error, without spending ranks on the mean response;
 * - weighted: `sum F (W - What)^2` with `F` shaped like W (Fisher, activation).
 */
export type Metric =
  | { kind: 'frobenius' }
  | { kind: 'whitened'; factor: Tensor; mean?: Tensor }
  | { kind: 'weighted'; weights: Tensor };

export const FROBENIUS: Metric = { kind: 'frobenius' };
