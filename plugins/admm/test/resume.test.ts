import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, optim } from '@lowrank/core';
import { svd } from '@lowrank/svd';
import { tt } from '@lowrank/tt';
import { afterAll, describe, expect, it } from 'vitest';
import { type AdmmTrainOptions, admmTrain, type CheckpointStore, memoryCheckpoint } from '../src/index.js';
import { fileCheckpoint } from '../src/node.js';
import { mlp, syntheticData } from './helpers.js';

const data = syntheticData(8, 3);
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** A run over a freshly built model; `init` seeds its initial weights. */
async function run(
  init: number,
  overrides: Partial<AdmmTrainOptions> & { kind: 'adam' | 'sgd' },
): Promise<{ weights: number[][]; history: unknown }> {
  const engine = createEngine({ seed: init });
  const model = mlp(engine);
  const params = model.parameters();
  const optimizer =
    overrides.kind === 'adam'
      ? new optim.Adam(params, { lr: 0.02 })
      : new optim.SGD(params, { lr: 0.05, momentum: 0.9, nesterov: true });
  const result = await admmTrain(engine, model, {
    layers: [
      { name: '0', decomposition: svd(), ranks: [2] },
      { name: '2', decomposition: tt({ linearCores: 2 }), ranks: [1] },
    ],
    rho: 0.3,
    rounds: 4,
    optimizer,
    schedule: optim.oneCycleSchedule({ maxLr: 0.05, total: 24 }),
    batches: data(16),
    ...overrides,
  });
  return { weights: params.map((p) => [...p.dataSync()]), history: result.history };
}

describe('checkpoint and resume', () => {
  for (const kind of ['adam', 'sgd'] as const) {
    it(`a run stopped after round 2 and resumed into a fresh model equals the uninterrupted one bit for bit (${kind}, one-cycle schedule)`, async () => {
      const straight = await run(5, { kind });
      const store = memoryCheckpoint();
      await run(5, { kind, rounds: 2, checkpoint: store });
      // The resumed run starts from other initial weights: everything must come from the checkpoint.
      const resumed = await run(99, { kind, checkpoint: store });
      expect(resumed.weights).toEqual(straight.weights);
      expect(resumed.history).toEqual(straight.history);
    });
  }

  it('a run that crashes mid-round resumes from the last file written and equals the uninterrupted one bit for bit', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'admm-'));
    dirs.push(dir);
    const path = join(dir, 'run.ckpt');
    const straight = await run(6, { kind: 'adam' });
    const crash = run(6, {
      kind: 'adam',
      checkpoint: fileCheckpoint(path),
      onStep: (s) => {
        if (s.round === 3 && s.step === 2) throw new Error('simulated crash');
      },
    });
    await expect(crash).rejects.toThrow('simulated crash');
    expect(await readdir(dir)).toEqual(['run.ckpt']);
    const resumed = await run(7, { kind: 'adam', checkpoint: fileCheckpoint(path) });
    expect(resumed.weights).toEqual(straight.weights);
    expect(resumed.history).toEqual(straight.history);
  });

  it('a checkpoint of other layers, ranks or rho is refused with what differs', async () => {
    const store: CheckpointStore = memoryCheckpoint();
    await run(1, { kind: 'sgd', rounds: 1, checkpoint: store });
    await expect(
      run(1, { kind: 'sgd', checkpoint: store, layers: [{ name: '0', decomposition: svd(), ranks: [3] }] }),
    ).rejects.toThrow(/checkpoint is for layers 0 \[2\]; 2 \[1\], this run constrains 0 \[3\]/);
    await expect(run(1, { kind: 'sgd', checkpoint: store, rho: 0.1 })).rejects.toThrow(
      /rho = 0.3, this run asks for 0.1/,
    );
  });
});
