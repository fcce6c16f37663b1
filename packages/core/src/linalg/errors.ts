/**
 * Errors of the linear-algebra module. Every message starts with the function
 * that failed and the shape it was given, so a failure deep inside a
 * decomposition still says which call and which matrix caused it.
 */

/** Formats a shape the way the messages print it: `3x4`, `2x3x4`, `scalar`. */
export function formatShape(shape: readonly number[]): string {
  return shape.length === 0 ? 'scalar' : shape.join('x');
}

/** A bad input (NaN/Inf, empty or mismatched shape) or an impossible factorization. */
export class LinalgError extends Error {
  override name = 'LinalgError';
  readonly fn: string;
  readonly shape: readonly number[];

  constructor(fn: string, shape: readonly number[], problem: string) {
    super(`${fn}: ${problem} (shape ${formatShape(shape)})`);
    this.fn = fn;
    this.shape = [...shape];
  }
}

/** An iterative method that ran out of iterations; never a silently wrong answer. */
export class NonConvergenceError extends LinalgError {
  override name = 'NonConvergenceError';
  readonly iterations: number;

  constructor(fn: string, shape: readonly number[], iterations: number, detail = '') {
    super(fn, shape, `no convergence after ${iterations} iterations${detail ? `; ${detail}` : ''}`);
    this.iterations = iterations;
  }
}
