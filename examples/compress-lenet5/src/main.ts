// Compresses the reference LeNet-5 about 3x (Tucker2-Sigma convs, SVD-Sigma linears),
// fine-tunes it with distillation, saves it and checks that it reloads.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatReport, type ProgressEvent } from '@lowrank/compress';
import { BATCH_SIZE, runDemo } from './demo.js';
import { REFERENCE_WEIGHTS } from './reference-model.js';

const DEFAULT_OUT = fileURLToPath(new URL('../out/lenet5-compressed.safetensors', import.meta.url));

const USAGE = `usage: pnpm start [options]
  --ratio <x>          whole-model compression ratio (params before / after), default 3
  --fine-tune-epochs <n>  epochs of fine-tuning with distillation on the 6,000 bundled
                       training images, default 1 (0: none)
  --lambda <x>         weight of the distillation loss, default 0.01
  --lr <x>             fine-tuning learning rate (SGD, momentum 0.9, cosine), default 0.003
  --weights <file>     the dense model (default: PyTorch's reference, ${REFERENCE_WEIGHTS};
                       trained here on the bundled subset when missing)
  --out <file>         where the compressed model goes, default ${DEFAULT_OUT}
  --seed <n>           default 0`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      ratio: { type: 'string', default: '3' },
      'fine-tune-epochs': { type: 'string', default: '1' },
      lambda: { type: 'string', default: '0.01' },
      lr: { type: 'string', default: '0.003' },
      weights: { type: 'string', default: REFERENCE_WEIGHTS },
      out: { type: 'string', default: DEFAULT_OUT },
      seed: { type: 'string', default: '0' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const ratio = positive(values.ratio, 'ratio');
  const epochs = Number(values['fine-tune-epochs']);
  if (!Number.isInteger(epochs) || epochs < 0) usageError(`--fine-tune-epochs must be an integer >= 0`);
  const lambda = Number(values.lambda);
  if (!(lambda >= 0)) usageError(`--lambda must be >= 0`);
  const lr = positive(values.lr, 'lr');
  const seed = Number(values.seed);
  const out = resolve(values.out);
  const started = Date.now();

  const { report, reloadedAccuracy } = await runDemo({
    ratio,
    fineTuneEpochs: epochs,
    lambda,
    lr,
    weights: values.weights,
    out,
    seed,
    onProgress: progressPrinter(Math.ceil(6000 / BATCH_SIZE)),
    log,
  });
  console.log(`\n${formatReport(report)}\n`);
  log(
    `saved to ${out}; reloaded: ${report.total.model.after.params} params, test accuracy ${pct(reloadedAccuracy)}`,
  );
  console.log(
    JSON.stringify({
      example: 'compress-lenet5',
      params_before: report.total.model.before.params,
      params_after: report.total.model.after.params,
      ratio: round(report.total.model.ratio, 3),
      macs_reduction: round(report.total.model.flopsReduction, 3),
      accuracy_before: report.accuracy?.before,
      accuracy_after: report.accuracy?.after,
      accuracy_fine_tuned: report.accuracy?.fineTuned,
      seconds: round((Date.now() - started) / 1000, 1),
      out,
    }),
  );
}

/** Prints each step with its time, decomposed layers, and fine-tuning progress every 10%. */
function progressPrinter(batchesPerEpoch: number): (e: ProgressEvent) => void {
  let lastDecile = -1;
  return (e) => {
    if (e.type === 'step-start') lastDecile = -1;
    else if (e.type === 'step-end') log(`[${e.step}] done in ${e.seconds.toFixed(1)} s`);
    else if (e.type === 'layer')
      log(`[${e.step}] ${e.layer} (${e.index + 1}/${e.count}) in ${e.seconds.toFixed(2)} s`);
    else if (e.type === 'epoch') {
      log(
        `[fine-tune] epoch ${e.epoch}/${e.epochs}: loss ${e.loss.toFixed(4)}, test accuracy ${pct(e.accuracy ?? 0)}`,
      );
    } else if (e.type === 'batch' && e.step === 'fine-tune') {
      const decile = Math.floor((10 * e.batch) / batchesPerEpoch);
      if (decile !== lastDecile) {
        lastDecile = decile;
        log(`[fine-tune] epoch ${e.epoch}, batch ${e.batch}: loss ${e.loss?.toFixed(4)}`);
      }
    }
  };
}

function log(line: string): void {
  console.error(line);
}

function pct(v: number): string {
  return `${(100 * v).toFixed(2)}%`;
}

function round(v: number, digits: number): number {
  return Math.round(v * 10 ** digits) / 10 ** digits;
}

function positive(v: string | undefined, name: string): number {
  const n = Number(v);
  if (!(n > 0)) usageError(`--${name} must be a positive number, got '${v}'`);
  return n;
}

function usageError(message: string): never {
  throw new Error(`${message}\n${USAGE}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
