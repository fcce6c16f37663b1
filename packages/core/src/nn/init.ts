import type { DType } from '../dtype.js';
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';

/**
 * PyTorch's default initialisation of Linear and Conv2d: weights and biases
 * uniform in +-1/sqrt(fan_in) (kaiming_uniform with a = sqrt(5)), from the engine's
 * seeded generator.
 */
export function defaultUniform(
  engine: Engine,
  shape: readonly number[],
  fanIn: number,
  dtype: DType = 'float32',
): Tensor {
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  return engine.rand(shape, { low: -bound, high: bound, dtype });
}

/** He-normal initialisation: N(0, 2/fan_in), for ReLU networks. */
export function kaimingNormal(
  engine: Engine,
  shape: readonly number[],
  fanIn: number,
  dtype: DType = 'float32',
): Tensor {
  return engine.randn(shape, { std: Math.sqrt(2 / fanIn), dtype });
}
