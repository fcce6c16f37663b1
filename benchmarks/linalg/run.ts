/**
 * Linear-algebra benchmark: lowrank's float64 factorizations against numpy/scipy
 * (LAPACK) on the same matrices. SVD of conv-unfolding shapes of ResNets (64x576,
 * 256x2304, 512x4608), eigh and Cholesky of 2304x2304, QR of 4608x512. Prints time,
 * time ratio (ours / peer) and accuracy side by side, and writes results/linalg.json
 * as rows { name, ours, peer, ratio, unit }.
 *
 *   pnpm --filter @lowrank/benchmarks bench:linalg [-- --only <substring>] [-- --peer-threads <n>]
 *
 * The peer is Debian's /usr/bin/python3 with python3-numpy and python3-scipy, run as a
 * child process (peer.py) on the matrices written to a temporary directory as raw
 * float64. It is pinned to one BLAS thread by default, like ours; where it is missing,
 * the run says so and reports our side alone.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SeededRandom } from '../../packages/core/src/data/prng.js';
import {
  cholesky,
  eigh,
  eye,
  gram,
  type Matrix,
  matmul,
  norm,
  qr,
  scaleCols,
  sub,
  svd,
} from '../../packages/core/src/linalg/index.js';

type Op = 'svd' | 'eigh' | 'cholesky' | 'qr';

interface Case {
  name: string;
  op: Op;
  /** Built only when the case is selected. */
  build: () => Matrix;
  /** Timed runs (median, after one warm-up run); one, without warm-up, for the cases that take seconds. */
  runs: number;
}

interface Measured {
  seconds: number;
  /** Accuracy figures by name (relative errors, orthogonality). */
  accuracy: Record<string, number>;
  /** What both sides compare: singular values, eigenvalues, the Cholesky factor, |diag R|. */
  compared: Float64Array;
}

type PeerResult = { name: string; seconds: number } & Record<string, number>;

interface PeerReport {
  numpy: string;
  scipy: string;
  blas: string[];
  results: PeerResult[];
}

interface Row {
  name: string;
  ours: number;
  peer: number | null;
  ratio: number | null;
  unit: string;
}

const PYTHON = '/usr/bin/python3';

function gaussian(rows: number, cols: number, seed: number): Matrix {
  const rng = new SeededRandom(seed);
  return { rows, cols, data: Float64Array.from({ length: rows * cols }, () => rng.normal()) };
}

function symmetric(n: number, seed: number): Matrix {
  const g = gaussian(n, n, seed);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) a[i * n + j] = (g.data[i * n + j] + g.data[j * n + i]) / 2;
  return { rows: n, cols: n, data: a };
}

/** A well-conditioned SPD matrix: the Gram matrix of a 2n x n Gaussian, scaled. */
function spd(n: number, seed: number): Matrix {
  const a = gram(gaussian(2 * n, n, seed));
  for (let i = 0; i < a.data.length; i++) a.data[i] /= 2 * n;
  return a;
}

const cases: Case[] = [
  { name: 'svd 64x576', op: 'svd', build: () => gaussian(64, 576, 1), runs: 5 },
  { name: 'svd 256x2304', op: 'svd', build: () => gaussian(256, 2304, 2), runs: 3 },
  { name: 'svd 512x4608', op: 'svd', build: () => gaussian(512, 4608, 3), runs: 1 },
  { name: 'eigh 2304x2304', op: 'eigh', build: () => symmetric(2304, 4), runs: 1 },
  { name: 'cholesky 2304x2304', op: 'cholesky', build: () => spd(2304, 5), runs: 3 },
  { name: 'qr 4608x512', op: 'qr', build: () => gaussian(4608, 512, 6), runs: 3 },
];

function relError(x: Matrix, ref: Matrix): number {
  return norm(sub(x, ref)) / (norm(ref) || 1);
}

