import { add, conv2d, createEngine, type Engine, matmul, measuredCost, nn, type Tensor } from '@lowrank/core';
import { arbConvLayer, convLayer, linearLayer } from '@lowrank/core/testing';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cheapestOrder,
  legacyOrder,
  moduleBuilders,
  reconstructTr,
  TrConv2d,
  type TrFactors,
  TrLinear,
  trConvMacs,
  trConvOrder,
  trLinearPlan,
} from '../src/index.js';
import { relativeError, seedArb } from './helpers.js';

const engine = createEngine();
const product = (xs: readonly number[]) => xs.reduce((p, x) => p * x, 1);

function permutations(xs: number[]): number[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}

/** TR-FC rings of 2-4 cores: (m_k, n_k, R_k) each small. */
const ringArb = fc
  .array(
    fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 })),
    {
      minLength: 2,
      maxLength: 4,
    },
  )
  .map((cores) => ({ m: cores.map((c) => c[0]), n: cores.map((c) => c[1]), r: cores.map((c) => c[2]) }));

function matrixFactors(e: Engine, m: number[], n: number[], r: number[], seed: number): TrFactors {
  const d = m.length;
  return {
    layout: 'matrix',
    cores: m.map((mk, k) => e.randn([r[k], mk, n[k], r[(k + 1) % d]], { dtype: 'float64', seed: seed + k })),
    outModes: m,
    inModes: n,
    weightShape: [product(m), product(n)],
  };
}

describe('TR-FC contraction orders', () => {
  it('every order computes x W^T + b with the reconstructed weight (rel. 1e-12), and the layer measures the MACs its plan counts', async () => {
    await fc.assert(
      fc.asyncProperty(ringArb, seedArb, async ({ m, n, r }, seed) => {
        const f = matrixFactors(engine, m, n, r, seed);
        const bias = engine.randn([product(m)], { dtype: 'float64', seed: seed + 9 });
        const x = engine.randn([3, product(n)], { dtype: 'float64', seed: seed + 11 });
        const expected = add(matmul(x, reconstructTr(f), { transB: true }), bias);
        const info = linearLayer('fc', product(m), product(n));
        for (const order of permutations(m.map((_, k) => k))) {
          const layer = new TrLinear(engine, {
            outModes: m,
            inModes: n,
            ranks: r,
            bias: true,
            dtype: 'float64',
            order,
          });
          layer.loadFactors(f.cores, bias);
          expect(relativeError(await expected.data(), await layer.call(x).data())).toBeLessThan(1e-12);
          expect(measuredCost(layer, info).flops).toBe(trLinearPlan(m, n, r, order).macs);
          layer.dispose();
        }
        for (const t of [...f.cores, bias, x, expected]) t.dispose();
      }),
      { numRuns: 25 },
    );
  });

  it('cheapestOrder has the fewest MACs of all orders (brute force over the permutations)', () => {
    fc.assert(
      fc.property(ringArb, ({ m, n, r }) => {
        const all = permutations(m.map((_, k) => k)).map((o) => trLinearPlan(m, n, r, o).macs);
        expect(trLinearPlan(m, n, r, cheapestOrder(m, n, r)).macs).toBe(Math.min(...all));
      }),
      { numRuns: 200 },
    );
  });

  it('a layer saved without an order (before orders were chosen) contracts cores d-1..0 with the old weight layouts and rebuilds unchanged', async () => {
    const config = {
      outModes: [2, 3, 2],
      inModes: [3, 2, 2],
      ranks: [2, 3, 2],
      bias: false,
      dtype: 'float64' as const,
    };
    const layer = new TrLinear(engine, config);
    expect(layer.plan.order).toEqual(legacyOrder(3));
    // Old layouts: first core [m, n, R1, R0], middle ones as they are, last [R, m, R0, n].
    const perms = Object.fromEntries(layer.plan.steps.map((s) => [s.core, s.weightPerm]));
    expect(perms).toEqual({ 0: [1, 2, 3, 0], 1: [0, 1, 2, 3], 2: [0, 1, 3, 2] });
    const saved = await nn.saveModule(layer);
    const rebuilt = nn.loadModule(engine, saved, moduleBuilders) as TrLinear;
    expect(rebuilt.plan.order).toEqual(legacyOrder(3));
    const x = engine.randn([2, 12], { dtype: 'float64', seed: 1 });
    expect(await rebuilt.call(x).data()).toEqual(await layer.call(x).data());
  });

  it('orders that are not permutations of the cores are refused', () => {
    const config = {
      outModes: [2, 3],
      inModes: [3, 2],
      ranks: [2, 2],
      bias: false,
      dtype: 'float64' as const,
    };
    expect(() => new TrLinear(engine, { ...config, order: [0, 0] })).toThrow(
      /order \[0,0\] is not a permutation/,
    );
  });

  it('on LeNet-5 fc1 (120 x 400 as [4, 5, 6] x [5, 8, 10]) at ring ranks [4, 80, 4] the chosen order costs less than the old d-1..0 order', () => {
    const [m, n, r] = [
      [4, 5, 6],
      [5, 8, 10],
      [4, 80, 4],
    ];
    const chosen = trLinearPlan(m, n, r, cheapestOrder(m, n, r)).macs;
    expect(chosen).toBeLessThan(trLinearPlan(m, n, r, legacyOrder(3)).macs);
  });
});

