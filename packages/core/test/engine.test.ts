import { describe, expect, it } from 'vitest';
import type { Backend } from '../src/backend.js';
import { CpuBackend } from '../src/backends/cpu/cpu-backend.js';
import {
  add,
  type BackendPlugin,
  createEngine,
  exp,
  type KernelName,
  matmul,
  mul,
  type NormPlugin,
  type RankSelectorPlugin,
  sum,
} from '../src/index.js';
import { f64, newEngine, values } from './util.js';

/** A norm that collects nothing and measures in Frobenius, for registry tests. */
const normStub = (name: string, setup?: NormPlugin['setup']): NormPlugin => ({
  kind: 'norm',
  name,
  setup,
  collector: () => ({ attach() {}, detach() {}, statistics: () => new Map() }),
  metric: () => ({ kind: 'frobenius' }),
});

/** A rank selector that selects nothing, for registry tests. */
const rankSelector = (name: string): RankSelectorPlugin => ({
  kind: 'rank',
  name,
  select: async () => ({
    layers: [],
    total: { before: { params: 0, flops: 0 }, after: { params: 0, flops: 0 } },
  }),
});

describe('plugin registry', () => {
  it('registers plugins by kind and name and calls setup with the engine', () => {
    const engine = newEngine();
    let seen: unknown = null;
    engine.use(normStub('frobenius', (e) => (seen = e)));
    expect(seen).toBe(engine);
    expect(engine.plugins.has('norm', 'frobenius')).toBe(true);
    expect(engine.plugins.has('rank', 'frobenius')).toBe(false);
    expect(engine.plugins.get('norm', 'frobenius').name).toBe('frobenius');
    expect(engine.plugins.list('norm').map((p) => p.name)).toEqual(['frobenius']);
  });

  it('names the registered plugins of that kind when a name is unknown', () => {
    const engine = newEngine();
    engine.use(rankSelector('energy')).use(rankSelector('vbmf'));
    expect(() => engine.plugins.get('rank', 'fixed')).toThrow(
      "No rank plugin named 'fixed' is registered; registered: energy, vbmf",
    );
    expect(() => engine.plugins.get('decomposition', 'cp')).toThrow(/none is registered/);
  });

  it('rejects a duplicate name of the same kind, listing what is registered, but allows it for another kind', () => {
    const engine = newEngine();
    engine.use(rankSelector('energy'));
    expect(() => engine.use(rankSelector('energy'))).toThrow(
      "a rank plugin named 'energy' is already registered (registered rank plugins: energy)",
    );
    expect(() => engine.use(normStub('energy'))).not.toThrow();
  });

  it('rejects unknown kinds (listing the known ones), empty names and non-objects', () => {
    const engine = newEngine();
    // biome-ignore lint/suspicious/noExplicitAny: deliberately malformed plugins
    const use = (p: any) => () => engine.use(p);
    expect(use({ kind: 'optimizer', name: 'sgd' })).toThrow(
      /unknown kind 'optimizer'; known kinds: backend, decomposition, norm, rank, trainer/,
    );
    expect(use(normStub(''))).toThrow(/non-empty string name/);
    expect(use(null)).toThrow(/expected a plugin object, got null/);
  });

  it('switches to a backend plugin only while no tensor is alive', async () => {
    const engine = newEngine();
    const plugin: BackendPlugin = { kind: 'backend', name: 'cpu2', create: () => new CpuBackend() };
    engine.use(plugin);
    const t = engine.ones([2]);
    await expect(engine.setBackend('cpu2')).rejects.toThrow(/1 tensors are alive on 'cpu'/);
    t.dispose();
    const before = engine.backend;
    await engine.setBackend('cpu2');
    expect(engine.backend).not.toBe(before);
    await expect(engine.setBackend('webgpu')).rejects.toThrow(
      "No backend plugin named 'webgpu' is registered; registered: cpu2",
    );
  });
});

