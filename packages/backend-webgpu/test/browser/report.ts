/** What the browser page (page.ts) measures and POSTs back to browser.test.ts, as JSON. */

/** One op evaluated on WebGPU and on the CPU from the same inputs: flat values of each output. */
export interface ParityCase {
  name: string;
  shape: number[];
  webgpu: number[];
  cpu: number[];
}

/** A truncated-SVD decomposition run inside the page. */
export interface DecompositionCase {
  layer: string;
  /** The backend of the layer's weight ('cpu' or 'webgpu'); the SVD itself runs on the CPU in float64. */
  backend: string;
  /** The backend of the factors decompose returned (the weight's). */
  factorsBackend: string;
  rank: number;
  /** ||W - reconstruct(decompose(W))||_F / ||W||_F, the reconstruction read back and measured in float64. */
  relativeError: number;
  /** sqrt(sum_{i >= rank} s_i^2) / ||s||_2 from the full SVD of W: the optimum (Eckart-Young). */
  eckartYoung: number;
  /** Parameters (bias included) of the dense layer and of its two factor layers. */
  paramsBefore: number;
  paramsAfter: number;
}

export interface BrowserReport {
  userAgent: string;
  /** The backend's own description of the adapter and whether it runs in compatibility mode. */
  adapter: string;
  compatibility: boolean;
  /** The name of the backend that the WebGPU engine runs on. */
  backend: string;
  parity: ParityCase[];
  /** Losses of the same SGD steps of a small conv net from the same initial weights. */
  losses: { cpu: number[]; webgpu: number[] };
  decompositions: DecompositionCase[];
  /** Milliseconds the page spent per section (device, parity, sgd, svd). */
  milliseconds: Record<string, number>;
}

/** What the page POSTs instead when anything throws. */
export interface BrowserFailure {
  error: string;
}
