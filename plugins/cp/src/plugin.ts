import {
  checkRanks,
  checkSupported,
  type DecompositionPlugin,
  type LayerInfo,
  type linalg,
  type Metric,
  projectByDecomposition,
  readWeight,
  readWhiteningFactor,
  type Support,
} from '@lowrank/core';
import { cpAls } from './als.js';
import { cpAlsSigma } from './als-sigma.js';
import { cpCost, maxRank } from './cost.js';
import type { CpModel } from './cp-model.js';
import { cpDeflation } from './deflation.js';
import { type CpFactors, disposeCp, reconstructWeight, toFactors } from './factors.js';
import { initialModel } from './init.js';
import { cpLayer } from './layers.js';
import { type CpOptions, parseOptions } from './options.js';

const NAME = 'cp';
const METRICS = ['frobenius', 'whitened'] as const;

function supports(layer: LayerInfo): Support {
  if (layer.kind !== 'linear' && layer.kind !== 'conv2d') {
    return {
      ok: false,
      reason: `it is a ${String(layer.kind)} layer; CP decomposes conv2d and linear layers`,
    };
  }
  if (layer.groups !== 1) {
    return {
      ok: false,
      reason: `it is a grouped conv (groups = ${layer.groups}); a CP of its [O, I/groups, Kh, Kw] kernel would mix the groups. Leave it dense`,
    };
  }
  return { ok: true };
}

/** The metric, if this plugin solves it: Frobenius (the default) or whitened (CP-ALS-Sigma). */
function checkMetric(layer: LayerInfo, metric: Metric | undefined): Metric {
  if (metric === undefined) return { kind: 'frobenius' };
  if ((METRICS as readonly string[]).includes(metric.kind)) return metric;
  throw new Error(
    `${NAME}: the '${metric.kind}' metric asked for '${layer.name}' has no solver in this plugin (it solves ${METRICS.join(' and ')}); ` +
      "core's decomposeWithMetric covers the others generically",
  );
}

/** CP-ALS-Sigma's start: the Frobenius CP-ALS fit with the same settings, or CP-ALS's init. */
function sigmaStart(x: linalg.NdArray, rank: number, o: CpOptions): CpModel {
  if (o.method !== 'als') {
    throw new Error(
      `${NAME}: method '${o.method}' has no Sigma variant; the whitened metric is solved by CP-ALS-Sigma (method 'als')`,
    );
  }
  return o.warmStart
    ? cpAls(x, rank, { ...o, onIteration: undefined })
    : initialModel(x, rank, o.init, o.seed);
}

/**
 * The CP decomposition plugin (Lebedev et al. 2015): CP-ALS (or the greedy deflation
 * baseline) of the 4-way conv kernel, the layer as four convolutions; a linear layer's
 * weight as a rank-R factorization, the layer as two linears. With the `'whitened'`
 * metric `{ factor: L }` it runs CP-ALS-Sigma, minimising `‖(W_mat - What_mat) L‖_F`.
 */
export function cp(): DecompositionPlugin<CpFactors> {
  const rankSpec = (layer: LayerInfo) => ({ labels: ['R'], min: [1], max: [maxRank(layer)] });
  const decompose: DecompositionPlugin<CpFactors>['decompose'] = async (
    weight,
    layer,
    ranks,
    options = {},
  ) => {
    checkSupported(NAME, layer, supports(layer));
    checkRanks(NAME, layer, ranks, rankSpec(layer));
    const metric = checkMetric(layer, options.metric);
    const o = parseOptions(layer, options);
    const x = await readWeight(NAME, layer, weight);
    const fit =
      metric.kind === 'whitened'
        ? cpAlsSigma(x, await readWhiteningFactor(NAME, layer, metric.factor), sigmaStart(x, ranks[0], o), o)
        : o.method === 'deflation'
          ? cpDeflation(x, ranks[0], o)
          : cpAls(x, ranks[0], o);
    return toFactors(weight.engine, fit, weight.dtype === 'float64' ? 'float64' : 'float32');
  };
  return {
    kind: 'decomposition',
    name: NAME,
    metrics: METRICS,
    supports,
    rankSpec,
    cost: (layer, ranks) => cpCost(layer, ranks[0]),
    decompose,
    reconstruct: reconstructWeight,
    project: projectByDecomposition(decompose, reconstructWeight, disposeCp),
    layer: cpLayer,
  };
}
