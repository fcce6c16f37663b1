import { spawn } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine } from '@lowrank/core';
import { FASHION_MNIST_NORMALIZATION, loadFashionMnist } from '@lowrank/fashion-mnist';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelFile } from '../src/model-file.js';
import { LENET_ONNX, tempDir } from './helpers.js';

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const DENSE_PARAMS = 61706;
const SAMPLES = 100;

/** Runs the built `lowrank` with node, as a user's shell would. */
function lowrank(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The first `SAMPLES` bundled test images, normalised as the reference models expect. */
async function testImages(): Promise<{ x: Float32Array; labels: Uint8Array }> {
  const set = await loadFashionMnist({ split: 'test' });
  const { scale, mean, std } = FASHION_MNIST_NORMALIZATION;
  const x = Float32Array.from(set.images.subarray(0, SAMPLES * 784), (p) => (p * scale - mean) / std);
  return { x, labels: set.labels.subarray(0, SAMPLES) };
}

describe('lowrank compress on the reference LeNet-5 ONNX file, through the bin', () => {
  let dir: string;
  let remove: () => Promise<void>;
  const args = (out: string) => [
    'compress',
    LENET_ONNX,
    '-o',
    out,
    '--calib',
    '250',
    '--eval',
    '250',
    '--seed',
    '3',
  ];
  let onnxRun: Awaited<ReturnType<typeof lowrank>>;
  let safetensorsRun: Awaited<ReturnType<typeof lowrank>>;

  beforeAll(async () => {
    ({ dir, remove } = await tempDir());
    onnxRun = await lowrank([...args(join(dir, 'small.onnx')), '--report', join(dir, 'report.html')]);
    // The same compression saved natively: our forward to compare onnxruntime's with.
    safetensorsRun = await lowrank(args(join(dir, 'small.safetensors')));
  });
  afterAll(() => remove());

  it('exits 0 and writes the model and the report', async () => {
    expect(onnxRun.stderr).not.toContain('error');
    expect(onnxRun.code).toBe(0);
    expect(safetensorsRun.code).toBe(0);
    expect((await readdir(dir)).sort()).toEqual(['report.html', 'small.onnx', 'small.safetensors']);
    expect(onnxRun.stdout).toMatch(/whole model: params 61706 -> \d+ \(2\.\d+x\)/);
  });

  it('the .onnx output reloads with about half the parameters (ratio 2 within 10%)', async () => {
    const engine = createEngine();
    const { model } = await loadModelFile(engine, join(dir, 'small.onnx'), { command: 'test' });
    const ratio = DENSE_PARAMS / model.numParameters();
    expect(ratio).toBeGreaterThan(1.8);
    expect(ratio).toBeLessThan(2.2);
    model.dispose();
  });

  it('onnxruntime-node runs the .onnx output and agrees with our forward of the compressed model (max |diff| <= 1e-4 * max |logit|), accuracy > 70%', async () => {
    const { x, labels } = await testImages();
    const session = await ort.InferenceSession.create(join(dir, 'small.onnx'));
    const outputs = await session.run({
      [session.inputNames[0]]: new ort.Tensor('float32', x, [SAMPLES, 1, 28, 28]),
    });
    const theirs = outputs[session.outputNames[0]].data as Float32Array;
    await session.release();

    const engine = createEngine();
    const { model } = await loadModelFile(engine, join(dir, 'small.safetensors'), { command: 'test' });
    model.eval();
    const logits = engine.noGrad(() => model.call(engine.fromData(x, [SAMPLES, 1, 28, 28])));
    const ours = (await logits.data()) as Float32Array;
    expect(theirs.length).toBe(ours.length);
    const scale = Math.max(...ours.map(Math.abs));
    const worst = Math.max(...ours.map((v, i) => Math.abs(v - theirs[i])));
    expect(worst).toBeLessThanOrEqual(1e-4 * scale);

    let correct = 0;
    for (let s = 0; s < SAMPLES; s++) {
      const row = theirs.subarray(s * 10, s * 10 + 10);
      if (row.indexOf(Math.max(...row)) === labels[s]) correct++;
    }
    expect(correct / SAMPLES).toBeGreaterThan(0.7);
    logits.dispose();
    model.dispose();
  });

  it('lowrank eval --onnxruntime gives the same accuracy as our runtime on the .onnx output', async () => {
    const r = await lowrank(['eval', join(dir, 'small.onnx'), '--count', '250', '--onnxruntime']);
    expect(r.code).toBe(0);
    const ours = /^accuracy ([\d.]+)%/m.exec(r.stdout)?.[1];
    const theirs = /^onnxruntime-node: accuracy ([\d.]+)%/m.exec(r.stdout)?.[1];
    expect(ours).toBeDefined();
    expect(theirs).toBe(ours);
  });
});

describe('the bin', () => {
  it('prints its version and help, exit 0', async () => {
    const version = await lowrank(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+/);
    const help = await lowrank(['compress', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: lowrank compress <model> -o <out>');
  });

  it('exits 2 on a usage error and 1 on a failure, with the message on stderr', async () => {
    const usage = await lowrank(['compress', LENET_ONNX, '--ratio', '2']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('missing -o/--output');
    const { dir, remove } = await tempDir();
    try {
      const bad = join(dir, 'bad.onnx');
      await writeFile(bad, new Uint8Array([1, 2, 3, 4]));
      const r = await lowrank(['compress', bad, '-o', join(dir, 'out.onnx'), '--calib', '10']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`cannot read the model '${bad}'`);
      expect(await readdir(dir)).toEqual(['bad.onnx']);
    } finally {
      await remove();
    }
  });
});
