import { Tensor } from '@lowrank/core';

/**
 * Every tensor inside a decomposition's factors (plain objects and arrays of tensors, as
 * the DecompositionPlugin contract has them), in a fixed order: the trainable leaves of a
 * candidate.
 */
export function factorTensors(factors: unknown): Tensor[] {
  const out: Tensor[] = [];
  const visit = (value: unknown) => {
    if (value instanceof Tensor) out.push(value);
    else if (Array.isArray(value)) for (const v of value) visit(v);
    else if (
      value !== null &&
      typeof value === 'object' &&
      Object.getPrototypeOf(value) === Object.prototype
    ) {
      for (const v of Object.values(value)) visit(v);
    }
  };
  visit(factors);
  return out;
}
