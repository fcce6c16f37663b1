import { type LayerInfo, outputSize } from '@lowrank/core';

/**
 * The two orders a TR-conv layer (ring `O x K x I`, cores `A [R0, O, R1]`, `B [R1, K, R2]`,
 * `C [R2, I, R0]`) contracts its input in, both ending with the 1x1 conv of `A`:
 * - `input-first` (PSTRN): `C` as a 1x1 conv `I -> R0 R2` at the input size, then `B` as a
 *   `Kh x Kw` conv `R2 -> R1` on each of the `R0` slices: `I R0 R2 Hi Wi + R0 R1 R2 K Ho Wo`;
 * - `kernel-first`: `B` as a `Kh x Kw` conv `1 -> R1 R2` on each of the `I` input channels,
 *   then `C` as a 1x1 conv `I R2 -> R0` on each of the `R1` slices: `I R1 R2 K Ho Wo + I R0 R1 R2 Ho Wo`,
 *   cheaper when `R0` exceeds `I` (the kernel conv then runs on `I` slices, not `R0`).
 * Then `A` costs `R0 R1 O Ho Wo` in both.
 */
export type TrConvOrder = 'input-first' | 'kernel-first';

/** Multiply-adds per sample of a TR-conv layer at ring ranks `[R0, R1, R2]` run in `order`. */
export function trConvMacs(layer: LayerInfo, ranks: readonly number[], order: TrConvOrder): number {
  const [r0, r1, r2] = ranks;
  const i = layer.inChannels;
  const k = layer.kernel[0] * layer.kernel[1];
  const [hi, wi] = layer.inputSize ?? [1, 1];
  const [ho, wo] = outputSize(layer);
  const closing = r0 * r1 * layer.outChannels * ho * wo;
  if (order === 'input-first') return i * r0 * r2 * hi * wi + r0 * r1 * r2 * k * ho * wo + closing;
  return i * r1 * r2 * k * ho * wo + i * r0 * r1 * r2 * ho * wo + closing;
}

/** The cheaper order for the layer's input size (`input-first` on a tie). */
export function trConvOrder(layer: LayerInfo, ranks: readonly number[]): TrConvOrder {
  return trConvMacs(layer, ranks, 'kernel-first') < trConvMacs(layer, ranks, 'input-first')
    ? 'kernel-first'
    : 'input-first';
}
