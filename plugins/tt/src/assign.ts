import type { Tensor } from '@lowrank/core';

/** Copies `value` into the parameter `target` (same size, any shape), cast to its dtype, outside autodiff. */
export function assignParameter(target: Tensor, value: Tensor): void {
  const engine = target.engine;
  engine.noGrad(() =>
    engine.tidy(() => {
      const shaped = value.reshape(target.shape);
      target.assign(shaped.dtype === target.dtype ? shaped : shaped.cast(target.dtype));
    }),
  );
}
