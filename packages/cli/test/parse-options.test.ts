import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCompressOptions } from '../src/compress-command.js';
import { parseEvalOptions } from '../src/eval-command.js';
import { layerPatterns } from '../src/layer-patterns.js';
import { UsageError } from '../src/usage-error.js';

function usageError(run: () => unknown): UsageError {
  try {
    run();
  } catch (e) {
    if (e instanceof UsageError) return e;
    throw e;
  }
  throw new Error('expected a usage error');
}

describe('parseCompressOptions', () => {
  it('fills the documented defaults', () => {
    const o = parseCompressOptions(['m.onnx', '-o', 'out.safetensors']);
    expect(o).toMatchObject({
      model: 'm.onnx',
      output: 'out.safetensors',
      outputFormat: 'safetensors',
      decomposition: undefined,
      norm: 'sigma',
      selector: 'budget',
      ratio: 2,
      data: 'fashion-mnist',
      calib: 1000,
      eval: 1000,
      fineTuneEpochs: 0,
      seed: 0,
      quiet: false,
      include: [],
      exclude: [],
    });
  });

  it('reads every flag, lists comma-separated or repeated', () => {
    const o = parseCompressOptions([
      'm.safetensors',
      '--output=o.onnx',
      '--decomposition',
      'cp',
      '--norm',
      'frobenius',
      '--ranks',
      'vbmf',
      '--ratio',
      '3.5',
      '--include',
      'conv2,fc1',
      '--include',
      'fc2',
      '--exclude',
      'layer*',
      '--calib',
      '0',
      '--eval',
      '10',
      '--finetune-epochs',
      '2',
      '--finetune-images',
      '64',
      '--lr',
      '0.01',
      '--lambda',
      '0',
      '--report',
      'r.html',
      '--arch',
      'resnet8',
      '--seed',
      '7',
      '-q',
    ]);
    expect(o).toMatchObject({
      outputFormat: 'onnx',
      decomposition: 'cp',
      norm: 'frobenius',
      selector: 'vbmf',
      ratio: 3.5,
      include: ['conv2', 'fc1', 'fc2'],
      exclude: ['layer*'],
      calib: 0,
      eval: 10,
      fineTuneEpochs: 2,
      fineTuneImages: 64,
      lr: 0.01,
      lambda: 0,
      report: 'r.html',
      arch: 'resnet8',
      seed: 7,
      quiet: true,
    });
  });

  it.each([
    [['m.onnx'], /missing -o\/--output/],
    [[], /missing model file/],
    [['a.onnx', 'b.onnx', '-o', 'c.onnx'], /expected one model file/],
    [['m.onnx', '-o', 'out.pt'], /-o\/--output 'out.pt' must end in \.onnx/],
    [['m.h5', '-o', 'out.onnx'], /the model 'm.h5' must end in \.onnx/],
    [['m.onnx', '-o', 'o.onnx', '--bogus'], /Unknown option '--bogus'/],
    [['m.onnx', '-o', 'o.onnx', '--ratio'], /--ratio/],
    [['m.onnx', '-o', 'o.onnx', '--ratio', 'two'], /--ratio must be a positive number, got 'two'/],
    [['m.onnx', '-o', 'o.onnx', '--ratio', '1'], /--ratio is params before \/ after and must be > 1/],
    [
      ['m.onnx', '-o', 'o.onnx', '--decomposition', 'svd2'],
      /--decomposition must be one of tucker2, cp, svd, tt, tr; got 'svd2'/,
    ],
    [['m.onnx', '-o', 'o.onnx', '--norm', 'l1'], /--norm must be one of/],
    [['m.onnx', '-o', 'o.onnx', '--ranks', 'magic'], /--ranks must be one of budget, energy, vbmf, error/],
    [['m.onnx', '-o', 'o.onnx', '--calib=-3'], /--calib must be an integer >= 0, got '-3'/],
    [['m.onnx', '-o', 'o.onnx', '--calib', '1.5'], /--calib must be an integer/],
    [
      ['m.onnx', '-o', 'o.onnx', '--calib', '0'],
      /--norm sigma learns from calibration images; give --calib > 0 or use --norm frobenius$/,
    ],
    [
      ['m.onnx', '-o', 'o.onnx', '--calib', '0', '--norm', 'fisher'],
      /--norm fisher learns from calibration images; give --calib > 0 or use --norm frobenius$/,
    ],
    [
      ['m.onnx', '-o', 'o.onnx', '--calib', '0', '--norm', 'activation'],
      /--norm activation learns from calibration images/,
    ],
    [['m.onnx', '-o', 'o.onnx', '--finetune-images', '0'], /--finetune-images must be an integer >= 1/],
    [['m.onnx', '-o', 'o.onnx', '--lr', '0'], /--lr must be a positive number/],
    [['m.onnx', '-o', 'o.onnx', '--lambda=-1'], /--lambda must be a non-negative number/],
    [['m.onnx', '-o', 'o.onnx', '--report', 'r.pdf'], /--report 'r.pdf' must end in \.html/],
    [
      ['m.onnx', '-o', 'same.html.onnx', '--report', 'x/../same.html.onnx'],
      /--report 'x\/..\/same.html.onnx' must end in \.html/,
    ],
    [['m.onnx', '-o', 'o.onnx', '--arch', 'vgg'], /--arch must be one of lenet5, resnet8/],
    [['m.onnx', '-o', 'o.onnx', '--quiet=yes'], /--quiet/],
  ])('rejects %j as a usage error naming the flag', (argv, message) => {
    const e = usageError(() => parseCompressOptions(argv));
    expect(e.message).toMatch(message);
    expect(e.command).toBe('compress');
  });
});

describe('parseEvalOptions', () => {
  it('defaults to 1,000 bundled test images', () => {
    expect(parseEvalOptions(['m.safetensors'])).toMatchObject({
      count: 1000,
      data: 'fashion-mnist',
      onnxruntime: false,
    });
  });
  it('runs onnxruntime on .onnx models only', () => {
    expect(usageError(() => parseEvalOptions(['m.safetensors', '--onnxruntime'])).message).toMatch(
      /--onnxruntime runs \.onnx models only/,
    );
  });
  it('needs at least one image', () => {
    expect(usageError(() => parseEvalOptions(['m.onnx', '--count', '0'])).message).toMatch(
      /--count must be an integer >= 1/,
    );
  });
});

describe('layerPatterns', () => {
  const name = fc.stringMatching(/^[a-z0-9_]{1,6}(\.[a-z0-9_]{1,6}){0,3}$/);

  it('a plain name stays an exact name (exact match only)', () => {
    fc.assert(
      fc.property(name, (n) => {
        expect(layerPatterns([n])).toEqual([n]);
      }),
    );
  });

  it('a glob matches a name iff the name fits it: prefix* matches exactly the names starting with prefix', () => {
    fc.assert(
      fc.property(name, name, (prefix, other) => {
        const [pattern] = layerPatterns([`${prefix}*`]);
        expect(pattern).toBeInstanceOf(RegExp);
        const re = pattern as RegExp;
        expect(re.test(`${prefix}${other}`)).toBe(true);
        expect(re.test(other)).toBe(other.startsWith(prefix));
      }),
    );
  });

  it("'.' in a glob is literal and '?' is one character", () => {
    const [re] = layerPatterns(['layer?.c1']) as RegExp[];
    expect(re.test('layer1.c1')).toBe(true);
    expect(re.test('layer1xc1')).toBe(false);
    expect(re.test('layer12.c1')).toBe(false);
  });
});
