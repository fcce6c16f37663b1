import type { LayerInfo } from '@lowrank/core';
import { balancedFactors } from './balanced-factors.js';
import { ttRankBounds } from './tt-svd.js';

/**
 * How a layer's weight becomes a tensor train:
 * - `matrix`: a linear layer `O x I` as a TT-matrix, cores `r_{k-1} x m_k x n_k x r_k` over
 *   `O = prod m_k`, `I = prod n_k`;
 * - `three-core`: a conv kernel as `O x K x I` (`K = Kh Kw`), cores `1 x O x r1`, `r1 x K x r2`,
 *   `r2 x I x 1`;
 * - `channels`: a conv kernel as `o_1 x .. x o_a x K x i_1 x .. x i_b` (`O = prod o_k`,
 *   `I = prod i_k`), the middle core a real conv kernel.
 */
export type TtLayoutKind = 'matrix' | 'three-core' | 'channels';

/** Mode factorisations of a layer's output and input sizes. */
export interface ChannelModes {
  out: number[];
  in: number[];
}

/** Choices made when the plugin is registered: they fix what the ranks of each layer mean. */
export interface TtSettings {
  /** Conv layout: `'three-core'` (default; admm paper Table 7) or `'channels'` (channels factorised too). */
  layout?: 'three-core' | 'channels';
  /** Cores of a linear layer's TT-matrix when `modes` does not say (default 3). */
  linearCores?: number;
  /** Factors of each channel count in the `channels` layout when `modes` does not say (default 2). */
  channelCores?: number;
  /** Explicit factorisations per layer (linear layers and the `channels` layout); `undefined` balances them. */
  modes?: (layer: LayerInfo) => ChannelModes | undefined;
}

export interface TtLayout {
  kind: TtLayoutKind;
  outModes: number[];
  inModes: number[];
  /** The modes of the tensor the TT is computed on. */
  modes: number[];
}

const product = (xs: readonly number[]) => xs.reduce((p, x) => p * x, 1);

function isFactorisation(xs: unknown, n: number): xs is number[] {
  return (
    Array.isArray(xs) && xs.length > 0 && xs.every((x) => Number.isInteger(x) && x >= 1) && product(xs) === n
  );
}

/** The layout of a supported layer, or the reason it has none. */
export function ttLayout(layer: LayerInfo, settings: TtSettings): TtLayout | { reason: string } {
  if (layer.kind !== 'linear' && layer.kind !== 'conv2d')
    return { reason: `a ${String(layer.kind)} layer is neither linear nor conv2d` };
  if (layer.groups !== 1) {
    return {
      reason: `it is a grouped conv (groups = ${layer.groups}); TT layers support groups = 1 only, decompose each group's layer separately or use another plugin`,
    };
  }
  const [o, i] = [layer.outChannels, layer.inChannels];
  const k = layer.kernel[0] * layer.kernel[1];
  const layout = settings.layout ?? 'three-core';
  if (layout !== 'three-core' && layout !== 'channels')
    return { reason: `unknown layout '${String(layout)}'; use 'three-core' or 'channels'` };
  if (layer.kind === 'conv2d' && layout === 'three-core') {
    return { kind: 'three-core', outModes: [o], inModes: [i], modes: [o, k, i] };
  }
  const given = settings.modes?.(layer);
  const cores = layer.kind === 'linear' ? (settings.linearCores ?? 3) : (settings.channelCores ?? 2);
  if (!Number.isInteger(cores) || cores < 1 || (layer.kind === 'linear' && cores < 2)) {
    return {
      reason: `${cores} cores per side is not allowed (a linear layer needs at least 2, a channel side at least 1)`,
    };
  }
  const outModes = given?.out ?? balancedFactors(o, cores);
  const inModes = given?.in ?? balancedFactors(i, cores);
  if (!isFactorisation(outModes, o) || !isFactorisation(inModes, i)) {
    return {
      reason: `modes [${String(outModes)}] x [${String(inModes)}] do not factor its ${o} outputs and ${i} inputs`,
    };
  }
  if (layer.kind === 'linear') {
    if (outModes.length !== inModes.length || outModes.length < 2) {
      return {
        reason: `a TT-matrix needs as many output modes as input modes, at least 2 each; got [${outModes}] and [${inModes}]`,
      };
    }
    return { kind: 'matrix', outModes, inModes, modes: outModes.map((m, j) => m * inModes[j]) };
  }
  return { kind: 'channels', outModes, inModes, modes: [...outModes, k, ...inModes] };
}

/** Rank labels and bounds of a layout. */
export function layoutRankSpec(layout: TtLayout): { labels: string[]; max: number[]; min: number[] } {
  const max = ttRankBounds(layout.modes);
  const labels =
    layout.kind === 'three-core' ? ['r1 (output side)', 'r2 (input side)'] : max.map((_, k) => `r${k + 1}`);
  return { labels, max, min: max.map(() => 1) };
}
