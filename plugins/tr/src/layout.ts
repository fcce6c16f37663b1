import type { LayerInfo } from '@lowrank/core';
import { balancedFactors } from '@lowrank/tt';

/**
 * How a layer's weight becomes a tensor ring:
 * - `matrix` (TR-FC): a linear layer `O x I` tensorized like a TT-matrix, modes `m_k n_k`,
 *   cores `R_k x m_k x n_k x R_{k+1}`, the last closing on `R_0`;
 * - `conv`: a conv kernel as the ring `O x K x I` (`K = Kh Kw`) with cores `[R_0, O, R_1]`,
 *   `[R_1, K, R_2]`, `[R_2, I, R_0]`.
 */
export type TrLayoutKind = 'matrix' | 'conv';

/** Choices made when the plugin is registered: they fix what the ranks of each layer mean. */
export interface TrSettings {
  /** Cores of a linear layer's ring when `modes` does not say (default 3). */
  linearCores?: number;
  /** Explicit factorisations of a linear layer's output and input sizes; `undefined` balances them. */
  modes?: (layer: LayerInfo) => { out: number[]; in: number[] } | undefined;
}

export interface TrLayout {
  kind: TrLayoutKind;
  outModes: number[];
  inModes: number[];
  /** The modes of the ring. */
  modes: number[];
  /** The mode TR-SVD cuts the ring at: the largest (the first of equals), so that `R_s R_{s+1}` has room. */
  start: number;
}

const product = (xs: readonly number[]) => xs.reduce((p, x) => p * x, 1);

function isFactorisation(xs: unknown, n: number): xs is number[] {
  return (
    Array.isArray(xs) && xs.length > 0 && xs.every((x) => Number.isInteger(x) && x >= 1) && product(xs) === n
  );
}

function withStart(kind: TrLayoutKind, outModes: number[], inModes: number[], modes: number[]): TrLayout {
  return { kind, outModes, inModes, modes, start: modes.indexOf(Math.max(...modes)) };
}

/** The layout of a supported layer, or the reason it has none. */
export function trLayout(layer: LayerInfo, settings: TrSettings): TrLayout | { reason: string } {
  if (layer.kind !== 'linear' && layer.kind !== 'conv2d')
    return { reason: `a ${String(layer.kind)} layer is neither linear nor conv2d` };
  if (layer.groups !== 1) {
    return {
      reason: `it is a grouped conv (groups = ${layer.groups}); TR layers support groups = 1 only, decompose each group's layer separately or use another plugin`,
    };
  }
  const [o, i] = [layer.outChannels, layer.inChannels];
  if (layer.kind === 'conv2d') return withStart('conv', [o], [i], [o, layer.kernel[0] * layer.kernel[1], i]);
  const given = settings.modes?.(layer);
  const cores = settings.linearCores ?? 3;
  if (!Number.isInteger(cores) || cores < 2)
    return { reason: `${cores} cores is not allowed for a linear layer's ring (at least 2)` };
  const outModes = given?.out ?? balancedFactors(o, cores);
  const inModes = given?.in ?? balancedFactors(i, cores);
  if (
    !isFactorisation(outModes, o) ||
    !isFactorisation(inModes, i) ||
    outModes.length !== inModes.length ||
    outModes.length < 2
  ) {
    return {
      reason: `modes [${String(outModes)}] x [${String(inModes)}] do not factor its ${o} outputs and ${i} inputs into as many modes each (at least 2)`,
    };
  }
  return withStart(
    'matrix',
    outModes,
    inModes,
    outModes.map((m, k) => m * inModes[k]),
  );
}

/**
 * Ring-rank labels and bounds. The two ranks at the cut, `R_s` and `R_{s+1}`, are at most
 * `floor(sqrt(min(n_s, N / n_s)))` each, so that any pair in the box fits TR-SVD's first
 * unfolding; every other `R_k` is at most what the train from the cut can carry,
 * `min(q prod_{s<j<k} n_j, q prod_{k<=j<s} n_j)` (indices cyclic, `q` the pair bound).
 */
export function layoutRankSpec(layout: TrLayout): { labels: string[]; max: number[]; min: number[] } {
  const { modes, start } = layout;
  const d = modes.length;
  const total = product(modes);
  const q = Math.floor(Math.sqrt(Math.min(modes[start], total / modes[start])));
  const max = modes.map((_, k) => {
    const j = (k - start + d) % d; // position of rank k after rotating the cut to 0
    if (j <= 1) return q;
    const rotated = modes.map((__, t) => modes[(start + t) % d]);
    return Math.min(q * product(rotated.slice(1, j)), q * product(rotated.slice(j)));
  });
  const labels =
    layout.kind === 'conv'
      ? ['R0 (input-output)', 'R1 (output-kernel)', 'R2 (kernel-input)']
      : modes.map((_, k) => `R${k}`);
  return { labels, max, min: max.map(() => 1) };
}
