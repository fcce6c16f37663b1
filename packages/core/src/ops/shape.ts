import { formatShape, normalizeAxes, normalizeAxis, type Shape, shapesEqual, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { sumToShape } from './elementwise.js';

/** Same data, new shape; one dimension may be -1 (inferred). No copy. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const resolved = resolveShape(shape, x.size, x.shape);
  return x.engine.shareData(x, resolved, (dys) => [reshape(dys[0], x.shape)]);
}

function resolveShape(shape: readonly number[], size: number, from: Shape): number[] {
  const out = [...shape];
  const infer = out.indexOf(-1);
  if (infer !== out.lastIndexOf(-1))
    throw new RangeError(`reshape: only one dimension may be -1, got ${formatShape(shape)}`);
  if (infer >= 0) {
    const known = sizeOf(out.filter((_, i) => i !== infer));
    if (known === 0 || size % known !== 0) {
      throw new RangeError(`reshape: cannot reshape ${formatShape(from)} into ${formatShape(shape)}`);
    }
    out[infer] = size / known;
  }
  if (sizeOf(out) !== size)
    throw new RangeError(`reshape: cannot reshape ${formatShape(from)} into ${formatShape(shape)}`);
  return out;
}

/** Merges axes startAxis..endAxis into one. */
export function flatten(x: Tensor, startAxis = 0, endAxis = -1): Tensor {
  if (x.rank === 0) return reshape(x, [1]);
  const s = normalizeAxis(startAxis, x.rank, 'flatten');
  const e = normalizeAxis(endAxis, x.rank, 'flatten');
  if (e < s) throw new RangeError(`flatten: endAxis ${endAxis} is before startAxis ${startAxis}`);
  const shape = [...x.shape.slice(0, s), sizeOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return reshape(x, shape);
}

/** Permutes axes (reverses them when `perm` is omitted). */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  const p = perm ? perm.map((a) => normalizeAxis(a, x.rank, 'transpose')) : [...x.shape.keys()].reverse();
  if (p.length !== x.rank || new Set(p).size !== x.rank) {
    throw new RangeError(`transpose: ${formatShape(perm ?? [])} is not a permutation of the ${x.rank} axes`);
  }
  if (p.every((a, i) => a === i)) return reshape(x, x.shape);
  const inverse = new Array<number>(p.length);
  p.forEach((a, i) => {
    inverse[a] = i;
  });
  return x.engine.runKernel('transpose', [x], { perm: p }, (dys) => [transpose(dys[0], inverse)])[0];
}

/** Swaps two axes. */
export function swapAxes(x: Tensor, a: number, b: number): Tensor {
  const perm = [...x.shape.keys()];
  const i = normalizeAxis(a, x.rank, 'swapAxes');
  const j = normalizeAxis(b, x.rank, 'swapAxes');
  [perm[i], perm[j]] = [perm[j], perm[i]];
  return transpose(x, perm);
}

/** Removes the given size-1 axes (all of them when omitted). */
export function squeeze(x: Tensor, axes?: number | number[]): Tensor {
  const drop =
    axes === undefined ? [...x.shape.keys()].filter((i) => x.shape[i] === 1) : normalizeAxes(axes, x.rank);
  for (const a of drop) {
    if (x.shape[a] !== 1)
      throw new RangeError(`squeeze: axis ${a} of ${formatShape(x.shape)} has size ${x.shape[a]}, not 1`);
  }
  return reshape(
    x,
    x.shape.filter((_, i) => !drop.includes(i)),
  );
}

/** Inserts a size-1 axis at `axis` (which may be rank, to append). */
export function expandDims(x: Tensor, axis: number): Tensor {
  const a = normalizeAxis(axis < 0 ? axis + x.rank + 1 : axis, x.rank + 1, 'expandDims');
  const shape = [...x.shape];
  shape.splice(a, 0, 1);
  return reshape(x, shape);
}

/** Materialises NumPy broadcasting of `x` to `shape`. */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  if (shapesEqual(x.shape, shape)) return reshape(x, shape);
  if (shape.length < x.rank)
    throw new RangeError(`broadcastTo: cannot broadcast ${formatShape(x.shape)} to ${formatShape(shape)}`);
  shape.forEach((d, i) => {
    const own = x.shape[x.rank - shape.length + i] ?? 1;
    if (own !== d && own !== 1)
      throw new RangeError(`broadcastTo: cannot broadcast ${formatShape(x.shape)} to ${formatShape(shape)}`);
  });
  return x.engine.runKernel('broadcastTo', [x], { shape: [...shape] }, (dys) => [
    sumToShape(dys[0], x.shape),
  ])[0];
}

/**
 * Python-style slicing per axis: `[start, stop, step]` with negative indices and
 * clamping; `null`/absent means the whole axis, a number selects one index (and
 * removes the axis).
 */
export type SliceSpec = number | null | [start?: number | null, stop?: number | null, step?: number | null];

