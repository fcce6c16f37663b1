/**
 * Decomposition benchmark: lowrank's plugins against TensorLy on the same tensors.
 *
 *   CP-ALS   256x256x3x3 at rank 64, SVD init, exactly 100 sweeps, no line search
 *   Tucker2  256x256x3x3 at (64, 64) on modes 0 and 1: HOSVD, then exactly 100 HOOI sweeps
 *   TT-SVD   4096x4096 reshaped to [8]^8, ranks capped at 32
 *   TR-SVD   the same matrix as [8]^8 at ranks [2, 4, 16, ..., 16], and as
 *            [256, 16, 16, 16, 16] at rank 16 (rank 16 everywhere on [8]^8 is infeasible)
 *
 * each on a Gaussian tensor and on a tensor of the target rank plus 10% noise. Prints time,
 * time ratio (ours / peer), both relative errors and their difference (ours - peer), and
 * writes results/decompose.json as rows { name, ours, peer, ratio, unit, ... }.
 *
 *   pnpm --filter @lowrank/benchmarks bench:decompose -- --tensorly <path to a tensorly checkout>
 *     [--only <substring>] [--runs <n>] [--peer-threads <n>]
 *
 * The peer is TensorLy's source run by Debian's /usr/bin/python3 (python3-numpy,
 * python3-scipy) as a child process (peer.py) on the inputs written to a temporary
 * directory as raw float64; `--tensorly` (or TENSORLY_PATH) is the checkout's root (the
 * directory holding the `tensorly` package). Without it the peer is skipped with a message
 * and our side is reported alone. The peer is pinned to one BLAS thread by default, like
 * ours (`--peer-threads` lifts it); OPENBLAS_CORETYPE and the rest of the environment pass
 * through untouched.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine, linalg, SeededRandom } from '@lowrank/core';
import { convLayer } from '@lowrank/core/testing';
import { cpAls, cpToNdArray } from '@lowrank/cp';
import { trSvd } from '@lowrank/tr';
import { ttSvd } from '@lowrank/tt';
import { tucker2 } from '@lowrank/tucker2';

type Op = 'cp' | 'tucker2' | 'tt' | 'tr';
type InputKind = 'gaussian' | 'low-rank+noise';

interface Case {
  name: string;
  op: Op;
  /** The shape the decomposition sees. */
  shape: number[];
  /** CP: the rank; Tucker2: [R1, R2]; TT: the cap on every interior rank; TR: the d ring ranks. */
  rank: number | number[];
  /** ALS / HOOI sweeps (CP, Tucker2). */
  iterations?: number;
  /** Timed runs per side (median); once for the cases that take tens of seconds. */
  runs: number;
  /** The tensor of the target rank behind the low-rank-plus-noise input, before noise. */
  lowRank: (rng: SeededRandom) => Float64Array;
  /** Seed of the Gaussian input: cases on the same data share it. */
  gaussianSeed: number;
}

interface Measured {
  seconds: number;
  relativeError: number;
  iterations: number | null;
  ranks: number[];
}

type PeerResult = Measured & { name: string };

interface PeerReport {
  tensorly: string;
  tensorlyPath: string;
  numpy: string;
  blas: string[];
  results: PeerResult[];
}

interface Row {
  name: string;
  ours: number;
  peer: number | null;
  ratio: number | null;
  unit: string;
  [extra: string]: unknown;
}

const PYTHON = '/usr/bin/python3';
const NOISE = 0.1;
const CONV: [number, number, number, number] = [256, 256, 3, 3];
const EIGHTS = [8, 8, 8, 8, 8, 8, 8, 8];
const TR_EIGHTS_RANKS = [2, 4, 16, 16, 16, 16, 16, 16];
const TR_WIDE = [256, 16, 16, 16, 16];

// ---------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------

function gaussian(size: number, rng: SeededRandom): Float64Array {
  const a = new Float64Array(size);
  for (let i = 0; i < size; i++) a[i] = rng.normal();
  return a;
}

function gaussianMatrix(rows: number, cols: number, rng: SeededRandom): linalg.Matrix {
  return linalg.matrix(rows, cols, gaussian(rows * cols, rng));
}

function sumSquares(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return s;
}

