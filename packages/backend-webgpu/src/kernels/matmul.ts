import { broadcastShapes, sizeOf, type TensorInfo } from '@lowrank/core';
import { broadcastStrides, collapse } from '../dims.js';
import type { GpuData } from '../gpu-data.js';
import { Params } from '../params.js';
import { addOffsets } from '../wgsl.js';
import { type KernelContext, output } from './context.js';
import { cast } from './elementwise.js';

/**
 * Batched GEMM, C = op(A) op(B), tiled for workgroup memory: a workgroup of 16 x 8
 * threads computes a 64 x 64 tile of C, each thread 8 rows x 4 columns (8 vec4
 * accumulators), stepping through K 16 at a time. Tiles are staged as vec4 rows of
 * 4 consecutive m (A) or n (B), so the inner loop reads 3 vec4s per 32 FMAs. Global
 * loads are vec4 along an operand's contiguous axis when its length and offsets are
 * multiples of 4. 128 threads and 8 KiB of workgroup memory fit compatibility mode.
 */
const TILE = 64;
const TK = 16;
const THREADS = 128;

export interface MatOperand {
  data: GpuData;
  /** Element offset of the first matrix. */
  base: number;
  /** Element strides of the batch axes (0 where broadcast). */
  batchStrides: readonly number[];
  /** Stored as [k, m] (A) or [n, k] (B) instead of [m, k] / [k, n]. */
  trans: boolean;
}

export interface MatmulShape {
  batch: readonly number[];
  m: number;
  n: number;
  k: number;
}

/**
 * Loads of one operand's 64 x 16 tile into workgroup memory `S` (vec4 of 4 consecutive
 * m or n per k row). `outer` is m or n; `contig` says whether the operand's memory
 * runs along k or along `outer`.
 */
function loadTile(name: string, outer: 'M' | 'N', alongK: boolean, vec: boolean): string {
  const o = outer.toLowerCase();
  const o0 = `${o}0`;
  // element (outer, k) of the current matrix
  const at = alongK ? `${o} * P.K + k` : `k * P.${outer} + ${o}`;
  const inBounds = `${o} < P.${outer} && k < P.K`;
  if (!vec) {
    const [oo, kk] = alongK ? ['e / 16', 'e % 16'] : ['e % 64', 'e / 64'];
    return `  for (var j = 0; j < ${(TILE * TK) / THREADS}; j++) {
    let e = t + j * ${THREADS};
    let oo = ${oo};
    let kk = ${kk};
    let ${o} = ${o0} + oo;
    let k = k0 + kk;
    var v = 0.0;
    if (${inBounds}) { v = ${name}[${name}off + ${at}]; }
    ${name}s[kk * 16 + oo / 4][oo % 4] = v;
  }`;
  }
  const load = `var v = vec4<f32>();
    if (${inBounds}) { v = ${name}[(${name}off + ${at}) / 4]; }`;
  if (alongK) {
    return `  for (var j = 0; j < ${(TILE * TK) / 4 / THREADS}; j++) {
    let e = t + j * ${THREADS};
    let oo = e / 4;
    let kk = (e % 4) * 4;
    let ${o} = ${o0} + oo;
    let k = k0 + kk;
    ${load}
    for (var c = 0; c < 4; c++) { ${name}s[(kk + c) * 16 + oo / 4][oo % 4] = v[c]; }
  }`;
  }
  return `  for (var j = 0; j < ${(TILE * TK) / 4 / THREADS}; j++) {
    let e = t + j * ${THREADS};
    let kk = e / 16;
    let oo = (e % 16) * 4;
    let ${o} = ${o0} + oo;
    let k = k0 + kk;
    ${load}
    ${name}s[kk * 16 + oo / 4] = v;
  }`;
}

interface Variant {
  transA: boolean;
  transB: boolean;
  vecA: boolean;
  vecB: boolean;
  vecC: boolean;
  accumulate: boolean;
  batchRank: number;
}

