import type { DType } from '@lowrank/core';
import type { Params } from './params.js';

/** A storage buffer as the WGSL sees it: `var<storage, read|read_write> name: array<type>`. */
export interface BufferDecl {
  name: string;
  type: string;
  write?: boolean;
}

export function wgslType(dtype: DType): 'f32' | 'i32' {
  if (dtype === 'float64') throw new TypeError('The webgpu backend has no float64');
  return dtype === 'int32' ? 'i32' : 'f32';
}

/** Storage buffers at bindings 0..n-1, then the uniform `P: Params`. */
export function declarations(buffers: readonly BufferDecl[], params: Params): string {
  const lines = buffers.map(
    (b, i) =>
      `@group(0) @binding(${i}) var<storage, ${b.write ? 'read_write' : 'read'}> ${b.name}: array<${b.type}>;`,
  );
  lines.push(params.struct(), `@group(0) @binding(${buffers.length}) var<uniform> P: Params;`);
  return lines.join('\n');
}

/** Threads per workgroup of the 1-d kernels: within every adapter's limits, compatibility mode included. */
export const FLAT_WORKGROUP = 64;

/**
 * The entry point of a 1-d kernel: thread `i` (an i32) runs `body` for i < P.n. The
 * grid may be folded into 2-d (over 65,535 workgroups), hence num_workgroups.
 */
export function flatMain(body: string): string {
  return `@compute @workgroup_size(${FLAT_WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = i32((wid.y * nwg.x + wid.x) * ${FLAT_WORKGROUP}u + lid);
  if (i >= P.n) { return; }
${body}
}`;
}

/**
 * WGSL adding, for a flat index `index` over the axes `P.{dims}0..P.{dims}{rank-1}`
 * (last fastest), each coordinate times `P.{strides}k` to the i32 variable `acc` of
 * each stride set. The accumulators must already be declared.
 */
export function addOffsets(
  index: string,
  rank: number,
  dims: string,
  sets: readonly { acc: string; strides: string }[],
): string {
  if (rank === 0) return '';
  const lines = [`  { var rem = ${index};`];
  for (let d = rank - 1; d >= 0; d--) {
    lines.push(`    { let c = ${d > 0 ? `rem % P.${dims}${d}` : 'rem'};`);
    for (const s of sets) lines.push(`      ${s.acc} += c * P.${s.strides}${d};`);
    if (d > 0) lines.push(`      rem = rem / P.${dims}${d};`);
    lines.push('    }');
  }
  lines.push('  }');
  return lines.join('\n');
}