/** `signal + noise`, the noise Gaussian with `‖noise‖ = NOISE ‖signal‖`, in place. */
function addNoise(signal: Float64Array, rng: SeededRandom): Float64Array {
  const noise = gaussian(signal.length, rng);
  const scale = NOISE * Math.sqrt(sumSquares(signal) / sumSquares(noise));
  for (let i = 0; i < signal.length; i++) signal[i] += scale * noise[i];
  return signal;
}

/** A CP tensor of rank `r` with Gaussian factors: `X_(0) = A khatriRao(B, C, ..)^T`. */
function cpTensor(shape: readonly number[], r: number, rng: SeededRandom): Float64Array {
  const [first, ...rest] = shape.map((n) => gaussianMatrix(n, r, rng));
  return linalg.matmul(first, linalg.khatriRao(rest), { transB: true }).data;
}

/** `G x1 U x2 V` with a Gaussian core `R1 x R2 x K` and Gaussian `U`, `V`. */
function tucker2Tensor(
  [o, i, kh, kw]: readonly number[],
  [r1, r2]: number[],
  rng: SeededRandom,
): Float64Array {
  const core = linalg.ndarray([r1, r2, kh * kw], gaussian(r1 * r2 * kh * kw, rng));
  const u = gaussianMatrix(o, r1, rng);
  const v = gaussianMatrix(i, r2, rng);
  return linalg.multiModeProduct(core, [u, v]).data;
}

/** Gaussian ring cores `[R_k, n_k, R_{k+1}]` (a train when `R_0 = 1`), scaled to keep entries O(1). */
function randomCores(
  modes: readonly number[],
  ranks: readonly number[],
  rng: SeededRandom,
): linalg.NdArray[] {
  return modes.map((n, k) => {
    const [r, r2] = [ranks[k], ranks[(k + 1) % ranks.length]];
    const c = gaussian(r * n * r2, rng);
    const s = 1 / Math.sqrt(r);
    for (let i = 0; i < c.length; i++) c[i] *= s;
    return linalg.ndarray([r, n, r2], c);
  });
}

/** The chain of cores `[a, b)` as the matrix `(R_a N) x R_b`, `N` the product of their modes. */
function chain(cores: readonly linalg.NdArray[], a: number, b: number): linalg.Matrix {
  let acc = linalg.matrix(cores[a].shape[0] * cores[a].shape[1], cores[a].shape[2], cores[a].data);
  for (let k = a + 1; k < b; k++) {
    const [r, n, r2] = cores[k].shape;
    const p = linalg.matmul(acc, linalg.matrix(r, n * r2, cores[k].data));
    acc = linalg.matrix(p.rows * n, r2, p.data);
  }
  return acc;
}

/**
 * The full tensor of a tensor ring (a train when `R_0 = 1`),
 * `X[i] = trace(G_1[:, i_1, :] .. G_d[:, i_d, :])`, as one product
 * `X(left, right) = sum_{a, b} L[a, left, b] R[b, right, a]` of the two half-chains, so no
 * intermediate is larger than the tensor times `R_0 R_{d/2}` over its size.
 */
function ringToTensor(cores: readonly linalg.NdArray[]): Float64Array {
  const d = cores.length;
  const h = Math.max(1, d >> 1);
  const r0 = cores[0].shape[0];
  const rh = cores[h].shape[0];
  const left = chain(cores, 0, h); // (R_0 NL) x R_h
  const nl = left.rows / r0;
  const lm = linalg.zeros(nl, rh * r0); // [il, (b, a)]
  for (let a = 0; a < r0; a++)
    for (let i = 0; i < nl; i++)
      for (let b = 0; b < rh; b++) lm.data[i * rh * r0 + b * r0 + a] = left.data[(a * nl + i) * rh + b];
  const right = chain(cores, h, d); // (R_h NR) x R_0, already [(b, ir), a]
  const nr = right.rows / rh;
  const rm = linalg.zeros(rh * r0, nr); // [(b, a), ir]
  for (let b = 0; b < rh; b++)
    for (let i = 0; i < nr; i++)
      for (let a = 0; a < r0; a++) rm.data[(b * r0 + a) * nr + i] = right.data[(b * nr + i) * r0 + a];
  return linalg.matmul(lm, rm).data;
}

