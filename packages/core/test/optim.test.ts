import { describe, expect, it } from 'vitest';
import { add, mseLoss, mul, nn, optim, square, sum, type Tensor } from '../src/index.js';
import { expectAllClose } from '../src/testing.js';
import { f64, newEngine, values } from './util.js';

const { Adam, AdamW, LrScheduler, SGD, cosineSchedule, oneCycleSchedule, stepSchedule } = optim;

/** f(p) = sum(0.5 * a * p^2 + b * p); grad = a * p + b. */
const A = [1, 2, 0.5];
const B = [0.3, -1, 2];
const P0 = [1, -0.5, 2];
const gradOf = (p: number[]) => p.map((v, i) => A[i] * v + B[i]);

/** Runs `steps` optimizer steps on the quadratic in float64 and returns the parameters after each. */
function run(make: (params: Tensor[]) => optim.Optimizer, steps = 3): number[][] {
  const engine = newEngine();
  const p = f64(engine, P0, [3]).requireGrad();
  const a = f64(engine, A, [3]);
  const b = f64(engine, B, [3]);
  const opt = make([p]);
  const out: number[][] = [];
  for (let s = 0; s < steps; s++) {
    engine.tidy(() => {
      sum(add(mul(mul(square(p), a), 0.5), mul(b, p))).backward();
    });
    opt.step();
    opt.zeroGrad();
    out.push(values(p));
  }
  return out;
}

describe('SGD', () => {
  /** PyTorch's SGD: g += wd p; buf = g (first step) or momentum buf + (1 - dampening) g; g = g + momentum buf (Nesterov) or buf. */
  function sgdRef(o: {
    lr: number;
    momentum?: number;
    dampening?: number;
    nesterov?: boolean;
    weightDecay?: number;
  }): number[][] {
    const { lr, momentum = 0, dampening = 0, nesterov = false, weightDecay = 0 } = o;
    let p = [...P0];
    let buf: number[] = [];
    const out: number[][] = [];
    for (let s = 0; s < 3; s++) {
      let g = gradOf(p).map((v, i) => v + weightDecay * p[i]);
      if (momentum) {
        const grad = g;
        buf = s === 0 ? [...grad] : buf.map((v, i) => momentum * v + (1 - dampening) * grad[i]);
        const bb = buf;
        g = nesterov ? grad.map((v, i) => v + momentum * bb[i]) : bb;
      }
      p = p.map((v, i) => v - lr * g[i]);
      out.push(p);
    }
    return out;
  }

  const cases = [
    { lr: 0.1 },
    { lr: 0.1, momentum: 0.9 },
    { lr: 0.05, momentum: 0.8, dampening: 0.3 },
    { lr: 0.1, momentum: 0.9, nesterov: true },
    { lr: 0.1, momentum: 0.5, weightDecay: 0.01 },
    { lr: 0.2, weightDecay: 0.1, nesterov: true, momentum: 0.7 },
  ];
  for (const o of cases) {
    it(`matches PyTorch's update rule for 3 steps on a quadratic to 1e-12 (${JSON.stringify(o)})`, () => {
      const got = run((ps) => new SGD(ps, o));
      sgdRef(o).forEach((want, s) => {
        expectAllClose(got[s], want, { rtol: 1e-12, atol: 1e-15, label: `step ${s + 1}` });
      });
    });
  }

  it('validates its options and parameters', () => {
    const engine = newEngine();
    const p = engine.ones([2]).requireGrad();
    expect(() => new SGD(ps(p), { lr: 0.1, nesterov: true })).toThrow(
      'SGD: Nesterov momentum needs momentum > 0 and dampening 0',
    );
    expect(() => new SGD(ps(p), { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true })).toThrow(
      /dampening 0/,
    );
    expect(() => new SGD([], { lr: 0.1 })).toThrow('SGD: no parameters to optimise');
    expect(() => new SGD(ps(p), { lr: -1 })).toThrow('SGD: lr must be non-negative, got -1');
    expect(() => new SGD([engine.ones([2])], { lr: 0.1 })).toThrow(
      /SGD: tensor #\d+ does not require gradients/,
    );
  });

  it('skips parameters without a gradient and frees its state on dispose', () => {
    const engine = newEngine();
    const p = engine.ones([2]).requireGrad();
    const q = engine.ones([2]).requireGrad();
    const m0 = engine.memory();
    const opt = new SGD([p, q], { lr: 0.5, momentum: 0.9 });
    engine.tidy(() => sum(p).backward());
    opt.step();
    expect(values(p)).toEqual([0.5, 0.5]);
    expect(values(q)).toEqual([1, 1]);
    opt.zeroGrad();
    expect(p.grad).toBeNull();
    expect(engine.memory().tensors).toBe(m0.tensors + 1); // p's momentum buffer
    opt.dispose();
    expect(engine.memory()).toEqual(m0);
  });
});

