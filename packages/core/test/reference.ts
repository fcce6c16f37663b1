/**
 * Deliberately simple reference implementations (nested loops over multi-indices)
 * that the engine's ops are checked against. Plain arrays of numbers in, out.
 */

export type Arr = ArrayLike<number>;
export interface Nd {
  data: Float64Array;
  shape: number[];
}

export function size(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Every multi-index of `shape`, row-major. */
export function* indices(shape: readonly number[]): Generator<number[]> {
  const n = size(shape);
  const st = strides(shape);
  for (let f = 0; f < n; f++) yield shape.map((d, i) => Math.floor(f / st[i]) % d);
}

export function flat(idx: readonly number[], shape: readonly number[]): number {
  const st = strides(shape);
  return idx.reduce((s, v, i) => s + v * st[i], 0);
}

export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error('not broadcastable');
    out.push(Math.max(da, db));
  }
  return out;
}

/** The element of x (of `shape`) seen at output index `idx` under broadcasting. */
export function at(x: Arr, shape: readonly number[], idx: readonly number[]): number {
  const off = idx.length - shape.length;
  const own = shape.map((d, i) => (d === 1 ? 0 : idx[i + off]));
  return x[flat(own, shape)];
}

export function binary(
  a: Arr,
  aShape: number[],
  b: Arr,
  bShape: number[],
  f: (x: number, y: number) => number,
): Nd {
  const shape = broadcastShape(aShape, bShape);
  const data = new Float64Array(size(shape));
  let k = 0;
  for (const idx of indices(shape)) data[k++] = f(at(a, aShape, idx), at(b, bShape, idx));
  return { data, shape };
}

export function reduce(
  x: Arr,
  shape: number[],
  axes: number[],
  init: number,
  f: (acc: number, v: number) => number,
  keepDims = false,
): Nd {
  const outKept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const out = new Float64Array(size(outKept)).fill(init);
  for (const idx of indices(shape)) {
    const o = idx.map((v, i) => (axes.includes(i) ? 0 : v));
    const j = flat(o, outKept);
    out[j] = f(out[j], x[flat(idx, shape)]);
  }
  return { data: out, shape: keepDims ? outKept : shape.filter((_, i) => !axes.includes(i)) };
}

export function transpose(x: Arr, shape: number[], perm: number[]): Nd {
  const outShape = perm.map((p) => shape[p]);
  const data = new Float64Array(size(shape));
  let k = 0;
  for (const idx of indices(outShape)) {
    const src = new Array<number>(shape.length);
    perm.forEach((p, i) => {
      src[p] = idx[i];
    });
    data[k++] = x[flat(src, shape)];
  }
  return { data, shape: outShape };
}

/** Batched matmul with NumPy batch broadcasting (operands of rank >= 2). */
export function matmul(
  a: Arr,
  aShape: number[],
  b: Arr,
  bShape: number[],
  transA = false,
  transB = false,
): Nd {
  const ra = aShape.length;
  const rb = bShape.length;
  const m = transA ? aShape[ra - 1] : aShape[ra - 2];
  const k = transA ? aShape[ra - 2] : aShape[ra - 1];
  const n = transB ? bShape[rb - 2] : bShape[rb - 1];
  const batch = broadcastShape(aShape.slice(0, -2), bShape.slice(0, -2));
  const shape = [...batch, m, n];
  const data = new Float64Array(size(shape));
  const aBatch = aShape.slice(0, -2);
  const bBatch = bShape.slice(0, -2);
  let q = 0;
  for (const bi of indices(batch)) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let t = 0; t < k; t++) {
          const ai = transA ? [t, i] : [i, t];
          const bj = transB ? [j, t] : [t, j];
          s +=
            at(a, aShape, [...bi.slice(bi.length - aBatch.length), ...ai].slice(-ra) as number[]) *
            at(b, bShape, [...bi.slice(bi.length - bBatch.length), ...bj].slice(-rb) as number[]);
        }
        data[q++] = s;
      }
    }
  }
  return { data, shape };
}

export interface ConvParams {
  stride: [number, number];
  /** [top, bottom, left, right] */
  padding: [number, number, number, number];
  dilation: [number, number];
  groups: number;
}

/** PyTorch's conv2d (cross-correlation) by its definition. */
export function conv2d(x: Arr, xShape: number[], w: Arr, wShape: number[], p: ConvParams, bias?: Arr): Nd {
  const [N, C, H, W] = xShape;
  const [O, Cg, KH, KW] = wShape;
  const [sh, sw] = p.stride;
  const [pt, pb, pl, pr] = p.padding;
  const [dh, dw] = p.dilation;
  const Ho = Math.floor((H + pt + pb - dh * (KH - 1) - 1) / sh) + 1;
  const Wo = Math.floor((W + pl + pr - dw * (KW - 1) - 1) / sw) + 1;
  const Og = O / p.groups;
  const shape = [N, O, Ho, Wo];
  const data = new Float64Array(size(shape));
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      const g = Math.floor(o / Og);
      for (let oh = 0; oh < Ho; oh++) {
        for (let ow = 0; ow < Wo; ow++) {
          let s = bias ? bias[o] : 0;
          for (let c = 0; c < Cg; c++) {
            for (let i = 0; i < KH; i++) {
              for (let j = 0; j < KW; j++) {
                const ih = oh * sh - pt + i * dh;
                const iw = ow * sw - pl + j * dw;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                s += x[((n * C + g * Cg + c) * H + ih) * W + iw] * w[((o * Cg + c) * KH + i) * KW + j];
              }
            }
          }
          data[((n * O + o) * Ho + oh) * Wo + ow] = s;
        }
      }
    }
  }
  return { data, shape };
}