/** TT ranks `[1, r_1, .., r_{d-1}]` capped at `r` and at the unfoldings. */
function ttRanksCapped(modes: readonly number[], r: number): number[] {
  const total = modes.reduce((p, n) => p * n, 1);
  const ranks = [1];
  let left = 1;
  for (let k = 0; k < modes.length - 1; k++) {
    left *= modes[k];
    ranks.push(Math.min(r, left, total / left));
  }
  return ranks;
}

const cases: Case[] = [
  {
    name: 'cp-als 256x256x3x3 R=64',
    op: 'cp',
    shape: [...CONV],
    rank: 64,
    iterations: 100,
    runs: 1,
    gaussianSeed: 1,
    lowRank: (rng) => cpTensor(CONV, 64, rng),
  },
  {
    name: 'tucker2 256x256x3x3 (64,64)',
    op: 'tucker2',
    shape: [...CONV],
    rank: [64, 64],
    iterations: 100,
    runs: 1,
    gaussianSeed: 1,
    lowRank: (rng) => tucker2Tensor(CONV, [64, 64], rng),
  },
  {
    name: 'tt-svd 4096^2 as [8]^8 r=32',
    op: 'tt',
    shape: EIGHTS,
    rank: 32,
    runs: 3,
    gaussianSeed: 2,
    lowRank: (rng) => ringToTensor(randomCores(EIGHTS, ttRanksCapped(EIGHTS, 32), rng)),
  },
  {
    name: 'tr-svd 4096^2 as [8]^8 R=[2,4,16..]',
    op: 'tr',
    shape: EIGHTS,
    rank: TR_EIGHTS_RANKS,
    runs: 3,
    gaussianSeed: 2,
    lowRank: (rng) => ringToTensor(randomCores(EIGHTS, TR_EIGHTS_RANKS, rng)),
  },
  {
    name: 'tr-svd 4096^2 as [256,16^4] R=16',
    op: 'tr',
    shape: TR_WIDE,
    rank: TR_WIDE.map(() => 16),
    runs: 3,
    gaussianSeed: 2,
    lowRank: (rng) =>
      ringToTensor(
        randomCores(
          TR_WIDE,
          TR_WIDE.map(() => 16),
          rng,
        ),
      ),
  },
];

const gaussianCache = new Map<string, Float64Array>();

function input(c: Case, kind: InputKind): Float64Array {
  const size = c.shape.reduce((p, n) => p * n, 1);
  if (kind === 'gaussian') {
    // Cases on the same data (CP and Tucker2; TT and both TR) share one Gaussian tensor.
    const key = `${c.gaussianSeed}:${size}`;
    let x = gaussianCache.get(key);
    if (!x) {
      gaussianCache.clear();
      x = gaussian(size, new SeededRandom(c.gaussianSeed));
      gaussianCache.set(key, x);
    }
    return x;
  }
  const rng = new SeededRandom(100 + cases.indexOf(c));
  return addNoise(c.lowRank(rng), rng);
}

// ---------------------------------------------------------------------------
// Our side
// ---------------------------------------------------------------------------

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function relativeError(x: Float64Array, approx: Float64Array): number {
  let num = 0;
  for (let i = 0; i < x.length; i++) num += (x[i] - approx[i]) ** 2;
  return Math.sqrt(num / sumSquares(x));
}

interface Decomposed {
  approx: () => Float64Array;
  iterations: number | null;
  ranks: number[];
}

const engine = createEngine();
const tucker2Plugin = tucker2();

