/**
 * What every contender (ours and each peer) offers the benchmark: it prepares a case
 * from the same float32 data outside the timing (layout changes, uploads, kernel
 * compilation), and the timed `run` computes the result and makes it readable.
 */
export interface MatmulCase {
  n: number;
  /** n x n, row-major */
  a: Float32Array;
  b: Float32Array;
}

export interface ConvCase {
  /** [N, C, H, W] */
  xShape: [number, number, number, number];
  /** [O, C, Kh, Kw] */
  wShape: [number, number, number, number];
  pad: number;
  /** NCHW and OIHW */
  x: Float32Array;
  w: Float32Array;
}

/** The input gradient of a stride-1 conv: dx = conv2d's adjoint in x applied to dy. */
export interface ConvGradInputCase extends ConvCase {
  /** [N, O, Ho, Wo], NCHW */
  dy: Float32Array;
}

export interface Prepared {
  run(): unknown;
  /** the result of one `run` as a flat float array in our layout (row-major C, NCHW y), for the cross-check */
  read(result: unknown): Float32Array;
  dispose?(): void | Promise<void>;
}

export interface Contender {
  name: string;
  /** why a number may not be comparable: threads, SIMD, fallbacks */
  note?: string;
  prepareMatmul(c: MatmulCase): Promise<Prepared>;
  prepareConv(c: ConvCase): Promise<Prepared>;
  /** absent where the peer has no such kernel; `read` gives dx as NCHW */
  prepareConvGradInput?(c: ConvGradInputCase): Promise<Prepared>;
  close?(): Promise<void>;
}
