// Trains LeNet-5 on Fashion-MNIST (or evaluates saved weights) and prints one JSON line.
import { parseArgs } from 'node:util';
import { createEngine } from '@lowrank/core';
import { loadWeightsFile, saveModuleFile } from '@lowrank/core/node';
import { loadFashionMnist } from '@lowrank/fashion-mnist';
import { LeNet5 } from '@lowrank/models';
import { evaluate, train } from './train.js';

const USAGE = `usage: pnpm start [options]
  --data <bundled|full|DIR>  bundled subset (6,000/1,000, default), the full set from
                             /usr/share/datasets/fashion-mnist, or a directory of IDX files
  --epochs <n>               default 6
  --batch-size <n>           default 128
  --lr <x>                   peak one-cycle learning rate, default 0.05
  --seed <n>                 default 0
  --weights <file>           evaluate these .safetensors weights instead of training
                             (e.g. ../../../shared/models/fmnist-lenet5.safetensors)
  --out <file>               save the trained weights (.safetensors)`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string', default: 'bundled' },
      epochs: { type: 'string', default: '6' },
      'batch-size': { type: 'string', default: '128' },
      lr: { type: 'string', default: '0.05' },
      seed: { type: 'string', default: '0' },
      weights: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const epochs = positiveInt(values.epochs, 'epochs');
  const seed = Number(values.seed);
  const engine = createEngine({ seed });
  const model = new LeNet5(engine);
  const source = values.data;
  const started = Date.now();
  const testSet = await loadFashionMnist({ source, split: 'test' });

  if (values.weights) {
    await loadWeightsFile(model, values.weights);
    const accuracy = evaluate(engine, model, testSet);
    report({
      example: 'train-lenet5',
      mode: 'evaluate',
      weights: values.weights,
      data: source,
      test_accuracy: accuracy,
      epochs: 0,
      seconds: (Date.now() - started) / 1000,
    });
    return;
  }

  const trainSet = await loadFashionMnist({ source, split: 'train' });
  console.error(
    `LeNet-5 (${model.numParameters()} params) on ${trainSet.count} training images (${source}), ${epochs} epochs`,
  );
  const accuracy = train(engine, model, trainSet, testSet, {
    epochs,
    batchSize: positiveInt(values['batch-size'], 'batch-size'),
    lr: Number(values.lr),
    momentum: 0.9,
    weightDecay: 5e-4,
    seed,
    onEpoch: (epoch, loss, acc) =>
      console.error(
        `epoch ${epoch}: train loss ${loss.toFixed(4)}, test accuracy ${(100 * acc).toFixed(2)}%`,
      ),
  });
  if (values.out) await saveModuleFile(values.out, model);
  report({
    example: 'train-lenet5',
    test_accuracy: accuracy,
    epochs,
    seconds: (Date.now() - started) / 1000,
    data: source,
  });
}

function positiveInt(v: string | undefined, name: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`--${name} must be a positive integer, got '${v}'\n${USAGE}`);
  return n;
}

function report(fields: Record<string, unknown>): void {
  const { example, test_accuracy, epochs, seconds, ...rest } = fields;
  console.log(
    JSON.stringify({
      example,
      test_accuracy,
      epochs,
      seconds: Math.round(Number(seconds) * 10) / 10,
      ...rest,
    }),
  );
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