async function decompose(c: Case, x: linalg.NdArray): Promise<Decomposed> {
  switch (c.op) {
    case 'cp': {
      const fit = cpAls(x, c.rank as number, {
        maxIterations: c.iterations,
        tolerance: 0,
        init: 'svd',
        lineSearch: false,
        seed: 0,
      });
      return {
        approx: () => cpToNdArray(fit).data,
        iterations: fit.errors.length,
        ranks: [fit.lambda.length],
      };
    }
    case 'tucker2': {
      const [o, i, kh, kw] = c.shape;
      const layer = convLayer('conv', o, i, [kh, kw]);
      const weight = engine.fromData(x.data.slice(), c.shape);
      let sweeps = 0;
      const f = await tucker2Plugin.decompose(weight, layer, c.rank as number[], {
        maxIterations: c.iterations,
        tolerance: 0,
        onIteration: (it) => {
          sweeps = it;
        },
      });
      weight.dispose();
      const [r1, r2] = [f.u.shape[1], f.v.shape[1]];
      const core = linalg.ndarray([r1, r2, kh * kw], Float64Array.from(f.core.dataSync()));
      const u = linalg.matrix(o, r1, Float64Array.from(f.u.dataSync()));
      const v = linalg.matrix(i, r2, Float64Array.from(f.v.dataSync()));
      for (const t of [f.core, f.u, f.v]) t.dispose();
      return {
        approx: () => linalg.multiModeProduct(core, [u, v]).data,
        iterations: sweeps,
        ranks: [r1, r2],
      };
    }
    case 'tt': {
      const cap = c.rank as number;
      const cores = ttSvd(x, { ranks: c.shape.slice(1).map(() => cap) });
      return { approx: () => ringToTensor(cores), iterations: null, ranks: cores.map((g) => g.shape[0]) };
    }
    case 'tr': {
      const cores = trSvd(x, c.rank as number[], { start: 0 });
      return { approx: () => ringToTensor(cores), iterations: null, ranks: cores.map((g) => g.shape[0]) };
    }
  }
}

async function runOurs(c: Case, data: Float64Array, runs: number): Promise<Measured> {
  const x = linalg.ndarray(c.shape, data);
  const times: number[] = [];
  let result: Decomposed | undefined;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    result = await decompose(c, x);
    times.push((performance.now() - t0) / 1000);
  }
  const done = result as Decomposed;
  return {
    seconds: median(times),
    relativeError: relativeError(data, done.approx()),
    iterations: done.iterations,
    ranks: done.ranks,
  };
}

// ---------------------------------------------------------------------------
// TensorLy's side
// ---------------------------------------------------------------------------

/** The directory to put on PYTHONPATH: the checkout's root, or the parent of a `tensorly` package directory. */
function tensorlyRoot(given: string): string {
  const abs = path.resolve(given);
  if (existsSync(path.join(abs, 'tensorly', '__init__.py'))) return abs;
  if (path.basename(abs) === 'tensorly' && existsSync(path.join(abs, '__init__.py')))
    return path.dirname(abs);
  throw new Error(
    `--tensorly ${given}: no tensorly/__init__.py there (pass the root of a tensorly checkout)`,
  );
}

function spawnPeer(root: string, manifest: object, threads: number): PeerReport {
  const t = String(threads);
  const child = spawnSync(PYTHON, [fileURLToPath(new URL('./peer.py', import.meta.url))], {
    input: JSON.stringify(manifest),
    encoding: 'utf8',
    maxBuffer: 1 << 24,
    env: {
      ...process.env,
      PYTHONPATH: root,
      OPENBLAS_NUM_THREADS: t,
      OMP_NUM_THREADS: t,
      MKL_NUM_THREADS: t,
    },
  });
  if (child.error) throw new Error(`cannot run ${PYTHON}: ${child.error.message}`);
  if (child.status !== 0) throw new Error(`peer.py failed (${child.status}):\n${child.stderr}`);
  return JSON.parse(child.stdout) as PeerReport;
}

function runPeer(
  root: string,
  c: Case,
  data: Float64Array,
  dir: string,
  threads: number,
  runs: number,
): PeerResult {
  const file = 'input.f64';
  writeFileSync(path.join(dir, file), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  const manifest = {
    dir,
    cases: [{ name: c.name, op: c.op, file, shape: c.shape, rank: c.rank, iterations: c.iterations, runs }],
  };
  return spawnPeer(root, manifest, threads).results[0];
}

// ---------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------

function fmt(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined) return '-';
  return x === 0 || (Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4) ? x.toPrecision(digits) : x.toExponential(2);
}

function round(x: number): number {
  return Number(x.toPrecision(4));
}

