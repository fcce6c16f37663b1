import fc from 'fast-check';
import type { Padding } from '../src/index.js';
import { arbTensorData } from '../src/testing.js';

export interface ConvCase {
  xShape: number[];
  wShape: number[];
  stride: [number, number];
  padding: Padding;
  pad4: [number, number, number, number];
  dilation: [number, number];
  groups: number;
  bias: boolean;
}

/** A random valid conv2d configuration: groups, rectangular kernels, strides, dilations, every padding form, bias. */
export const arbConvCase: fc.Arbitrary<ConvCase> = arbConvCaseOf({ maxN: 2, maxExtra: 4 });

/** Random conv2d configurations with at most `maxN` images and `maxExtra` rows/columns beyond the smallest fitting input. */
export function arbConvCaseOf(limits: { maxN: number; maxExtra: number }): fc.Arbitrary<ConvCase> {
  return fc
    .record({
      n: fc.integer({ min: 1, max: limits.maxN }),
      groups: fc.integer({ min: 1, max: 3 }),
      cg: fc.integer({ min: 1, max: 2 }),
      og: fc.integer({ min: 1, max: 2 }),
      kh: fc.integer({ min: 1, max: 3 }),
      kw: fc.integer({ min: 1, max: 3 }),
      stride: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
      dilation: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
      padForm: fc.constantFrom('number', 'pair', 'four'),
      pads: fc.tuple(fc.nat({ max: 2 }), fc.nat({ max: 2 }), fc.nat({ max: 2 }), fc.nat({ max: 2 })),
      extraH: fc.nat({ max: limits.maxExtra }),
      extraW: fc.nat({ max: limits.maxExtra }),
      bias: fc.boolean(),
    })
    .map((r) => {
      const padding: Padding =
        r.padForm === 'number' ? r.pads[0] : r.padForm === 'pair' ? [r.pads[0], r.pads[2]] : r.pads;
      const pad4: [number, number, number, number] =
        r.padForm === 'number'
          ? [r.pads[0], r.pads[0], r.pads[0], r.pads[0]]
          : r.padForm === 'pair'
            ? [r.pads[0], r.pads[0], r.pads[2], r.pads[2]]
            : r.pads;
      // the smallest input the dilated kernel fits in (after padding), plus some
      const effH = r.dilation[0] * (r.kh - 1) + 1;
      const effW = r.dilation[1] * (r.kw - 1) + 1;
      const h = Math.max(1, effH - pad4[0] - pad4[1]) + r.extraH;
      const w = Math.max(1, effW - pad4[2] - pad4[3]) + r.extraW;
      return {
        xShape: [r.n, r.groups * r.cg, h, w],
        wShape: [r.groups * r.og, r.cg, r.kh, r.kw],
        stride: r.stride,
        padding,
        pad4,
        dilation: r.dilation,
        groups: r.groups,
        bias: r.bias,
      };
    });
}

export interface PoolCase {
  xShape: number[];
  kernel: [number, number];
  /** undefined: the default (the kernel size) */
  stride: [number, number] | undefined;
  pad4: [number, number, number, number];
  dilation: [number, number];
}

/**
 * A random valid 2-d pooling configuration: rectangular kernels, default or explicit
 * strides, 4-sided padding of at most half the kernel, and (when `dilated`) dilation.
 */