export interface PoolParams {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number, number, number];
  dilation: [number, number];
}

/** Windows of a pooling op: for each output (oh, ow), the in-image taps and the full tap count. */
function pool(
  x: Arr,
  xShape: number[],
  p: PoolParams,
  reduceWindow: (values: number[], taps: number) => number,
): Nd {
  const [N, C, H, W] = xShape;
  const [kh, kw] = p.kernel;
  const [sh, sw] = p.stride;
  const [pt, pb, pl, pr] = p.padding;
  const [dh, dw] = p.dilation;
  const Ho = Math.floor((H + pt + pb - dh * (kh - 1) - 1) / sh) + 1;
  const Wo = Math.floor((W + pl + pr - dw * (kw - 1) - 1) / sw) + 1;
  const shape = [N, C, Ho, Wo];
  const data = new Float64Array(size(shape));
  let q = 0;
  for (let plane = 0; plane < N * C; plane++) {
    for (let oh = 0; oh < Ho; oh++) {
      for (let ow = 0; ow < Wo; ow++) {
        const values: number[] = [];
        for (let i = 0; i < kh; i++) {
          for (let j = 0; j < kw; j++) {
            const ih = oh * sh - pt + i * dh;
            const iw = ow * sw - pl + j * dw;
            if (ih >= 0 && ih < H && iw >= 0 && iw < W) values.push(x[(plane * H + ih) * W + iw]);
          }
        }
        data[q++] = reduceWindow(values, kh * kw);
      }
    }
  }
  return { data, shape };
}

export function maxPool2d(x: Arr, xShape: number[], p: PoolParams): Nd {
  return pool(x, xShape, p, (v) => Math.max(...v));
}

/**
 * PyTorch's avg_pool2d: the divisor is the window clipped to the padded input
 * (which the floor output formula never exceeds), or only its in-image part.
 */
export function avgPool2d(x: Arr, xShape: number[], p: PoolParams, countIncludePad: boolean): Nd {
  return pool(x, xShape, p, (v, taps) => v.reduce((s, a) => s + a, 0) / (countIncludePad ? taps : v.length));
}

function adaptive(x: Arr, xShape: number[], out: [number, number], f: (v: number[]) => number): Nd {
  const [N, C, H, W] = xShape;
  const [Ho, Wo] = out;
  const shape = [N, C, Ho, Wo];
  const data = new Float64Array(size(shape));
  let q = 0;
  for (let plane = 0; plane < N * C; plane++) {
    for (let oh = 0; oh < Ho; oh++) {
      for (let ow = 0; ow < Wo; ow++) {
        const h0 = Math.floor((oh * H) / Ho);
        const h1 = Math.ceil(((oh + 1) * H) / Ho);
        const w0 = Math.floor((ow * W) / Wo);
        const w1 = Math.ceil(((ow + 1) * W) / Wo);
        const v: number[] = [];
        for (let i = h0; i < h1; i++) for (let j = w0; j < w1; j++) v.push(x[(plane * H + i) * W + j]);
        data[q++] = f(v);
      }
    }
  }
  return { data, shape };
}

export function adaptiveAvgPool2d(x: Arr, xShape: number[], out: [number, number]): Nd {
  return adaptive(x, xShape, out, (v) => v.reduce((s, a) => s + a, 0) / v.length);
}

export function adaptiveMaxPool2d(x: Arr, xShape: number[], out: [number, number]): Nd {
  return adaptive(x, xShape, out, (v) => Math.max(...v));
}

/** Einstein summation by brute force over every assignment of the indices. */
export function einsum(spec: string, operands: { data: Arr; shape: number[] }[]): Nd {
  const [lhs, rhs] = spec.split('->');
  const ins = lhs.split(',');
  const dims = new Map<string, number>();
  ins.forEach((s, k) => {
    [...s].forEach((c, i) => {
      dims.set(c, operands[k].shape[i]);
    });
  });
  const letters = [...dims.keys()];
  const outShape = [...rhs].map((c) => dims.get(c)!);
  const data = new Float64Array(size(outShape));
  for (const idx of indices(letters.map((c) => dims.get(c)!))) {
    const val = new Map(letters.map((c, i) => [c, idx[i]]));
    let p = 1;
    ins.forEach((s, k) => {
      p *=
        operands[k].data[
          flat(
            [...s].map((c) => val.get(c)!),
            operands[k].shape,
          )
        ];
    });
    data[
      flat(
        [...rhs].map((c) => val.get(c)!),
        outShape,
      )
    ] += p;
  }
  return { data, shape: outShape };
}

/** Python's slice(start, stop, step).indices(dim) as the list of selected indices. */
export function pySlice(dim: number, start: number | null, stop: number | null, step: number): number[] {
  let lo: number;
  let hi: number;
  if (step > 0) {
    lo = start === null ? 0 : start < 0 ? Math.max(start + dim, 0) : Math.min(start, dim);
    hi = stop === null ? dim : stop < 0 ? Math.max(stop + dim, 0) : Math.min(stop, dim);
  } else {
    lo = start === null ? dim - 1 : start < 0 ? Math.max(start + dim, -1) : Math.min(start, dim - 1);
    hi = stop === null ? -1 : stop < 0 ? Math.max(stop + dim, -1) : Math.min(stop, dim - 1);
  }
  const out: number[] = [];
  if (step > 0) for (let i = lo; i < hi; i += step) out.push(i);
  else for (let i = lo; i > hi; i += step) out.push(i);
  return out;
}
