import type { Engine, Tensor } from '@lowrank/core';

/**
 * An integer tensor computed on the host: shapes, axes and indices (the results of Shape,
 * Gather on a shape, Unsqueeze, Concat...), which core's float tensors do not carry.
 */
export class IntValue {
  constructor(
    readonly dims: readonly number[],
    readonly values: readonly number[],
  ) {}
}

/** What a graph edge carries while the graph runs. */
export type Value = Tensor | IntValue;

/** A value an operator needs as a float tensor (integers are converted in the graph's dtype). */
export function floatOf(engine: Engine, v: Value, dtype: 'float32' | 'float64'): Tensor {
  return v instanceof IntValue
    ? engine.fromData(dtype === 'float32' ? Float32Array.from(v.values) : Float64Array.from(v.values), [
        ...v.dims,
      ])
    : v;
}

/** Broadcasts an elementwise function over two integer tensors (NumPy rules). */
export function intBinary(
  a: IntValue,
  b: IntValue,
  f: (x: number, y: number) => number,
  what: string,
): IntValue {
  const rank = Math.max(a.dims.length, b.dims.length);
  const pa = [...Array<number>(rank - a.dims.length).fill(1), ...a.dims];
  const pb = [...Array<number>(rank - b.dims.length).fill(1), ...b.dims];
  const dims = pa.map((d, i) => {
    if (d !== pb[i] && d !== 1 && pb[i] !== 1)
      throw new Error(`${what}: shapes [${a.dims}] and [${b.dims}] do not broadcast`);
    return Math.max(d, pb[i]);
  });
  const size = dims.reduce((x, y) => x * y, 1);
  const values = new Array<number>(size);
  const index = (padded: number[], flat: number): number => {
    let offset = 0;
    let stride = 1;
    let rest = flat;
    const coords = new Array<number>(rank);
    for (let i = rank - 1; i >= 0; i--) {
      coords[i] = rest % dims[i];
      rest = Math.floor(rest / dims[i]);
    }
    for (let i = rank - 1; i >= 0; i--) {
      offset += (padded[i] === 1 ? 0 : coords[i]) * stride;
      stride *= padded[i];
    }
    return offset;
  };
  for (let i = 0; i < size; i++) values[i] = f(a.values[index(pa, i)], b.values[index(pb, i)]);
  return new IntValue(dims, values);
}
