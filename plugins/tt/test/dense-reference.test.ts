import {
  add,
  conv2d,
  createEngine,
  type Engine,
  matmul,
  mul,
  reshape,
  sum,
  type Tensor,
  transpose,
} from '@lowrank/core';
import { describe, expect, it } from 'vitest';
import {
  reconstructTt,
  TtConv2d,
  type TtConv2dConfig,
  TtLinear,
  type TtLinearConfig,
  ttConv2dPlan,
  ttLinearPlan,
} from '../src/index.js';
import { relativeError } from './helpers.js';
import { convCases, convConfig } from './layer-cases.js';

const engine = createEngine({ seed: 3 });

/** The dense TtLinear weight `[O, I]` from its cores' weights, by differentiable ops (reconstructTt). */
function linearReference(layer: TtLinear): Tensor {
  const { outModes, inModes, ranks } = layer.settings;
  const r = [1, ...ranks, 1];
  const cores = outModes.map((m, k) => reshape(layer.core(k).weight, [r[k], m, inModes[k], r[k + 1]]));
  const size = (xs: number[]) => xs.reduce((p, x) => p * x, 1);
  return reconstructTt({
    layout: 'matrix',
    cores,
    outModes,
    inModes,
    weightShape: [size(outModes), size(inModes)],
  });
}

/** The dense TtConv2d kernel `[O, I, Kh, Kw]` from `last`, `core` and `first`, by reconstructTt. */
function convReference(layer: TtConv2d): Tensor {
  const { inChannels: i, outChannels: o, ranks, kernelSize } = layer.settings;
  const [r1, r2] = ranks;
  const k = kernelSize[0] * kernelSize[1];
  const cores = [
    reshape(layer.last.weight, [1, o, r1]),
    transpose(reshape(layer.core.weight, [r1, r2, k]), [0, 2, 1]),
    reshape(layer.first.weight, [r2, i, 1]),
  ];
  return reconstructTt({
    layout: 'three-core',
    cores,
    outModes: [o],
    inModes: [i],
    weightShape: [o, i, ...kernelSize],
  });
}

/**
 * `fn(x)` (the layer's call or a reference) and the gradients of `sum(y * g)`, g fixed random,
 * with respect to the input and every parameter of `layer`, as arrays.
 */
async function outputAndGradients(
  e: Engine,
  layer: TtLinear | TtConv2d,
  x: Tensor,
  fn: (x: Tensor) => Tensor,
): Promise<ArrayLike<number>[]> {
  const input = x.detach().requireGrad();
  const y = fn(input);
  const g = e.randn(y.shape, { dtype: y.dtype, seed: 11 });
  const grads = e.gradients(sum(mul(y, g)), [input, ...layer.parameters()]);
  return Promise.all([y, ...grads].map((t) => t.data()));
}

/** The worst relative error, over the output and the gradients, between the layer and `reference`. */
async function worstError(
  e: Engine,
  layer: TtLinear | TtConv2d,
  x: Tensor,
  reference: (x: Tensor) => Tensor,
): Promise<number> {
  const got = await outputAndGradients(e, layer, x, (input) => layer.call(input));
  const expected = await outputAndGradients(e, layer, x, reference);
  return Math.max(
    ...expected.map((a, t) => {
      // A zero gradient would make the comparison empty.
      expect(Math.max(...Array.from(a, Math.abs))).toBeGreaterThan(0);
      return relativeError(a, got[t]);
    }),
  );
}

/** TT-matrix shapes and row counts whose plans are the plain contraction, a partial merge and the dense weight. */
const linearCases: [Omit<TtLinearConfig, 'dtype'>, number][] = [
  [{ outModes: [4, 5, 6], inModes: [5, 8, 10], ranks: [7, 7], bias: true }, 1],
  [{ outModes: [4, 5, 6], inModes: [5, 8, 10], ranks: [7, 7], bias: true }, 64],
  [{ outModes: [3, 4, 7], inModes: [4, 5, 6], ranks: [7, 7], bias: false }, 64],
  [{ outModes: [2, 3, 2, 2], inModes: [3, 2, 2, 3], ranks: [3, 5, 2], bias: true }, 12],
];

