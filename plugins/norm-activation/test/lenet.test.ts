import { fileURLToPath } from 'node:url';
import {
  batches,
  type CalibrationBatch,
  calibrate,
  createEngine,
  decomposeWithMetric,
  layerInfo,
  type nn,
  relativeError,
} from '@lowrank/core';
import { loadWeightsFile } from '@lowrank/core/node';
import { FASHION_MNIST_NORMALIZATION, loadFashionMnist } from '@lowrank/fashion-mnist';
import { LeNet5 } from '@lowrank/models';
import { svd } from '@lowrank/svd';
import { tucker2 } from '@lowrank/tucker2';
import { beforeAll, describe, expect, it } from 'vitest';
import { activation } from '../src/index.js';

const MODEL = fileURLToPath(new URL('../../../../shared/models/fmnist-lenet5.safetensors', import.meta.url));
const norm = activation();
const engine = createEngine().use(norm);
const model = new LeNet5(engine);
const fc1 = () => model.getModule('fc1') as nn.Linear;
const conv2 = () => model.getModule('conv2') as nn.Conv2d;
let stats: Map<string, unknown>;

beforeAll(async () => {
  await loadWeightsFile(model, MODEL);
  const train = await loadFashionMnist({ split: 'train' });
  const data: CalibrationBatch[] = [];
  for (const b of batches({
    ...train,
    count: 200,
    sampleShape: [1, 28, 28],
    batchSize: 100,
    normalize: FASHION_MNIST_NORMALIZATION,
  })) {
    data.push({ inputs: engine.fromData(b.x, b.xShape) });
  }
  const collector = norm.collector([
    { info: layerInfo('fc1', fc1()), module: fc1() },
    { info: layerInfo('conv2', conv2(), [14, 14]), module: conv2() },
  ]);
  await calibrate(model, [collector], data);
  stats = collector.statistics();
});

describe('activation-guided decomposition of LeNet-5 (200 calibration images)', () => {
  it('SVD of fc1 at rank 8: the weighted solution beats plain SVD in the activation-weighted error', async () => {
    const info = layerInfo('fc1', fc1());
    const metric = norm.metric(info, stats.get('fc1'));
    const plugin = svd();
    const plain = await relativeError(
      metric,
      fc1().weight,
      plugin.reconstruct(await plugin.decompose(fc1().weight, info, [8])),
      info,
    );
    const factors = await decomposeWithMetric(plugin, fc1().weight, info, [8], {
      metric,
      imputation: { iterations: 10 },
      refine: { iterations: 30 },
    });
    const weighted = await relativeError(metric, fc1().weight, plugin.reconstruct(factors), info);
    expect(weighted).toBeLessThan(plain);
  });

  it('Tucker2 of conv2 at ranks [6, 4]: the weighted solution beats HOSVD/HOOI in the activation-weighted error', async () => {
    const info = layerInfo('conv2', conv2(), [14, 14]);
    const metric = norm.metric(info, stats.get('conv2'));
    const plugin = tucker2();
    const plain = await relativeError(
      metric,
      conv2().weight,
      plugin.reconstruct(await plugin.decompose(conv2().weight, info, [6, 4])),
      info,
    );
    const factors = await decomposeWithMetric(plugin, conv2().weight, info, [6, 4], {
      metric,
      imputation: { iterations: 10 },
      refine: { iterations: 30 },
    });
    const weighted = await relativeError(metric, conv2().weight, plugin.reconstruct(factors), info);
    expect(weighted).toBeLessThan(plain);
  });
});
