import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DataFormatError } from '@lowrank/core';
import { readIdxFile } from '@lowrank/core/node';
import { FASHION_MNIST_CLASSES, FASHION_MNIST_DEBIAN_DIR } from './constants.js';

export type FashionMnistSplit = 'train' | 'test';

export interface LoadFashionMnistOptions {
  /**
   * `'bundled'` (default): the subset shipped in this package, the first
   * 6,000 training and 1,000 test samples. `'full'`: the 60,000 + 10,000 of
   * Debian's `dataset-fashion-mnist` in /usr/share/datasets/fashion-mnist.
   * Any other string: a directory holding the IDX files under their usual
   * names (`train-images-idx3-ubyte.gz`..., gzip or not; write `./full` for a
   * directory called "full").
   */
  source?: 'bundled' | 'full' | (string & {});
  split: FashionMnistSplit;
}

export interface FashionMnist {
  /** `count` images of 28 x 28 pixels, row-major, 0 (background) to 255. */
  images: Uint8Array;
  /** Class index per image, 0 to 9 (see FASHION_MNIST_CLASSES). */
  labels: Uint8Array;
  count: number;
  shape: [28, 28];
}

/** Where both builds find the bundled files: data/ is beside src/ and dist/. */
const BUNDLED_DIR = new URL('../data/', import.meta.url);

/**
 * Loads one split of Fashion-MNIST.
 * @throws Error telling how to get the files when they are missing, and
 *   DataFormatError when they are not Fashion-MNIST IDX files.
 */
export async function loadFashionMnist(options: LoadFashionMnistOptions): Promise<FashionMnist> {
  const source = options.source ?? 'bundled';
  const prefix = options.split === 'train' ? 'train' : 't10k';
  const images = await readIdxFile(await locate(source, `${prefix}-images-idx3-ubyte`));
  const labels = await readIdxFile(await locate(source, `${prefix}-labels-idx1-ubyte`));
  const count = images.shape[0];
  const what = `Fashion-MNIST ${options.split} split from ${source}`;
  if (!(images.data instanceof Uint8Array) || images.shape.join() !== `${count},28,28`) {
    throw new DataFormatError(
      `${what}: images must be u8 of shape [n, 28, 28], got [${images.shape.join(', ')}]`,
    );
  }
  if (!(labels.data instanceof Uint8Array) || labels.shape.join() !== `${count}`) {
    throw new DataFormatError(
      `${what}: labels must be u8 of shape [${count}], got [${labels.shape.join(', ')}]`,
    );
  }
  const badLabel = labels.data.findIndex((label) => label >= FASHION_MNIST_CLASSES.length);
  if (badLabel >= 0) {
    throw new DataFormatError(`${what}: label ${badLabel} is ${labels.data[badLabel]}, expected 0 to 9`);
  }
  return { images: images.data, labels: labels.data, count, shape: [28, 28] };
}

/** The file for `base` in `source`: `base.gz` or else `base`. */
async function locate(source: string, base: string): Promise<URL> {
  const dir =
    source === 'bundled'
      ? BUNDLED_DIR
      : pathToFileURL(join(source === 'full' ? FASHION_MNIST_DEBIAN_DIR : source, '/'));
  for (const name of [`${base}.gz`, base]) {
    const url = new URL(name, dir);
    try {
      await access(url);
      return url;
    } catch {
      // try the next name
    }
  }
  const hint =
    source === 'bundled'
      ? 'the package is incomplete; reinstall @lowrank/fashion-mnist'
      : source === 'full'
        ? 'install it with `apt-get install dataset-fashion-mnist`, or pass the directory that holds the files as `source`'
        : 'pass a directory holding the Fashion-MNIST IDX files';
  throw new Error(`Fashion-MNIST not found: no ${base}.gz or ${base} in ${fileURLToPath(dir)}; ${hint}`);
}
