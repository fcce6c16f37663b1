import { describe, expect, it } from 'vitest';
import { conv2d, nn, type Tensor } from '../src/index.js';
import { expectAllClose } from '../src/testing.js';
import * as ref from './reference.js';
import { f64, newEngine, values } from './util.js';

const { BatchNorm2d, Conv2d, Dropout, Flatten, Identity, Linear, ReLU, Residual, Sequential } = nn;

function lenetish(engine: ReturnType<typeof newEngine>) {
  return new Sequential(engine, [
    new Conv2d(engine, 1, 2, 3, { padding: 1 }),
    new BatchNorm2d(engine, 2),
    new ReLU(engine),
    new nn.MaxPool2d(engine, 2),
    new Residual(
      engine,
      new Sequential(engine, [new Conv2d(engine, 2, 2, [3, 1], { padding: [1, 0], bias: false })]),
      {
        shortcut: new Identity(engine),
        after: new nn.GELU(engine),
      },
    ),
    new nn.AdaptiveAvgPool2d(engine, 1),
    new Flatten(engine),
    new Dropout(engine, 0.25),
    new Linear(engine, 2, 3),
  ]);
}

describe('Module naming and state', () => {
  it("names parameters and buffers as PyTorch's state_dict, in its order (own parameters, own buffers, then children)", () => {
    const engine = newEngine();
    const model = lenetish(engine);
    expect([...model.stateDict().keys()]).toEqual([
      '0.weight',
      '0.bias',
      '1.weight',
      '1.bias',
      '1.running_mean',
      '1.running_var',
      '1.num_batches_tracked',
      '4.main.0.weight',
      '8.weight',
      '8.bias',
    ]);
    expect(model.namedParameters().map(([n]) => n)).toEqual([
      '0.weight',
      '0.bias',
      '1.weight',
      '1.bias',
      '4.main.0.weight',
      '8.weight',
      '8.bias',
    ]);
    expect(model.namedBuffers().map(([n]) => n)).toEqual([
      '1.running_mean',
      '1.running_var',
      '1.num_batches_tracked',
    ]);
    expect(model.namedModules().map(([n]) => n)).toEqual([
      '',
      '0',
      '1',
      '2',
      '3',
      '4',
      '4.main',
      '4.main.0',
      '4.shortcut',
      '4.after',
      '5',
      '6',
      '7',
      '8',
    ]);
    expect(model.numParameters()).toBe(2 * 9 + 2 + 2 + 2 + 2 * 2 * 3 + 2 * 3 + 3);
    for (const p of model.parameters()) expect(p.requiresGrad).toBe(true);
    for (const [, b] of model.namedBuffers()) expect(b.requiresGrad).toBe(false);
    expect(model.stateDict().get('1.num_batches_tracked')!.dtype).toBe('int32');
  });

  it('train() and eval() set the mode of the whole tree; Dropout is the identity in eval', () => {
    const engine = newEngine();
    const model = lenetish(engine);
    model.eval();
    expect(model.namedModules().every(([, m]) => !m.training)).toBe(true);
    model.train();
    expect(model.namedModules().every(([, m]) => m.training)).toBe(true);
    const drop = new Dropout(engine, 0.5);
    const x = engine.ones([100]);
    const y = values(drop.call(x));
    expect(y.every((v) => v === 0 || v === 2)).toBe(true);
    expect(y.some((v) => v === 0)).toBe(true);
    drop.eval();
    expect(values(drop.call(x))).toEqual(values(x));
    expect(() => new Dropout(engine, 1)).toThrow('Dropout: p must be in [0, 1), got 1');
  });

  it('replaceModule swaps a child (and errors naming the children when absent); dispose frees everything', () => {
    const engine = newEngine();
    const m0 = engine.memory();
    const model = new Sequential(engine, [new Linear(engine, 2, 2), new ReLU(engine)]);
    model.replaceModule('1', new nn.Tanh(engine));
    expect(model.layers[1].typeName).toBe('Tanh');
    expect(() => model.replaceModule('5', new ReLU(engine))).toThrow(
      "Sequential: no child module '5' (children: 0, 1)",
    );
    model.dispose();
    expect(engine.memory()).toEqual(m0);
  });
});

