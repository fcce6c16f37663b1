import type { Tensor } from '../tensor.js';
import { matmul } from './linear.js';
import { sum } from './reduce.js';
import { reshape, transpose } from './shape.js';

/**
 * Einstein summation, e.g. `einsum('bij,bjk->bik', a, b)`. Operands are contracted
 * left to right, each pair as one batched matmul; indices used nowhere later are
 * summed out first. The output defaults to the indices seen once, sorted. Repeated
 * indices within one operand (diagonals) and ellipses are not supported.
 */
export function einsum(spec: string, ...operands: Tensor[]): Tensor {
  const { inputs, output } = parseSpec(spec, operands);
  const engine = operands[0].engine;
  return engine.tidy(() => {
    let current = operands[0];
    let idx = inputs[0];
    for (let k = 1; k < operands.length; k++) {
      const needed = new Set([...output, ...inputs.slice(k + 1).join('')]);
      [current, idx] = sumOut(current, idx, new Set([...needed, ...inputs[k]]));
      const [other, otherIdx] = sumOut(operands[k], inputs[k], new Set([...needed, ...idx]));
      [current, idx] = contractPair(current, idx, other, otherIdx, needed);
    }
    [current, idx] = sumOut(current, idx, new Set(output));
    const perm = [...output].map((c) => idx.indexOf(c));
    return transpose(current, perm);
  });
}

interface ParsedSpec {
  inputs: string[];
  output: string;
}

function parseSpec(spec: string, operands: Tensor[]): ParsedSpec {
  const clean = spec.replace(/\s+/g, '');
  const [lhs, rhs] = clean.split('->');
  const inputs = lhs.split(',');
  if (inputs.length !== operands.length) {
    throw new RangeError(`einsum '${spec}': ${inputs.length} operand specs for ${operands.length} tensors`);
  }
  const sizes = new Map<string, number>();
  inputs.forEach((s, i) => {
    if (!/^[a-zA-Z]*$/.test(s))
      throw new RangeError(`einsum '${spec}': indices must be letters (no ellipsis)`);
    if (s.length !== operands[i].rank) {
      throw new RangeError(
        `einsum '${spec}': operand ${i} has rank ${operands[i].rank} but '${s}' names ${s.length} axes`,
      );
    }
    if (new Set(s).size !== s.length)
      throw new RangeError(`einsum '${spec}': repeated index in '${s}' (diagonals) is not supported`);
    [...s].forEach((c, axis) => {
      const d = operands[i].shape[axis];
      const seen = sizes.get(c);
      if (seen !== undefined && seen !== d)
        throw new RangeError(`einsum '${spec}': index '${c}' has sizes ${seen} and ${d}`);
      sizes.set(c, d);
    });
  });
  let output = rhs;
  if (output === undefined) {
    const counts = new Map<string, number>();
    for (const c of inputs.join('')) counts.set(c, (counts.get(c) ?? 0) + 1);
    output = [...counts]
      .filter(([, n]) => n === 1)
      .map(([c]) => c)
      .sort()
      .join('');
  }
  for (const c of output)
    if (!sizes.has(c)) throw new RangeError(`einsum '${spec}': output index '${c}' is not in any input`);
  return { inputs, output };
}

/** Sums the axes whose index is not in `keep`. */
function sumOut(x: Tensor, idx: string, keep: Set<string>): [Tensor, string] {
  const axes = [...idx].flatMap((c, i) => (keep.has(c) ? [] : [i]));
  if (axes.length === 0) return [x, idx];
  return [sum(x, axes), [...idx].filter((c) => keep.has(c)).join('')];
}

function contractPair(a: Tensor, ia: string, b: Tensor, ib: string, needed: Set<string>): [Tensor, string] {
  const batch = [...ia].filter((c) => ib.includes(c) && needed.has(c));
  const contracted = [...ia].filter((c) => ib.includes(c) && !needed.has(c));
  const aFree = [...ia].filter((c) => !ib.includes(c));
  const bFree = [...ib].filter((c) => !ia.includes(c));
  const dim = (t: Tensor, s: string, c: string): number => t.shape[s.indexOf(c)];
  const prodOf = (t: Tensor, s: string, cs: string[]): number => cs.reduce((p, c) => p * dim(t, s, c), 1);
  const at = transpose(
    a,
    [...batch, ...aFree, ...contracted].map((c) => ia.indexOf(c)),
  );
  const bt = transpose(
    b,
    [...batch, ...contracted, ...bFree].map((c) => ib.indexOf(c)),
  );
  const nb = prodOf(a, ia, batch);
  const m = prodOf(a, ia, aFree);
  const k = prodOf(a, ia, contracted);
  const n = prodOf(b, ib, bFree);
  const y = matmul(reshape(at, [nb, m, k]), reshape(bt, [nb, k, n]));
  const shape = [
    ...batch.map((c) => dim(a, ia, c)),
    ...aFree.map((c) => dim(a, ia, c)),
    ...bFree.map((c) => dim(b, ib, c)),
  ];
  return [reshape(y, shape), [...batch, ...aFree, ...bFree].join('')];
}