function source(v: Variant): string {
  const fmas: string[] = [];
  for (let i = 0; i < 8; i++) {
    fmas.push(`      acc[${i}] = fma(vec4<f32>(a${i >> 2}[${i & 3}]), b, acc[${i}]);`);
  }
  const prev = (at: string) => (v.accumulate ? `C[${at}] + ` : '');
  const store = v.vecC
    ? `    let n = n0 + tx * 4;
    if (m < P.M && n < P.N) { let at = (Coff + m * P.N + n) / 4; C[at] = ${prev('at')}acc[i]; }`
    : `    if (m < P.M) {
      for (var c = 0; c < 4; c++) {
        let n = n0 + tx * 4 + c;
        if (n < P.N) { let at = Coff + m * P.N + n; C[at] = ${prev('at')}acc[i][c]; }
      }
    }`;
  return `var<workgroup> As: array<vec4<f32>, ${(TK * TILE) / 4}>;
var<workgroup> Bs: array<vec4<f32>, ${(TK * TILE) / 4}>;

@compute @workgroup_size(16, 8)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) li: u32) {
  let batch = i32(wid.z) + P.batch0;
  var Aoff = P.aBase;
  var Boff = P.bBase;
${addOffsets('batch', v.batchRank, 'bd', [
  { acc: 'Aoff', strides: 'as' },
  { acc: 'Boff', strides: 'bs' },
])}
  let Coff = P.cBase + batch * P.M * P.N;
  let m0 = i32(wid.y) * ${TILE};
  let n0 = i32(wid.x) * ${TILE};
  let tx = i32(lid.x);
  let ty = i32(lid.y);
  let t = i32(li);
  var acc: array<vec4<f32>, 8>;
  for (var k0 = 0; k0 < P.K; k0 += ${TK}) {
${loadTile('A', 'M', !v.transA, v.vecA)}
${loadTile('B', 'N', v.transB, v.vecB)}
    workgroupBarrier();
    for (var kk = 0; kk < ${TK}; kk++) {
      let b = Bs[kk * 16 + tx];
      let a0 = As[kk * 16 + ty * 2];
      let a1 = As[kk * 16 + ty * 2 + 1];
${fmas.join('\n')}
    }
    workgroupBarrier();
  }
  for (var i = 0; i < 8; i++) {
    let m = m0 + ty * 8 + i;
${store}
  }
}`;
}

const aligned = (len: number, op: MatOperand) =>
  len % 4 === 0 && op.base % 4 === 0 && op.batchStrides.every((s) => s % 4 === 0);

/** C[cBase + batch * m * n ...] (=|+=) op(A) op(B) for every batch index; batches broadcast through the strides. */
export function gemm(
  ctx: KernelContext,
  a: MatOperand,
  b: MatOperand,
  c: { data: GpuData; base: number; accumulate?: boolean },
  s: MatmulShape,
): void {
  const batches = sizeOf(s.batch);
  if (batches === 0 || s.m === 0 || s.n === 0) return;
  const dims = collapse(s.batch, [a.batchStrides, b.batchStrides]);
  const v: Variant = {
    transA: a.trans,
    transB: b.trans,
    vecA: aligned(a.trans ? s.m : s.k, a),
    vecB: aligned(b.trans ? s.k : s.n, b),
    vecC: s.n % 4 === 0 && c.base % 4 === 0,
    accumulate: c.accumulate ?? false,
    batchRank: dims.shape.length,
  };
  const { batchRank, ...flags } = v;
  const key = `matmul:${Object.values(flags).map(Number).join('')}:b${batchRank}`;
  const buffers = [
    { name: 'A', type: v.vecA ? 'vec4<f32>' : 'f32', data: a.data },
    { name: 'B', type: v.vecB ? 'vec4<f32>' : 'f32', data: b.data },
    { name: 'C', type: v.vecC ? 'vec4<f32>' : 'f32', write: true, data: c.data },
  ];
  // Batches past the per-dimension workgroup limit go in several dispatches.
  const perDispatch = ctx.limits.maxComputeWorkgroupsPerDimension;
  for (let batch0 = 0; batch0 < batches; batch0 += perDispatch) {
    const params = new Params()
      .i32('M', s.m)
      .i32('N', s.n)
      .i32('K', s.k)
      .i32('batch0', batch0)
      .i32('aBase', a.base)
      .i32('bBase', b.base)
      .i32('cBase', c.base)
      .i32s('bd', dims.shape)
      .i32s('as', dims.strides[0])
      .i32s('bs', dims.strides[1]);
    ctx.launch({
      key,
      buffers,
      params,
      code: () => source(v),
      workgroups: [Math.ceil(s.n / TILE), Math.ceil(s.m / TILE), Math.min(perDispatch, batches - batch0)],
    });
  }
}

/** The matmul kernel: a [...batchA, m, k], b [...batchB, k, n] (before transposes); int32 operands are cast to float32. */
export function matmul(
  ctx: KernelContext,
  a: TensorInfo,
  b: TensorInfo,
  transA: boolean,
  transB: boolean,
): TensorInfo {
  const fa = a.dtype === 'int32' ? cast(ctx, a, 'float32') : a;
  const fb = b.dtype === 'int32' ? cast(ctx, b, 'float32') : b;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = transA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = transA ? a.shape[ra - 2] : a.shape[ra - 1];
  const n = transB ? b.shape[rb - 2] : b.shape[rb - 1];
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const batch = broadcastShapes(batchA, batchB, 'matmul');
  const shape = [...batch, m, n];
  const out = ctx.alloc(sizeOf(shape), 'float32');
  // A batch stride of 1 in broadcastStrides' units is one whole matrix.
  const matrices = (own: readonly number[], size: number) =>
    broadcastStrides(own, batch).map((st) => st * size);
  gemm(
    ctx,
    { data: ctx.data(fa), base: 0, batchStrides: matrices(batchA, m * k), trans: transA },
    { data: ctx.data(fb), base: 0, batchStrides: matrices(batchB, k * n), trans: transB },
    { data: out, base: 0 },
    { batch, m, n, k },
  );
  if (fa !== a) ctx.release(ctx.data(fa));
  if (fb !== b) ctx.release(ctx.data(fb));
  return output(out, shape);
}
