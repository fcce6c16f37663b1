import { argmax, batches, type Engine, equal, type nn } from '@lowrank/core';
import { FASHION_MNIST_NORMALIZATION, type FashionMnist } from '@lowrank/fashion-mnist';

/**
 * Which test images a Fashion-MNIST classifier gets right (1) or wrong (0), in eval mode
 * without gradients: per-image hits let arms be compared on the same images (paired).
 */
export function testHits(engine: Engine, model: nn.Module, data: FashionMnist, batchSize = 250): Uint8Array {
  model.eval();
  const hits = new Uint8Array(data.count);
  for (const b of batches({
    images: data.images,
    labels: data.labels,
    count: data.count,
    sampleShape: [1, 28, 28],
    batchSize,
    normalize: FASHION_MNIST_NORMALIZATION,
  })) {
    const right = engine.noGrad(() =>
      engine.tidy(() =>
        equal(argmax(model.call(engine.fromData(b.x, b.xShape)), 1), engine.fromData(b.y, [b.size])),
      ),
    );
    const values = right.dataSync();
    for (let i = 0; i < b.size; i++) hits[b.indices[i]] = values[i] ? 1 : 0;
    right.dispose();
  }
  return hits;
}
