import {
  adaptiveAvgPool2d,
  adaptiveMaxPool2d,
  avgPool2d,
  conv2d,
  type Engine,
  maxPool2d,
  mul,
  type Pool2dAttrs,
  sum,
  type Tensor,
} from '@lowrank/core';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { parity, randn, useEngines } from './helpers.js';

// A small patch budget, so that larger batches are split into chunks (the filter gradient accumulates across them).
const engines = useEngines({ patchBudget: 2000 });

/** The output, and the gradients of sum(output * r) (r random) with respect to `inputs`. */
function withGrads(e: Engine, inputs: Tensor[], f: () => Tensor, sd: number): Tensor[] {
  for (const t of inputs) t.requireGrad();
  const y = f();
  return [y, ...e.gradients(sum(mul(y, randn(e, y.shape, sd))), inputs)];
}

const convCase = fc
  .record({
    n: fc.integer({ min: 1, max: 3 }),
    groups: fc.integer({ min: 1, max: 2 }),
    cg: fc.integer({ min: 1, max: 3 }),
    og: fc.integer({ min: 1, max: 3 }),
    h: fc.integer({ min: 3, max: 8 }),
    w: fc.integer({ min: 3, max: 8 }),
    kh: fc.integer({ min: 1, max: 3 }),
    kw: fc.integer({ min: 1, max: 3 }),
    stride: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
    padding: fc.tuple(fc.nat(2), fc.nat(2), fc.nat(2), fc.nat(2)),
    dilation: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
    seed: fc.nat(1e6),
  })
  .filter(
    (c) =>
      c.h + c.padding[0] + c.padding[1] > c.dilation[0] * (c.kh - 1) &&
      c.w + c.padding[2] + c.padding[3] > c.dilation[1] * (c.kw - 1),
  );

const tol = { rtol: 1e-4, atol: 1e-4 };

describe('conv2d', () => {
  it('forward, grad input and grad filter: groups, stride, asymmetric padding, dilation', async () => {
    await fc.assert(
      fc.asyncProperty(convCase, async (c) => {
        await parity(
          engines,
          (e) => {
            const x = randn(e, [c.n, c.groups * c.cg, c.h, c.w], c.seed);
            const w = randn(e, [c.groups * c.og, c.cg, c.kh, c.kw], c.seed + 1);
            const options = { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups };
            return withGrads(e, [x, w], () => conv2d(x, w, null, options), c.seed + 2);
          },
          tol,
        );
      }),
      { numRuns: 15 },
    );
  });

  it('batches over the patch budget run in chunks of images', async () => {
    await parity(
      engines,
      (e) => {
        const x = randn(e, [5, 4, 8, 8], 1); // 36 x 64 = 2304 patch elements per image: chunks of 1
        const w = randn(e, [3, 4, 3, 3], 2);
        const small = randn(e, [7, 2, 4, 4], 3); // 18 x 16 = 288 per image: chunks of 6 and 1
        const ws = randn(e, [2, 2, 3, 3], 4);
        return [
          ...withGrads(e, [x, w], () => conv2d(x, w, null, { padding: 1 }), 5),
          ...withGrads(e, [small, ws], () => conv2d(small, ws, null, { padding: 1 }), 6),
        ];
      },
      tol,
    );
  });

  it('pointwise (1x1) convolution reads the image as its patch matrix', async () => {
    await parity(
      engines,
      (e) => {
        const x = randn(e, [3, 4, 5, 6], 1);
        const w = randn(e, [6, 2, 1, 1], 2);
        return withGrads(e, [x, w], () => conv2d(x, w, null, { groups: 2 }), 3);
      },
      tol,
    );
  });
});

const poolCase = fc
  .record({
    n: fc.integer({ min: 1, max: 2 }),
    c: fc.integer({ min: 1, max: 3 }),
    h: fc.integer({ min: 3, max: 9 }),
    w: fc.integer({ min: 3, max: 9 }),
    k: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    stride: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    pad: fc.tuple(fc.nat(1), fc.nat(1), fc.nat(1), fc.nat(1)),
    dilation: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
    countIncludePad: fc.boolean(),
    out: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })),
    seed: fc.nat(1e6),
  })
  .map((p) => ({
    ...p,
    // padding at most half the kernel, as core requires
    padding: [
      Math.min(p.pad[0], p.k[0] >> 1),
      Math.min(p.pad[1], p.k[0] >> 1),
      Math.min(p.pad[2], p.k[1] >> 1),
      Math.min(p.pad[3], p.k[1] >> 1),
    ] as [number, number, number, number],
  }))
  .filter((p) => p.h >= p.dilation[0] * (p.k[0] - 1) + 1 && p.w >= p.dilation[1] * (p.k[1] - 1) + 1);

describe('pooling', () => {
  it('maxPool2d and its gradient', async () => {
    await fc.assert(
      fc.asyncProperty(poolCase, async (p) => {
        await parity(engines, (e) => {
          const x = randn(e, [p.n, p.c, p.h, p.w], p.seed);
          return withGrads(
            e,
            [x],
            () => maxPool2d(x, p.k, { stride: p.stride, padding: p.padding, dilation: p.dilation }),
            p.seed + 1,
          );
        });
      }),
      { numRuns: 15 },
    );
  });

  it('maxPool2d argmax output', async () => {
    await parity(engines, (e) =>
      e.runKernel('maxPool2d', [randn(e, [2, 2, 7, 6], 4)], {
        kernel: [3, 2],
        stride: [2, 1],
        padding: [1, 1, 1, 0],
        dilation: [1, 2],
      }),
    );
  });

  it('avgPool2d and its gradient, counting padding or not', async () => {
    await fc.assert(
      fc.asyncProperty(poolCase, async (p) => {
        await parity(engines, (e) => {
          const x = randn(e, [p.n, p.c, p.h, p.w], p.seed);
          const options = { stride: p.stride, padding: p.padding, countIncludePad: p.countIncludePad };
          return withGrads(e, [x], () => avgPool2d(x, p.k, options), p.seed + 1);
        });
      }),
      { numRuns: 15 },
    );
  });

  it('adaptive average and max pooling and their gradients', async () => {
    await fc.assert(
      fc.asyncProperty(poolCase, async (p) => {
        await parity(engines, (e) => {
          const x = randn(e, [p.n, p.c, p.h, p.w], p.seed);
          const x2 = randn(e, x.shape, p.seed + 2);
          return [
            ...withGrads(e, [x], () => adaptiveAvgPool2d(x, p.out), p.seed + 1),
            ...withGrads(e, [x2], () => adaptiveMaxPool2d(x2, p.out), p.seed + 3),
          ];
        });
      }),
      { numRuns: 15 },
    );
  });

  it('poolScatter over overlapping sliding and adaptive windows', async () => {
    const window: Pool2dAttrs = { kernel: [3, 2], stride: [1, 1], padding: [1, 1, 1, 0], dilation: [1, 2] };
    await parity(engines, (e) => {
      const inputShape = [2, 3, 5, 6];
      const x = randn(e, inputShape, 5);
      const [y, argmax] = e.runKernel('maxPool2d', [x], window);
      const [ya, argmaxA] = e.runKernel('adaptiveMaxPool2d', [x], { outSize: [3, 4] });
      return [
        argmax,
        argmaxA,
        e.runKernel('poolScatter', [randn(e, y.shape, 6), argmax], { inputShape, window })[0],
        e.runKernel('poolScatter', [randn(e, ya.shape, 7), argmaxA], {
          inputShape,
          window: { outSize: [3, 4] },
        })[0],
      ];
    });
  });
});