function ps(...t: Tensor[]): Tensor[] {
  return t;
}

describe('Adam and AdamW', () => {
  /** PyTorch's Adam (L2 decay added to the gradient) and AdamW (decay applied to the weights first). */
  function adamRef(
    o: { lr: number; betas?: [number, number]; eps?: number; weightDecay?: number },
    decoupled: boolean,
  ): number[][] {
    const { lr, betas = [0.9, 0.999], eps = 1e-8, weightDecay = decoupled ? 0.01 : 0 } = o;
    let p = [...P0];
    let m = [0, 0, 0];
    let v = [0, 0, 0];
    const out: number[][] = [];
    for (let t = 1; t <= 3; t++) {
      let g = gradOf(p);
      if (decoupled) p = p.map((x) => x * (1 - lr * weightDecay));
      else g = g.map((x, i) => x + weightDecay * p[i]);
      m = m.map((x, i) => betas[0] * x + (1 - betas[0]) * g[i]);
      v = v.map((x, i) => betas[1] * x + (1 - betas[1]) * g[i] ** 2);
      const bc1 = 1 - betas[0] ** t;
      const bc2 = 1 - betas[1] ** t;
      p = p.map((x, i) => x - (lr / bc1) * (m[i] / (Math.sqrt(v[i]) / Math.sqrt(bc2) + eps)));
      out.push(p);
    }
    return out;
  }

  const cases: { lr: number; betas?: [number, number]; eps?: number; weightDecay?: number }[] = [
    { lr: 0.1 },
    { lr: 0.01, betas: [0.8, 0.99], eps: 1e-6 },
    { lr: 0.1, weightDecay: 0.05 },
  ];
  for (const o of cases) {
    it(`Adam matches PyTorch's update rule for 3 steps to 1e-12 (${JSON.stringify(o)})`, () => {
      const got = run((p) => new Adam(p, o));
      adamRef(o, false).forEach((want, s) => {
        expectAllClose(got[s], want, { rtol: 1e-12, atol: 1e-15, label: `step ${s + 1}` });
      });
    });
    it(`AdamW matches PyTorch's update rule (decoupled decay, default 0.01) for 3 steps to 1e-12 (${JSON.stringify(o)})`, () => {
      const got = run((p) => new AdamW(p, o));
      adamRef(o, true).forEach((want, s) => {
        expectAllClose(got[s], want, { rtol: 1e-12, atol: 1e-15, label: `step ${s + 1}` });
      });
    });
  }
});

