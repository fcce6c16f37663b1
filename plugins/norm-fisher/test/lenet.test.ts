import { fileURLToPath } from 'node:url';
import {
  batches,
  type CalibrationBatch,
  calibrate,
  createEngine,
  decomposeWithMetric,
  FROBENIUS,
  layerInfo,
  linalg,
  type nn,
  relativeError,
} from '@lowrank/core';
import { loadWeightsFile } from '@lowrank/core/node';
import { FASHION_MNIST_NORMALIZATION, loadFashionMnist } from '@lowrank/fashion-mnist';
import { LeNet5 } from '@lowrank/models';
import { svd } from '@lowrank/svd';
import { tucker2 } from '@lowrank/tucker2';
import { beforeAll, describe, expect, it } from 'vitest';
import { type FisherStatistics, fisher, rowFisher, rowWeightedSvd } from '../src/index.js';

const MODEL = fileURLToPath(new URL('../../../../shared/models/fmnist-lenet5.safetensors', import.meta.url));
const norm = fisher();
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
    data.push({ inputs: engine.fromData(b.x, b.xShape), labels: engine.fromData(b.y, [b.y.length]) });
  }
  const collector = norm.collector([
    { info: layerInfo('fc1', fc1()), module: fc1() },
    { info: layerInfo('conv2', conv2(), [14, 14]), module: conv2() },
  ]);
  await calibrate(model, [collector], data);
  stats = collector.statistics();
});

describe('Fisher-weighted decomposition of LeNet-5 (200 calibration images)', () => {
  it('SVD of fc1 at rank 8: EM + refinement beats plain SVD in the Fisher-weighted error (by > 5%)', async () => {
    const info = layerInfo('fc1', fc1());
    const metric = norm.metric(info, stats.get('fc1'));
    const plugin = svd();
    const errorOf = async (factors: Awaited<ReturnType<typeof plugin.decompose>>) => {
      const approx = plugin.reconstruct(factors);
      return relativeError(metric, fc1().weight, approx, info);
    };
    const plain = await errorOf(await plugin.decompose(fc1().weight, info, [8]));
    const weighted = await errorOf(
      await decomposeWithMetric(plugin, fc1().weight, info, [8], {
        metric,
        imputation: { iterations: 10 },
        refine: { iterations: 50 },
      }),
    );
    expect(weighted).toBeLessThan(plain * 0.95);
  });

  it('Tucker2 of conv2 at ranks [6, 4]: the weighted solution beats HOSVD/HOOI in the Fisher-weighted error', async () => {
    const info = layerInfo('conv2', conv2(), [14, 14]);
    const metric = norm.metric(info, stats.get('conv2'));
    const plugin = tucker2();
    const errorOf = async (factors: Awaited<ReturnType<typeof plugin.decompose>>) =>
      relativeError(metric, conv2().weight, plugin.reconstruct(factors), info);
    const plain = await errorOf(await plugin.decompose(conv2().weight, info, [6, 4]));
    const weighted = await errorOf(
      await decomposeWithMetric(plugin, conv2().weight, info, [6, 4], {
        metric,
        imputation: { iterations: 10 },
        refine: { iterations: 40 },
      }),
    );
    expect(weighted).toBeLessThan(plain);
  });

  it('row-wise FWSVD: optimal for row-constant weights (no worse than EM + refinement, 1e-6 relative) and equal to SVD for equal rows', async () => {
    const info = layerInfo('fc1', fc1());
    const f = rowFisher(stats.get('fc1') as FisherStatistics);
    const w = await linalg.toMatrix(fc1().weight);
    const rowMetric = {
      kind: 'weighted' as const,
      weights: engine.fromData(
        Float64Array.from({ length: 120 * 400 }, (_, i) => f[Math.floor(i / 400)]),
        [120, 400],
      ),
    };
    const closed = rowWeightedSvd(w, f, 8);
    const closedError = await relativeError(
      rowMetric,
      fc1().weight,
      linalg.fromMatrix(engine, linalg.matmul(closed.left, closed.right), 'float64').cast('float32'),
      info,
    );
    const plugin = svd();
    const generic = await decomposeWithMetric(plugin, fc1().weight, info, [8], {
      metric: rowMetric,
      imputation: { iterations: 5 },
      refine: { iterations: 20 },
    });
    const genericError = await relativeError(rowMetric, fc1().weight, plugin.reconstruct(generic), info);
    expect(closedError).toBeLessThanOrEqual(genericError * (1 + 1e-6));

    const equal = rowWeightedSvd(w, new Float64Array(120).fill(2), 8);
    const equalError = await relativeError(
      FROBENIUS,
      fc1().weight,
      linalg.fromMatrix(engine, linalg.matmul(equal.left, equal.right), 'float32'),
    );
    const plainError = await relativeError(
      FROBENIUS,
      fc1().weight,
      plugin.reconstruct(await plugin.decompose(fc1().weight, info, [8])),
    );
    expect(Math.abs(equalError - plainError)).toBeLessThan(1e-6);
  });
});
