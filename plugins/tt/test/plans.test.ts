import { createEngine, type Engine, type TensorInfo } from '@lowrank/core';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TRANSPOSED_ELEMENT_MACS, TtConv2d, TtLinear, ttConv2dPlan, ttLinearPlan } from '../src/index.js';
import { sequentialSegments } from '../src/tt-linear-plan.js';
import { convCases, convConfig } from './layer-cases.js';

const engine = createEngine();

/**
 * Multiply-accumulates of the matmul and conv2d kernels (with or without the fused bias) and
 * elements of the transpose kernels `fn` runs, read off their shapes.
 */
function countWork(e: Engine, fn: () => void): { macs: number; moved: number } {
  const backend = e.backend;
  const { runKernel, runOptionalKernel } = backend;
  let macs = 0;
  let moved = 0;
  const count = (name: string, inputs: readonly TensorInfo[], attrs: unknown, out: TensorInfo[]) => {
    const size = out[0].shape.reduce((p, s) => p * s, 1);
    if (name === 'matmul') {
      const { transA } = attrs as { transA: boolean };
      const a = inputs[0].shape;
      macs += size * (transA ? a[a.length - 2] : a[a.length - 1]);
    }
    if (name === 'conv2d' || name === 'conv2dBias') {
      const [, cin, kh, kw] = inputs[1].shape;
      macs += size * cin * kh * kw;
    }
    if (name === 'transpose') moved += size;
  };
  backend.runKernel = function (this: typeof backend, ...args: Parameters<typeof runKernel>) {
    const out = runKernel.apply(this, args);
    count(args[0], args[1], args[2], out);
    return out;
  } as typeof runKernel;
  if (runOptionalKernel) {
    backend.runOptionalKernel = function (
      this: typeof backend,
      ...args: Parameters<typeof runOptionalKernel>
    ) {
      const out = runOptionalKernel.apply(this, args);
      count(args[0], args[1], args[2], out);
      return out;
    } as typeof runOptionalKernel;
  }
  try {
    e.noGrad(() => e.tidy(fn));
  } finally {
    backend.runKernel = runKernel;
    backend.runOptionalKernel = runOptionalKernel;
  }
  return { macs, moved };
}

/** Modes of a TT-matrix (2-4 cores, modes 1-5), ranks within the TT bounds, and a row count. */
const ttMatrixArb = fc
  .integer({ min: 2, max: 4 })
  .chain((d) =>
    fc.record({
      outModes: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: d, maxLength: d }),
      inModes: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: d, maxLength: d }),
      fractions: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: d - 1, maxLength: d - 1 }),
      rows: fc.integer({ min: 1, max: 300 }),
    }),
  )
  .map(({ outModes, inModes, fractions, rows }) => {
    const sizes = outModes.map((m, k) => m * inModes[k]);
    const total = sizes.reduce((p, s) => p * s, 1);
    let left = 1;
    const ranks = fractions.map((f, k) => {
      left *= sizes[k];
      return 1 + Math.floor(f * (Math.min(left, total / left) - 1));
    });
    return { outModes, inModes, ranks, rows };
  });

describe('contraction plans', () => {
  it('ttLinearPlan: contiguous runs covering every core in order, never more work (MACs + 16 per transposed element) than the plain contraction, which one row always gets', () => {
    const work = (p: { macs: number; moved: number }) => p.macs + TRANSPOSED_ELEMENT_MACS * p.moved;
    fc.assert(
      fc.property(ttMatrixArb, ({ outModes, inModes, ranks, rows }) => {
        const plan = ttLinearPlan(outModes, inModes, ranks, rows);
        const flat = plan.segments.flatMap(([i, j]) => Array.from({ length: j - i + 1 }, (_, t) => i + t));
        expect(flat).toEqual(outModes.map((_, k) => k));
        const single = ttLinearPlan(outModes, inModes, ranks, 1);
        expect(single.segments).toEqual(sequentialSegments(outModes.length));
        expect(work(plan)).toBeLessThanOrEqual(rows * work(single));
      }),
      { numRuns: 200 },
    );
  });

  it("TtLinear runs exactly the MACs and transposed elements its plan counts (matmul and transpose kernels' shapes, every plan kind)", () => {
    const kinds = new Set<string>();
    fc.assert(
      fc.property(ttMatrixArb, ({ outModes, inModes, ranks, rows }) => {
        const layer = new TtLinear(engine, { outModes, inModes, ranks, bias: false, dtype: 'float64' });
        const n = inModes.reduce((p, s) => p * s, 1);
        const plan = ttLinearPlan(outModes, inModes, ranks, rows);
        const s = plan.segments.length;
        kinds.add(s === outModes.length ? 'sequential' : s === 1 ? 'dense' : 'partial');
        const measured = countWork(engine, () => {
          layer.call(engine.zeros([rows, n], 'float64'));
        });
        layer.dispose();
        expect(measured).toEqual({ macs: plan.macs, moved: plan.moved });
      }),
      { numRuns: 60, seed: 7 },
    );
    expect([...kinds].sort()).toEqual(['dense', 'partial', 'sequential']);
  });

  it('ttConv2dPlan: never more MACs than the three convs, which one image always gets', () => {
    const configArb = fc
      .record({
        inChannels: fc.integer({ min: 1, max: 8 }),
        outChannels: fc.integer({ min: 1, max: 8 }),
        kernel: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
        f: fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })),
        batch: fc.integer({ min: 1, max: 64 }),
        side: fc.integer({ min: 4, max: 12 }),
      })
      .map(({ inChannels, outChannels, kernel, f, batch, side }) => {
        const k = kernel[0] * kernel[1];
        const r1 = 1 + Math.floor(f[0] * (Math.min(outChannels, k * inChannels) - 1));
        const r2 = 1 + Math.floor(f[1] * (Math.min(outChannels * k, inChannels) - 1));
        return { config: convConfig(inChannels, outChannels, [r1, r2], kernel), batch, side };
      });
    fc.assert(
      fc.property(configArb, ({ config, batch, side }) => {
        const plan = ttConv2dPlan(config, batch, [side, side]);
        const single = ttConv2dPlan(config, 1, [side, side]);
        expect(single).toMatchObject({ mergeFirst: false, mergeLast: false });
        expect(plan.macs).toBeLessThanOrEqual(batch * single.macs);
      }),
      { numRuns: 200 },
    );
  });

  it("TtConv2d runs exactly the MACs its plan counts (conv2d and matmul kernels' shapes, all four forms)", () => {
    const forms = new Set<string>();
    for (const [config, batch] of convCases()) {
      const layer = new TtConv2d(engine, config);
      const plan = ttConv2dPlan(config, batch, [9, 8]);
      forms.add(`${plan.mergeFirst} ${plan.mergeLast}`);
      const measured = countWork(engine, () => {
        layer.call(engine.zeros([batch, config.inChannels, 9, 8], 'float64'));
      });
      layer.dispose();
      expect(measured.macs).toBe(plan.macs);
    }
    expect(forms.size).toBe(4);
  });
});