describe('learning-rate schedules', () => {
  /** PyTorch's OneCycleLR: cosine from maxLr/div up to maxLr by step pctStart*total - 1, then down to initial/finalDiv at total - 1. */
  function oneCycleRef(maxLr: number, total: number, pctStart = 0.3, div = 25, finalDiv = 1e4) {
    const initial = maxLr / div;
    const min = initial / finalDiv;
    const end1 = pctStart * total - 1;
    const end2 = total - 1;
    const cos = (start: number, end: number, pct: number) =>
      end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
    return (t: number) => ({
      lr: t <= end1 ? cos(initial, maxLr, t / end1) : cos(maxLr, min, (t - end1) / (end2 - end1)),
      momentum: t <= end1 ? cos(0.95, 0.85, t / end1) : cos(0.85, 0.95, (t - end1) / (end2 - end1)),
    });
  }

  it('oneCycle matches PyTorch OneCycleLR at known steps (maxLr 0.1, 10 steps)', () => {
    const s = oneCycleSchedule({ maxLr: 0.1, total: 10 });
    expect(s.lr(0)).toBeCloseTo(0.004, 15);
    expect(s.lr(1)).toBeCloseTo(0.052, 15);
    expect(s.lr(2)).toBeCloseTo(0.1, 15);
    expect(s.lr(9)).toBeCloseTo(4e-7, 18);
    expect(s.momentum!(0)).toBeCloseTo(0.95, 15);
    expect(s.momentum!(2)).toBeCloseTo(0.85, 15);
    expect(s.momentum!(9)).toBeCloseTo(0.95, 15);
  });

  it('oneCycle equals the OneCycleLR formula at every step for several configurations (1e-12)', () => {
    for (const [maxLr, total, pct, div, fin] of [
      [0.1, 100, 0.3, 25, 1e4],
      [1, 37, 0.25, 10, 100],
      [0.01, 7, 0.5, 25, 1e4],
    ]) {
      const s = oneCycleSchedule({ maxLr, total, pctStart: pct, divFactor: div, finalDivFactor: fin });
      const r = oneCycleRef(maxLr, total, pct, div, fin);
      for (let t = 0; t < total; t++) {
        expect(Math.abs(s.lr(t) - r(t).lr)).toBeLessThanOrEqual(1e-12 * maxLr);
        expect(Math.abs(s.momentum!(t) - r(t).momentum)).toBeLessThanOrEqual(1e-12);
      }
    }
    expect(oneCycleSchedule({ maxLr: 1, total: 10, momentumRange: null }).momentum).toBeUndefined();
    expect(() => oneCycleSchedule({ maxLr: 1, total: 1 })).toThrow(
      'oneCycleSchedule: total must be >= 2, got 1',
    );
  });

  it('cosine anneals from base to min over total steps and then stays at min; step decays by gamma every stepSize', () => {
    const c = cosineSchedule({ base: 1, total: 10, min: 0.1 });
    for (let t = 0; t <= 12; t++) {
      const want = 0.1 + (0.9 * (1 + Math.cos((Math.PI * Math.min(t, 10)) / 10))) / 2;
      expect(c.lr(t)).toBeCloseTo(want, 14);
    }
    expect(c.lr(5)).toBeCloseTo(0.55, 14);
    const s = stepSchedule({ base: 0.1, stepSize: 3, gamma: 0.5 });
    expect([0, 2, 3, 5, 6, 9].map((t) => s.lr(t))).toEqual([0.1, 0.1, 0.05, 0.05, 0.025, 0.0125]);
    expect(() => stepSchedule({ base: 1, stepSize: 0 })).toThrow(/stepSize must be >= 1/);
    expect(() => cosineSchedule({ base: 1, total: 0 })).toThrow(/total must be >= 1/);
  });

  it("LrScheduler sets the optimizer's lr (and SGD momentum) at construction and after each step", () => {
    const engine = newEngine();
    const p = engine.ones([1]).requireGrad();
    const opt = new SGD([p], { lr: 1, momentum: 0.5 });
    const sched = new LrScheduler(opt, oneCycleSchedule({ maxLr: 0.1, total: 10 }));
    expect(opt.lr).toBeCloseTo(0.004, 15);
    expect(opt.momentum).toBeCloseTo(0.95, 15);
    sched.step();
    sched.step();
    expect(sched.lastStep).toBe(2);
    expect(opt.lr).toBeCloseTo(0.1, 15);
    expect(opt.momentum).toBeCloseTo(0.85, 15);
    const adam = new Adam([p], { lr: 1 });
    new LrScheduler(adam, stepSchedule({ base: 0.3, stepSize: 1 }));
    expect(adam.lr).toBe(0.3);
  });
});

