import { describe, expect, it } from 'vitest';
import type { Engine } from '../src/engine.js';
import * as ops from '../src/index.js';
import { nn, optim, type Tensor } from '../src/index.js';
import { newEngine } from './util.js';

/** Everything the ops below take, made before the memory baseline is read. */
interface Inputs {
  x: Tensor; // [2, 3, 4, 4]
  w: Tensor; // [3, 3, 3, 3]
  positive: Tensor; // [2, 3, 4, 4], > 0
  row: Tensor; // [4]
  exponent: Tensor; // [1, 1, 1, 4]
  cond: Tensor; // [2, 3, 4, 4] of 0/1
  withUnit: Tensor; // [2, 1, 4, 4]
  indices: Tensor; // int32 [3]
  logits: Tensor; // [8, 12]
  labels: Tensor; // int32 [8]
  target: Tensor; // [2, 3, 4, 4]
  bias: Tensor; // [3]
  runningMean: Tensor; // [3]
  runningVar: Tensor; // [3]
}

type Op = (i: Inputs) => Tensor | Tensor[];

/** Each op once, on prepared inputs: whatever it allocates internally must be freed. */
const OPS: Record<string, Op> = {
  exp: (i) => ops.exp(i.x),
  gelu: (i) => ops.gelu(i.x),
  abs: (i) => ops.abs(i.x),
  'add (number)': (i) => ops.add(i.x, 1),
  'sub (number first)': (i) => ops.sub(1, i.x),
  'mul (broadcast)': (i) => ops.mul(i.x, i.row),
  div: (i) => ops.div(i.x, i.positive),
  'pow (broadcast tensor exponent)': (i) => ops.pow(i.positive, i.exponent),
  'pow (number exponent)': (i) => ops.pow(i.positive, 3),
  maximum: (i) => ops.maximum(i.x, 0.1),
  clamp: (i) => ops.clamp(i.x, -0.5, 0.5),
  'where (tensor, number)': (i) => ops.where(i.cond, i.x, 0),
  'where (broadcast tensors)': (i) => ops.where(i.cond, i.x, i.row),
  cast: (i) => ops.cast(i.x, 'float32'),
  'sum (keepDims)': (i) => ops.sum(i.x, [1, 2], true),
  mean: (i) => ops.mean(i.x, 1),
  max: (i) => ops.max(i.x, -1),
  'min (keepDims)': (i) => ops.min(i.x, 0, true),
  prod: (i) => ops.prod(i.x, 3),
  variance: (i) => ops.variance(i.x, [2, 3]),
  std: (i) => ops.std(i.x),
  'norm 1': (i) => ops.norm(i.x, 1),
  'norm 2': (i) => ops.norm(i.x, 2, 1),
  'norm inf': (i) => ops.norm(i.x, Number.POSITIVE_INFINITY),
  logSumExp: (i) => ops.logSumExp(i.x, 1),
  argmax: (i) => ops.argmax(i.x, 1),
  reshape: (i) => ops.reshape(i.x, [6, -1]),
  flatten: (i) => ops.flatten(i.x, 1),
  expandDims: (i) => ops.expandDims(i.x, 0),
  squeeze: (i) => ops.squeeze(i.withUnit, 1),
  transpose: (i) => ops.transpose(i.x, [0, 2, 3, 1]),
  'slice (negative step, index)': (i) => ops.slice(i.x, [null, 1, [null, null, -2]]),
  concat: (i) => ops.concat([i.x, i.target], 1),
  stack: (i) => ops.stack([i.x, i.target], -1),
  split: (i) => ops.split(i.x, [1, 2], 1),
  gather: (i) => ops.gather(i.x, i.indices, 1),
  pad: (i) =>
    ops.pad(
      i.x,
      [
        [0, 0],
        [1, 0],
        [1, 1],
      ],
      0.5,
    ),
  broadcastTo: (i) => ops.broadcastTo(i.x, [2, 2, 3, 4, 4]),
  oneHot: (i) => ops.oneHot(i.labels, 12),
  'matmul (batched)': (i) => ops.matmul(i.x, i.target, { transB: true }),
  'matmul (1-d)': (i) => ops.matmul(i.x, i.row),
  einsum: (i) => ops.einsum('nchw,ocij->nohw', i.x, i.w),
  conv2d: (i) => ops.conv2d(i.x, i.w, null, { padding: 1 }),
  'conv2d (bias)': (i) => ops.conv2d(i.x, i.w, i.bias, { padding: [1, 0, 0, 1] }),
  maxPool2d: (i) => ops.maxPool2d(i.x, 2),
  avgPool2d: (i) => ops.avgPool2d(i.x, 3, { stride: 1, padding: 1 }),
  adaptiveAvgPool2d: (i) => ops.adaptiveAvgPool2d(i.x, 3),
  adaptiveMaxPool2d: (i) => ops.adaptiveMaxPool2d(i.x, [3, 2]),
  softmax: (i) => ops.softmax(i.x, 1),
  logSoftmax: (i) => ops.logSoftmax(i.x),
  crossEntropy: (i) => ops.crossEntropy(i.logits, i.labels, { labelSmoothing: 0.1 }),
  'crossEntropy (none)': (i) => ops.crossEntropy(i.logits, i.labels, { reduction: 'none' }),
  nllLoss: (i) => ops.nllLoss(i.logits, i.labels),
  mseLoss: (i) => ops.mseLoss(i.x, i.target),
  'batchNorm (training, running stats)': (i) =>
    ops.batchNorm(i.x, {
      training: true,
      runningMean: i.runningMean,
      runningVar: i.runningVar,
      weight: i.bias,
      bias: i.bias,
    }),
  'batchNorm (eval)': (i) =>
    ops.batchNorm(i.x, { training: false, runningMean: i.runningMean, runningVar: i.runningVar }),
  dropout: (i) => ops.dropout(i.x, 0.3),
  'dropout (eval)': (i) => ops.dropout(i.x, 0.3, false),
};

