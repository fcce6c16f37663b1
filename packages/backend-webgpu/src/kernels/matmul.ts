import { broadcastShapes, sizeOf, type TensorInfo } from '@lowrank/core';
import { broadcastStrides, collapse } from '../dims.js';
import type { GpuData } from '../gpu-data.js';
import { Params } from '../params.js';
import { addOffsets } from '../wgsl.js';
import { type KernelContext, output } from './context.js';
import { cast } from './elementwise.js';
import { type MatmulTile, tileName, tileThreads } from './matmul-tiles.js';

/**
 * Batched GEMM, C = op(A) op(B), tiled for workgroup memory: a workgroup computes a
 * `tile.m x tile.n` tile of C, each thread `tile.rows` rows x `4 * tile.cols` columns
 * (vec4 accumulators), stepping through K `tile.k` at a time. Tiles are staged as vec4 rows of
 * 4 consecutive m (A) or n (B), so the inner loop reads `rows / 4 + cols` vec4s per
 * `4 * rows * cols` FMAs. Global loads are vec4 along an operand's contiguous axis when
 * its length and offsets are multiples of 4. Workgroups walk C in groups of
 * `GROUP_ROWS` tile rows, so the B panels a wave of workgroups reads stay in cache.
 * The tile is the backend's `matmulTile` (matmul-tiles.ts).
 */
const GROUP_ROWS = 8;

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
 * Loads of one operand's `size x depth` tile into workgroup memory `S` (vec4 of 4 consecutive
 * m or n per k row). `outer` is m or n; `alongK` says whether the operand's memory runs
 * along k or along `outer`.
 */
function loadTile(
  name: string,
  outer: 'M' | 'N',
  size: number,
  depth: number,
  threads: number,
  alongK: boolean,
  vec: boolean,
): string {
  const TK = depth;
  const o = outer.toLowerCase();
  const o0 = `${o}0`;
  const quads = size / 4;
  // element (outer, k) of the current matrix
  const at = alongK ? `${o} * P.K + k` : `k * P.${outer} + ${o}`;
  const inBounds = `${o} < P.${outer} && k < P.K`;
  if (!vec) {
    const [oo, kk] = alongK ? [`e / ${TK}`, `e % ${TK}`] : [`e % ${size}`, `e / ${size}`];
    return `  for (var j = 0; j < ${(size * TK) / threads}; j++) {
    let e = t + j * ${threads};
    let oo = ${oo};
    let kk = ${kk};
    let ${o} = ${o0} + oo;
    let k = k0 + kk;
    var v = 0.0;
    if (${inBounds}) { v = ${name}[${name}off + ${at}]; }
    ${name}s[kk * ${quads} + oo / 4][oo % 4] = v;
  }`;
  }
  const load = `var v = vec4<f32>();
    if (${inBounds}) { v = ${name}[(${name}off + ${at}) / 4]; }`;
  if (alongK) {
    return `  for (var j = 0; j < ${(size * TK) / 4 / threads}; j++) {
    let e = t + j * ${threads};
    let oo = e / ${TK / 4};
    let kk = (e % ${TK / 4}) * 4;
    let ${o} = ${o0} + oo;
    let k = k0 + kk;
    ${load}
    for (var c = 0; c < 4; c++) { ${name}s[(kk + c) * ${quads} + oo / 4][oo % 4] = v[c]; }
  }`;
  }
  return `  for (var j = 0; j < ${(size * TK) / 4 / threads}; j++) {
    let e = t + j * ${threads};
    let kk = e / ${quads};
    let oo = (e % ${quads}) * 4;
    let ${o} = ${o0} + oo;
    let k = k0 + kk;
    ${load}
    ${name}s[kk * ${quads} + oo / 4] = v;
  }`;
}

interface Variant {
  tile: MatmulTile;
  transA: boolean;
  transB: boolean;
  vecA: boolean;
  vecB: boolean;
  vecC: boolean;
  accumulate: boolean;
  batchRank: number;
}

