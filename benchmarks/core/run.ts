/**
 * Core kernel benchmark: float32 matmul, conv2d and conv2d's input gradient (the kernel
 * its backward pass runs; peers without one are skipped), lowrank's kernels side by side
 * with peers in one process, on the same data. Prints GFLOP/s and writes
 * results/core.json as rows { name, ours, peer, ratio, unit }, ratio = ours / peer.
 *
 *   pnpm --filter @lowrank/benchmarks bench:core [--only <substring of "case | peer">]
 *
 * With --only, only the matching rows run and nothing is written.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Contender, ConvCase, ConvGradInputCase, MatmulCase, Prepared } from './contender.js';
import { ours } from './ours.js';
import { gpujs } from './peers/gpujs.js';
import { tfjs } from './peers/tfjs.js';
import { timePair } from './timing.js';

interface Case {
  name: string;
  flops: number;
  prepare(c: Contender): Promise<Prepared>;
  /** whether the contender has a kernel for the case (all do unless said) */
  supports?(c: Contender): boolean;
}

interface Row {
  name: string;
  ours: number;
  peer: number;
  ratio: number;
  unit: string;
}

function random(size: number, seed: number): Float32Array {
  // xorshift32: the same data for every contender and every run
  let s = seed >>> 0 || 1;
  const a = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    a[i] = (s >>> 0) / 2 ** 31 - 1;
  }
  return a;
}

function matmulCase(n: number): Case {
  const data: MatmulCase = { n, a: random(n * n, 1), b: random(n * n, 2) };
  return { name: `matmul ${n}x${n}x${n}`, flops: 2 * n ** 3, prepare: (c) => c.prepareMatmul(data) };
}

function convData(n: number, c: number, o: number, k: number, hw: number, pad: number): ConvGradInputCase {
  const out = hw + 2 * pad - k + 1;
  return {
    xShape: [n, c, hw, hw],
    wShape: [o, c, k, k],
    pad,
    x: random(n * c * hw * hw, 3),
    w: random(o * c * k * k, 4),
    dy: random(n * o * out * out, 5),
  };
}

function convFlops({ xShape: [n, c, hw], wShape: [o, , k], pad }: ConvCase): number {
  const out = hw + 2 * pad - k + 1;
  return 2 * n * o * out * out * c * k * k;
}

function convCase(n: number, c: number, o: number, k: number, hw: number, pad: number): Case {
  const data = convData(n, c, o, k, hw, pad);
  return {
    name: `conv2d N${n} ${c}->${o} ${k}x${k} ${hw}x${hw} pad ${pad}`,
    flops: convFlops(data),
    prepare: (ct) => ct.prepareConv(data),
  };
}

/** The input gradient that conv2d's backward pass computes (same flops as the forward). */
function convGradInputCase(n: number, c: number, o: number, k: number, hw: number, pad: number): Case {
  const data = convData(n, c, o, k, hw, pad);
  return {
    name: `conv2d input gradient N${n} ${c}->${o} ${k}x${k} ${hw}x${hw} pad ${pad}`,
    flops: convFlops(data),
    prepare: (ct) => {
      if (!ct.prepareConvGradInput) throw new Error(`${ct.name} has no conv input gradient`);
      return ct.prepareConvGradInput(data);
    },
    supports: (ct) => ct.prepareConvGradInput !== undefined,
  };
}

const cases: Case[] = [
  matmulCase(256),
  matmulCase(512),
  matmulCase(1024),
  matmulCase(2048),
  convCase(32, 64, 64, 3, 32, 1),
  // the 1 x 1 convolutions that Tucker-2 layers are made of
  convCase(32, 64, 16, 1, 32, 0),
  // LeNet-5's conv1 and conv2 and a ResNet-8 block conv, at training batch 64
  convCase(64, 1, 6, 5, 28, 2),
  convCase(64, 6, 16, 5, 14, 0),
  convCase(64, 16, 16, 3, 28, 1),
  convGradInputCase(64, 16, 16, 3, 28, 1),
  convGradInputCase(64, 6, 16, 5, 14, 0),
];

/** Largest |x - ref| relative to the largest |ref|: every contender must compute the same thing. */
function mismatch(x: Float32Array, ref: Float32Array): number {
  if (x.length !== ref.length) return Number.POSITIVE_INFINITY;
  let err = 0;
  let scale = 0;
  for (let i = 0; i < x.length; i++) {
    err = Math.max(err, Math.abs(x[i] - ref[i]));
    scale = Math.max(scale, Math.abs(ref[i]));
  }
  return err / scale;
}

async function main(): Promise<void> {
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : '';
  const peers = [await tfjs('cpu'), await tfjs('wasm'), gpujs(false), gpujs(true)];
  console.log(
    `Node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'} x ${os.cpus().length}; float32; ours and each peer timed alternately, medians after warm-up`,
  );
  for (const p of [ours, ...peers]) if (p.note) console.log(`  ${p.name}: ${p.note}`);
  const rows: Row[] = [];
  const table: Record<string, string | number>[] = [];
  for (const c of cases) {
    const chosen = peers.filter((p) => `${c.name} | ${p.name}`.includes(only) && (c.supports?.(p) ?? true));
    if (chosen.length === 0) continue;
    const ourPrep = await c.prepare(ours);
    const reference = ourPrep.read(await ourPrep.run());
    for (const peer of chosen) {
      const prep = await c.prepare(peer);
      // this first run is also the warm-up for the timing below
      const err = mismatch(prep.read(await prep.run()), reference);
      if (!(err < 1e-4))
        throw new Error(`${peer.name} disagrees with ours on ${c.name}: relative error ${err}`);
      const t = await timePair(
        () => ourPrep.run(),
        () => prep.run(),
      );
      await prep.dispose?.();
      const ourRate = c.flops / t.ours / 1e9;
      const rate = c.flops / t.peer / 1e9;
      const row = {
        name: `${c.name} | ${peer.name}`,
        ours: round(ourRate),
        peer: round(rate),
        ratio: round(ourRate / rate),
        unit: 'GFLOP/s',
      };
      rows.push(row);
      table.push({
        case: c.name,
        'ours GFLOP/s': row.ours,
        peer: peer.name,
        'peer GFLOP/s': row.peer,
        'ours/peer': row.ratio,
      });
      console.log(`${row.name}: ours ${row.ours} vs ${row.peer} GFLOP/s (x${row.ratio})`);
    }
  }
  console.table(table);
  for (const p of peers) await p.close?.();
  // a partial run must not replace the full results
  if (only) return;
  const dir = fileURLToPath(new URL('../results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  // written whole or not at all
  writeFileSync(`${dir}core.json.tmp`, `${JSON.stringify(rows, null, 2)}\n`);
  renameSync(`${dir}core.json.tmp`, `${dir}core.json`);
  console.log(`wrote ${dir}core.json`);
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

await main();
// gpu.js's worker pool keeps the event loop alive
process.exit(0);