describe('layers', () => {
  it("Linear computes x W^T + b over leading batch axes, with PyTorch's init bounds", () => {
    const engine = newEngine(1);
    const lin = new Linear(engine, 4, 3);
    const bound = 1 / Math.sqrt(4);
    expect(values(lin.weight).every((v) => Math.abs(v) <= bound)).toBe(true);
    expect(values(lin.bias!).every((v) => Math.abs(v) <= bound)).toBe(true);
    const x = engine.rand([2, 5, 4], { seed: 3, low: -1 });
    const y = lin.call(x);
    expect(y.shape).toEqual([2, 5, 3]);
    const want = ref.binary(
      ref.matmul(x.dataSync(), [2, 5, 4], lin.weight.dataSync(), [3, 4], false, true).data,
      [2, 5, 3],
      lin.bias!.dataSync(),
      [3],
      (a, b) => a + b,
    );
    expectAllClose(y.dataSync(), want.data, { rtol: 1e-5, atol: 1e-6 });
    expect(new Linear(engine, 4, 3, { bias: false }).bias).toBeNull();
    expect(() => lin.call(engine.zeros([2, 5]))).toThrow('Linear(4 -> 3): input [2, 5] does not end in 4');
  });

  it('Conv2d applies conv2d with its options and parameters (groups, dilation, 4-sided padding)', () => {
    const engine = newEngine(2);
    const conv = new Conv2d(engine, 4, 6, [3, 2], {
      stride: [2, 1],
      padding: [1, 0, 2, 1],
      dilation: [1, 2],
      groups: 2,
    });
    expect(conv.weight.shape).toEqual([6, 2, 3, 2]);
    const x = engine.rand([2, 4, 7, 6], { seed: 4 });
    const y = conv.call(x);
    const want = conv2d(x, conv.weight, conv.bias, {
      stride: [2, 1],
      padding: [1, 0, 2, 1],
      dilation: [1, 2],
      groups: 2,
    });
    expect(values(y)).toEqual(values(want));
    expect(conv.config()).toEqual({
      inChannels: 4,
      outChannels: 6,
      kernelSize: [3, 2],
      stride: [2, 1],
      padding: [1, 0, 2, 1],
      dilation: [1, 2],
      groups: 2,
      bias: true,
      dtype: 'float32',
    });
    expect(() => new Conv2d(engine, 3, 6, 3, { groups: 2 })).toThrow(
      'Conv2d: groups=2 must divide inChannels=3 and outChannels=6',
    );
    expect(() => conv.call(engine.zeros([2, 3, 7, 6]))).toThrow(
      'Conv2d(4 -> 6): expected input [N, 4, H, W], got [2, 3, 7, 6]',
    );
  });

  it('BatchNorm2d normalises by the biased batch variance and updates running stats like PyTorch (unbiased variance, momentum 0.1)', () => {
    const engine = newEngine();
    const bn = new BatchNorm2d(engine, 2);
    bn.weight!.assign(engine.tensor([2, 0.5]));
    bn.bias!.assign(engine.tensor([0.1, -0.3]));
    const batches = [
      engine.rand([3, 2, 2, 2], { seed: 1, low: -2, high: 3 }),
      engine.rand([3, 2, 2, 2], { seed: 2, low: -1 }),
    ];
    let rm = [0, 0];
    let rv = [1, 1];
    for (const [step, x] of batches.entries()) {
      const d = x.dataSync();
      const perChannel = [0, 1].map((c) =>
        [...ref.indices([3, 2, 2, 2])].filter((i) => i[1] === c).map((i) => d[ref.flat(i, [3, 2, 2, 2])]),
      );
      const mean = perChannel.map((v) => v.reduce((a, b) => a + b, 0) / v.length);
      const biased = perChannel.map((v, c) => v.reduce((a, b) => a + (b - mean[c]) ** 2, 0) / v.length);
      const unbiased = perChannel.map((v, c) => (biased[c] * v.length) / (v.length - 1));
      const y = bn.call(x);
      const w = [2, 0.5];
      const b = [0.1, -0.3];
      const want = Array.from(d, (v, k) => {
        const c = Math.floor(k / 4) % 2;
        return ((v - mean[c]) / Math.sqrt(biased[c] + 1e-5)) * w[c] + b[c];
      });
      expectAllClose(y.dataSync(), want, { rtol: 1e-5, atol: 1e-5 });
      rm = rm.map((m, c) => 0.9 * m + 0.1 * mean[c]);
      rv = rv.map((v, c) => 0.9 * v + 0.1 * unbiased[c]);
      expectAllClose(bn.runningMean.dataSync(), rm, { rtol: 1e-6, atol: 1e-7 });
      expectAllClose(bn.runningVar.dataSync(), rv, { rtol: 1e-6, atol: 1e-7 });
      expect(bn.numBatchesTracked.itemSync()).toBe(step + 1);
    }
    // evaluation uses the running statistics and leaves them alone
    bn.eval();
    const x = engine.rand([1, 2, 2, 2], { seed: 9 });
    const y = bn.call(x);
    const want = Array.from(x.dataSync(), (v, k) => {
      const c = Math.floor(k / 4);
      return ((v - rm[c]) / Math.sqrt(rv[c] + 1e-5)) * [2, 0.5][c] + [0.1, -0.3][c];
    });
    expectAllClose(y.dataSync(), want, { rtol: 1e-5, atol: 1e-6 });
    expect(bn.numBatchesTracked.itemSync()).toBe(2);
    expectAllClose(bn.runningMean.dataSync(), rm, { rtol: 1e-6, atol: 1e-7 });
    expect(() => bn.call(engine.zeros([1, 3, 2, 2]))).toThrow(
      'BatchNorm2d(2): expected input [N, 2, H, W], got [1,3,2,2]',
    );
  });

  it('Sequential and Residual compose their children; Identity and an empty Sequential pass through', () => {
    const engine = newEngine(5);
    const a = new Linear(engine, 3, 3);
    const b = new Linear(engine, 3, 3);
    const seq = new Sequential(engine, [a, new ReLU(engine), b]);
    const x = engine.rand([2, 3], { seed: 1, low: -1 });
    const manual = b.call(a.call(x).relu());
    expect(values(seq.call(x))).toEqual(values(manual));
    const res = new Residual(engine, seq, {
      shortcut: new Linear(engine, 3, 3),
      after: new nn.Sigmoid(engine),
    });
    const short = res.shortcut!.call(x);
    expectAllClose(
      res.call(x).dataSync(),
      values(seq.call(x).add(short)).map((v) => 1 / (1 + Math.exp(-v))),
      { rtol: 1e-6, atol: 1e-7 },
    );
    expect(values(new Residual(engine, new Identity(engine)).call(x))).toEqual(values(x.mul(2)));
    expect(values(new Sequential(engine).call(x))).toEqual(values(x));
  });

  it('forward hooks see the module, its inputs and its output, also inside containers, and can be removed', () => {
    const engine = newEngine();
    const lin = new Linear(engine, 2, 2);
    const seq = new Sequential(engine, [lin, new ReLU(engine)]);
    const seen: [string, number[], number[]][] = [];
    const remove = lin.addForwardHook((m, inputs, output) =>
      seen.push([m.typeName, [...inputs[0].shape], [...output.shape]]),
    );
    const x = engine.ones([3, 2]);
    seq.call(x);
    expect(seen).toEqual([['Linear', [3, 2], [3, 2]]]);
    remove();
    seq.call(x);
    expect(seen.length).toBe(1);
  });
});

