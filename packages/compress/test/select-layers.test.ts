import { type Engine, nn, type Tensor } from '@lowrank/core';
import { describe, expect, it } from 'vitest';
import { selectLayers } from '../src/index.js';
import { lenet, testEngine } from './helpers.js';

const names = (engine: Engine, model: nn.Module, options: Parameters<typeof selectLayers>[2]) =>
  selectLayers(engine, model, options).layers.map((l) => l.name);

/** conv 3 -> 8, grouped conv 8 -> 8 (4 groups), conv 8 -> 8, linear 8 -> 4. */
class Grouped extends nn.Module {
  constructor(engine: Engine) {
    super(engine);
    this.registerModule('stem', new nn.Conv2d(engine, 3, 8, 3, { padding: 1 }));
    this.registerModule('grouped', new nn.Conv2d(engine, 8, 8, 3, { padding: 1, groups: 4 }));
    this.registerModule('body', new nn.Conv2d(engine, 8, 8, 3, { padding: 1 }));
    this.registerModule('head', new nn.Linear(engine, 8, 4));
  }
  get typeName() {
    return 'Grouped';
  }
  config() {
    return {};
  }
  forward(x: Tensor): Tensor {
    return x;
  }
}

describe('selectLayers', () => {
  const engine = testEngine();
  const model = lenet(engine);
  const both = { conv: 'tucker2', linear: 'svd' };

  it('includes and excludes layers by exact name and by pattern', () => {
    expect(names(engine, model, { decomposition: both })).toEqual(['conv2', 'fc1', 'fc2']);
    expect(names(engine, model, { decomposition: both, include: [/^fc/] })).toEqual(['fc1', 'fc2']);
    expect(names(engine, model, { decomposition: both, exclude: ['fc1'] })).toEqual(['conv2', 'fc2']);
    expect(names(engine, model, { decomposition: both, exclude: [/fc/g] })).toEqual(['conv2']);
    expect(names(engine, model, { decomposition: both, include: ['fc2', /conv/], exclude: [/2$/] })).toEqual(
      [],
    );
    const skipped = selectLayers(engine, model, { decomposition: both, exclude: [/^fc[12]$/] }).skipped;
    expect(skipped.map((s) => `${s.name}: ${s.reason}`)).toContain('fc1: excluded by pattern /^fc[12]$/');
  });

  it('keeps the first conv and the classifier dense unless named exactly or turned off', () => {
    expect(names(engine, model, { decomposition: both, include: [/./] })).toEqual(['conv2', 'fc1', 'fc2']);
    expect(names(engine, model, { decomposition: both, include: ['conv1', 'fc3'] })).toEqual([
      'conv1',
      'fc3',
    ]);
    expect(
      names(engine, model, { decomposition: both, keepFirstConv: false, keepClassifier: false }),
    ).toEqual(['conv1', 'conv2', 'fc1', 'fc2', 'fc3']);
  });

  it('routes decompositions by kind with per-layer overrides, skipping kinds without one', () => {
    const picked = selectLayers(engine, model, {
      decomposition: { conv: 'tucker2', layers: { fc2: 'svd' } },
    });
    expect(picked.layers.map((l) => `${l.name}:${l.decomposition.name}`)).toEqual([
      'conv2:tucker2',
      'fc2:svd',
    ]);
    expect(picked.skipped.find((s) => s.name === 'fc1')?.reason).toMatch(
      /no decomposition for linear layers/,
    );
    expect(() =>
      selectLayers(engine, model, { decomposition: { conv: 'tucker2' }, include: ['fc1'] }),
    ).toThrow(/'fc1' is included but the recipe names no decomposition/);
  });

  it('rejects unknown names and unknown plugins with the known ones', () => {
    expect(() => selectLayers(engine, model, { decomposition: 'svd', include: ['fc9'] })).toThrow(
      /'fc9' is not a Conv2d or Linear layer of the model; its layers are conv1, conv2, fc1, fc2, fc3/,
    );
    expect(() => selectLayers(engine, model, { decomposition: { layers: { pool: 'svd' } } })).toThrow(
      /'pool'/,
    );
    expect(() => selectLayers(engine, model, { decomposition: 'tt' })).toThrow(/registered: svd, tucker2/);
  });

  it('skips a grouped conv with the plugin reason, and names it when it is included explicitly', () => {
    const g = new Grouped(engine);
    const picked = selectLayers(engine, g, { decomposition: 'tucker2', keepFirstConv: false });
    expect(picked.layers.map((l) => l.name)).toEqual(['stem', 'body']);
    const reason = picked.skipped.find((s) => s.name === 'grouped')?.reason;
    expect(reason).toMatch(/^tucker2 cannot decompose it: .*group/);
    expect(() => selectLayers(engine, g, { decomposition: 'tucker2', include: ['grouped'] })).toThrow(
      /'grouped' is included but tucker2 cannot decompose it/,
    );
  });
});
