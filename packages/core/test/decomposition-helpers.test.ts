import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BottleneckConv2d, type BottleneckConv2dConfig } from '../src/decomposition/bottleneck-conv2d.js';
import { convGeometry } from '../src/decomposition/conv-geometry.js';
import { FactorizedChain, FactorizedLayer } from '../src/decomposition/factorized-layer.js';
import type { DecompositionPlugin } from '../src/decomposition/plugin.js';
import { projectByDecomposition } from '../src/decomposition/project-by-decomposition.js';
import { createEngine, type Engine } from '../src/engine.js';
import { Linear } from '../src/nn/linear.js';
import type { OnnxEmitter } from '../src/nn/onnx-export.js';
import type { Tensor } from '../src/tensor.js';
import {
  arbConvLayer,
  arbLayer,
  arbLinearLayer,
  arbRanksWithinSpec,
  convLayer,
  expectAllClose,
  randomNdArray,
} from '../src/testing.js';

const engine = createEngine({ seed: 1 });

type ModesConfig = { modes: number[]; bias: boolean };
class ModesLayer extends FactorizedLayer<ModesConfig> {
  get typeName(): string {
    return 'ModesLayer';
  }
  forward(x: Tensor): Tensor {
    return x;
  }
}

type TwoLinearsConfig = { widths: [number, number, number] };
class TwoLinears extends FactorizedChain<TwoLinearsConfig> {
  constructor(e: Engine, config: TwoLinearsConfig) {
    super(e, config);
    const [a, b, c] = config.widths;
    this.registerModule('first', new Linear(e, a, b, { dtype: 'float64' }));
    this.registerModule('second', new Linear(e, b, c, { dtype: 'float64' }));
  }
  get typeName(): string {
    return 'TwoLinears';
  }
}

class Bottleneck extends BottleneckConv2d {
  get typeName(): string {
    return 'Bottleneck';
  }
}

/** An emitter that records the children it is asked to write, each as `name(input)`. */
function recordingEmitter(): OnnxEmitter & { calls: string[] } {
  const calls: string[] = [];
  const unused = () => {
    throw new Error('not used by a chain');
  };
  return {
    path: '',
    calls,
    child: (name, input) => {
      calls.push(name);
      return `${name}(${input})`;
    },
    initializer: unused,
    int64s: unused,
    node: unused,
  };
}

describe('FactorizedLayer and FactorizedChain', () => {
  it('keep the config as settings and return it from config(), arrays copied both ways', () => {
    const modes = [2, 3];
    const layer = new ModesLayer(engine, { modes, bias: true });
    modes[0] = 99;
    expect(layer.settings).toEqual({ modes: [2, 3], bias: true });
    const config = layer.config();
    config.modes[1] = 77;
    expect(layer.config()).toEqual({ modes: [2, 3], bias: true });
    expect(layer.describe()).toEqual({ type: 'ModesLayer', config: { modes: [2, 3], bias: true } });
  });

  it('a chain runs its children in registration order and uses a replaced child (exact)', () => {
    const chain = new TwoLinears(engine, { widths: [4, 3, 2] });
    const x = engine.randn([5, 4], { dtype: 'float64', seed: 2 });
    const first = chain.getModule('first') as Linear;
    const second = chain.getModule('second') as Linear;
    expect(Array.from(chain.call(x).dataSync())).toEqual(Array.from(second.call(first.call(x)).dataSync()));
    const replacement = new Linear(engine, 3, 2, { dtype: 'float64' });
    chain.replaceModule('second', replacement);
    expect(Array.from(chain.call(x).dataSync())).toEqual(
      Array.from(replacement.call(first.call(x)).dataSync()),
    );
  });

  it('a chain writes its children into ONNX in order, each on the previous output', () => {
    const g = recordingEmitter();
    expect(new TwoLinears(engine, { widths: [4, 3, 2] }).toOnnx(g, 'x')).toBe('second(first(x))');
    expect(g.calls).toEqual(['first', 'second']);
  });
});

describe('BottleneckConv2d', () => {
  it('is 1x1 I -> R2, Kh x Kw R2 -> R1 with the geometry, 1x1 R1 -> O with the bias, and equals the three convs run in turn (exact)', () => {
    const config: BottleneckConv2dConfig = {
      inChannels: 5,
      outChannels: 6,
      ranks: [3, 2],
      ...convGeometry(
        convLayer('c', 6, 5, [3, 2], { stride: [2, 1], padding: [1, 0, 2, 1], dilation: [1, 2] }),
      ),
      bias: true,
      dtype: 'float64',
    };
    const m = new Bottleneck(engine, config);
    expect([m.first.weight.shape, m.core.weight.shape, m.last.weight.shape]).toEqual([
      [2, 5, 1, 1],
      [3, 2, 3, 2],
      [6, 3, 1, 1],
    ]);
    expect([m.first.bias, m.core.bias, m.last.bias !== null]).toEqual([null, null, true]);
    expect(m.core.stride).toEqual([2, 1]);
    expect(m.core.padding).toEqual([1, 0, 2, 1]);
    expect(m.core.dilation).toEqual([1, 2]);
    expect(m.config()).toEqual(config);
    const x = engine.randn([2, 5, 7, 8], { dtype: 'float64', seed: 3 });
    expect(Array.from(m.call(x).dataSync())).toEqual(
      Array.from(m.last.call(m.core.call(m.first.call(x))).dataSync()),
    );
  });
});

