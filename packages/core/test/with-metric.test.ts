import { describe, expect, it } from 'vitest';
import {
  type DecomposeOptions,
  type DecompositionPlugin,
  decomposeWithMetric,
  type Engine,
  FROBENIUS,
  type LayerInfo,
  linalg,
  type Metric,
  matmul,
  refineFactors,
  relativeError,
  type Tensor,
} from '../src/index.js';
import { f64, newEngine, values } from './util.js';

/** Test-only decomposition: a rank-r factorisation `W ~ A B` of a linear weight by truncated SVD. */
interface MatrixFactors {
  a: Tensor;
  b: Tensor;
}

function matrixFactorisation(metrics?: Metric['kind'][]): DecompositionPlugin<MatrixFactors> & {
  calls: Metric['kind'][];
} {
  const calls: Metric['kind'][] = [];
  const decompose = async (
    weight: Tensor,
    layer: LayerInfo,
    ranks: readonly number[],
    o?: DecomposeOptions,
  ) => {
    calls.push(o?.metric?.kind ?? 'frobenius');
    const [rows, cols] = layer.weightShape;
    const w = await linalg.toMatrix(weight);
    const r = ranks[0];
    const { U: u, s, V: v } = linalg.svd(w);
    const a = linalg.zeros(rows, r);
    const b = linalg.zeros(r, cols);
    for (let i = 0; i < rows; i++)
      for (let k = 0; k < r; k++) a.data[i * r + k] = u.data[i * u.cols + k] * s[k];
    for (let k = 0; k < r; k++) for (let j = 0; j < cols; j++) b.data[k * cols + j] = v.data[j * v.cols + k];
    return {
      a: linalg.fromMatrix(weight.engine, a, weight.dtype),
      b: linalg.fromMatrix(weight.engine, b, weight.dtype),
    };
  };
  return {
    kind: 'decomposition',
    name: 'matrix-factorisation',
    metrics,
    calls,
    supports: () => ({ ok: true }),
    rankSpec: (layer) => ({ labels: ['r'], min: [1], max: [Math.min(...layer.weightShape)] }),
    cost: (layer, ranks) => ({ params: ranks[0] * (layer.weightShape[0] + layer.weightShape[1]), flops: 0 }),
    decompose,
    reconstruct: (f) => matmul(f.a, f.b),
    async project(weight, layer, ranks) {
      const f = await decompose(weight, layer, ranks);
      const out = matmul(f.a, f.b);
      f.a.dispose();
      f.b.dispose();
      return out;
    },
    layer: () => {
      throw new Error('not needed in these tests');
    },
  };
}

function linearInfo(o: number, i: number): LayerInfo {
  return {
    name: 'fc',
    kind: 'linear',
    weightShape: [o, i],
    inChannels: i,
    outChannels: o,
    kernel: [1, 1],
    stride: [1, 1],
    padding: [0, 0, 0, 0],
    dilation: [1, 1],
    groups: 1,
    bias: true,
  };
}

/** A float64 `o x i` weight with a decaying spectrum, so low ranks are meaningful. */
function weightOf(engine: Engine, o: number, i: number, seed: number): Tensor {
  const g = engine.randn([o, i], { dtype: 'float64', seed });
  const decay = engine.fromData(
    Float64Array.from({ length: i }, (_, j) => 0.7 ** j),
    [1, i],
  );
  const w = g.mul(decay);
  g.dispose();
  decay.dispose();
  return w;
}

async function errorOf(
  plugin: DecompositionPlugin<MatrixFactors>,
  f: MatrixFactors,
  metric: Metric,
  w: Tensor,
): Promise<number> {
  const approx = plugin.reconstruct(f);
  const e = await relativeError(metric, w, approx);
  approx.dispose();
  return e;
}

