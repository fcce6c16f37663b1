import { argmax, batches, type Engine, equal, type nn, sum } from '@lowrank/core';
import { FASHION_MNIST_NORMALIZATION, type FashionMnist } from '@lowrank/fashion-mnist';

const SAMPLE_SHAPE = [1, 28, 28];

/** Top-1 accuracy of a Fashion-MNIST classifier, in eval mode without gradients (CPU backend). */
export function testAccuracy(engine: Engine, model: nn.Module, data: FashionMnist, batchSize = 250): number {
  model.eval();
  let correct = 0;
  for (const b of batches({
    images: data.images,
    labels: data.labels,
    count: data.count,
    sampleShape: SAMPLE_SHAPE,
    batchSize,
    normalize: FASHION_MNIST_NORMALIZATION,
  })) {
    const hits = engine.noGrad(() =>
      engine.tidy(() =>
        sum(equal(argmax(model.call(engine.fromData(b.x, b.xShape)), 1), engine.fromData(b.y, [b.size]))),
      ),
    );
    correct += hits.itemSync();
    hits.dispose();
  }
  return correct / data.count;
}
