/**
 * How a `TtLinear` contracts a batch: its cores split into runs of neighbours (`segments`,
 * `[first, last]` core indices in order), each run merged into one core first, then the
 * input swept through the merged cores from the last to the first. Singletons everywhere is
 * the plain TT-FC contraction; one run of all cores is the dense weight.
 */
export interface TtLinearPlan {
  segments: [number, number][];
  /** Multiply-accumulates of the merges plus the sweep over all rows. */
  macs: number;
  /** Elements copied by transposes (merges and sweep): the sweep moves the output modes in front. */
  moved: number;
}

/**
 * What one transposed element costs, in multiply-accumulates, when plans are compared. On the
 * CPU backend a strided copy takes 10-15 ns per element where its GEMM takes 0.3-1 ns per MAC
 * (LeNet-5's TT-FC shapes, measured side by side); 16 stays below that ratio, so MACs still
 * decide between plans that move about as much.
 */
export const TRANSPOSED_ELEMENT_MACS = 16;

/** The shape of a TT-matrix: `r` includes the boundary ranks, `[1, r_1..r_{d-1}, 1]`. */
interface TtMatrixShape {
  outModes: readonly number[];
  inModes: readonly number[];
  r: readonly number[];
}

const product = (xs: readonly number[]) => xs.reduce((p, x) => p * x, 1);

/**
 * MACs and transposed elements of merging cores `first..last` into one, left to right (as
 * `mergeTtCores`): each step is a product, then a swap of the new output mode in front of the
 * input modes merged so far (no copy when either is 1).
 */
export function mergeWork(
  { outModes, inModes, r }: TtMatrixShape,
  first: number,
  last: number,
): { macs: number; moved: number } {
  let macs = 0;
  let moved = 0;
  let m = outModes[first];
  let n = inModes[first];
  for (let k = first + 1; k <= last; k++) {
    const size = r[first] * m * n * outModes[k] * inModes[k] * r[k + 1];
    macs += size * r[k];
    if (n > 1 && outModes[k] > 1) moved += size;
    m *= outModes[k];
    n *= inModes[k];
  }
  return { macs, moved };
}

/**
 * MACs and transposed elements per row of the sweep over `segments`: segment `[i, j]` is
 * applied, as a `(n_i..n_j r_{j+1}) -> (r_i m_i..m_j)` product, once per index pair of the
 * output modes already done (`m_{>j}`) and the input modes still to do (`n_{<i}`); its output
 * modes then move in front of those (no copy when either side is 1).
 */
export function sweepWork(
  { outModes, inModes, r }: TtMatrixShape,
  segments: readonly [number, number][],
): { macs: number; moved: number } {
  let macs = 0;
  let moved = 0;
  for (const [i, j] of segments) {
    const m = product(outModes.slice(i, j + 1));
    const behind = product(outModes.slice(j + 1)) * product(inModes.slice(0, i)) * r[i];
    macs += behind * m * product(inModes.slice(i, j + 1)) * r[j + 1];
    if (m > 1 && behind > 1) moved += behind * m;
  }
  return { macs, moved };
}

/** Every core its own segment: the TT-FC contraction of one sample, which `ttCost` counts. */
export function sequentialSegments(cores: number): [number, number][] {
  return Array.from({ length: cores }, (_, k) => [k, k]);
}

function planOf(shape: TtMatrixShape, segments: [number, number][], rows: number): TtLinearPlan {
  const sweep = sweepWork(shape, segments);
  let macs = rows * sweep.macs;
  let moved = rows * sweep.moved;
  for (const [i, j] of segments) {
    const merge = mergeWork(shape, i, j);
    macs += merge.macs;
    moved += merge.moved;
  }
  return { segments, macs, moved };
}

const work = (p: TtLinearPlan) => p.macs + TRANSPOSED_ELEMENT_MACS * p.moved;

/**
 * The cheapest plan for `rows` rows among all splits of the cores into runs (2^(d-1) of
 * them), by MACs plus `TRANSPOSED_ELEMENT_MACS` per transposed element; a tie keeps the
 * sequential contraction. Merging pays off once its cost is shared by the rows of a batch,
 * so a single row always gets the per-sample contraction, the one `cost` reports and the
 * ONNX export writes.
 */
export function ttLinearPlan(
  outModes: readonly number[],
  inModes: readonly number[],
  ranks: readonly number[],
  rows: number,
): TtLinearPlan {
  const shape = { outModes, inModes, r: [1, ...ranks, 1] };
  const d = outModes.length;
  let best = planOf(shape, sequentialSegments(d), rows);
  if (rows <= 1) return best;
  // Bit k of `cuts` set: a segment ends after core k.
  for (let cuts = 2 ** (d - 1) - 2; cuts >= 0; cuts--) {
    const segments: [number, number][] = [];
    let start = 0;
    for (let k = 0; k < d; k++) {
      if (k === d - 1 || cuts & (1 << k)) {
        segments.push([start, k]);
        start = k + 1;
      }
    }
    const plan = planOf(shape, segments, rows);
    if (work(plan) < work(best)) best = plan;
  }
  return best;
}