describe('relativeError', () => {
  const engine = newEngine();
  const w = f64(engine, [1, 2, 3, 4], [2, 2]);
  const approx = f64(engine, [1, 1, 3, 5], [2, 2]);

  it('frobenius: ‖W - What‖_F / ‖W‖_F by hand (1e-15)', async () => {
    expect(await relativeError(FROBENIUS, w, approx)).toBeCloseTo(Math.sqrt(2 / 30), 15);
  });

  it('weighted: sqrt(sum F d^2 / sum F W^2) by hand (1e-15)', async () => {
    const weights = f64(engine, [1, 2, 0.5, 3], [2, 2]);
    const expected = Math.sqrt((2 * 1 + 3 * 1) / (1 + 2 * 4 + 0.5 * 9 + 3 * 16));
    expect(await relativeError({ kind: 'weighted', weights }, w, approx)).toBeCloseTo(expected, 15);
  });

  it('whitened: ‖(W - What) L‖ / ‖W L‖ by hand (1e-15)', async () => {
    const factor = f64(engine, [2, 0, 1, 1], [2, 2]);
    // D = [[0, 1], [0, -1]]: D L = [[1, 1], [-1, -1]]; W L = [[4, 2], [10, 4]].
    const expected = Math.sqrt(4 / (16 + 4 + 100 + 16));
    expect(await relativeError({ kind: 'whitened', factor }, w, approx)).toBeCloseTo(expected, 15);
  });

  it('names the layer on a shape mismatch', async () => {
    const info = linearInfo(2, 2);
    const wrong = f64(engine, [1, 2, 3], [3]);
    await expect(relativeError(FROBENIUS, w, wrong, info)).rejects.toThrow(/'fc'.*same shape/);
    const badL = f64(engine, [1, 0, 0, 0, 1, 0, 0, 0, 1], [3, 3]);
    await expect(relativeError({ kind: 'whitened', factor: badL }, w, approx, info)).rejects.toThrow(
      /'fc'.*\[2, 2\]/,
    );
  });
});

describe('decomposeWithMetric', () => {
  it('dispatches native metrics to the plugin', async () => {
    const engine = newEngine();
    const plugin = matrixFactorisation(['frobenius', 'weighted']);
    const w = weightOf(engine, 6, 5, 1);
    const info = linearInfo(6, 5);
    const weights = engine.rand([6, 5], { dtype: 'float64', seed: 2 });
    await decomposeWithMetric(plugin, w, info, [2], { metric: { kind: 'weighted', weights } });
    expect(plugin.calls).toEqual(['weighted']);
  });

  it('with all weights equal or L = I, the result equals the Frobenius one (1e-12)', async () => {
    const engine = newEngine();
    const plugin = matrixFactorisation();
    const w = weightOf(engine, 8, 6, 3);
    const info = linearInfo(8, 6);
    const base = plugin.reconstruct(await plugin.decompose(w, info, [2]));
    for (const metric of [
      { kind: 'weighted', weights: engine.full([8, 6], 0.3, 'float64') },
      { kind: 'whitened', factor: engine.eye(6, 6, 'float64') },
    ] as Metric[]) {
      const f = await decomposeWithMetric(plugin, w, info, [2], { metric });
      const got = plugin.reconstruct(f);
      const diff = Math.max(...values(got).map((v, k) => Math.abs(v - values(base)[k])));
      expect(diff).toBeLessThan(1e-12);
    }
  });

  it('EM imputation: the weighted error trace is non-increasing (1e-12) and ends below Frobenius', async () => {
    const engine = newEngine();
    const plugin = matrixFactorisation();
    const w = weightOf(engine, 10, 8, 4);
    const info = linearInfo(10, 8);
    const weights = engine.rand([10, 8], { dtype: 'float64', seed: 5, low: 0.01, high: 1 }).square();
    const metric: Metric = { kind: 'weighted', weights };
    const trace: number[] = [];
    const f = await decomposeWithMetric(plugin, w, info, [2], {
      metric,
      refine: false,
      imputation: { iterations: 30, tol: 0 },
      onIteration: (_i, e) => trace.push(e),
    });
    expect(trace.length).toBeGreaterThan(2);
    for (let k = 1; k < trace.length - 1; k++) expect(trace[k]).toBeLessThanOrEqual(trace[k - 1] + 1e-12);
    const frob = await plugin.decompose(w, info, [2]);
    expect(await errorOf(plugin, f, metric, w)).toBeLessThan((await errorOf(plugin, frob, metric, w)) * 0.99);
  });

  it('whitened refinement strictly improves a Frobenius solution that is not optimal', async () => {
    const engine = newEngine();
    const plugin = matrixFactorisation();
    const w = weightOf(engine, 8, 6, 6);
    const info = linearInfo(8, 6);
    const factor = engine.fromData(
      Float64Array.from({ length: 36 }, (_, k) => {
        const [r, c] = [Math.floor(k / 6), k % 6];
        return r === c ? 3 ** -r : r > c ? 0.2 : 0;
      }),
      [6, 6],
    );
    const metric: Metric = { kind: 'whitened', factor };
    const frob = await plugin.decompose(w, info, [2]);
    const start = await errorOf(plugin, frob, metric, w);
    const f = await decomposeWithMetric(plugin, w, info, [2], { metric, refine: { iterations: 150 } });
    expect(await errorOf(plugin, f, metric, w)).toBeLessThan(start * 0.95);
  });
});

