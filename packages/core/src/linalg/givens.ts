/**
 * Plane rotations of two rows of a row-major matrix. The QR sweeps keep their
 * singular and eigen vectors as rows, so a rotation combines two contiguous
 * rows instead of two strided columns.
 */

/** Rotates rows `a` and `b` (each of length `len`): `a <- c a + s b`, `b <- c b - s a`. */
export function rotateRows(x: Float64Array, a: number, b: number, len: number, c: number, s: number): void {
  const oa = a * len;
  const ob = b * len;
  for (let t = 0; t < len; t++) {
    const xa = x[oa + t];
    const xb = x[ob + t];
    x[oa + t] = c * xa + s * xb;
    x[ob + t] = c * xb - s * xa;
  }
}