describe('TT layers against the layer with the reconstructed dense weight', () => {
  it('TtLinear: output and gradients (input, cores, bias) in every plan, float64 (rel. 1e-10)', async () => {
    const kinds = new Set<string>();
    for (const [config, rows] of linearCases) {
      const layer = new TtLinear(engine, { ...config, dtype: 'float64' });
      if (layer.bias) layer.bias.copyFrom(engine.randn(layer.bias.shape, { dtype: 'float64', seed: 5 }));
      const { segments } = ttLinearPlan(config.outModes, config.inModes, config.ranks, rows);
      kinds.add(
        segments.length === 1
          ? 'dense'
          : segments.length === config.outModes.length
            ? 'sequential'
            : 'partial',
      );
      const n = config.inModes.reduce((p, m) => p * m, 1);
      const x = engine.randn([rows, n], { dtype: 'float64', seed: rows });
      const error = await worstError(engine, layer, x, (input) => {
        const y = matmul(input, linearReference(layer), { transB: true });
        return layer.bias ? add(y, layer.bias) : y;
      });
      expect(error).toBeLessThan(1e-10);
    }
    expect([...kinds].sort()).toEqual(['dense', 'partial', 'sequential']);
  });

  it('TtConv2d: output and gradients (input, cores, bias) in all four forms, float64 (rel. 1e-10)', async () => {
    for (const [config, batch] of convCases()) {
      const layer = new TtConv2d(engine, config);
      const x = engine.randn([batch, config.inChannels, 9, 8], { dtype: 'float64', seed: batch });
      const error = await worstError(engine, layer, x, (input) =>
        conv2d(input, convReference(layer), layer.last.bias, config),
      );
      expect(error).toBeLessThan(1e-10);
    }
  });

  it("LeNet-5's TT layers (fc1, conv2) at batch 64 in float32: output and gradients within float32 rounding of the float64 dense reference (rel. 1e-5)", async () => {
    const fc1 = { outModes: [4, 5, 6], inModes: [5, 8, 10], ranks: [7, 7], bias: true };
    const conv2: TtConv2dConfig = {
      ...convConfig(6, 16, [7, 6], [5, 5]),
      stride: [1, 1],
      padding: [0, 0, 0, 0],
      dilation: [1, 1],
    };
    // Both layers merge cores at this batch.
    expect(ttLinearPlan(fc1.outModes, fc1.inModes, fc1.ranks, 64).segments.length).toBeLessThan(3);
    expect(ttConv2dPlan(conv2, 64, [14, 14]).mergeFirst).toBe(true);
    const cases: [TtLinear | TtConv2d, TtLinear | TtConv2d, number[]][] = [
      [
        new TtLinear(engine, { ...fc1, dtype: 'float32' }),
        new TtLinear(engine, { ...fc1, dtype: 'float64' }),
        [64, 400],
      ],
      [
        new TtConv2d(engine, { ...conv2, dtype: 'float32' }),
        new TtConv2d(engine, { ...conv2, dtype: 'float64' }),
        [64, 6, 14, 14],
      ],
    ];
    for (const [single, double, shape] of cases) {
      const params = single.parameters();
      double.parameters().forEach((p, t) => {
        p.copyFrom(params[t]);
      });
      const x = engine.randn(shape, { seed: 9 });
      const reference =
        double instanceof TtLinear
          ? (input: Tensor) =>
              add(matmul(input, linearReference(double), { transB: true }), double.bias as Tensor)
          : (input: Tensor) => conv2d(input, convReference(double), double.last.bias, conv2);
      const expected = await outputAndGradients(engine, double, x.cast('float64'), reference);
      const got = await outputAndGradients(engine, single, x, (input) => single.call(input));
      expected.forEach((e, t) => {
        expect(relativeError(e, got[t])).toBeLessThan(1e-5);
      });
    }
  });
});