export function slice(x: Tensor, specs: readonly SliceSpec[]): Tensor {
  if (specs.length > x.rank)
    throw new RangeError(`slice: ${specs.length} specs for a tensor of rank ${x.rank}`);
  const begin: number[] = [];
  const step: number[] = [];
  const shape: number[] = [];
  const keptShape: number[] = [];
  x.shape.forEach((dim, axis) => {
    const spec = specs[axis] ?? null;
    if (typeof spec === 'number') {
      const i = spec < 0 ? spec + dim : spec;
      if (!Number.isInteger(i) || i < 0 || i >= dim) {
        throw new RangeError(`slice: index ${spec} is out of range for axis ${axis} of size ${dim}`);
      }
      begin.push(i);
      step.push(1);
      shape.push(1);
      return;
    }
    const [rawStart, rawStop, rawStep] = spec ?? [];
    const st = rawStep ?? 1;
    if (!Number.isInteger(st) || st === 0)
      throw new RangeError(`slice: step must be a non-zero integer, got ${rawStep}`);
    const norm = (v: number | null | undefined, dflt: number, lo: number, hi: number): number => {
      if (v === null || v === undefined) return dflt;
      const w = v < 0 ? v + dim : v;
      return Math.min(Math.max(w, lo), hi);
    };
    const start = st > 0 ? norm(rawStart, 0, 0, dim) : norm(rawStart, dim - 1, -1, dim - 1);
    const stop = st > 0 ? norm(rawStop, dim, 0, dim) : norm(rawStop, -1, -1, dim - 1);
    const n = Math.max(0, Math.ceil((stop - start) / st));
    begin.push(start);
    step.push(st);
    shape.push(n);
    keptShape.push(n);
  });
  const inputShape = [...x.shape];
  const out = x.engine.runKernel('slice', [x], { begin, step, shape }, (dys) => [
    x.engine.runKernel('sliceGrad', [dys[0]], { inputShape, begin, step })[0],
  ])[0];
  if (keptShape.length === shape.length) return out;
  const squeezed = reshape(out, keptShape);
  out.dispose();
  return squeezed;
}

/** Concatenates along `axis`; all other dimensions must match. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new RangeError('concat: needs at least one tensor');
  const a = normalizeAxis(axis, xs[0].rank, 'concat');
  for (const t of xs) {
    if (t.rank !== xs[0].rank || t.shape.some((d, i) => i !== a && d !== xs[0].shape[i])) {
      throw new RangeError(
        `concat: shapes ${xs.map((u) => formatShape(u.shape)).join(', ')} differ outside axis ${axis}`,
      );
    }
  }
  return xs[0].engine.runKernel('concat', xs, { axis: a }, (dys) => {
    let offset = 0;
    return xs.map((t) => {
      const spec: SliceSpec[] = t.shape.map(() => null);
      spec[a] = [offset, offset + t.shape[a]];
      offset += t.shape[a];
      return slice(dys[0], spec);
    });
  })[0];
}

/** Stacks equal-shaped tensors along a new axis. */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new RangeError('stack: needs at least one tensor');
  return xs[0].engine.tidy(() =>
    concat(
      xs.map((t) => expandDims(t, axis)),
      axis,
    ),
  );
}

/** Splits along `axis` into equal parts (a number) or the given sizes. */
export function split(x: Tensor, sizes: number | readonly number[], axis = 0): Tensor[] {
  const a = normalizeAxis(axis, x.rank, 'split');
  const dim = x.shape[a];
  let parts: number[];
  if (typeof sizes === 'number') {
    if (dim % sizes !== 0)
      throw new RangeError(`split: axis ${axis} of size ${dim} is not divisible into ${sizes} parts`);
    parts = new Array(sizes).fill(dim / sizes);
  } else {
    parts = [...sizes];
    if (parts.reduce((s, v) => s + v, 0) !== dim) {
      throw new RangeError(`split: sizes ${formatShape(parts)} do not add up to ${dim}`);
    }
  }
  let offset = 0;
  return parts.map((n) => {
    const spec: SliceSpec[] = x.shape.map(() => null);
    spec[a] = [offset, offset + n];
    offset += n;
    return slice(x, spec);
  });
}

/**
 * Takes entries along `axis` at int32 `indices`; the result has indices' shape in place of that axis.
 * Indices must lie in [0, size of `axis`): an index outside is an error on the CPU backend, while
 * GPU backends (which cannot check without a readback) give 0 for it and drop its gradient.
 */
export function gather(x: Tensor, indices: Tensor, axis = 0): Tensor {
  if (indices.dtype !== 'int32') throw new TypeError(`gather: indices must be int32, got ${indices.dtype}`);
  const a = normalizeAxis(axis, x.rank, 'gather');
  const inputShape = [...x.shape];
  return x.engine.runKernel(
    'gather',
    [x, indices],
    { axis: a },
    (dys, saved) => [
      x.engine.runKernel('gatherGrad', [dys[0], saved.inputs[1]], { axis: a, inputShape })[0],
      null,
    ],
    { inputs: true },
  )[0];
}

/** Pads with a constant: `paddings[i] = [before, after]` for each axis (missing axes unpadded). */
export function pad(x: Tensor, paddings: readonly (readonly [number, number])[], value = 0): Tensor {
  if (paddings.length > x.rank)
    throw new RangeError(`pad: ${paddings.length} paddings for a tensor of rank ${x.rank}`);
  const full: [number, number][] = x.shape.map((_, i) => {
    const [b, e] = paddings[i] ?? [0, 0];
    if (!Number.isInteger(b) || !Number.isInteger(e) || b < 0 || e < 0) {
      throw new RangeError(`pad: paddings must be non-negative integers, got [${b}, ${e}] on axis ${i}`);
    }
    return [b, e];
  });
  return x.engine.runKernel('pad', [x], { paddings: full, value }, (dys) => [
    slice(
      dys[0],
      full.map(([b], i) => [b, b + x.shape[i]] as SliceSpec),
    ),
  ])[0];
}

/** One-hot rows for int32 class indices: shape indices.shape + [depth]. */
export function oneHot(indices: Tensor, depth: number, dtype: 'float32' | 'float64' = 'float32'): Tensor {
  if (indices.dtype !== 'int32') throw new TypeError(`oneHot: indices must be int32, got ${indices.dtype}`);
  return indices.engine.runKernel('oneHot', [indices], { depth, dtype })[0];
}
