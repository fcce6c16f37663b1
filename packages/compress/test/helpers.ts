import { type CalibrationBatch, createEngine, type Engine } from '@lowrank/core';
import { LeNet5 } from '@lowrank/models';
import { sigma } from '@lowrank/norm-sigma';
import { rankBudget } from '@lowrank/rank-budget';
import { svd } from '@lowrank/svd';
import { tucker2 } from '@lowrank/tucker2';

/** An engine with the plugins the tests compress with. */
export function testEngine(seed = 0): Engine {
  return createEngine({ seed }).use(svd()).use(tucker2()).use(sigma()).use(rankBudget());
}

/** LeNet-5 with the engine's seeded random init. */
export function lenet(engine: Engine): LeNet5 {
  return new LeNet5(engine);
}

/** `count` batches of random 28x28 images with random labels, from their own seed. */
export function randomBatches(engine: Engine, count: number, size: number, seed: number): CalibrationBatch[] {
  return Array.from({ length: count }, (_, k) => ({
    inputs: engine.randn([size, 1, 28, 28], { seed: seed + k }),
    labels: engine.fromData(
      Int32Array.from({ length: size }, (_, i) => (i * 7 + k * 3 + seed) % 10),
      [size],
    ),
  }));
}

/** Every parameter and buffer's values, by name. */
export function stateValues(model: { stateDict(): Map<string, { dataSync(): ArrayLike<number> }> }) {
  return new Map([...model.stateDict()].map(([name, t]) => [name, Array.from(t.dataSync())]));
}