describe('kernels and backends', () => {
  it('names the missing kernel and lists what the backend implements', () => {
    const cpu = new CpuBackend();
    const kernels = new Set<KernelName>(['unary', 'binary']);
    const partial: Backend = {
      name: 'partial',
      dtypes: cpu.dtypes,
      kernels,
      runKernel: (n, i, a) => cpu.runKernel(n, i, a),
      write: (v, s, d) => cpu.write(v, s, d),
      read: (id) => cpu.read(id),
      readSync: (id) => cpu.readSync(id),
      incRef: (id) => cpu.incRef(id),
      decRef: (id) => cpu.decRef(id),
      memory: () => cpu.memory(),
      sync: () => cpu.sync(),
      dispose: () => cpu.dispose(),
    };
    const engine = createEngine({ backend: partial });
    const a = engine.ones([2, 2]);
    expect(values(exp(a))).toEqual([Math.E, Math.E, Math.E, Math.E].map(Math.fround));
    expect(() => matmul(a, a)).toThrow(
      "The 'partial' backend has no kernel 'matmul' (it implements: unary, binary)",
    );
  });

  it('refuses tensors of another engine', () => {
    const e1 = newEngine();
    const e2 = newEngine();
    const a = e1.ones([2]);
    const b = e2.ones([2]);
    expect(() => add(a, b)).toThrow(/belongs to another engine/);
  });

  it('refuses dtypes the backend does not store', () => {
    const cpu = new CpuBackend();
    const engine = createEngine({
      backend: Object.assign(Object.create(cpu), { dtypes: ['float32', 'int32'] }),
    });
    expect(() => engine.zeros([2], 'float64')).toThrow(
      "The 'cpu' backend does not store float64 (it has float32, int32)",
    );
  });
});