function orthogonality(q: Matrix): number {
  return norm(sub(gram(q), eye(q.cols)), 'max');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Times our decomposition alone, then measures it. */
function runOurs(c: Case, a: Matrix): Measured {
  const times: number[] = [];
  let result: unknown = c.runs > 1 ? decompose(c.op, a) : undefined;
  for (let r = 0; r < c.runs; r++) {
    const t0 = performance.now();
    result = decompose(c.op, a);
    times.push((performance.now() - t0) / 1000);
  }
  return { seconds: median(times), ...measure(c.op, a, result) };
}

function decompose(op: Op, a: Matrix): unknown {
  switch (op) {
    case 'svd':
      return svd(a);
    case 'eigh':
      return eigh(a);
    case 'cholesky':
      return cholesky(a).L;
    case 'qr':
      return qr(a);
  }
}

function measure(op: Op, a: Matrix, result: unknown): Omit<Measured, 'seconds'> {
  switch (op) {
    case 'svd': {
      const { U, s, V } = result as ReturnType<typeof svd>;
      const rec = relError(matmul(scaleCols(U, s), V, { transB: true }), a);
      return {
        accuracy: { reconstruction: rec, orthogonality: Math.max(orthogonality(U), orthogonality(V)) },
        compared: s,
      };
    }
    case 'eigh': {
      const { values, vectors } = result as ReturnType<typeof eigh>;
      const residual = relError(matmul(a, vectors), scaleCols(vectors, values));
      return { accuracy: { residual, orthogonality: orthogonality(vectors) }, compared: values };
    }
    case 'cholesky': {
      const L = result as Matrix;
      return { accuracy: { reconstruction: relError(matmul(L, L, { transB: true }), a) }, compared: L.data };
    }
    case 'qr': {
      const { Q, R } = result as ReturnType<typeof qr>;
      const diagR = Float64Array.from({ length: R.rows }, (_, i) => Math.abs(R.data[i * R.cols + i]));
      return {
        accuracy: { reconstruction: relError(matmul(Q, R), a), orthogonality: orthogonality(Q) },
        compared: diagR,
      };
    }
  }
}

/** Largest difference between the two sides' compared values, relative to the largest peer value. */
function agreement(ours: Float64Array, peer: Float64Array): number {
  if (ours.length !== peer.length) return Number.POSITIVE_INFINITY;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < ours.length; i++) {
    diff = Math.max(diff, Math.abs(ours[i] - peer[i]));
    scale = Math.max(scale, Math.abs(peer[i]));
  }
  return diff / (scale || 1);
}

function peerAvailable(): string | null {
  const probe = spawnSync(PYTHON, ['-c', 'import numpy, scipy'], { encoding: 'utf8' });
  if (probe.error) return `${PYTHON} not found`;
  if (probe.status !== 0)
    return `${PYTHON} cannot import numpy and scipy (apt-get install python3-numpy python3-scipy)`;
  return null;
}

/** numpy/scipy versions and the BLAS/LAPACK libraries the peer loads. */
function describePeer(threads: number): string {
  const report = spawnPeer({ dir: '', cases: [] }, threads);
  return `numpy ${report.numpy}, scipy ${report.scipy}, ${report.blas.join(', ') || 'unknown BLAS'}`;
}

