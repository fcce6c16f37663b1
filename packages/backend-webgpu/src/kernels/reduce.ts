import { type ReduceOp, sizeOf, type TensorInfo } from '@lowrank/core';
import { collapse, stridesOf } from '../dims.js';
import type { GpuData } from '../gpu-data.js';
import { Params } from '../params.js';
import { addOffsets, FLAT_WORKGROUP, flatMain, wgslType } from '../wgsl.js';
import { type KernelContext, output } from './context.js';
import { fill } from './copy.js';
import { MATH_WGSL } from './math.js';

/**
 * Reductions read x in place through strides: output o starts at the offset of its
 * kept coordinates, and element r of its segment adds the offset of the reduced
 * coordinates, so no transposed copy is made. Short segments get a thread each;
 * long ones a workgroup each (strided partial results, then a tree in workgroup
 * memory); very long segments with few outputs are cut into chunks whose partial
 * results a second pass reduces.
 */
const WG = 64;
/** Segments at most this long are reduced by one thread. */
const SHORT = 64;
/** Elements per workgroup when few outputs share very long segments. */
const CHUNK = 4096;

interface Layout {
  count: number;
  len: number;
  keptShape: number[];
  params: (p: Params) => Params;
  keptRank: number;
  redRank: number;
}

function layout(shape: readonly number[], axes: readonly number[]): Layout {
  const strides = stridesOf(shape);
  const keptAxes = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const kept = collapse(
    keptAxes.map((i) => shape[i]),
    [keptAxes.map((i) => strides[i])],
  );
  const red = collapse(
    axes.map((i) => shape[i]),
    [axes.map((i) => strides[i])],
  );
  return {
    count: sizeOf(kept.shape),
    len: sizeOf(red.shape),
    keptShape: keptAxes.map((i) => shape[i]),
    keptRank: kept.shape.length,
    redRank: red.shape.length,
    params: (p) =>
      p.i32s('kd', kept.shape).i32s('ks', kept.strides[0]).i32s('rd', red.shape).i32s('rs', red.strides[0]),
  };
}

/** WGSL of the offset of output `o` (`base`) and of segment element `r` (`off`). */
function offsetCode(l: Layout): { base: string; element: string } {
  return {
    base: `  var base = 0;\n${addOffsets('o', l.keptRank, 'kd', [{ acc: 'base', strides: 'ks' }])}`,
    element: `      var off = base;\n${addOffsets('r', l.redRank, 'rd', [{ acc: 'off', strides: 'rs' }])}`,
  };
}

/**
 * A reduction as WGSL pieces over a state of type `state`: `init` (the identity),
 * `take` (fold element `v` at segment index `r` into `acc`), `merge` (fold state
 * `b` into `a`, b coming after a), `result` (the value stored for state `acc`).
 */
interface Monoid {
  key: string;
  helpers: string;
  state: string;
  init: string;
  take: string;
  merge: (a: string, b: string) => string;
  result: string;
}

function valueMonoid(op: ReduceOp, t: 'f32' | 'i32'): Monoid {
  const f = t === 'f32';
  const extreme = (cmp: '>' | '<'): Pick<Monoid, 'take' | 'merge'> => {
    // NaN wins, as on the CPU backend
    const better = (a: string, b: string) => (f ? `(${b} ${cmp} ${a} || isNan(${b}))` : `${b} ${cmp} ${a}`);
    return {
      take: `acc = select(acc, v, ${better('acc', 'v')});`,
      merge: (a, b) => `${a} = select(${a}, ${b}, ${better(a, b)});`,
    };
  };
  const common = { key: `${op}:${t}`, helpers: MATH_WGSL, state: t, result: 'acc' };
  switch (op) {
    case 'sum':
      return { ...common, init: `${t}(0)`, take: 'acc += v;', merge: (a, b) => `${a} += ${b};` };
    case 'prod':
      return { ...common, init: `${t}(1)`, take: 'acc *= v;', merge: (a, b) => `${a} *= ${b};` };
    case 'max':
      return { ...common, init: f ? '-P.inf' : '(-2147483647 - 1)', ...extreme('>') };
    case 'min':
      return { ...common, init: f ? 'P.inf' : '2147483647', ...extreme('<') };
  }
}

/**
 * argmax/argmin as (value, index) states. On the CPU a scan keeps the first extreme,
 * never moves off a leading NaN and skips later NaNs; so here NaNs are skipped
 * (index -1 marks an empty state), ties keep the lower index, and the stored result
 * is 0 when the segment starts with NaN.
 */