describe('creation and reading', () => {
  it('infers shape and dtype, and rejects values that do not fill the shape', () => {
    const engine = newEngine();
    const a = engine.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(a.shape).toEqual([2, 3]);
    expect(a.dtype).toBe('float32');
    expect(engine.tensor(new Int32Array([1, 2])).dtype).toBe('int32');
    expect(engine.tensor(new Float64Array([1, 2]), [2, 1]).shape).toEqual([2, 1]);
    expect(engine.tensor(3).shape).toEqual([]);
    expect(() => engine.tensor([1, 2, 3], [2, 2])).toThrow('tensor: 3 values do not fill shape [2, 2]');
    expect(() => engine.zeros([2, -1])).toThrow(/invalid shape \[2, -1\]/);
    expect(() => engine.zeros([1.5])).toThrow(/non-negative integers/);
  });

  it('makes ranges, identities, constants and seeded random tensors', () => {
    const engine = newEngine(3);
    expect(values(engine.arange(5))).toEqual([0, 1, 2, 3, 4]);
    expect(values(engine.arange(1, 2, 0.25, 'float64'))).toEqual([1, 1.25, 1.5, 1.75]);
    expect(values(engine.arange(5, 0, -2))).toEqual([5, 3, 1]);
    expect(() => engine.arange(0, 1, 0)).toThrow(/step must not be 0/);
    expect(values(engine.eye(2, 3))).toEqual([1, 0, 0, 0, 1, 0]);
    expect(values(engine.full([2], 7, 'int32'))).toEqual([7, 7]);
    const r1 = engine.rand([50], { seed: 9, low: -2, high: 3, dtype: 'float64' });
    const r2 = engine.rand([50], { seed: 9, low: -2, high: 3, dtype: 'float64' });
    expect(values(r1)).toEqual(values(r2));
    expect(values(r1).every((v) => v >= -2 && v < 3)).toBe(true);
    engine.seed(4);
    const n1 = values(engine.randn([20]));
    engine.seed(4);
    expect(values(engine.randn([20]))).toEqual(n1);
    expect(values(createEngine({ seed: 4 }).randn([20]))).toEqual(n1);
  });

  it("reads values with data, dataSync, item, itemSync and toArray; copies are the caller's", async () => {
    const engine = newEngine();
    const a = engine.tensor(
      [
        [1, 2],
        [3, 4],
      ],
      undefined,
      'float64',
    );
    const copy = a.dataSync();
    copy[0] = 100;
    expect(values(a)).toEqual([1, 2, 3, 4]);
    expect(Array.from(await a.data())).toEqual([1, 2, 3, 4]);
    expect(await a.toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(await engine.scalar(2.5, 'float64').toArray()).toBe(2.5);
    expect(await engine.scalar(2.5).item()).toBe(2.5);
    expect(engine.ones([1, 1]).itemSync()).toBe(1);
    expect(() => a.itemSync()).toThrow('item() needs a tensor of one element, got shape [2, 2]');
    await expect(a.item()).rejects.toThrow(/one element/);
    expect(String(a)).toMatch(/^Tensor\(#\d+, float64, \[2, 2\]\)$/);
  });

  it('fromData takes the array without copying it, and checks its size', () => {
    const engine = newEngine();
    const data = new Float64Array([1, 2, 3]);
    const t = engine.fromData(data, [3]);
    expect(t.dtype).toBe('float64');
    expect(() => engine.fromData(data, [2])).toThrow('fromData: 3 values do not fill shape [2]');
  });
});

describe('memory', () => {
  it('counts tensors, buffers and bytes; views share a buffer; dispose is idempotent', () => {
    const engine = newEngine();
    const m0 = engine.memory();
    const a = engine.zeros([2, 3], 'float64');
    expect(engine.memory()).toEqual({
      tensors: m0.tensors + 1,
      buffers: m0.buffers + 1,
      bytes: m0.bytes + 48,
    });
    const v = a.reshape([3, 2]);
    expect(engine.memory()).toEqual({
      tensors: m0.tensors + 2,
      buffers: m0.buffers + 1,
      bytes: m0.bytes + 48,
    });
    const b = engine.ones([4], 'int32');
    expect(engine.memory().bytes).toBe(m0.bytes + 64);
    a.dispose();
    expect(engine.memory()).toEqual({
      tensors: m0.tensors + 2,
      buffers: m0.buffers + 2,
      bytes: m0.bytes + 64,
    });
    expect(values(v)).toEqual([0, 0, 0, 0, 0, 0]);
    v.dispose();
    v.dispose();
    b.dispose();
    expect(engine.memory()).toEqual(m0);
  });

  it("assign swaps contents only for the same dtype and shape, sharing the value's data", () => {
    const engine = newEngine();
    const m0 = engine.memory();
    const p = engine.zeros([2, 3]);
    const v = engine.ones([2, 3]);
    p.assign(v);
    expect(values(p)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(engine.memory().buffers).toBe(m0.buffers + 1);
    expect(() => p.assign(engine.ones([3, 2]))).toThrow(
      'assign: expected float32 [2, 3], got float32 [3, 2]',
    );
    expect(() => p.assign(engine.ones([2, 3], 'float64'))).toThrow(
      'assign: expected float32 [2, 3], got float64 [2, 3]',
    );
  });

  it('errors clearly on a disposed tensor, in reads and in ops', async () => {
    const engine = newEngine();
    const a = engine.ones([2]);
    a.dispose();
    expect(a.isDisposed).toBe(true);
    expect(() => a.dataSync()).toThrow(/Tensor #\d+ \[2\] was disposed/);
    await expect(async () => a.data()).rejects.toThrow(/was disposed/);
    expect(() => exp(a)).toThrow(/was disposed/);
    expect(a.shape).toEqual([2]);
  });

  it('tidy disposes what the function made except what it returns, in arrays and objects', () => {
    const engine = newEngine();
    const x = engine.ones([3]);
    const m0 = engine.memory();
    const out = engine.tidy(() => {
      const y = exp(x);
      const z = add(y, 1);
      mul(z, 2);
      return { list: [z], n: 1, s: 's', nested: { y } };
    });
    expect(engine.memory().tensors).toBe(m0.tensors + 2);
    expect(out.list[0].isDisposed).toBe(false);
    expect(out.nested.y.isDisposed).toBe(false);
    out.list[0].dispose();
    out.nested.y.dispose();
    expect(engine.memory()).toEqual(m0);
    expect(x.isDisposed).toBe(false);
  });

  it('keep() survives every enclosing tidy; a nested tidy hands its result to the parent scope', () => {
    const engine = newEngine();
    const m0 = engine.memory();
    let kept = null as unknown as ReturnType<typeof engine.ones>;
    let inner = null as unknown as ReturnType<typeof engine.ones>;
    engine.tidy(() => {
      engine.tidy(() => {
        kept = engine.keep(engine.ones([2]));
        engine.ones([5]);
      });
      inner = engine.tidy(() => engine.ones([3]).add(1));
      expect(inner.isDisposed).toBe(false);
    });
    expect(inner.isDisposed).toBe(true);
    expect(kept.isDisposed).toBe(false);
    expect(engine.memory().tensors).toBe(m0.tensors + 1);
    kept.dispose();
    expect(engine.memory()).toEqual(m0);
  });

  it('tidy disposes everything when the function throws, and refuses async functions', async () => {
    const engine = newEngine();
    const m0 = engine.memory();
    expect(() =>
      engine.tidy(() => {
        engine.ones([4]);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(engine.memory()).toEqual(m0);
    // biome-ignore lint/suspicious/noExplicitAny: an async function is a type error; check the runtime guard
    expect(() => engine.tidy((async () => engine.ones([1])) as any)).toThrow(/returned a Promise/);
    await Promise.resolve();
  });
});

describe('copyFrom', () => {
  it('reshapes and casts the value into the tensor without recording, and refuses a different size', () => {
    const engine = newEngine();
    const p = engine.zeros([2, 2]).requireGrad();
    p.copyFrom(engine.tensor([1, 2, 3, 4], [4], 'float64'));
    expect(p.dtype).toBe('float32');
    expect(p.shape).toEqual([2, 2]);
    expect(values(p)).toEqual([1, 2, 3, 4]);
    expect(p.node).toBeNull();
    expect(() => p.copyFrom(engine.zeros([3]))).toThrow('copyFrom: 3 elements ([3]) into [2, 2]');
  });
});

describe('autodiff', () => {
  it('frees a recorded graph outside tidy once its outputs are disposed, without a backward pass', () => {
    const engine = newEngine();
    const x = engine.randn([3, 3]).requireGrad();
    const before = engine.memory();
    const h = exp(x);
    const y = matmul(h, x);
    h.dispose(); // y's node still needs h's node: nothing may be freed yet
    expect(engine.memory().tensors).toBeGreaterThan(before.tensors + 1);
    y.dispose();
    expect(engine.memory()).toEqual(before);
  });

  it('keeps the graph while a consumer is alive and frees it after backward', () => {
    const engine = newEngine();
    const x = engine.randn([4]).requireGrad();
    const before = engine.memory();
    const h = exp(x);
    const m = mul(h, h);
    const y = sum(m);
    h.dispose();
    m.dispose();
    y.backward();
    y.dispose();
    expect(engine.memory().tensors).toBe(before.tensors + 1); // x.grad
    x.grad!.dispose();
    x.grad = null;
    expect(engine.memory()).toEqual(before);
  });

  it('records nothing under noGrad, and restores recording after a throw', () => {
    const engine = newEngine();
    const x = f64(engine, [1, 2], [2]).requireGrad();
    const y = engine.noGrad(() => {
      expect(engine.gradEnabled).toBe(false);
      return exp(x);
    });
    expect(y.requiresGrad).toBe(false);
    expect(y.node).toBeNull();
    expect(() =>
      engine.noGrad(() => {
        throw new Error('x');
      }),
    ).toThrow('x');
    expect(engine.gradEnabled).toBe(true);
    expect(exp(x).requiresGrad).toBe(true);
    expect(() => sum(y).backward()).toThrow(/does not require gradients; it was computed under noGrad/);
  });

  it('backward needs a scalar or a matching seed gradient', () => {
    const engine = newEngine();
    const x = f64(engine, [1, 2, 3], [3]).requireGrad();
    const y = mul(x, x);
    expect(() => y.backward()).toThrow(
      /a gradient can be implied only for a scalar; tensor #\d+ has shape \[3\]/,
    );
    expect(() => y.backward(engine.ones([2], 'float64'))).toThrow(
      'backward: gradient shape [2] does not match [3]',
    );
    y.backward(f64(engine, [1, 10, 100], [3]));
    expect(values(x.grad!)).toEqual([2, 40, 600]);
  });

  it('refuses int32 leaves and leaves non-float outputs without gradients', () => {
    const engine = newEngine();
    expect(() => engine.ones([2], 'int32').requireGrad()).toThrow(
      /int32 tensor #\d+ cannot require gradients/,
    );
    const x = f64(engine, [3, 1, 2], [3]).requireGrad();
    expect(x.argmax().requiresGrad).toBe(false);
  });

  it('a second backward through a released graph errors; retainGraph keeps it and gradients accumulate', () => {
    const engine = newEngine();
    const x = f64(engine, [1, 2], [2]).requireGrad();
    const loss = sum(mul(x, x));
    loss.backward(undefined, { retainGraph: true });
    expect(values(x.grad!)).toEqual([2, 4]);
    loss.backward();
    expect(values(x.grad!)).toEqual([4, 8]);
    expect(() => loss.backward()).toThrow(
      /the graph through '\w+' was already released .* retainGraph: true/,
    );
  });

  it('accumulates through shared subexpressions and reused inputs', () => {
    const engine = newEngine();
    const x = f64(engine, [0.5, -1], [2]).requireGrad();
    const y = mul(x, x); // 2x
    const z = sum(add(mul(y, x), y)); // d/dx (x^3 + x^2) = 3x^2 + 2x
    z.backward();
    expect(values(x.grad!)).toEqual([3 * 0.25 + 1, 3 - 2]);
  });

  it('gradients() returns gradients for leaves and intermediates, zeros where no path exists, and leaves .grad alone', () => {
    const engine = newEngine();
    const x = f64(engine, [1, 2], [2]).requireGrad();
    const w = f64(engine, [3, 4], [2]).requireGrad();
    const unused = f64(engine, [5], [1]).requireGrad();
    const h = mul(x, w);
    const loss = sum(exp(h));
    const [gx, gh, gu] = engine.gradients(loss, [x, h, unused]);
    expect(values(gx)).toEqual([3 * Math.exp(3), 4 * Math.exp(8)]);
    expect(values(gh)).toEqual([Math.exp(3), Math.exp(8)]);
    expect(values(gu)).toEqual([0]);
    expect(x.grad).toBeNull();
    expect(w.grad).toBeNull();
  });

  it('gradients() takes an output gradient for non-scalar roots and can retain the graph', () => {
    const engine = newEngine();
    const x = f64(engine, [1, 2], [2]).requireGrad();
    const y = mul(x, 3);
    const [g1] = engine.gradients(y, [x], { grad: f64(engine, [1, -1], [2]), retainGraph: true });
    const [g2] = engine.gradients(y, [x], { grad: f64(engine, [2, 0], [2]) });
    expect(values(g1)).toEqual([3, -3]);
    expect(values(g2)).toEqual([6, 0]);
  });

  it('gradients() results are ordinary tensors: a tidy that does not return them disposes them', () => {
    const engine = newEngine();
    const x = f64(engine, [1, 2], [2]).requireGrad();
    const w = f64(engine, [1, 1], [2]).requireGrad();
    const m0 = engine.memory();
    const total = engine.tidy(() => {
      // w requires gradients but is not a target: its gradient must not be left behind either
      const [g] = engine.gradients(sum(mul(mul(x, x), w)), [x]);
      return sum(g);
    });
    expect(total.itemSync()).toBe(6);
    total.dispose();
    expect(engine.memory()).toEqual(m0);
    expect(w.grad).toBeNull();
  });

  it('gradients() gives each occurrence of a repeated target its gradient', () => {
    const engine = newEngine();
    const x = f64(engine, [1, 2], [2]).requireGrad();
    const [a, b] = engine.gradients(sum(mul(x, x)), [x, x]);
    expect(values(a)).toEqual([2, 4]);
    expect(values(b)).toEqual([2, 4]);
  });

  it('a gradient has the dtype of its tensor even through mixed-dtype ops (so float32 parameters can be updated)', () => {
    const engine = newEngine();
    const w = engine
      .tensor([
        [1, 2],
        [3, 4],
      ])
      .requireGrad();
    const x = engine.tensor(new Float64Array([1, -1, 0.5, 2]), [2, 2]);
    const loss = sum(mul(matmul(x, w), f64(engine, [1, 2], [2])));
    expect(loss.dtype).toBe('float64');
    loss.backward();
    expect(w.grad!.dtype).toBe('float32');
    expect(values(w.grad!)).toEqual([1.5, 3, 1, 2]);
    const [g] = engine.gradients(sum(mul(w, f64(engine, [2], [1]))), [w]);
    expect(g.dtype).toBe('float32');
    const y = mul(w, 1);
    const [g2] = engine.gradients(y, [w], { grad: f64(engine, [1, 1, 1, 1], [2, 2]) });
    expect(g2.dtype).toBe('float32');
  });

  it('detach cuts the graph; requireGrad(false) stops tracking', () => {
    const engine = newEngine();
    const x = f64(engine, [2], [1]).requireGrad();
    const d = mul(x, 1).detach();
    expect(d.requiresGrad).toBe(false);
    const y = sum(mul(mul(x, d), x)); // d is a constant 2: y = 2x^2
    y.backward();
    expect(values(x.grad!)).toEqual([8]);
    x.requireGrad(false);
    expect(exp(x).requiresGrad).toBe(false);
  });
});
