import { createEngine, type Engine } from '@lowrank/core';
import { checkGradients } from '@lowrank/core/testing';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { reconstructTr, type TrFactors } from '../src/index.js';
import { relativeError, seedArb } from './helpers.js';

const engine = createEngine();

/** A ring of random cores: `matrix` with 2-4 cores of small (m_k, n_k), or the conv ring `O x (Kh Kw) x I`. */
const factorsArb = fc.oneof(
  fc
    .array(
      fc.tuple(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 5 }),
      ),
      {
        minLength: 2,
        maxLength: 4,
      },
    )
    .map((cores) => ({
      kind: 'matrix' as const,
      out: cores.map((c) => c[0]),
      in: cores.map((c) => c[1]),
      ranks: cores.map((c) => c[2]),
    })),
  fc
    .tuple(
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 1, max: 3 }),
      fc.tuple(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 6 }),
      ),
    )
    .map(([o, i, kh, kw, ranks]) => ({ kind: 'conv' as const, out: [o], in: [i], kernel: [kh, kw], ranks })),
);

type Ring = { kind: 'matrix' | 'conv'; out: number[]; in: number[]; kernel?: number[]; ranks: number[] };

function ringFactors(e: Engine, ring: Ring, seed: number): TrFactors {
  const d = ring.ranks.length;
  const r = (k: number) => ring.ranks[k % d];
  if (ring.kind === 'matrix') {
    return {
      layout: 'matrix',
      cores: ring.out.map((m, k) =>
        e.randn([r(k), m, ring.in[k], r(k + 1)], { dtype: 'float64', seed: seed + k }),
      ),
      outModes: ring.out,
      inModes: ring.in,
      weightShape: [ring.out.reduce((p, x) => p * x, 1), ring.in.reduce((p, x) => p * x, 1)],
    };
  }
  const [kh, kw] = ring.kernel as number[];
  const modes = [ring.out[0], kh * kw, ring.in[0]];
  return {
    layout: 'conv',
    cores: modes.map((n, k) => e.randn([r(k), n, r(k + 1)], { dtype: 'float64', seed: seed + k })),
    outModes: ring.out,
    inModes: ring.in,
    weightShape: [ring.out[0], ring.in[0], kh, kw],
  };
}

/** The definition, entry by entry: `W[(i_k), (j_k)] = trace(prod_k G_k[:, i_k, j_k, :])` (conv: `W[o, i, h, w]` from `(o, h Kw + w, i)`). */
async function referenceWeight(f: TrFactors): Promise<Float64Array> {
  const cores = await Promise.all(
    f.cores.map(async (c) => ({ shape: c.shape, data: Float64Array.from(await c.data()) })),
  );
  const modes = cores.map((c) => c.data.length / (c.shape[0] * c.shape[c.shape.length - 1]));
  // The ring value at the mode indices `idx` (one per core).
  const ringAt = (idx: number[]) => {
    const r0 = cores[0].shape[0];
    let total = 0;
    for (let a = 0; a < r0; a++) {
      let row = new Float64Array(r0);
      row[a] = 1;
      idx.forEach((i, k) => {
        const [rk, , rk1] = [cores[k].shape[0], 0, cores[k].shape[cores[k].shape.length - 1]];
        const next = new Float64Array(rk1);
        for (let x = 0; x < rk; x++)
          for (let y = 0; y < rk1; y++) next[y] += row[x] * cores[k].data[(x * modes[k] + i) * rk1 + y];
        row = next;
      });
      total += row[a];
    }
    return total;
  };
  const size = f.weightShape.reduce((p, x) => p * x, 1);
  const out = new Float64Array(size);
  for (let flat = 0; flat < size; flat++) {
    // Multi-index of the weight entry.
    const w: number[] = [];
    let rest = flat;
    for (let ax = f.weightShape.length - 1; ax >= 0; ax--) {
      w[ax] = rest % f.weightShape[ax];
      rest = Math.floor(rest / f.weightShape[ax]);
    }
    let idx: number[];
    if (f.layout === 'matrix') {
      const split = (v: number, sizes: number[]) => {
        const parts: number[] = [];
        for (let k = sizes.length - 1; k >= 0; k--) {
          parts[k] = v % sizes[k];
          v = Math.floor(v / sizes[k]);
        }
        return parts;
      };
      const is = split(w[0], f.outModes);
      const js = split(w[1], f.inModes);
      idx = is.map((i, k) => i * f.inModes[k] + js[k]);
    } else {
      idx = [w[0], w[2] * f.weightShape[3] + w[3], w[1]];
    }
    out[flat] = ringAt(idx);
  }
  return out;
}

describe('reconstructTr', () => {
  it('equals the trace definition entry by entry for random rings, TR-FC (2-4 cores) and conv, any ranks (rel. 1e-12)', async () => {
    await fc.assert(
      fc.asyncProperty(factorsArb, seedArb, async (ring, seed) => {
        const f = ringFactors(engine, ring, seed);
        const w = reconstructTr(f);
        expect(w.shape).toEqual(f.weightShape);
        expect(relativeError(await referenceWeight(f), await w.data())).toBeLessThan(1e-12);
        w.dispose();
        for (const c of f.cores) c.dispose();
      }),
      { numRuns: 60 },
    );
  });

  it('is differentiable in every core: autodiff gradients equal finite differences (rtol 1e-5) wherever the ring is opened', () => {
    // Ranks that make each of the three cores the cheapest opening in turn.
    for (const ranks of [
      [2, 4, 1],
      [1, 2, 4],
      [4, 1, 2],
    ]) {
      const f = ringFactors(engine, { kind: 'matrix', out: [2, 3, 2], in: [3, 2, 2], ranks }, 3);
      expect(() =>
        checkGradients(engine, (...cores) => reconstructTr({ ...f, cores }), f.cores),
      ).not.toThrow();
      for (const c of f.cores) c.dispose();
    }
  });
});
