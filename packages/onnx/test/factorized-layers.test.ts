/**
 * Every factorized layer of the decomposition plugins and the reference models export to
 * ONNX, run in onnxruntime exactly as `forward`, and stay factorized in the file.
 */
import { fileURLToPath } from 'node:url';
import {
  createEngine,
  type DecompositionPlugin,
  type Engine,
  layerInfo,
  nn,
  type Tensor,
} from '@lowrank/core';
import { loadWeightsFile } from '@lowrank/core/node';
import { expectAllClose } from '@lowrank/core/testing';
import { CpConv2d, CpLinear, cp } from '@lowrank/cp';
import { LeNet5, ResNet8 } from '@lowrank/models';
import { MixtureLayer } from '@lowrank/rank-rene';
import { SvdConv2d, SvdLinear, svd } from '@lowrank/svd';
import { TrConv2d, TrLinear, tr } from '@lowrank/tr';
import { TtChannelConv2d, TtConv2d, TtLinear, tt } from '@lowrank/tt';
import { Tucker2Conv2d, Tucker2Linear, tucker2 } from '@lowrank/tucker2';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { exportOnnx, importOnnx } from '../src/index.js';
import { decodeModel } from '../src/proto/decode.js';
import { DataType } from '../src/proto/messages.js';

const models = (file: string) => fileURLToPath(new URL(`../../../../shared/models/${file}`, import.meta.url));

/** Float32 agreement: every value within 1e-4 of the output's largest magnitude (plus 1e-4 of itself). */
async function expectOutputsClose(actual: ArrayLike<number>, expected: Tensor, label: string): Promise<void> {
  const values = (await expected.data()) as Float32Array;
  const scale = values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  expectAllClose(actual, values, { rtol: 1e-4, atol: 1e-4 * scale, shape: expected.shape, label });
}

/** Runs the exported model in onnxruntime on `x` (batch included) and returns the output's values. */
async function runOnnx(
  bytes: Uint8Array,
  x: Tensor,
): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const feeds = {
      [session.inputNames[0]]: new ort.Tensor('float32', (await x.data()) as Float32Array, x.shape),
    };
    const out = (await session.run(feeds))[session.outputNames[0]];
    return { data: out.data as Float32Array, dims: out.dims };
  } finally {
    await session.release();
  }
}

/**
 * Exports `model`; on a batch of 3 random inputs (shape `[3, ...sample]`) onnxruntime and the
 * `importOnnx` read-back both agree with `forward`, and the read-back has the same parameter names.
 */
async function expectOnnxMatchesForward(
  engine: Engine,
  model: nn.Module,
  sample: readonly number[],
): Promise<Uint8Array> {
  model.eval();
  const bytes = await exportOnnx(model, { inputShape: sample });
  const x = engine.randn([3, ...sample]);
  const expected = engine.noGrad(() => model.call(x));
  const actual = await runOnnx(bytes, x);
  expect(actual.dims).toEqual(expected.shape);
  await expectOutputsClose(actual.data, expected, `${model.typeName} in onnxruntime`);
  const imported = importOnnx(engine, bytes).eval();
  // The read-back keeps the state-dict names, so it can be compressed or fine-tuned again.
  const names = (m: nn.Module) => [...m.stateDict().keys()].sort();
  expect(names(imported)).toEqual(names(model));
  const readBack = engine.noGrad(() => imported.call(x));
  expect(readBack.shape).toEqual(expected.shape);
  await expectOutputsClose((await readBack.data()) as Float32Array, expected, `${model.typeName} imported`);
  for (const t of [x, expected, readBack]) t.dispose();
  imported.dispose();
  return bytes;
}

/** The float initializers of an exported file: name -> element count. */
function floatInitializers(bytes: Uint8Array): Map<string, number> {
  const graph = decodeModel(bytes).graph;
  return new Map(
    graph.initializer
      .filter((t) => t.dataType === DataType.float)
      .map((t) => [t.name, t.dims.reduce((p, d) => p * d, 1)]),
  );
}

/** A dense layer with random weights and a nonzero bias (std 0.3), the layer a plugin factorizes. */
function denseLayer(engine: Engine, kind: 'conv' | 'linear'): nn.Conv2d | nn.Linear {
  // An uneven conv geometry: rectangular kernel, stride, four-sided padding and dilation.
  const dense =
    kind === 'conv'
      ? new nn.Conv2d(engine, 8, 12, [3, 2], { stride: [2, 1], padding: [1, 0, 2, 1], dilation: [1, 2] })
      : new nn.Linear(engine, 24, 12);
  for (const [, p] of dense.namedParameters()) p.copyFrom(engine.randn(p.shape, { std: 0.3 }));
  return dense;
}

