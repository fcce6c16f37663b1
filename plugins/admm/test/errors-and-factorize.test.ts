import { createEngine, type DecompositionPlugin, layerInfo, nn, optim } from '@lowrank/core';
import { expectAllClose } from '@lowrank/core/testing';
import { LeNet5 } from '@lowrank/models';
import { svd } from '@lowrank/svd';
import { tt } from '@lowrank/tt';
import { describe, expect, it } from 'vitest';
import { type AdmmLayer, admmTrain, factorizeLayers } from '../src/index.js';
import { mlp, syntheticData } from './helpers.js';

function train(layers: AdmmLayer[], rounds = 1) {
  const engine = createEngine();
  const model = mlp(engine);
  return admmTrain(engine, model, {
    layers,
    rounds,
    optimizer: new optim.SGD(model.parameters(), { lr: 0.01 }),
    batches: syntheticData(8, 3)(32),
  });
}

describe('clear errors', () => {
  it('a layer name not in the model names it and the children there are', async () => {
    await expect(train([{ name: 'fc9', decomposition: svd(), ranks: [1] }])).rejects.toThrow(
      /admm: layer 'fc9' not found in the model: .*'fc9' is not among 0, 1, 2/,
    );
  });

  it('a layer that is not Linear or Conv2d is refused by name', async () => {
    await expect(train([{ name: '1', decomposition: svd(), ranks: [1] }])).rejects.toThrow(
      /layer '1' is a ReLU; only Linear and Conv2d/,
    );
  });

  it('a decomposition without project() is refused naming the plugin and the layer', async () => {
    const { project: _, ...noProject } = svd();
    await expect(
      train([{ name: '0', decomposition: noProject as unknown as DecompositionPlugin, ranks: [1] }]),
    ).rejects.toThrow(/decomposition 'svd' given for '0' has no project\(\)/);
  });

  it('ranks out of range or of the wrong count name the layer and the bounds', async () => {
    await expect(train([{ name: '2', decomposition: svd(), ranks: [4] }])).rejects.toThrow(
      /rank r = 4 of '2' is out of range for svd: it must be an integer in \[1, 3\]/,
    );
    await expect(train([{ name: '0', decomposition: svd(), ranks: [0] }])).rejects.toThrow(
      /of '0' is out of range/,
    );
    await expect(train([{ name: '0', decomposition: svd(), ranks: [1, 2] }])).rejects.toThrow(
      /'0' takes 1 svd rank\(s\) \[r\], got \[1,2\]/,
    );
  });

  it('bad settings are refused before training', async () => {
    const layer = { name: '0', decomposition: svd(), ranks: [1] };
    await expect(train([layer], 0)).rejects.toThrow(/rounds must be an integer >= 1, got 0/);
    await expect(train([])).rejects.toThrow(/no layers to constrain/);
    await expect(train([layer, layer])).rejects.toThrow(/layer '0' is listed twice/);
  });
});

describe('factorizeLayers', () => {
  it('swaps in factorized layers that compute what the dense model computes with the projected weights (1e-4)', async () => {
    const engine = createEngine({ seed: 3 });
    const model = new LeNet5(engine);
    const layers: AdmmLayer[] = [
      { name: 'conv2', decomposition: tt(), ranks: [4, 3] },
      { name: 'fc1', decomposition: tt(), ranks: [6, 6] },
    ];
    const x = engine.randn([2, 1, 28, 28]);
    // The reference: the dense model with each weight replaced by its projection.
    const reference = new LeNet5(engine);
    reference.loadStateDict(model.stateDict());
    for (const { name, decomposition, ranks } of layers) {
      const m = reference.getModule(name) as nn.Conv2d;
      const info = layerInfo(name, m);
      const z = await decomposition.project(m.weight, info, ranks);
      engine.noGrad(() => m.weight.assign(z));
    }
    const want = engine.noGrad(() => reference.call(x)).dataSync();
    const replaced = await factorizeLayers(engine, model, layers);
    expect(replaced.map((r) => r.module.typeName)).toEqual(['TtConv2d', 'TtLinear']);
    for (const r of replaced) expect(r.relativeError).toBeGreaterThan(0);
    expect(model.getModule('conv2')).toBe(replaced[0].module);
    expectAllClose(engine.noGrad(() => model.call(x)).dataSync(), want, { rtol: 1e-4, atol: 1e-5 });
    expect(model.getModule('fc2')).toBeInstanceOf(nn.Linear);
  });
});
