import { copyFile, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, runCli } from '../src/run-cli.js';
import { LENET_SAFETENSORS, recordingIo, tempDir } from './helpers.js';

const BUNDLED = fileURLToPath(new URL('../node_modules/@lowrank/fashion-mnist/data/', import.meta.url));

describe('compress without calibration, with fine-tuning', () => {
  let dir: string;
  let remove: () => Promise<void>;
  const io = recordingIo();
  let code: number;

  beforeAll(async () => {
    ({ dir, remove } = await tempDir());
    code = await runCli(
      [
        'compress',
        LENET_SAFETENSORS,
        '-o',
        join(dir, 'ft.safetensors'),
        '--report',
        join(dir, 'ft.html'),
        '--decomposition',
        'svd',
        '--norm',
        'frobenius',
        '--calib',
        '0',
        '--ratio',
        '3',
        '--eval',
        '250',
        '--finetune-epochs',
        '1',
        '--finetune-images',
        '256',
      ],
      io,
    );
  });
  afterAll(() => remove());

  it('succeeds with the Frobenius norm and no calibration images (FLOPs from the input shape)', () => {
    expect(io.err.join('')).not.toContain('error');
    expect(code).toBe(EXIT.ok);
    expect(io.out.join('')).toMatch(/whole model: params 61706 -> \d+ \((2\.[7-9]|3\.\d)\d*x\)/);
  });

  it('fine-tunes one epoch and reports the accuracy after it, with an epoch line on stderr', async () => {
    expect(io.out.join('')).toMatch(/accuracy: before [\d.]+%, after [\d.]+% .*fine-tuned [\d.]+%/);
    expect(io.err.join('')).toMatch(/^fine-tune: epoch 1\/1, loss [\d.]+, accuracy [\d.]+%$/m);
    const html = await readFile(join(dir, 'ft.html'), 'utf8');
    expect(html).toContain('<h2>Fine-tuning</h2>');
    expect(html).toContain('after fine-tuning');
    // No calibration: no Sigma errors to show.
    expect(html).not.toContain('error (Sigma)');
  });
});

describe('--data with a directory of IDX files', () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, remove } = await tempDir());
    for (const f of await readdir(BUNDLED)) await copyFile(join(BUNDLED, f), join(dir, f));
  });
  afterAll(() => remove());

  it('evaluates on its test split, as on the bundled set', async () => {
    const fromDir = recordingIo();
    expect(await runCli(['eval', LENET_SAFETENSORS, '--data', dir, '--count', '250'], fromDir)).toBe(EXIT.ok);
    const bundled = recordingIo();
    expect(await runCli(['eval', LENET_SAFETENSORS, '--count', '250'], bundled)).toBe(EXIT.ok);
    const accuracy = (io: typeof bundled) => /accuracy ([\d.]+)%/.exec(io.out.join(''))?.[1];
    expect(accuracy(fromDir)).toBeDefined();
    expect(accuracy(fromDir)).toBe(accuracy(bundled));
    expect(fromDir.out.join('')).toContain(`IDX files in ${dir}`);
  });

  it('a directory that does not exist is a usage error naming --data', async () => {
    const io = recordingIo();
    expect(await runCli(['eval', LENET_SAFETENSORS, '--data', join(dir, 'nope')], io)).toBe(EXIT.usage);
    expect(io.err.join('')).toMatch(
      /--data '.*nope' is neither fashion-mnist, fashion-mnist-full nor a directory/,
    );
  });

  it('a directory without the IDX files fails naming the missing file', async () => {
    const { dir: empty, remove: removeEmpty } = await tempDir();
    try {
      const io = recordingIo();
      expect(await runCli(['eval', LENET_SAFETENSORS, '--data', empty], io)).toBe(EXIT.failure);
      expect(io.err.join('')).toMatch(/no t10k-images-idx3-ubyte\.gz or t10k-images-idx3-ubyte/);
    } finally {
      await removeEmpty();
    }
  });
});