describe('TR-conv contraction orders', () => {
  const rankArb = fc.tuple(
    fc.integer({ min: 1, max: 6 }),
    fc.integer({ min: 1, max: 4 }),
    fc.integer({ min: 1, max: 4 }),
  );

  it('both orders equal the dense conv with the reconstructed kernel (stride, padding, dilation; rel. 1e-12), measure the MACs trConvMacs counts, and trConvOrder picks the cheaper', async () => {
    await fc.assert(
      fc.asyncProperty(arbConvLayer(), rankArb, seedArb, async (layer, [r0, r1, r2], seed) => {
        const [o, i, kh, kw] = layer.weightShape;
        const modes = [o, kh * kw, i];
        const ranks = [r0, r1, r2];
        const f: TrFactors = {
          layout: 'conv',
          cores: modes.map((nk, k) =>
            engine.randn([ranks[k], nk, ranks[(k + 1) % 3]], { dtype: 'float64', seed: seed + k }),
          ),
          outModes: [o],
          inModes: [i],
          weightShape: [o, i, kh, kw],
        };
        const bias = layer.bias ? engine.randn([o], { dtype: 'float64', seed: seed + 5 }) : null;
        const x = engine.randn([2, i, ...(layer.inputSize ?? [7, 8])], { dtype: 'float64', seed: seed + 7 });
        const expected: Tensor = conv2d(x, reconstructTr(f), bias, {
          stride: layer.stride,
          padding: layer.padding,
          dilation: layer.dilation,
        });
        for (const order of ['input-first', 'kernel-first'] as const) {
          const module = new TrConv2d(engine, {
            inChannels: i,
            outChannels: o,
            ranks: [r0, r1, r2],
            kernelSize: [kh, kw],
            stride: [...layer.stride],
            padding: [...layer.padding],
            dilation: [...layer.dilation],
            bias: layer.bias,
            dtype: 'float64',
            order,
          }).loadFactors(f.cores, bias);
          expect(relativeError(await expected.data(), await module.call(x).data())).toBeLessThan(1e-12);
          expect(measuredCost(module, layer).flops).toBe(trConvMacs(layer, ranks, order));
          module.dispose();
        }
        const chosen = trConvMacs(layer, ranks, trConvOrder(layer, ranks));
        expect(chosen).toBe(
          Math.min(trConvMacs(layer, ranks, 'input-first'), trConvMacs(layer, ranks, 'kernel-first')),
        );
        for (const t of [...f.cores, x, expected]) t.dispose();
        bias?.dispose();
      }),
      { numRuns: 30 },
    );
  });

  it('on LeNet-5 conv2 (16 x 6 x 5 x 5 at 14 x 14) at ring ranks [18, 3, 3] the kernel-first order is chosen and costs less than PSTRN', () => {
    const layer = convLayer('conv2', 16, 6, [5, 5], { inputSize: [14, 14] });
    expect(trConvOrder(layer, [18, 3, 3])).toBe('kernel-first');
    expect(trConvMacs(layer, [18, 3, 3], 'kernel-first')).toBeLessThan(
      trConvMacs(layer, [18, 3, 3], 'input-first'),
    );
  });
});