function inputs(e: Engine, grad: boolean): Inputs {
  const r = (shape: number[], seed: number, low = -1) => e.rand(shape, { dtype: 'float64', seed, low });
  const i: Inputs = {
    x: r([2, 3, 4, 4], 1),
    w: r([3, 3, 3, 3], 2),
    positive: r([2, 3, 4, 4], 3, 0.5),
    row: r([4], 4),
    exponent: r([1, 1, 1, 4], 5),
    cond: e.fromData(
      Float64Array.from({ length: 96 }, (_, k) => k % 2),
      [2, 3, 4, 4],
    ),
    withUnit: r([2, 1, 4, 4], 6),
    indices: e.tensor(new Int32Array([2, 0, 2])),
    logits: r([8, 12], 7),
    labels: e.tensor(new Int32Array([0, 1, 2, 3, 4, 5, 6, 11])),
    target: r([2, 3, 4, 4], 8),
    bias: r([3], 9, 0.5),
    runningMean: e.zeros([3], 'float64'),
    runningVar: e.ones([3], 'float64'),
  };
  if (grad) {
    for (const k of [
      'x',
      'w',
      'positive',
      'row',
      'exponent',
      'withUnit',
      'logits',
      'target',
      'bias',
    ] as const)
      i[k].requireGrad();
  }
  return i;
}

function clearGrads(i: Inputs): void {
  for (const t of Object.values(i)) {
    t.grad?.dispose();
    t.grad = null;
  }
}

const asList = (y: Tensor | Tensor[]) => (Array.isArray(y) ? y : [y]);