const CONV_SAMPLE = [8, 9, 7];
const LINEAR_SAMPLE = [24];

interface Case {
  plugin: () => DecompositionPlugin;
  kind: 'conv' | 'linear';
  type: abstract new (...args: never[]) => nn.Module;
}

const cases: Record<string, Case> = {
  SvdConv2d: { plugin: () => svd(), kind: 'conv', type: SvdConv2d },
  SvdLinear: { plugin: () => svd(), kind: 'linear', type: SvdLinear },
  Tucker2Conv2d: { plugin: () => tucker2(), kind: 'conv', type: Tucker2Conv2d },
  Tucker2Linear: { plugin: () => tucker2(), kind: 'linear', type: Tucker2Linear },
  CpConv2d: { plugin: () => cp(), kind: 'conv', type: CpConv2d },
  CpLinear: { plugin: () => cp(), kind: 'linear', type: CpLinear },
  TtConv2d: { plugin: () => tt(), kind: 'conv', type: TtConv2d },
  TtChannelConv2d: { plugin: () => tt({ layout: 'channels' }), kind: 'conv', type: TtChannelConv2d },
  TtLinear: { plugin: () => tt(), kind: 'linear', type: TtLinear },
  TrConv2d: { plugin: () => tr(), kind: 'conv', type: TrConv2d },
  TrLinear: { plugin: () => tr(), kind: 'linear', type: TrLinear },
};

/** The plugin's factorized layer for a random dense layer, every rank capped at 3. */
async function factorizedLayer(engine: Engine, c: Case): Promise<{ layer: nn.Module; dense: nn.Module }> {
  const plugin = c.plugin();
  const dense = denseLayer(engine, c.kind);
  const info = layerInfo('layer', dense, c.kind === 'conv' ? [CONV_SAMPLE[1], CONV_SAMPLE[2]] : undefined);
  const ranks = plugin.rankSpec(info).max.map((m) => Math.min(m, 3));
  const factors = await plugin.decompose(dense.weight, info, ranks, { seed: 1 });
  return { layer: plugin.layer(factors, info, dense.bias), dense };
}

