import { mkdir, readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createEngine } from '@lowrank/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelFile } from '../src/model-file.js';
import { EXIT, runCli } from '../src/run-cli.js';
import { LENET_SAFETENSORS, recordingIo, tempDir } from './helpers.js';

const DENSE_PARAMS = 61706;

describe('lowrank compress on the reference LeNet-5 state dict (in process)', () => {
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
        join(dir, 'small.safetensors'),
        '--report',
        join(dir, 'report.html'),
        '--calib',
        '250',
        '--eval',
        '250',
      ],
      io,
    );
  });
  afterAll(() => remove());

  it('succeeds and writes the model and the report, nothing else', async () => {
    expect(io.err.join('')).not.toContain('error');
    expect(code).toBe(EXIT.ok);
    expect((await readdir(dir)).sort()).toEqual(['report.html', 'small.safetensors']);
  });

  it('writes a model that reloads with about half the parameters (ratio 2 within 10%)', async () => {
    const engine = createEngine();
    const { model } = await loadModelFile(engine, join(dir, 'small.safetensors'), { command: 'test' });
    const ratio = DENSE_PARAMS / model.numParameters();
    expect(ratio).toBeGreaterThan(1.8);
    expect(ratio).toBeLessThan(2.2);
    model.dispose();
  });

  it('the reloaded model keeps a sane accuracy (> 70% on 250 test images)', async () => {
    const evalIo = recordingIo();
    expect(await runCli(['eval', join(dir, 'small.safetensors'), '--count', '250'], evalIo)).toBe(EXIT.ok);
    const accuracy = Number(/accuracy ([\d.]+)%/.exec(evalIo.out.join(''))?.[1]) / 100;
    expect(accuracy).toBeGreaterThan(0.7);
  });

  it('prints the report table on stdout and one line per step and layer on a non-terminal stderr', () => {
    const out = io.out.join('');
    expect(out).toMatch(/conv2\s+conv2d\s+16x6x5x5\s+tucker2/);
    expect(out).toMatch(/fc1\s+linear\s+120x400\s+svd/);
    const err = io.err.join('');
    expect(err).toMatch(/^decompose: conv2 \(1\/3\) in [\d.]+ s$/m);
    expect(err).toMatch(/^calibrate: done in/m);
    expect(err).not.toContain('\r');
  });

  it('the HTML report names the compressed and the dense-kept layers', async () => {
    const html = await readFile(join(dir, 'report.html'), 'utf8');
    for (const name of ['conv2', 'fc1', 'fc2', 'conv1', 'fc3']) expect(html).toContain(`<td>${name}</td>`);
    expect(html).toContain('fmnist-lenet5.safetensors');
  });

  it('lowrank info lists the factorized layers with the same total parameters', async () => {
    const infoIo = recordingIo();
    expect(await runCli(['info', join(dir, 'small.safetensors')], infoIo)).toBe(EXIT.ok);
    const out = infoIo.out.join('');
    expect(out).toMatch(/conv2\.core\s+Conv2d/);
    expect(out).toMatch(/fc1\.first\s+Linear/);
    const engine = createEngine();
    const { model } = await loadModelFile(engine, join(dir, 'small.safetensors'), { command: 'test' });
    expect(out).toMatch(new RegExp(`^total\\s+${model.numParameters().toLocaleString('en-US')}\\s`, 'm'));
    model.dispose();
  });
});

describe('lowrank info on the dense LeNet-5', () => {
  it('gives each layer its params and MACs and the totals', async () => {
    const io = recordingIo();
    expect(await runCli(['info', LENET_SAFETENSORS], io)).toBe(EXIT.ok);
    const out = io.out.join('');
    // conv1: 6 x 1 x 5 x 5 weights at 28 x 28 outputs (padding 2).
    expect(out).toMatch(/conv1\s+Conv2d\s+6x1x5x5\s+156\s+117,600/);
    expect(out).toMatch(/fc1\s+Linear\s+120x400\s+48,120\s+48,000/);
    expect(out).toMatch(/^total\s+61,706\s/m);
  });
});