describe('refineFactors', () => {
  it('never increases the metric error, for float32 and float64 factors (property over seeds)', async () => {
    for (const seed of [1, 2, 3]) {
      for (const dtype of ['float32', 'float64'] as const) {
        const engine = newEngine(seed);
        const plugin = matrixFactorisation();
        const w64 = weightOf(engine, 7, 5, seed);
        const w = w64.cast(dtype);
        const info = linearInfo(7, 5);
        const weights = engine.rand([7, 5], { dtype: 'float64', seed: seed + 10 });
        const metric: Metric = { kind: 'weighted', weights };
        const start = await plugin.decompose(w, info, [2]);
        const before = await errorOf(plugin, start, metric, w);
        const trace: number[] = [];
        const f = await refineFactors(plugin, start, w, metric, {
          iterations: 40,
          onIteration: (_i, e) => trace.push(e),
        });
        expect(await errorOf(plugin, f, metric, w)).toBeLessThanOrEqual(before);
        expect(f.a.dtype).toBe(dtype);
        for (let k = 1; k < trace.length; k++) expect(trace[k]).toBeLessThanOrEqual(trace[k - 1]);
      }
    }
  });

  it('leaves no tensors behind but the result', async () => {
    const engine = newEngine();
    const plugin = matrixFactorisation();
    const w = weightOf(engine, 5, 4, 9);
    const info = linearInfo(5, 4);
    const factor = engine.eye(4, 4, 'float64');
    const start = await plugin.decompose(w, info, [1]);
    const before = engine.memory().tensors;
    const f = await refineFactors(plugin, start, w, { kind: 'whitened', factor }, { iterations: 5 });
    expect(engine.memory().tensors).toBe(before + 2);
    f.a.dispose();
    f.b.dispose();
  });

  it('refines against a weight that is a parameter (requires grad) without touching its graph', async () => {
    const engine = newEngine();
    const plugin = matrixFactorisation();
    const w = weightOf(engine, 6, 4, 2).requireGrad();
    const info = linearInfo(6, 4);
    const metric: Metric = { kind: 'weighted', weights: engine.rand([6, 4], { dtype: 'float64', seed: 3 }) };
    const f = await decomposeWithMetric(plugin, w, info, [1], { metric, refine: { iterations: 20 } });
    expect(f.a.requiresGrad).toBe(false);
    expect(w.grad).toBeNull();
  });

  it('refuses factors without tensors', async () => {
    const engine = newEngine();
    const plugin = matrixFactorisation() as unknown as DecompositionPlugin<object>;
    const w = weightOf(engine, 3, 3, 1);
    await expect(refineFactors(plugin, {}, w, FROBENIUS)).rejects.toThrow(/no tensors/);
  });
});