function arg(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const only = arg('--only') ?? '';
  const threads = Number(arg('--peer-threads') ?? 1);
  const runsOverride = arg('--runs') === undefined ? undefined : Number(arg('--runs'));
  const given = arg('--tensorly') ?? process.env.TENSORLY_PATH;
  const selected = cases.filter((c) => c.name.includes(only));
  console.log(
    `Node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'} x ${os.cpus().length}; float64, ours single-threaded`,
  );

  let root: string | null = null;
  if (!given) {
    console.log(
      'TensorLy side skipped: no --tensorly <path to a tensorly checkout> (or TENSORLY_PATH). Reporting ours only.',
    );
  } else {
    root = tensorlyRoot(given);
    const v = spawnPeer(root, { dir: '', cases: [] }, threads);
    console.log(
      `peer: TensorLy ${v.tensorly} (${v.tensorlyPath}), numpy ${v.numpy}, ${v.blas.join(', ') || 'unknown BLAS'}, ${threads} BLAS thread(s)${process.env.OPENBLAS_CORETYPE ? `, OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE}` : ''}; each case runs peer then ours`,
    );
  }
  console.log(
    `TR-SVD at rank 16 everywhere on [8]^8 is infeasible for both libraries (the unfolding at the cut has 8 rows, R0 R1 = 256; so are [16]^6 and [64]^4): measured at ranks [${TR_EIGHTS_RANKS}] on [8]^8 and at rank 16 on [${TR_WIDE}].`,
  );

  const dir = mkdtempSync(path.join(os.tmpdir(), 'lowrank-decompose-'));
  const rows: Row[] = [];
  const table: Record<string, string>[] = [];
  try {
    for (const c of selected) {
      for (const kind of ['gaussian', 'low-rank+noise'] as const) {
        const data = input(c, kind);
        const runs = runsOverride ?? c.runs;
        // Peer and ours back to back, so load from other processes hits both alike.
        const theirs = root ? runPeer(root, c, data, dir, threads, runs) : undefined;
        const ours = await runOurs(c, data, runs);
        const name = `${c.name} ${kind}`;
        const settings = {
          op: c.op,
          shape: c.shape,
          rank: c.rank,
          ...(c.iterations ? { iterations: c.iterations } : {}),
          runs,
        };
        rows.push({
          name: `${name} time`,
          ours: round(ours.seconds),
          peer: theirs ? round(theirs.seconds) : null,
          ratio: theirs ? round(ours.seconds / theirs.seconds) : null,
          unit: 's',
          ...settings,
        });
        rows.push({
          name: `${name} relative error`,
          ours: ours.relativeError,
          peer: theirs?.relativeError ?? null,
          ratio: theirs ? round(ours.relativeError / theirs.relativeError) : null,
          unit: '‖X - X^‖ / ‖X‖',
          difference: theirs ? ours.relativeError - theirs.relativeError : null,
          oursIterations: ours.iterations,
          peerIterations: theirs?.iterations ?? null,
          oursRanks: ours.ranks,
          peerRanks: theirs?.ranks ?? null,
        });
        table.push({
          case: c.name,
          input: kind,
          'ours s': fmt(ours.seconds),
          'peer s': fmt(theirs?.seconds),
          'ours/peer': theirs ? fmt(ours.seconds / theirs.seconds) : '-',
          'ours err': fmt(ours.relativeError, 6),
          'peer err': fmt(theirs?.relativeError, 6),
          'ours-peer': theirs ? fmt(ours.relativeError - theirs.relativeError, 2) : '-',
        });
        const sweeps =
          ours.iterations === null ? '' : ` (${ours.iterations} / ${theirs?.iterations ?? '-'} sweeps)`;
        console.log(
          `${name}: ours ${fmt(ours.seconds)} s, err ${fmt(ours.relativeError, 6)}${theirs ? `; peer ${fmt(theirs.seconds)} s, err ${fmt(theirs.relativeError, 6)}` : ''}${sweeps}`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.table(table);
  const out = fileURLToPath(new URL('../results/', import.meta.url));
  mkdirSync(out, { recursive: true });
  writeFileSync(`${out}decompose.json`, `${JSON.stringify(rows, null, 2)}\n`);
  console.log(`wrote ${out}decompose.json`);
}

await main();