describe('failures write nothing', () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, remove } = await tempDir());
  });
  afterAll(() => remove());

  async function run(argv: string[]) {
    const io = recordingIo();
    const code = await runCli(argv, io);
    return { code, err: io.err.join(''), files: await readdir(dir) };
  }

  it('a model file that is not safetensors: exit 1, the file named, no output', async () => {
    const bad = join(dir, 'bad.safetensors');
    await writeFile(bad, 'not a safetensors file at all');
    const r = await run(['compress', bad, '-o', join(dir, 'out.onnx'), '--calib', '10', '--eval', '0']);
    expect(r.code).toBe(EXIT.failure);
    expect(r.err).toContain(`cannot read the model '${bad}'`);
    expect(r.files).toEqual(['bad.safetensors']);
  });

  it('a model file that does not exist: exit 2 (usage), no output', async () => {
    const r = await run(['compress', join(dir, 'missing.onnx'), '-o', join(dir, 'out.onnx')]);
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toMatch(/the model file '.*missing\.onnx' does not exist/);
    expect(r.files).toEqual(['bad.safetensors']);
  });

  it('an output directory that cannot be created into (it is a file): exit 2, nothing written', async () => {
    const r = await run([
      'compress',
      LENET_SAFETENSORS,
      '-o',
      join(dir, 'bad.safetensors', 'out.safetensors'),
    ]);
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toMatch(/-o\/--output .*: the directory .*bad\.safetensors does not exist/);
    expect(r.files).toEqual(['bad.safetensors']);
  });

  it('an output that is an existing directory: exit 2, nothing written', async () => {
    const taken = join(dir, 'taken.html');
    await mkdir(taken);
    try {
      const r = await run(['compress', LENET_SAFETENSORS, '-o', join(dir, 'out.onnx'), '--report', taken]);
      expect(r.code).toBe(EXIT.usage);
      expect(r.err).toContain(`--report '${taken}' is a directory`);
      expect(r.files.sort()).toEqual(['bad.safetensors', 'taken.html']);
    } finally {
      await rmdir(taken);
    }
  });

  it('a compression that fails after loading (an unknown --include layer): exit 1, no model, no report', async () => {
    const r = await run([
      'compress',
      LENET_SAFETENSORS,
      '-o',
      join(dir, 'out.safetensors'),
      '--report',
      join(dir, 'r.html'),
      '--include',
      'fc9',
      '--calib',
      '10',
      '--eval',
      '0',
    ]);
    expect(r.code).toBe(EXIT.failure);
    expect(r.err).toContain("'fc9' is not a Conv2d or Linear layer of the model");
    expect(r.files).toEqual(['bad.safetensors']);
  });

  it('a state dict loaded as the wrong --arch: exit 1 naming the architecture', async () => {
    const r = await run(['info', LENET_SAFETENSORS, '--arch', 'resnet8']);
    expect(r.code).toBe(EXIT.failure);
    expect(r.err).toMatch(/as --arch resnet8: loadStateDict: missing/);
  });
});

describe('the command line', () => {
  it('--help of each command goes to stdout with exit 0', async () => {
    for (const argv of [['--help'], ['compress', '--help'], ['info', '-h'], ['eval', '--help']]) {
      const io = recordingIo();
      expect(await runCli(argv, io)).toBe(EXIT.ok);
      expect(io.out.join('')).toMatch(/^(usage|lowrank)/);
    }
  });

  it('--version prints the package version', async () => {
    const io = recordingIo();
    expect(await runCli(['--version'], io)).toBe(EXIT.ok);
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
    expect(io.out.join('')).toBe(`${pkg.version}\n`);
  });

  it('no command, an unknown command or flag: exit 2 with the fix', async () => {
    for (const [argv, message] of [
      [[], /no command given/],
      [['shrink', 'm.onnx'], /unknown command 'shrink'; the commands are compress, info, eval/],
      [['info', 'm.onnx', '--ratio', '2'], /lowrank info: Unknown option '--ratio'/],
    ] as const) {
      const io = recordingIo();
      expect(await runCli([...argv], io)).toBe(EXIT.usage);
      expect(io.err.join('')).toMatch(message);
      expect(io.err.join('')).toMatch(/Run 'lowrank( \w+)? --help' for the options/);
    }
  });

  it('draws a progress bar in place on a terminal, and nothing with --quiet', async () => {
    const tty = recordingIo(true);
    expect(await runCli(['eval', LENET_SAFETENSORS, '--count', '500'], tty)).toBe(EXIT.ok);
    expect(tty.err.join('')).toContain('\r\x1b[Kevaluate [############............] 1/2 batches');
    const quiet = recordingIo(true);
    expect(await runCli(['eval', LENET_SAFETENSORS, '--count', '250', '-q'], quiet)).toBe(EXIT.ok);
    expect(quiet.err).toEqual([]);
    expect(quiet.out.join('')).toMatch(/accuracy [\d.]+% on 250 test images/);
  });
});
