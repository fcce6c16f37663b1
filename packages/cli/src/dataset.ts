import { stat } from 'node:fs/promises';
import { type FashionMnist, loadFashionMnist } from '@lowrank/fashion-mnist';
import { UsageError } from './usage-error.js';

/** `--data`: the bundled Fashion-MNIST subset, the full set installed by Debian, or a directory of IDX files. */
export type DataSource = 'fashion-mnist' | 'fashion-mnist-full' | (string & {});

/** One sample's shape: 28 x 28 grey images. */
export const SAMPLE_SHAPE = [1, 28, 28] as const;

/** The training and test images of a data source (read once, batched on demand). */
export interface Dataset {
  source: DataSource;
  /** For logs and the report: 'Fashion-MNIST (bundled subset)'... */
  description: string;
  train: () => Promise<FashionMnist>;
  test: () => Promise<FashionMnist>;
}

/**
 * Opens `--data`: checks that a directory exists now (a usage error otherwise) and
 * reads each split the first time it is asked for.
 */
export async function openDataset(source: DataSource, command: string): Promise<Dataset> {
  let loaderSource: string;
  let description: string;
  if (source === 'fashion-mnist') {
    loaderSource = 'bundled';
    description = 'Fashion-MNIST (bundled subset: 6,000 train, 1,000 test)';
  } else if (source === 'fashion-mnist-full') {
    loaderSource = 'full';
    description = 'Fashion-MNIST (full set)';
  } else {
    const info = await stat(source).catch(() => undefined);
    if (!info?.isDirectory()) {
      throw new UsageError(
        `--data '${source}' is neither fashion-mnist, fashion-mnist-full nor a directory of Fashion-MNIST IDX files`,
        command,
      );
    }
    // A relative directory named like a source keyword must not be read as the keyword.
    loaderSource = source === 'bundled' || source === 'full' ? `./${source}` : source;
    description = `IDX files in ${source}`;
  }
  const cached = new Map<'train' | 'test', Promise<FashionMnist>>();
  const split = (name: 'train' | 'test') => () => {
    let set = cached.get(name);
    if (!set) {
      set = loadFashionMnist({ source: loaderSource, split: name });
      cached.set(name, set);
    }
    return set;
  };
  return { source, description, train: split('train'), test: split('test') };
}

/** How many batches `count` images (of a set of `available`) make. */
export function batchCount(count: number, available: number, batchSize: number): number {
  return Math.ceil(Math.min(count, available) / batchSize);
}