describe('training', () => {
  it('a small linear regression converges with SGD+momentum and with Adam (MSE < 1e-6)', () => {
    for (const make of [
      (p: Tensor[]) => new SGD(p, { lr: 0.1, momentum: 0.9 }),
      (p: Tensor[]) => new Adam(p, { lr: 0.05 }),
    ]) {
      const engine = newEngine(1);
      const x = engine.randn([64, 3], { seed: 2 });
      const trueW = engine.tensor([[1.5], [-2], [0.5]]);
      const y = x.matmul(trueW).add(0.3);
      const model = new nn.Linear(engine, 3, 1);
      const opt = make(model.parameters());
      const m0 = engine.memory();
      let loss = Number.POSITIVE_INFINITY;
      for (let step = 0; step < 300; step++) {
        loss = engine.tidy(() => {
          const l = mseLoss(model.call(x), y);
          l.backward();
          return l.itemSync();
        });
        opt.step();
        opt.zeroGrad();
      }
      expect(loss).toBeLessThan(1e-6);
      expectAllClose(model.weight.dataSync(), [1.5, -2, 0.5], { rtol: 1e-3, atol: 1e-3 });
      expectAllClose(model.bias!.dataSync(), [0.3], { rtol: 1e-3, atol: 1e-3 });
      // only the optimizer state is new
      expect(engine.memory().tensors).toBe(m0.tensors + (opt instanceof Adam ? 4 : 2));
    }
  });
});

describe('optimizer state (stateDict / loadStateDict)', () => {
  /** Steps 5 times straight, and 2 times then into a fresh optimizer (and parameter copy) for 3 more. */
  function straightAndResumed(make: (params: Tensor[]) => optim.Optimizer): [number[], number[]] {
    const engine = newEngine();
    const a = f64(engine, A, [3]);
    const b = f64(engine, B, [3]);
    const stepOn = (p: Tensor, opt: optim.Optimizer) => {
      engine.tidy(() => {
        sum(add(mul(mul(square(p), a), 0.5), mul(b, p))).backward();
      });
      opt.step();
      opt.zeroGrad();
    };
    const p = f64(engine, P0, [3]).requireGrad();
    const straight = make([p]);
    for (let s = 0; s < 5; s++) stepOn(p, straight);
    const q = f64(engine, P0, [3]).requireGrad();
    const first = make([q]);
    for (let s = 0; s < 2; s++) stepOn(q, first);
    const q2 = f64(engine, values(q), [3]).requireGrad();
    const second = make([q2]);
    second.loadStateDict(first.stateDict());
    first.dispose();
    for (let s = 0; s < 3; s++) stepOn(q2, second);
    expect(second.stepCount).toBe(5);
    return [values(p), values(q2)];
  }

  it('SGD with Nesterov momentum resumed from its state equals 5 straight steps exactly', () => {
    const [straight, resumed] = straightAndResumed(
      (p) => new SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true }),
    );
    expect(resumed).toEqual(straight);
  });

  it('Adam resumed from its state (moments and update counts) equals 5 straight steps exactly', () => {
    const [straight, resumed] = straightAndResumed((p) => new Adam(p, { lr: 0.1 }));
    expect(resumed).toEqual(straight);
  });

  it('a state key that names no parameter is an error naming the key', () => {
    const engine = newEngine();
    const opt = new Adam([f64(engine, P0, [3]).requireGrad()]);
    const bad = {
      stepCount: 1,
      lr: 0.1,
      tensors: new Map([['4.m', f64(engine, P0, [3])]]),
      counters: new Map(),
    };
    expect(() => opt.loadStateDict(bad)).toThrow(/'4\.m' does not name one of the 1 parameters/);
  });
});
