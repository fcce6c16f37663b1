/** Class names, indexed by label. */
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;

/** Mean of the training pixels after scaling to [0, 1]. */
export const FASHION_MNIST_MEAN = 0.286;

/** Standard deviation of the training pixels after scaling to [0, 1]. */
export const FASHION_MNIST_STD = 0.353;

/**
 * The preprocessing of the reference models, `(pixel / 255 - mean) / std`, in
 * the form `batches({ normalize })` from '@lowrank/core' takes.
 */
export const FASHION_MNIST_NORMALIZATION = {
  scale: 1 / 255,
  mean: FASHION_MNIST_MEAN,
  std: FASHION_MNIST_STD,
} as const;

/** Where Debian's `dataset-fashion-mnist` package puts the full data set. */
export const FASHION_MNIST_DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';
