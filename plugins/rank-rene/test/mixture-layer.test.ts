import { add, conv2d, createEngine, type Engine, type LayerInfo, matmul, type Tensor } from '@lowrank/core';
import { checkGradients, convLayer, expectTensorClose, linearLayer } from '@lowrank/core/testing';
import { svd } from '@lowrank/svd';
import { tucker2 } from '@lowrank/tucker2';
import { describe, expect, it } from 'vitest';
import { type Candidate, MixtureLayer } from '../src/index.js';

/** A mixture of candidates at `rankSets`, with its logits set to `logits`. */
async function mixture(
  engine: Engine,
  info: LayerInfo,
  plugin: ReturnType<typeof tucker2> | ReturnType<typeof svd>,
  rankSets: number[][],
  logits: number[],
) {
  const weight = engine.randn([...info.weightShape], { dtype: 'float64' });
  const bias = info.bias ? engine.randn([info.outChannels], { dtype: 'float64' }) : null;
  const candidates: Candidate[] = [];
  for (const [k, ranks] of rankSets.entries()) {
    candidates.push({
      scalar: k + 1,
      ranks,
      factors: await plugin.decompose(weight, info, ranks, { seed: 1 }),
    });
  }
  const m = new MixtureLayer(engine, info, plugin as never, candidates, bias);
  m.logits.assign(engine.tensor(logits, [logits.length], 'float64'));
  return { m, bias, candidates, plugin };
}

/** `sum_r softmax(logits)_r What^(r)` computed in plain numbers, outside the layer. */
function mixedByHand(engine: Engine, m: MixtureLayer, logits: number[]): Tensor {
  const top = Math.max(...logits);
  const e = logits.map((l) => Math.exp(l - top));
  const p = e.map((v) => v / e.reduce((a, b) => a + b, 0));
  const parts = m.candidates.map((c) => m.decomposition.reconstruct(c.factors).dataSync());
  const out = new Float64Array(parts[0].length);
  for (const [k, part] of parts.entries()) for (let j = 0; j < out.length; j++) out[j] += p[k] * part[j];
  return engine.fromData(out, [...m.info.weightShape]);
}

describe('MixtureLayer', () => {
  it('equals the dense conv with the mixed weight sum_r p_r What^(r) (stride 2, padding, bias; float64, 1e-10)', async () => {
    const engine = createEngine({ seed: 3 });
    const info = convLayer('c', 6, 5, [3, 3], { stride: [2, 2], padding: [1, 1, 1, 1], inputSize: [9, 8] });
    const logits = [0.3, -1.2, 0.7];
    const { m, bias } = await mixture(
      engine,
      info,
      tucker2(),
      [
        [2, 2],
        [4, 3],
        [6, 5],
      ],
      logits,
    );
    const x = engine.randn([2, 5, 9, 8], { dtype: 'float64' });
    const expected = conv2d(x, mixedByHand(engine, m, logits), bias, { stride: 2, padding: 1 });
    expectTensorClose(m.call(x), expected.dataSync(), { rtol: 1e-10, atol: 1e-10, shape: expected.shape });
  });

  it('equals the dense linear layer with the mixed weight (float64, 1e-10), for SVD candidates too', async () => {
    const engine = createEngine({ seed: 4 });
    const info = linearLayer('fc', 7, 9);
    const logits = [1.5, 0.2, -0.4, 0];
    const { m, bias } = await mixture(engine, info, svd(), [[1], [2], [4], [7]], logits);
    const x = engine.randn([3, 9], { dtype: 'float64' });
    const expected = add(matmul(x, mixedByHand(engine, m, logits), { transB: true }), bias as Tensor);
    expectTensorClose(m.call(x), expected.dataSync(), { rtol: 1e-10, atol: 1e-10, shape: expected.shape });
  });

  it('gradients of the output w.r.t. the logits match central finite differences (rtol 1e-5)', async () => {
    const engine = createEngine({ seed: 5 });
    const info = convLayer('c', 4, 3, [3, 3], { padding: [1, 1, 1, 1], inputSize: [5, 5] });
    const { m } = await mixture(
      engine,
      info,
      tucker2(),
      [
        [1, 1],
        [2, 2],
        [4, 3],
      ],
      [0.1, -0.5, 0.9],
    );
    const x = engine.randn([2, 3, 5, 5], { dtype: 'float64' });
    const result = checkGradients(engine, (l) => m.applyWeight(x, m.mixedWeight(l)), [m.logits]);
    expect(result.worstRatio).toBeLessThanOrEqual(1);
    expect(result.analytic[0].some((g) => Math.abs(g) > 1e-6)).toBe(true);
  });

  it('refuses an empty candidate set, naming the layer', () => {
    const engine = createEngine();
    expect(() => new MixtureLayer(engine, linearLayer('head.fc', 3, 4), svd() as never, [], null)).toThrow(
      /'head\.fc' has no candidate ranks/,
    );
  });
});
