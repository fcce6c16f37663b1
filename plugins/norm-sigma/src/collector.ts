import type { CalibrationLayer, Collector } from '@lowrank/core';
import { SigmaStatistics } from './sigma-statistics.js';

/**
 * A collector of `SigmaStatistics` for each layer: `attach` adds a forward hook that
 * reads the layer's input during the call (the input may be freed right after it, so it
 * is read synchronously: calibrate on the CPU backend).
 */
export function sigmaCollector(layers: readonly CalibrationLayer[]): Collector {
  const stats = new Map(layers.map(({ info }) => [info.name, new SigmaStatistics(info)]));
  const removers: (() => void)[] = [];
  const detach = () => {
    for (const remove of removers.splice(0)) remove();
  };
  return {
    attach() {
      detach();
      for (const { info, module } of layers) {
        const s = stats.get(info.name) as SigmaStatistics;
        removers.push(module.addForwardHook((_m, inputs) => s.add(inputs[0])));
      }
    },
    detach,
    statistics: () => new Map(stats),
  };
}
