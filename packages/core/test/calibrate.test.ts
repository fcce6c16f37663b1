import { describe, expect, it } from 'vitest';
import {
  type CalibrationBatch,
  type Collector,
  calibrate,
  createEngine,
  FROBENIUS,
  type NormPlugin,
  nn,
  normNeedsCalibration,
  sum,
} from '../src/index.js';

function setup() {
  const engine = createEngine({ seed: 1 });
  const fc = new nn.Linear(engine, 3, 2);
  const model = new nn.Sequential(engine, [fc, new nn.ReLU(engine)]);
  const batches: CalibrationBatch[] = [1, 2].map((n) => ({
    inputs: engine.randn([n, 3]),
    labels: engine.fromData(new Int32Array(n), [n]),
  }));
  return { engine, fc, model, batches };
}

/** A collector that records what it saw, checking the hooks fire between begin and end. */
function recorder(fc: nn.Linear, needsGradients = false) {
  const seen: string[] = [];
  let remove: (() => void) | null = null;
  const collector: Collector = {
    needsGradients,
    attach() {
      remove = fc.addForwardHook((_m, inputs) => seen.push(`hook ${inputs[0].shape[0]}`));
    },
    detach() {
      remove?.();
      remove = null;
      seen.push('detach');
    },
    beginBatch: (b) => seen.push(`begin ${b.inputs.shape[0]}`),
    endBatch(b, outputs) {
      seen.push(`end ${b.inputs.shape[0]} ${outputs.shape.join('x')}`);
      if (needsGradients) {
        const [g] = fc.engine.gradients(sum(outputs), [fc.weight]);
        seen.push(`grad ${g.shape.join('x')}`);
        g.dispose();
      }
    },
    statistics: () => new Map(),
  };
  return { collector, seen };
}

describe('calibrate', () => {
  it('calls beginBatch, the hooks and endBatch per batch in order, then detaches and restores training mode', async () => {
    const { fc, model, batches } = setup();
    const { collector, seen } = recorder(fc);
    const done: number[] = [];
    const count = await calibrate(model, [collector], batches, { onBatch: (d) => done.push(d) });
    expect(count).toBe(2);
    expect(done).toEqual([1, 2]);
    expect(seen).toEqual(['begin 1', 'hook 1', 'end 1 1x2', 'begin 2', 'hook 2', 'end 2 2x2', 'detach']);
    expect(model.training).toBe(true);
  });

  it('keeps the graph alive for collectors that need gradients', async () => {
    const { fc, model, batches } = setup();
    const { collector, seen } = recorder(fc, true);
    await calibrate(model, [collector], batches);
    expect(seen.filter((s) => s.startsWith('grad'))).toEqual(['grad 2x3', 'grad 2x3']);
  });

  it('detaches collectors when a batch fails, and refuses empty data', async () => {
    const { engine, fc, model } = setup();
    const { collector, seen } = recorder(fc);
    const bad = [{ inputs: engine.randn([1, 5]) }];
    await expect(calibrate(model, [collector], bad)).rejects.toThrow();
    expect(seen.at(-1)).toBe('detach');
    await expect(calibrate(model, [collector], [])).rejects.toThrow(/no batches/);
  });
});

describe('normNeedsCalibration', () => {
  const norm = (needsCalibration?: boolean): NormPlugin => ({
    kind: 'norm',
    name: 'test',
    ...(needsCalibration !== undefined && { needsCalibration }),
    collector: () => ({ attach() {}, detach() {}, statistics: () => new Map() }),
    metric: () => FROBENIUS,
  });

  it('is true unless the norm says needsCalibration: false', () => {
    expect(normNeedsCalibration(norm())).toBe(true);
    expect(normNeedsCalibration(norm(true))).toBe(true);
    expect(normNeedsCalibration(norm(false))).toBe(false);
  });
});
