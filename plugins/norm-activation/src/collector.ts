import type { CalibrationLayer, Collector, Tensor } from '@lowrank/core';
import { ActivationStatistics, checkOutputShape } from './activation-statistics.js';

interface Pending {
  stats: ActivationStatistics;
  /** `sum |y_o|` per channel for one call, still on the backend. */
  sums: Tensor;
  count: number;
}

/**
 * A collector of `ActivationStatistics` for each layer. A forward hook reduces the layer's
 * output to per-channel sums of `|y|` on the backend (nothing large leaves it); the sums
 * are read after each batch by `calibrate(...)` (`endBatch`), or by `statistics()` for
 * calls made outside it (a synchronous read: the CPU backend).
 */
export function activationCollector(layers: readonly CalibrationLayer[]): Collector {
  const stats = new Map(layers.map(({ info }) => [info.name, new ActivationStatistics(info)]));
  const pending: Pending[] = [];
  const removers: (() => void)[] = [];

  const reduce = (s: ActivationStatistics, output: Tensor): Pending => {
    const engine = output.engine;
    const o = s.layer.outChannels;
    const conv = s.layer.kind === 'conv2d';
    checkOutputShape(s.layer, output.shape);
    const axes = conv ? [0, 2, 3] : Array.from({ length: output.rank - 1 }, (_, i) => i);
    const sums = engine.keep(engine.noGrad(() => engine.tidy(() => output.abs().sum(axes))));
    return { stats: s, sums, count: output.size / o };
  };
  const flush = async () => {
    for (const p of pending.splice(0)) {
      try {
        p.stats.addSums(await p.sums.data(), p.count);
      } finally {
        p.sums.dispose();
      }
    }
  };
  const flushSync = () => {
    for (const p of pending.splice(0)) {
      try {
        p.stats.addSums(p.sums.dataSync(), p.count);
      } finally {
        p.sums.dispose();
      }
    }
  };
  const detach = () => {
    for (const remove of removers.splice(0)) remove();
  };

  return {
    attach() {
      detach();
      for (const { info, module } of layers) {
        const s = stats.get(info.name) as ActivationStatistics;
        removers.push(module.addForwardHook((_m, _inputs, output) => pending.push(reduce(s, output))));
      }
    },
    detach,
    endBatch: flush,
    statistics() {
      flushSync();
      return new Map(stats);
    },
  };
}
