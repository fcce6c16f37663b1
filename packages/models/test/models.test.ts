import { fileURLToPath } from 'node:url';
import { createEngine, nn } from '@lowrank/core';
import { loadWeightsFile } from '@lowrank/core/node';
import { describe, expect, it } from 'vitest';
import { LeNet5, modelBuilders, ResNet8 } from '../src/index.js';

const MODELS = fileURLToPath(new URL('../../../../shared/models/', import.meta.url));

describe('reference models', () => {
  it('LeNet5 and ResNet8 have the parameter counts of the PyTorch references (61,706 and 77,754)', () => {
    const engine = createEngine();
    expect(new LeNet5(engine).numParameters()).toBe(61_706);
    expect(new ResNet8(engine).numParameters()).toBe(77_754);
  });

  it('PyTorch state dicts load strictly (every name and shape matches)', async () => {
    const engine = createEngine();
    await loadWeightsFile(new LeNet5(engine), `${MODELS}fmnist-lenet5.safetensors`);
    await loadWeightsFile(new ResNet8(engine), `${MODELS}fmnist-resnet8.safetensors`);
  });

  it('a saved ResNet8 with a replaced layer is rebuilt by loadModule with the same outputs', async () => {
    const engine = createEngine({ seed: 3 });
    const model = new ResNet8(engine).eval();
    const block = model.getModule('layer2');
    block.replaceModule(
      'c2',
      new nn.Sequential(engine, [new nn.Conv2d(engine, 32, 32, 3, { padding: 1, bias: false })]),
    );
    const x = engine.randn([2, 1, 28, 28]);
    const bytes = await nn.saveModule(model);
    const copy = nn.loadModule(engine, bytes, modelBuilders).eval();
    expect(copy.getModule('layer2.c2').typeName).toBe('Sequential');
    const a = model.call(x).dataSync();
    const b = copy.call(x).dataSync();
    expect(Array.from(b)).toEqual(Array.from(a));
  });
});
