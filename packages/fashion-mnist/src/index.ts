export {
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_DEBIAN_DIR,
  FASHION_MNIST_MEAN,
  FASHION_MNIST_NORMALIZATION,
  FASHION_MNIST_STD,
} from './constants.js';
export {
  type FashionMnist,
  type FashionMnistSplit,
  type LoadFashionMnistOptions,
  loadFashionMnist,
} from './load.js';
export { type BatchSettings, tensorBatches } from './tensor-batches.js';
