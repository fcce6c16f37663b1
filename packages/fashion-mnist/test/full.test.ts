import { describe, expect, it, vi } from 'vitest';
import { FASHION_MNIST_DEBIAN_DIR, loadFashionMnist } from '../src/index.js';

// Whether Debian's files are installed varies between machines; pretend they are not.
vi.mock('node:fs/promises', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...original,
    access: async (path: Parameters<typeof original.access>[0]) => {
      if (String(path).includes('/usr/share/datasets/')) throw new Error('ENOENT (mocked)');
      return original.access(path);
    },
  };
});

describe("source: 'full'", () => {
  it('tells how to install the full data set when it is missing', async () => {
    const error = await loadFashionMnist({ source: 'full', split: 'train' }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain(`in ${FASHION_MNIST_DEBIAN_DIR}/`);
    expect((error as Error).message).toContain('apt-get install dataset-fashion-mnist');
  });
});
