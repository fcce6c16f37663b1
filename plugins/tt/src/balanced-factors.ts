/**
 * `n` as a product of `d` factors as equal as possible (the largest factor as small as it
 * can be, then the smallest as large as it can be), in increasing order; factors of 1 fill
 * in when `n` has fewer prime factors than `d`. E.g. 4096 into 4 gives [8, 8, 8, 8], 400
 * into 3 gives [5, 8, 10], 7 into 2 gives [1, 7].
 */
export function balancedFactors(n: number, d: number): number[] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`balancedFactors: ${n} is not a positive integer`);
  if (!Number.isInteger(d) || d < 1)
    throw new RangeError(`balancedFactors: ${d} factors is not a positive integer`);
  let best: number[] | null = null;
  const better = (a: number[], b: number[]) =>
    a[a.length - 1] < b[b.length - 1] || (a[a.length - 1] === b[b.length - 1] && a[0] > b[0]);
  // Non-decreasing factorisations only: each factor at least the previous one.
  const search = (rest: number, left: number, from: number, prefix: number[]) => {
    if (left === 1) {
      if (rest >= from) {
        const candidate = [...prefix, rest];
        if (best === null || better(candidate, best)) best = candidate;
      }
      return;
    }
    for (let f = from; f ** left <= rest; f++) {
      if (rest % f === 0) search(rest / f, left - 1, f, [...prefix, f]);
    }
  };
  search(n, d, 1, []);
  return best!;
}
