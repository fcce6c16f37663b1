import { createEngine, linalg, nn } from '@lowrank/core';
import { expectAllClose } from '@lowrank/core/testing';
import { svd } from '@lowrank/svd';
import { tt } from '@lowrank/tt';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AdmmVariables } from '../src/admm-variables.js';
import { resolveLayers } from '../src/constrained-layers.js';
import { singularValues } from './helpers.js';

describe('the Z- and U-steps', () => {
  it('hand-checked on a diagonal 2x2 weight at rank 1: Z = project(W + U), U <- U + W - Z, penalty = rho/2 ‖W - Z + U‖^2', async () => {
    const engine = createEngine();
    const layer = new nn.Linear(engine, 2, 2, { bias: false });
    const model = new nn.Sequential(engine, [layer]);
    const set = (values: number[]) => engine.noGrad(() => layer.weight.assign(engine.tensor(values, [2, 2])));
    set([3, 0, 0, 1]);
    const [resolved] = resolveLayers(model, [{ name: '0', decomposition: svd(), ranks: [1] }]);
    const v = await AdmmVariables.start(engine, [resolved]);
    // Start: Z = rank-1 part of diag(3, 1) = diag(3, 0), U = 0.
    expectAllClose(v.values.z[0].dataSync(), [3, 0, 0, 0], { atol: 1e-6 });
    expectAllClose(v.values.u[0].dataSync(), [0, 0, 0, 0], { atol: 0 });
    expectAllClose(await v.residuals(), [1], { rtol: 1e-6 });
    // A round with W unchanged: Z = project(diag(3, 1) + 0) = diag(3, 0), U = 0 + W - Z = diag(0, 1).
    await v.update();
    expectAllClose(v.values.z[0].dataSync(), [3, 0, 0, 0], { atol: 1e-6 });
    expectAllClose(v.values.u[0].dataSync(), [0, 0, 0, 1], { atol: 1e-6 });
    // Training moved W to diag(2, 0.5): penalty = rho/2 ‖diag(2, 0.5) - diag(3, 0) + diag(0, 1)‖^2 = rho/2 (1 + 2.25).
    set([2, 0, 0, 0.5]);
    expectAllClose([v.penalty(0.4).itemSync()], [0.2 * 3.25], { rtol: 1e-6 });
    // Next round: W + U = diag(2, 1.5) -> Z = diag(2, 0); U = diag(0, 1) + diag(2, 0.5) - diag(2, 0) = diag(0, 1.5).
    await v.update();
    expectAllClose(v.values.z[0].dataSync(), [2, 0, 0, 0], { atol: 1e-6 });
    expectAllClose(v.values.u[0].dataSync(), [0, 0, 0, 1.5], { atol: 1e-6 });
    expectAllClose(await v.residuals(), [0.25], { rtol: 1e-6 });
    v.dispose();
  });

  it('Z is always in the rank set: rank(Z) <= r after start and after updates (SVD and TT, singular values beyond r below 1e-5 of the largest)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        async (seed, r, r2) => {
          const engine = createEngine({ seed });
          const fcLayer = new nn.Linear(engine, 9, 7);
          const conv = new nn.Conv2d(engine, 4, 6, 3);
          const model = new nn.Sequential(engine, [fcLayer, conv]);
          const layers = resolveLayers(model, [
            { name: '0', decomposition: svd(), ranks: [r] },
            { name: '1', decomposition: tt(), ranks: [Math.min(r, 6), r2] },
          ]);
          const v = await AdmmVariables.start(engine, layers);
          for (let round = 0; round < 3; round++) {
            for (const [l, z] of v.values.z.entries()) {
              // TT three-core: the O x (K I) unfolding has rank <= r1 and the (O K) x I one <= r2.
              const s = await singularValues(z);
              expect(s.slice(l === 0 ? r : Math.min(r, 6)).every((x) => x <= 1e-5 * s[0])).toBe(true);
              if (l === 1) {
                const oki = await linalg.toNdArray(z.transpose([0, 2, 3, 1]));
                const sIn = linalg.svd(linalg.matrix(6 * 9, 4, oki.data)).s;
                expect([...sIn].slice(r2).every((x) => x <= 1e-5 * sIn[0])).toBe(true);
              }
            }
            // Move W away from the rank set, as training would.
            engine.noGrad(() => {
              for (const layer of layers)
                layer.weight.assign(layer.weight.add(engine.randn(layer.weight.shape)));
            });
            await v.update();
          }
          v.dispose();
        },
      ),
      { numRuns: 6 },
    );
  });
});
