import { reshape, type Tensor } from '@lowrank/core';

/** Copies `value` into the parameter `target`, reshaped to its shape and cast to its dtype, without recording a gradient. */
export function assignParameter(target: Tensor, value: Tensor): void {
  const engine = target.engine;
  engine.noGrad(() =>
    engine.tidy(() => {
      const shaped = reshape(value, target.shape);
      target.assign(shaped.dtype === target.dtype ? shaped : shaped.cast(target.dtype));
    }),
  );
}