describe('factorized layers export to ONNX', () => {
  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: onnxruntime and importOnnx outputs equal forward within 1e-4 relative; the file holds the factors, not the dense weight`, async () => {
      const engine = createEngine({ seed: 7 });
      const { layer, dense } = await factorizedLayer(engine, c);
      expect(layer).toBeInstanceOf(c.type);
      const bytes = await expectOnnxMatchesForward(
        engine,
        layer,
        c.kind === 'conv' ? CONV_SAMPLE : LINEAR_SAMPLE,
      );

      const floats = floatInitializers(bytes);
      const state = layer.stateDict();
      expect([...floats.keys()].sort()).toEqual([...state.keys()].sort());
      for (const [key, t] of state) expect(floats.get(key), key).toBe(t.size);
      const stored = [...floats.values()].reduce((s, n) => s + n, 0);
      expect(stored).toBe(layer.numParameters());
      expect(stored).toBeLessThan(dense.numParameters());
    });
  }

  it('a factorized layer exports with any batch: onnxruntime on batches 1 and 5 equals forward within 1e-4 relative', async () => {
    const engine = createEngine({ seed: 8 });
    const { layer } = await factorizedLayer(engine, cases.TtChannelConv2d);
    layer.eval();
    const bytes = await exportOnnx(layer, { inputShape: CONV_SAMPLE });
    for (const batch of [1, 5]) {
      const x = engine.randn([batch, ...CONV_SAMPLE]);
      const actual = await runOnnx(bytes, x);
      await expectOutputsClose(
        actual.data,
        engine.noGrad(() => layer.call(x)),
        `batch ${batch}`,
      );
    }
  });

  it("TrConv2d in its kernel-first order (the plugin's choice when R0 outgrows the input channels): onnxruntime and importOnnx equal forward within 1e-4 relative, and forward equals the input-first order's", async () => {
    const engine = createEngine({ seed: 11 });
    const plugin = tr();
    const dense = denseLayer(engine, 'conv');
    const info = layerInfo('layer', dense, [CONV_SAMPLE[1], CONV_SAMPLE[2]]);
    const factors = await plugin.decompose(dense.weight, info, [3, 2, 3], { seed: 1 });
    const inputFirst = plugin.layer(factors, info, dense.bias) as TrConv2d;
    const layer = new TrConv2d(engine, { ...inputFirst.settings, order: 'kernel-first' });
    layer.loadFactors(factors.cores, dense.bias);
    expect(inputFirst.settings.order).toBe('input-first');
    await expectOnnxMatchesForward(engine, layer, CONV_SAMPLE);
    const x = engine.randn([2, ...CONV_SAMPLE]);
    await expectOutputsClose(
      (await engine.noGrad(() => layer.call(x)).data()) as Float32Array,
      engine.noGrad(() => inputFirst.eval().call(x)),
      'kernel-first vs input-first',
    );
  });

  for (const name of ['TtLinear', 'TrLinear'] as const) {
    it(`${name} on [N, 2, 24] inputs keeps the extra leading axis: onnxruntime and importOnnx equal forward within 1e-4 relative`, async () => {
      const engine = createEngine({ seed: 10 });
      const { layer } = await factorizedLayer(engine, cases[name]);
      await expectOnnxMatchesForward(engine, layer, [2, ...LINEAR_SAMPLE]);
    });
  }

  it("RENE's search-time MixtureLayer is refused with an error naming the layer and saying to export after the search", async () => {
    const engine = createEngine({ seed: 9 });
    const plugin = svd();
    const dense = denseLayer(engine, 'linear');
    const info = layerInfo('fc', dense);
    const factors = await plugin.decompose(dense.weight, info, [2]);
    const mixture = new MixtureLayer(engine, info, plugin, [{ scalar: 2, ranks: [2], factors }], dense.bias);
    await expect(exportOnnx(mixture, { inputShape: LINEAR_SAMPLE })).rejects.toThrow(
      /'fc' is a MixtureLayer.*after the search/,
    );
  });
});

describe('reference models export to ONNX', () => {
  it('LeNet-5 (shared/models weights): onnxruntime and importOnnx outputs equal forward within 1e-4 relative', async () => {
    const engine = createEngine({ seed: 1 });
    const model = new LeNet5(engine);
    await loadWeightsFile(model, models('fmnist-lenet5.safetensors'));
    await expectOnnxMatchesForward(engine, model, [1, 28, 28]);
  });

  it('ResNet-8 (shared/models weights, batch norm in eval): onnxruntime and importOnnx outputs equal forward within 1e-4 relative', async () => {
    const engine = createEngine({ seed: 2 });
    const model = new ResNet8(engine);
    await loadWeightsFile(model, models('fmnist-resnet8.safetensors'));
    await expectOnnxMatchesForward(engine, model, [1, 28, 28]);
  });

  it('LeNet-5 with conv2 as Tucker2Conv2d and fc1 as SvdLinear: exports factorized; onnxruntime and importOnnx outputs equal forward within 1e-4 relative', async () => {
    const engine = createEngine({ seed: 3 });
    const model = new LeNet5(engine);
    await loadWeightsFile(model, models('fmnist-lenet5.safetensors'));
    const denseParams = model.numParameters();
    const replace = async (
      name: string,
      plugin: DecompositionPlugin,
      ranks: number[],
      inputSize?: [number, number],
    ) => {
      const dense = model.getModule(name) as nn.Conv2d | nn.Linear;
      const info = layerInfo(name, dense, inputSize);
      const factors = await plugin.decompose(dense.weight, info, ranks, { seed: 1 });
      model.replaceModule(name, plugin.layer(factors, info, dense.bias));
    };
    await replace('conv2', tucker2(), [8, 4], [14, 14]);
    await replace('fc1', svd(), [16]);
    expect(model.getModule('conv2')).toBeInstanceOf(Tucker2Conv2d);
    expect(model.getModule('fc1')).toBeInstanceOf(SvdLinear);

    const bytes = await expectOnnxMatchesForward(engine, model, [1, 28, 28]);
    const floats = floatInitializers(bytes);
    expect(floats.has('conv2.core.weight')).toBe(true);
    expect(floats.has('fc1.first.weight')).toBe(true);
    expect([...floats.values()].reduce((s, n) => s + n, 0)).toBe(model.numParameters());
    expect(model.numParameters()).toBeLessThan(denseParams);
  });
});
