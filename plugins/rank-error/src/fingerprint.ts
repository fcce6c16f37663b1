/**
 * A 64-bit hash of float64 values (two 32-bit multiply-xor lanes over their bits), as hex:
 * the error cache keys a layer's weight and metric by content, so a changed weight (after
 * training, say) is never served a stale error.
 */
export function fingerprint(values: Float64Array): string {
  const words = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
  let a = 0x811c9dc5;
  let b = 0x9e3779b9 ^ values.length;
  for (let i = 0; i < words.length; i++) {
    a = Math.imul(a ^ words[i], 0x01000193);
    b = Math.imul(b ^ words[i], 0x85ebca6b);
    b ^= b >>> 15;
  }
  return `${(a >>> 0).toString(16)}${(b >>> 0).toString(16)}`;
}