describe('no leaks', () => {
  for (const [name, op] of Object.entries(OPS)) {
    it(`${name}: memory returns to the baseline after disposing the outputs (no tidy, no gradients)`, () => {
      const e = newEngine();
      const i = inputs(e, false);
      const m0 = e.memory();
      for (const t of asList(op(i))) t.dispose();
      expect(e.memory()).toEqual(m0);
    });

    it(`${name}: memory returns to the baseline after forward + backward outside tidy, disposing outputs and gradients`, () => {
      const e = newEngine();
      const i = inputs(e, true);
      const m0 = e.memory();
      const ys = asList(op(i));
      if (ys[0].requiresGrad) {
        const seed = e.onesLike(ys[0]);
        ys[0].backward(seed);
        seed.dispose();
        expect(i.x.grad ?? i.logits.grad ?? i.positive.grad ?? i.withUnit.grad).not.toBeNull();
      }
      for (const y of ys) y.dispose();
      clearGrads(i);
      expect(e.memory()).toEqual(m0);
    });

    it(`${name}: a tidy around forward + gradients() leaves nothing behind and releases the graph`, () => {
      const e = newEngine();
      const i = inputs(e, true);
      const m0 = e.memory();
      const nodes: { released: boolean }[] = [];
      e.tidy(() => {
        const ys = asList(op(i));
        for (const y of ys) if (y.node) nodes.push(y.node);
        if (ys[0].requiresGrad) e.gradients(ys[0], [i.x, i.w, i.logits], { grad: e.onesLike(ys[0]) });
      });
      expect(e.memory()).toEqual(m0);
      for (const n of nodes) expect(n.released).toBe(true);
    });
  }

  it('a tidy that returns a tensor without running backward keeps only the graph that tensor needs', () => {
    const e = newEngine();
    const { x, w } = inputs(e, true);
    const m0 = e.memory();
    let side: Tensor | null = null;
    const loss = e.tidy(() => {
      side = ops.exp(x); // not returned: its node is released
      return ops.sum(ops.conv2d(ops.relu(x), w));
    });
    expect(side!.isDisposed).toBe(true);
    expect(side!.node!.released).toBe(true);
    expect(loss.node!.released).toBe(false);
    loss.backward();
    expect(x.grad!.shape).toEqual([2, 3, 4, 4]);
    loss.dispose();
    x.grad!.dispose();
    x.grad = null;
    w.grad!.dispose();
    w.grad = null;
    expect(e.memory()).toEqual(m0);
  });

  it('a small CNN: forward + backward in tidy leaves only the parameter gradients; an SGD step and zeroGrad return to parameters + optimizer state', () => {
    const e = newEngine(3);
    const model = new nn.Sequential(e, [
      new nn.Conv2d(e, 1, 4, 3, { padding: 1 }),
      new nn.BatchNorm2d(e, 4),
      new nn.ReLU(e),
      new nn.MaxPool2d(e, 2),
      new nn.Residual(e, new nn.Sequential(e, [new nn.Conv2d(e, 4, 4, 3, { padding: 1 }), new nn.GELU(e)])),
      new nn.AdaptiveAvgPool2d(e, 2),
      new nn.Flatten(e),
      new nn.Dropout(e, 0.2),
      new nn.Linear(e, 16, 3),
    ]);
    const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
    const x = e.randn([4, 1, 8, 8]);
    const labels = e.tensor(new Int32Array([0, 1, 2, 1]));
    const m0 = e.memory();
    const params = model.parameters();
    for (let step = 0; step < 2; step++) {
      const lossValue = e.tidy(() => {
        const loss = ops.crossEntropy(model.call(x), labels);
        loss.backward();
        return loss.itemSync();
      });
      expect(Number.isFinite(lossValue)).toBe(true);
      expect(e.memory().tensors).toBe(m0.tensors + params.length + (step > 0 ? params.length : 0));
      opt.step();
      opt.zeroGrad();
      // parameters were replaced in place; the momentum buffers are the only new tensors
      expect(e.memory().tensors).toBe(m0.tensors + params.length);
    }
    opt.dispose();
    expect(e.memory()).toEqual(m0);
  });

  it('gradient checks leave nothing allocated', () => {
    const e = newEngine();
    const { x, w } = inputs(e, false);
    const m0 = e.memory();
    // imported lazily to keep this file about the engine
    return import('../src/testing.js').then(({ checkGradients }) => {
      checkGradients(e, (a, b) => ops.conv2d(a, b, null, { padding: 1 }), [ops.slice(x, [[0, 1]]), w]);
      // the slice above is the only new tensor
      expect(e.memory().tensors).toBe(m0.tensors + 1);
    });
  });
});