describe('descriptions and serialisation', () => {
  it('describe / buildModule round-trips the tree (types and configs)', () => {
    const engine = newEngine();
    const model = lenetish(engine);
    const d = model.describe();
    expect(d.type).toBe('Sequential');
    expect(d.children!['4'].children!.main.children!['0'].config).toMatchObject({
      kernelSize: [3, 1],
      padding: [1, 1, 0, 0],
      bias: false,
    });
    const rebuilt = nn.buildModule(engine, JSON.parse(JSON.stringify(d)));
    expect(rebuilt.describe()).toEqual(d);
    expect([...rebuilt.stateDict().keys()]).toEqual([...model.stateDict().keys()]);
    for (const [name, t] of rebuilt.stateDict()) expect(t.shape).toEqual(model.stateDict().get(name)!.shape);
  });

  it('buildModule names an unknown type with its path and takes extra builders', () => {
    const engine = newEngine();
    const desc = {
      type: 'Sequential',
      config: {},
      children: { '0': { type: 'LowRankLinear', config: { rank: 2 } } },
    };
    expect(() => nn.buildModule(engine, desc)).toThrow(
      /no builder for module type 'LowRankLinear' at '0'; known: Linear, Conv2d/,
    );
    const built = nn.buildModule(engine, desc, {
      LowRankLinear: (e, c) => new Linear(e, c.rank as number, 1),
    });
    expect((built as InstanceType<typeof Sequential>).layers[0]).toBeInstanceOf(Linear);
  });

  it('saveModule / loadModule round-trips weights, buffers (running stats, int32 counter) and outputs', async () => {
    const engine = newEngine(7);
    const model = lenetish(engine);
    const x = engine.rand([2, 1, 6, 6], { seed: 3 });
    model.call(x); // moves the running statistics
    model.eval();
    const bytes = await nn.saveModule(model);
    const other = newEngine(99);
    const loaded = nn.loadModule(other, bytes);
    loaded.eval();
    for (const [name, t] of model.stateDict()) {
      const u = loaded.stateDict().get(name)!;
      expect(u.dtype).toBe(t.dtype);
      expect(values(u)).toEqual(values(t));
    }
    const x2 = other.fromData(Float32Array.from(x.dataSync()), x.shape);
    expect(values(loaded.call(x2))).toEqual(values(model.call(x)));
    // weights alone load into a freshly built module
    const fresh = nn.buildModule(other, model.describe());
    nn.loadWeights(fresh, bytes);
    expect(values(fresh.stateDict().get('8.weight')!)).toEqual(values(model.stateDict().get('8.weight')!));
  });

  it('loadStateDict is strict by default, naming missing and unexpected entries; non-strict loads what matches', () => {
    const engine = newEngine();
    const lin = new Linear(engine, 2, 2);
    const w = engine.tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(() =>
      lin.loadStateDict(
        new Map([
          ['weight', w],
          ['extra', w],
        ]),
      ),
    ).toThrow('loadStateDict: missing bias; unexpected extra');
    lin.loadStateDict(new Map([['weight', w]]), { strict: false });
    expect(values(lin.weight)).toEqual([1, 2, 3, 4]);
    // float64 values convert to the parameter's dtype
    lin.loadStateDict(
      new Map([
        ['weight', f64(engine, [5, 6, 7, 8], [2, 2])],
        ['bias', f64(engine, [1, 1], [2])],
      ]),
    );
    expect(lin.weight.dtype).toBe('float32');
    expect(values(lin.weight)).toEqual([5, 6, 7, 8]);
  });

  it('loadStateDict is atomic: a bad entry (wrong shape, disposed tensor) leaves every parameter unchanged', () => {
    const engine = newEngine();
    const seq = new Sequential(engine, [new Linear(engine, 2, 2), new Linear(engine, 2, 1)]);
    const before = new Map([...seq.stateDict()].map(([n, t]) => [n, values(t)]));
    const good = (n: string) => engine.zeros(seq.stateDict().get(n)!.shape);
    const state = new Map<string, Tensor>([...seq.stateDict().keys()].map((n) => [n, good(n)]));
    state.set('1.weight', engine.zeros([2, 1]));
    expect(() => seq.loadStateDict(state)).toThrow(
      "loadStateDict: '1.weight' has shape [2, 1], expected [1, 2]",
    );
    const disposed = good('1.bias');
    disposed.dispose();
    state.set('1.weight', good('1.weight'));
    state.set('1.bias', disposed);
    expect(() => seq.loadStateDict(state)).toThrow(/'1.bias'.*disposed/);
    for (const [n, t] of seq.stateDict()) expect(values(t)).toEqual(before.get(n));
    state.set('1.bias', good('1.bias'));
    seq.loadStateDict(state);
    for (const [, t] of seq.stateDict()) expect(values(t).every((v) => v === 0)).toBe(true);
  });
});
