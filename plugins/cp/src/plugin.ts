import {
  checkFrobenius,
  checkRanks,
  checkSupported,
  type DecompositionPlugin,
  type LayerInfo,
  readWeight,
  type Support,
} from '@lowrank/core';
import { cpAls } from './als.js';
import { cpCost, maxRank } from './cost.js';
import { cpDeflation } from './deflation.js';
import { type CpFactors, reconstructWeight, toFactors } from './factors.js';
import { cpLayer } from './layers.js';
import { parseOptions } from './options.js';

const NAME = 'cp';

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

/**
 * The CP decomposition plugin (Lebedev et al. 2015): CP-ALS (or the greedy deflation
 * baseline) of the 4-way conv kernel, the layer as four convolutions; a linear layer's
 * weight as a rank-R factorization, the layer as two linears.
 */
export function cp(): DecompositionPlugin<CpFactors> {
  const rankSpec = (layer: LayerInfo) => ({ labels: ['R'], min: [1], max: [maxRank(layer)] });
  const plugin: DecompositionPlugin<CpFactors> = {
    kind: 'decomposition',
    name: NAME,
    supports,
    rankSpec,
    cost: (layer, ranks) => cpCost(layer, ranks[0]),
    async decompose(weight, layer, ranks, options = {}) {
      checkSupported(NAME, layer, supports(layer));
      checkRanks(NAME, layer, ranks, rankSpec(layer));
      checkFrobenius(NAME, layer, options.metric);
      const o = parseOptions(layer, options);
      const x = await readWeight(NAME, layer, weight);
      const fit = o.method === 'deflation' ? cpDeflation(x, ranks[0], o) : cpAls(x, ranks[0], o);
      return toFactors(weight.engine, fit, weight.dtype === 'float64' ? 'float64' : 'float32');
    },
    reconstruct: reconstructWeight,
    async project(weight, layer, ranks, metric) {
      const f = await plugin.decompose(weight, layer, ranks, { metric });
      const dense = reconstructWeight(f);
      f.lambda.dispose();
      for (const t of f.factors) t.dispose();
      return dense;
    },
    layer: cpLayer,
  };
  return plugin;
}