/** Runs one case through peer.py; the input goes through `dir` as raw float64. */
function runPeer(c: Case, input: Matrix, dir: string, threads: number): PeerResult {
  const file = 'input.f64';
  const { data } = input;
  writeFileSync(path.join(dir, file), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  const manifest = {
    dir,
    cases: [{ name: c.name, op: c.op, file, shape: [input.rows, input.cols], runs: c.runs }],
  };
  return spawnPeer(manifest, threads).results[0];
}

function spawnPeer(manifest: object, threads: number): PeerReport {
  const t = String(threads);
  const child = spawnSync(PYTHON, [fileURLToPath(new URL('./peer.py', import.meta.url))], {
    input: JSON.stringify(manifest),
    encoding: 'utf8',
    maxBuffer: 1 << 24,
    env: { ...process.env, OPENBLAS_NUM_THREADS: t, OMP_NUM_THREADS: t, MKL_NUM_THREADS: t },
  });
  if (child.status !== 0) throw new Error(`peer.py failed (${child.status}):\n${child.stderr}`);
  return JSON.parse(child.stdout) as PeerReport;
}

function readPeerCompared(dir: string): Float64Array {
  const bytes = readFileSync(path.join(dir, 'input.f64.peer'));
  return new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

function fmt(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined) return '-';
  return Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? x.toPrecision(digits) : x.toExponential(1);
}

function round(x: number): number {
  return Number(x.toPrecision(4));
}

function main(): void {
  const arg = (flag: string): string | undefined =>
    process.argv.includes(flag) ? process.argv[process.argv.indexOf(flag) + 1] : undefined;
  const only = arg('--only') ?? '';
  const threads = Number(arg('--peer-threads') ?? 1);
  const selected = cases.filter((c) => c.name.includes(only));
  const inputs = selected.map((c) => c.build());
  console.log(
    `Node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'} x ${os.cpus().length}; float64, ours single-threaded`,
  );

  const missing = peerAvailable();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lowrank-linalg-'));
  if (missing) console.log(`numpy/scipy side skipped: ${missing}. Reporting ours only.`);
  else
    console.log(`peer: ${describePeer(threads)}, ${threads} BLAS thread(s); each case runs peer then ours`);

  const rows: Row[] = [];
  const table: Record<string, string>[] = [];
  selected.forEach((c, i) => {
    // Peer and ours back to back, so load from other processes hits both alike.
    const theirs = missing ? undefined : runPeer(c, inputs[i], dir, threads);
    const ours = runOurs(c, inputs[i]);
    const agree = theirs ? agreement(ours.compared, readPeerCompared(dir)) : null;
    rows.push({
      name: `${c.name} time`,
      ours: round(ours.seconds),
      peer: theirs ? round(theirs.seconds) : null,
      ratio: theirs ? round(ours.seconds / theirs.seconds) : null,
      unit: 's',
    });
    for (const [metric, value] of Object.entries(ours.accuracy)) {
      const other = theirs?.[metric];
      rows.push({
        name: `${c.name} ${metric}`,
        ours: value,
        peer: other ?? null,
        ratio: other ? round(value / other) : null,
        unit: metric === 'orthogonality' ? 'max |Q^T Q - I|' : 'relative error',
      });
    }
    if (agree !== null) {
      rows.push({
        name: `${c.name} agreement`,
        ours: agree,
        peer: null,
        ratio: null,
        unit: 'max |ours - peer| / max |peer|',
      });
    }
    const accuracy = (side: Record<string, number> | undefined): string =>
      side
        ? Object.keys(ours.accuracy)
            .map((k) => fmt(side[k], 2))
            .join(' / ')
        : '-';
    table.push({
      case: c.name,
      'ours s': fmt(ours.seconds),
      'peer s': fmt(theirs?.seconds),
      'ours/peer': theirs ? fmt(ours.seconds / theirs.seconds) : '-',
      'ours error / orth.': accuracy(ours.accuracy),
      'peer error / orth.': accuracy(theirs),
      agreement: fmt(agree, 2),
    });
    console.log(`${c.name}: ours ${fmt(ours.seconds)} s${theirs ? `, peer ${fmt(theirs.seconds)} s` : ''}`);
  });
  console.table(table);
  rmSync(dir, { recursive: true, force: true });
  const out = fileURLToPath(new URL('../results/', import.meta.url));
  mkdirSync(out, { recursive: true });
  writeFileSync(`${out}linalg.json`, `${JSON.stringify(rows, null, 2)}\n`);
  console.log(`wrote ${out}linalg.json`);
}

main();