function argMonoid(op: 'argmax' | 'argmin', t: 'f32' | 'i32'): Monoid {
  const cmp = op === 'argmax' ? '>' : '<';
  const skip = t === 'f32' ? 'isNan(v)' : 'false';
  return {
    key: `${op}:${t}`,
    helpers: `${MATH_WGSL}
struct Arg { v: ${t}, i: i32 }
fn mergeArg(a: Arg, b: Arg) -> Arg {
  if (b.i < 0) { return a; }
  if (a.i < 0 || b.v ${cmp} a.v || (b.v == a.v && b.i < a.i)) { return b; }
  return a;
}`,
    state: 'Arg',
    init: `Arg(${t}(0), -1)`,
    take: `if (!${skip}) { acc = mergeArg(acc, Arg(v, r)); }`,
    merge: (a, b) => `${a} = mergeArg(${a}, ${b});`,
    result: `select(max(acc.i, 0), 0, ${t === 'f32' ? 'isNan(X[base])' : 'false'})`,
  };
}

function run(ctx: KernelContext, x: GpuData, l: Layout, m: Monoid, out: GpuData, chunks: number): void {
  const t = wgslType(x.dtype);
  const { base, element } = offsetCode(l);
  const buffers = [
    { name: 'X', type: t, data: x },
    { name: 'Y', type: wgslType(out.dtype), write: true, data: out },
  ];
  const key = `reduce:${m.key}:k${l.keptRank}:r${l.redRank}`;
  if (l.len <= SHORT && chunks === 1) {
    const params = l.params(
      new Params().i32('n', l.count).f32('inf', Number.POSITIVE_INFINITY).i32('len', l.len),
    );
    const body = `  let o = i;
${base}
  var acc = ${m.init};
  for (var r = 0; r < P.len; r++) {
${element}
      let v = X[off];
      ${m.take}
  }
  Y[o] = ${m.result};`;
    ctx.launch({
      key: `${key}:thread`,
      buffers,
      params,
      code: () => `${m.helpers}\n${flatMain(body)}`,
      workgroups: ctx.grid(l.count, FLAT_WORKGROUP),
    });
    return;
  }
  const chunkLen = Math.ceil(l.len / chunks);
  const params = l.params(
    new Params()
      .i32('groups', l.count * chunks)
      .f32('inf', Number.POSITIVE_INFINITY)
      .i32('len', l.len)
      .i32('chunks', chunks)
      .i32('chunkLen', chunkLen),
  );
  // Every branch before the barriers depends only on uniforms and workgroup ids.
  const code = `${m.helpers}
var<workgroup> part: array<${m.state}, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let w = i32(wid.y * nwg.x + wid.x);
  if (w >= P.groups) { return; }
  let o = w / P.chunks;
  let start = (w % P.chunks) * P.chunkLen;
  let end = min(start + P.chunkLen, P.len);
${base}
  var acc = ${m.init};
  for (var r = start + i32(lid); r < end; r += ${WG}) {
${element}
      let v = X[off];
      ${m.take}
  }
  part[lid] = acc;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s >>= 1u) {
    if (lid < s) { ${m.merge('part[lid]', 'part[lid + s]')} }
    workgroupBarrier();
  }
  if (lid == 0u) {
    acc = part[0];
    Y[w] = ${m.result};
  }
}`;
  ctx.launch({
    key: `${key}:group`,
    buffers,
    params,
    code: () => code,
    workgroups: ctx.grid(l.count * chunks, 1),
  });
}

export function reduce(ctx: KernelContext, x: TensorInfo, op: ReduceOp, axes: readonly number[]): TensorInfo {
  const l = layout(x.shape, axes);
  const out = ctx.alloc(l.count, x.dtype);
  if (l.count === 0) return output(out, l.keptShape);
  if (l.len === 0) {
    if (op === 'max' || op === 'min') throw new RangeError(`${op}: cannot reduce over an empty axis`);
    fill(ctx, out, op === 'sum' ? 0 : 1);
    return output(out, l.keptShape);
  }
  const m = valueMonoid(op, wgslType(x.dtype));
  const chunks = l.count < 256 && l.len > 4 * CHUNK ? Math.ceil(l.len / CHUNK) : 1;
  if (chunks === 1) {
    run(ctx, ctx.data(x), l, m, out, 1);
    return output(out, l.keptShape);
  }
  // Partial results [count, chunks], then their reduction over the chunk axis.
  const partial = ctx.alloc(l.count * chunks, x.dtype);
  run(ctx, ctx.data(x), l, m, partial, chunks);
  run(ctx, partial, layout([l.count, chunks], [1]), m, out, 1);
  ctx.release(partial);
  return output(out, l.keptShape);
}

export function argReduce(
  ctx: KernelContext,
  x: TensorInfo,
  op: 'argmax' | 'argmin',
  axis: number,
): TensorInfo {
  if (x.shape[axis] === 0) throw new RangeError(`${op}: cannot reduce over an empty axis`);
  const l = layout(x.shape, [axis]);
  const out = ctx.alloc(l.count, 'int32');
  if (l.count > 0) run(ctx, ctx.data(x), l, argMonoid(op, wgslType(x.dtype)), out, 1);
  return output(out, l.keptShape);
}
