import { createEngine, mul, nn, optim, sum } from '@lowrank/core';
import { expectAllClose } from '@lowrank/core/testing';
import { svd } from '@lowrank/svd';
import { describe, expect, it } from 'vitest';
import { type AdmmRoundReport, admm, admmTrain, DEFAULT_RHO } from '../src/index.js';
import { mlp, singularValues, syntheticData, tailFraction } from './helpers.js';

const data = syntheticData(8, 3);

describe('admmTrain', () => {
  it('sum ‖W - Z‖^2 decreases over rounds (each of the last 4 rounds < 0.05 x the first, for 3 seeds)', async () => {
    for (const seed of [1, 2, 3]) {
      const engine = createEngine({ seed });
      const model = mlp(engine);
      const rounds: AdmmRoundReport[] = [];
      const result = await admmTrain(engine, model, {
        layers: [{ name: '0', decomposition: svd(), ranks: [2] }],
        rho: 2,
        rounds: 12,
        optimizer: new optim.SGD(model.parameters(), { lr: 0.05 }),
        batches: data(16),
        onRound: (r) => rounds.push(r),
      });
      expect(rounds.map((r) => r.round)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
      expect(result.history).toEqual(rounds);
      const residuals = rounds.map((r) => r.residual);
      expect(residuals[0]).toBeLessThan(result.initialResidual);
      for (const r of residuals.slice(-4)) expect(r).toBeLessThan(0.05 * residuals[0]);
      for (const r of rounds) {
        expect(r.layers).toHaveLength(1);
        expect(r.layers[0].residual).toBe(r.residual);
        expect(r.steps).toBe(r.round * 6);
        expect(Number.isFinite(r.loss) && Number.isFinite(r.penalty)).toBe(true);
      }
    }
  });

  it('with rho large the final W is close to rank r* (tail beyond r* under 1e-2 of ‖W‖, from over 0.3)', async () => {
    const engine = createEngine({ seed: 2 });
    const model = mlp(engine);
    const w = (model.getModule('0') as nn.Linear).weight;
    const before = tailFraction(await singularValues(w), 2);
    await admmTrain(engine, model, {
      layers: [{ name: '0', decomposition: svd(), ranks: [2] }],
      rho: 20,
      rounds: 12,
      optimizer: new optim.SGD(model.parameters(), { lr: 0.02 }),
      batches: data(32),
    });
    const after = tailFraction(await singularValues(w), 2);
    expect(before).toBeGreaterThan(0.3);
    expect(after).toBeLessThan(1e-2);
  });

  it('one SGD step on the ADMM term alone moves W by -lr rho (W - Z + U), hand-checked (1e-6)', async () => {
    const engine = createEngine({ seed: 3 });
    const layer = new nn.Linear(engine, 2, 2, { bias: false });
    const model = new nn.Sequential(engine, [layer]);
    engine.noGrad(() => layer.weight.assign(engine.tensor([3, 0, 0, 1], [2, 2])));
    const [lr, rho] = [0.1, 0.5];
    await admmTrain(engine, model, {
      layers: [{ name: '0', decomposition: svd(), ranks: [1] }],
      rho,
      rounds: 1,
      stepsPerRound: 1,
      optimizer: new optim.SGD(model.parameters(), { lr }),
      batches: () => [{ x: new Float32Array(2), xShape: [1, 2], y: new Int32Array(1) }],
      // A zero task loss leaves only the ADMM term: Z = diag(3, 0), U = 0, grad = rho (W - Z) = diag(0, rho).
      loss: (m, b) => mul(sum(m.call(engine.fromData(b.x, b.xShape))), 0),
    });
    expectAllClose(layer.weight.dataSync(), [3, 0, 0, 1 - lr * rho], { rtol: 1e-6 });
  });

  it('defaults to rho = 0.005 and stops at the tolerance, reporting evaluate() and every step', async () => {
    expect(DEFAULT_RHO).toBe(0.005);
    const engine = createEngine({ seed: 4 });
    const model = mlp(engine);
    const steps: number[] = [];
    const result = await admmTrain(engine, model, {
      layers: [{ name: '2', decomposition: svd(), ranks: [1] }],
      rounds: 5,
      tolerance: Number.POSITIVE_INFINITY,
      optimizer: new optim.Adam(model.parameters(), { lr: 0.01 }),
      schedule: optim.cosineSchedule({ base: 0.01, total: 30 }),
      batches: data(32),
      evaluate: (m) => (m.training ? -1 : 0.5),
      onStep: (s) => steps.push(s.steps),
    });
    expect(result.converged).toBe(true);
    expect(result.history).toHaveLength(1);
    expect(result.history[0].accuracy).toBe(0.5);
    expect(steps).toEqual([1, 2, 3]);
  });

  it('takes stepsPerRound batches of an async iterable per round (2 of 6)', async () => {
    const engine = createEngine({ seed: 5 });
    const model = mlp(engine);
    async function* asyncBatches(round: number) {
      yield* data(16)(round);
    }
    const seen: [number, number][] = [];
    const result = await admmTrain(engine, model, {
      layers: [{ name: '0', decomposition: svd(), ranks: [2] }],
      rounds: 3,
      stepsPerRound: 2,
      optimizer: new optim.SGD(model.parameters(), { lr: 0.01 }),
      batches: asyncBatches,
      onStep: (s) => seen.push([s.round, s.step]),
    });
    expect(seen).toEqual([
      [1, 1],
      [1, 2],
      [2, 1],
      [2, 2],
      [3, 1],
      [3, 2],
    ]);
    expect(result.history.map((r) => r.steps)).toEqual([2, 4, 6]);
  });

  it('is registered as a trainer plugin', () => {
    const engine = createEngine().use(admm());
    const plugin = engine.plugins.get('trainer', 'admm') as ReturnType<typeof admm>;
    expect(plugin.kind).toBe('trainer');
    expect(plugin.train).toBe(admmTrain);
  });
});