function source(v: Variant): string {
  const { m: tm, n: tn, k: TK, rows, cols } = v.tile;
  const [tx, ty] = tileThreads(v.tile);
  const threads = tx * ty;
  const fmas: string[] = [];
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      fmas.push(
        `      acc[${i * cols + j}] = fma(vec4<f32>(a${i >> 2}[${i & 3}]), b${j}, acc[${i * cols + j}]);`,
      );
    }
  }
  const loadsB = Array.from(
    { length: cols },
    (_, j) => `      let b${j} = Bs[kk * ${tn / 4} + tx + ${j * tx}];`,
  );
  const loadsA = Array.from(
    { length: rows / 4 },
    (_, q) => `      let a${q} = As[kk * ${tm / 4} + ty * ${rows / 4} + ${q}];`,
  );
  const prev = (at: string) => (v.accumulate ? `C[${at}] + ` : '');
  const store = v.vecC
    ? `      if (m < P.M && n < P.N) { let at = (Coff + m * P.N + n) / 4; C[at] = ${prev('at')}acc[i * ${cols} + j]; }`
    : `      if (m < P.M) {
        for (var c = 0; c < 4; c++) {
          if (n + c < P.N) { let at = Coff + m * P.N + n + c; C[at] = ${prev('at')}acc[i * ${cols} + j][c]; }
        }
      }`;
  return `var<workgroup> As: array<vec4<f32>, ${(TK * tm) / 4}>;
var<workgroup> Bs: array<vec4<f32>, ${(TK * tn) / 4}>;

@compute @workgroup_size(${tx}, ${ty})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) li: u32) {
  let batch = i32(wid.z) + P.batch0;
  var Aoff = P.aBase;
  var Boff = P.bBase;
${addOffsets('batch', v.batchRank, 'bd', [
  { acc: 'Aoff', strides: 'as' },
  { acc: 'Boff', strides: 'bs' },
])}
  let Coff = P.cBase + batch * P.M * P.N;
  // Grouped order: consecutive workgroups sweep ${GROUP_ROWS} tile rows column by column.
  let tilesN = (P.N + ${tn - 1}) / ${tn};
  let tilesM = (P.M + ${tm - 1}) / ${tm};
  let id = i32(wid.y) * tilesN + i32(wid.x);
  let inGroup = ${GROUP_ROWS} * tilesN;
  let firstRow = (id / inGroup) * ${GROUP_ROWS};
  let groupRows = min(tilesM - firstRow, ${GROUP_ROWS});
  let m0 = (firstRow + (id % inGroup) % groupRows) * ${tm};
  let n0 = ((id % inGroup) / groupRows) * ${tn};
  let tx = i32(lid.x);
  let ty = i32(lid.y);
  let t = i32(li);
  var acc: array<vec4<f32>, ${rows * cols}>;
  for (var k0 = 0; k0 < P.K; k0 += ${TK}) {
${loadTile('A', 'M', tm, TK, threads, !v.transA, v.vecA)}
${loadTile('B', 'N', tn, TK, threads, v.transB, v.vecB)}
    workgroupBarrier();
    for (var kk = 0; kk < ${TK}; kk++) {
${loadsB.join('\n')}
${loadsA.join('\n')}
${fmas.join('\n')}
    }
    workgroupBarrier();
  }
  for (var i = 0; i < ${rows}; i++) {
    let m = m0 + ty * ${rows} + i;
    for (var j = 0; j < ${cols}; j++) {
      let n = n0 + (tx + j * ${tx}) * 4;
${store}
    }
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
  const tile = ctx.matmulTile;
  const v: Variant = {
    tile,
    transA: a.trans,
    transB: b.trans,
    vecA: aligned(a.trans ? s.m : s.k, a),
    vecB: aligned(b.trans ? s.k : s.n, b),
    vecC: s.n % 4 === 0 && c.base % 4 === 0,
    accumulate: c.accumulate ?? false,
    batchRank: dims.shape.length,
  };
  const { batchRank, tile: _, ...flags } = v;
  const key = `matmul:${tileName(tile)}:${Object.values(flags).map(Number).join('')}:b${batchRank}`;
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
      workgroups: [Math.ceil(s.n / tile.n), Math.ceil(s.m / tile.m), Math.min(perDispatch, batches - batch0)],
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