export function arbPoolCase(dilated: boolean): fc.Arbitrary<PoolCase> {
  return fc
    .record({
      n: fc.integer({ min: 1, max: 2 }),
      c: fc.integer({ min: 1, max: 2 }),
      kernel: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
      stride: fc.option(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }))),
      padFrac: fc.tuple(fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean()),
      dilation: dilated
        ? fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 }))
        : fc.constant<[number, number]>([1, 1]),
      extraH: fc.nat({ max: 4 }),
      extraW: fc.nat({ max: 4 }),
    })
    .map((r) => {
      const [kh, kw] = r.kernel;
      const pad4: [number, number, number, number] = [
        r.padFrac[0] ? Math.floor(kh / 2) : 0,
        r.padFrac[1] ? Math.floor(kh / 2) : 0,
        r.padFrac[2] ? Math.floor(kw / 2) : 0,
        r.padFrac[3] ? Math.floor(kw / 2) : 0,
      ];
      const effH = r.dilation[0] * (kh - 1) + 1;
      const effW = r.dilation[1] * (kw - 1) + 1;
      const h = Math.max(1, effH - pad4[0] - pad4[1]) + r.extraH;
      const w = Math.max(1, effW - pad4[2] - pad4[3]) + r.extraW;
      return {
        xShape: [r.n, r.c, h, w],
        kernel: r.kernel,
        stride: r.stride ?? undefined,
        pad4,
        dilation: r.dilation,
      };
    })
    .filter(everyWindowSeesInput);
}

/**
 * With dilation, a window can fall entirely on padding (its max is -Infinity, as in
 * PyTorch): a degenerate case the pooling properties leave out.
 */
function everyWindowSeesInput(c: PoolCase): boolean {
  const axis = (size: number, k: number, s: number, before: number, after: number, d: number) => {
    const out = Math.floor((size + before + after - d * (k - 1) - 1) / s) + 1;
    for (let o = 0; o < out; o++) {
      let seen = false;
      for (let t = 0; t < k; t++) {
        const i = o * s - before + t * d;
        if (i >= 0 && i < size) seen = true;
      }
      if (!seen) return false;
    }
    return true;
  };
  const [, , h, w] = c.xShape;
  const [sh, sw] = c.stride ?? c.kernel;
  return (
    axis(h, c.kernel[0], sh, c.pad4[0], c.pad4[1], c.dilation[0]) &&
    axis(w, c.kernel[1], sw, c.pad4[2], c.pad4[3], c.dilation[1])
  );
}

const LETTERS = 'abcdeXY';

/** A random einsum: 1-3 operands, each a distinct set of letters, an explicit or implicit output. */
export const arbEinsum = fc
  .record({
    sizes: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: LETTERS.length, maxLength: LETTERS.length }),
    operands: fc.array(fc.shuffledSubarray([...LETTERS], { minLength: 0, maxLength: 4 }), {
      minLength: 1,
      maxLength: 3,
    }),
    explicit: fc.boolean(),
    outPick: fc.array(fc.boolean(), { minLength: LETTERS.length, maxLength: LETTERS.length }),
    outOrder: fc.nat(),
  })
  .chain((r) => {
    const used = [...new Set(r.operands.flat())];
    let out: string[];
    if (r.explicit) {
      out = used.filter((_, i) => r.outPick[i]);
      // rotate for an arbitrary order
      const k = out.length ? r.outOrder % out.length : 0;
      out = [...out.slice(k), ...out.slice(0, k)];
    } else {
      const count = new Map<string, number>();
      for (const c of r.operands.flat()) count.set(c, (count.get(c) ?? 0) + 1);
      out = [...count]
        .filter(([, n]) => n === 1)
        .map(([c]) => c)
        .sort();
    }
    const shapes = r.operands.map((op) => op.map((c) => r.sizes[LETTERS.indexOf(c)]));
    const spec = `${r.operands.map((op) => op.join('')).join(',')}${r.explicit ? `->${out.join('')}` : ''}`;
    return fc.tuple(
      fc.constant({
        spec,
        refSpec: `${r.operands.map((op) => op.join('')).join(',')}->${out.join('')}`,
        shapes,
      }),
      fc.tuple(...shapes.map((s) => arbTensorData(s))),
    );
  });

/** Distinct values (spaced by `spacing`, centred on 0) in random order: no ties for max/min/pooling. */
export function arbDistinctData(n: number, spacing = 0.05): fc.Arbitrary<Float64Array> {
  const idx = Array.from({ length: n }, (_, i) => i);
  return fc
    .shuffledSubarray(idx, { minLength: n, maxLength: n })
    .map((p) => Float64Array.from(p, (v) => (v - (n - 1) / 2) * spacing));
}