describe('convGeometry', () => {
  it("is the layer's kernel, stride, padding and dilation as fresh arrays", () => {
    const layer = convLayer('c', 4, 3, [3, 1], { stride: [2, 1], padding: [1, 2, 0, 1], dilation: [1, 3] });
    const g = convGeometry(layer);
    expect(g).toEqual({ kernelSize: [3, 1], stride: [2, 1], padding: [1, 2, 0, 1], dilation: [1, 3] });
    expect(g.kernelSize).not.toBe(layer.kernel);
    expect(g.padding).not.toBe(layer.padding);
  });
});

describe('projectByDecomposition', () => {
  type Factors = { left: Tensor; right: Tensor };
  const layer = convLayer('features.0', 2, 3, [1, 1]);
  const weight = engine.randn([2, 3, 1, 1], { dtype: 'float64', seed: 4 });

  it('returns reconstruct(decompose(weight, layer, ranks, { metric })) and frees the factors', async () => {
    const seen: unknown[] = [];
    let made: Factors | undefined;
    const decompose: DecompositionPlugin<Factors>['decompose'] = async (w, l, ranks, options) => {
      seen.push(l.name, ranks, options);
      made = { left: engine.keep(w.mul(2)), right: engine.keep(w.mul(3)) };
      return made;
    };
    const disposed: Factors[] = [];
    const project = projectByDecomposition(
      decompose,
      (f) => f.left.add(f.right),
      (f) => {
        disposed.push(f);
        f.left.dispose();
        f.right.dispose();
      },
    );
    const metric = { kind: 'frobenius' as const };
    const dense = await project(weight, layer, [1], metric);
    expect(seen).toEqual(['features.0', [1], { metric }]);
    expectAllClose(
      dense.dataSync(),
      Array.from(weight.dataSync(), (v) => 5 * v),
      { rtol: 1e-15 },
    );
    expect(disposed).toEqual([made]);
    expect(made?.left.isDisposed).toBe(true);
  });

  it('frees the factors also when reconstruct throws, and passes the error on', async () => {
    let freed = false;
    const project = projectByDecomposition<Factors>(
      async (w) => ({ left: w, right: w }),
      () => {
        throw new Error('reconstruct failed');
      },
      () => {
        freed = true;
      },
    );
    await expect(project(weight, layer, [1])).rejects.toThrow('reconstruct failed');
    expect(freed).toBe(true);
  });
});

describe('layer arbitraries', () => {
  it('arbLinearLayer and arbConvLayer give consistent layer infos (weight shape, channels, kernel)', () => {
    fc.assert(
      fc.property(arbLayer({ extraOut: [12], extraIn: [18] }), (layer) => {
        expect(layer.weightShape.slice(0, 2)).toEqual([layer.outChannels, layer.inChannels]);
        if (layer.kind === 'conv2d') expect(layer.weightShape.slice(2)).toEqual([...layer.kernel]);
        else expect(layer.weightShape).toHaveLength(2);
      }),
      { numRuns: 50 },
    );
  });

  it('arbLinearLayer draws the extra sizes too', () => {
    const sizes = fc.sample(arbLinearLayer({ extraOut: [24], extraIn: [20] }), { numRuns: 200, seed: 1 });
    expect(sizes.some((l) => l.outChannels === 24)).toBe(true);
    expect(sizes.some((l) => l.inChannels === 20)).toBe(true);
    expect(sizes.every((l) => l.outChannels <= 8 || l.outChannels === 24)).toBe(true);
  });

  it('arbRanksWithinSpec gives one integer rank per label within [1, max], reaching both ends', () => {
    const plugin = { rankSpec: () => ({ labels: ['a', 'b'], min: [1, 1], max: [1, 7] }) };
    const layer = fc.sample(arbConvLayer(), { numRuns: 1, seed: 2 })[0];
    const ranks = fc.sample(
      arbRanksWithinSpec(plugin)(
        layer,
        fc.integer({ min: 0, max: 60 }).map((v) => v / 60),
      ),
      {
        numRuns: 300,
        seed: 3,
      },
    );
    for (const r of ranks) {
      expect(r).toHaveLength(2);
      expect(r[0]).toBe(1);
      expect(Number.isInteger(r[1]) && r[1] >= 1 && r[1] <= 7).toBe(true);
    }
    expect(new Set(ranks.map((r) => r[1]))).toEqual(new Set([1, 2, 3, 4, 5, 6, 7]));
  });
});

describe('randomNdArray', () => {
  it('is seeded: the same seed gives the same array, another seed another; mean and variance of 20000 entries within 0.05 of 0 and 1', () => {
    const a = randomNdArray([4, 50, 100], 7);
    expect(a.shape).toEqual([4, 50, 100]);
    expect(Array.from(randomNdArray([4, 50, 100], 7).data)).toEqual(Array.from(a.data));
    expect(Array.from(randomNdArray([4, 50, 100], 8).data)).not.toEqual(Array.from(a.data));
    const mean = a.data.reduce((s, v) => s + v, 0) / a.data.length;
    const variance = a.data.reduce((s, v) => s + (v - mean) ** 2, 0) / a.data.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  });
});
