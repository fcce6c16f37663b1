import { type CalibrationBatch, type CalibrationLayer, type Collector, formatShape } from '@lowrank/core';
import { LwiqStatistics } from './lwiq-statistics.js';
import { pooledFeatures } from './pooled-features.js';

/**
 * A collector of `LwiqStatistics` for each layer. `beginBatch` reads the batch's labels;
 * a forward hook on each layer pools its output per channel and adds the embeddings with
 * those labels, and does the same with its input into the statistics' `input` (the
 * baseline of the `'gain'` score: what the layer adds to the features it is given). The
 * tensors may be freed right after the call, so the hook reads them synchronously
 * (`dataSync`): calibrate on the CPU backend.
 */
export function lwiqCollector(layers: readonly CalibrationLayer[], imprintSamples: number): Collector {
  const stats = new Map(
    layers.map(({ info }) => {
      const s = new LwiqStatistics(info.name, info.outChannels, imprintSamples);
      s.input = new LwiqStatistics(`input of ${info.name}`, info.inChannels, imprintSamples);
      return [info.name, s];
    }),
  );
  let labels: ArrayLike<number> | null = null;
  /** Layers already seen in the current batch: a second call would misalign samples and labels. */
  const seen = new Set<string>();
  const removers: (() => void)[] = [];
  const detach = () => {
    for (const remove of removers.splice(0)) remove();
    labels = null;
  };

  const beginBatch = (batch: CalibrationBatch) => {
    if (!batch.labels) {
      throw new Error(
        'lwiq: a calibration batch has no labels; LWIQ imprints class weights from labelled data, so pass batches as { inputs, labels } with labels an integer tensor [N] of class indices',
      );
    }
    const n = batch.inputs.shape[0];
    if (batch.labels.size !== n) {
      throw new RangeError(
        `lwiq: a calibration batch has ${n} inputs and labels of shape ${formatShape(batch.labels.shape)}; give one class index per input`,
      );
    }
    labels = batch.labels.dataSync();
    seen.clear();
  };

  return {
    attach() {
      detach();
      for (const { info, module } of layers) {
        const s = stats.get(info.name) as LwiqStatistics;
        removers.push(
          module.addForwardHook((_m, inputs, output) => {
            if (!labels) {
              throw new Error(
                `lwiq: '${info.name}' ran with no labelled batch begun; run calibration through core's calibrate(model, [collector], batches) with batches { inputs, labels }`,
              );
            }
            if (seen.has(info.name)) {
              throw new Error(
                `lwiq: '${info.name}' ran twice in one batch (a shared module?); its outputs would no longer match the labels. Calibrate layers that run once per forward pass`,
              );
            }
            seen.add(info.name);
            const shape = output.shape;
            if (shape[0] !== labels.length || shape[1] !== info.outChannels) {
              throw new RangeError(
                `lwiq: '${info.name}' output ${formatShape(shape)} does not match ${labels.length} labels and ${info.outChannels} channels`,
              );
            }
            const input = inputs[0];
            if (input.shape[0] !== labels.length || input.shape[1] !== info.inChannels) {
              throw new RangeError(
                `lwiq: '${info.name}' input ${formatShape(input.shape)} does not match ${labels.length} labels and ${info.inChannels} channels`,
              );
            }
            s.add(pooledFeatures(output.dataSync(), shape, info.name), labels);
            (s.input as LwiqStatistics).add(pooledFeatures(input.dataSync(), input.shape, info.name), labels);
          }),
        );
      }
    },
    detach,
    beginBatch,
    statistics: () => new Map(stats),
  };
}
