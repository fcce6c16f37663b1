import { access, constants, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { type CompressionReport, type CompressRecipe, compress, formatReport } from '@lowrank/compress';
import { type Engine, nn, normNeedsCalibration } from '@lowrank/core';
import { tensorBatches } from '@lowrank/fashion-mnist';
import { ARCHITECTURE_NAMES } from './architectures.js';
import type { CliIo } from './cli-io.js';
import { batchCount, type Dataset, openDataset, SAMPLE_SHAPE } from './dataset.js';
import {
  createCliEngine,
  DECOMPOSITIONS,
  type DecompositionName,
  NORMS,
  type NormName,
  normPlugin,
  SELECTOR_PLUGIN_NAMES,
  SELECTORS,
  type SelectorName,
} from './engine-setup.js';
import { layerPatterns } from './layer-patterns.js';
import { loadModelFile, type ModelFormat, modelFormat } from './model-file.js';
import { writeOnnxModel } from './onnx-model.js';
import {
  choiceFlag,
  integerFlag,
  listFlag,
  numberFlag,
  type OptionSpecs,
  onePositional,
  parseCommandLine,
  stringFlag,
} from './parse-command-line.js';
import { ProgressReporter } from './progress-reporter.js';
import { type ReportSettings, renderReportHtml } from './report-html.js';
import { UsageError } from './usage-error.js';
import { writeFilesAtomic } from './write-files-atomic.js';

const COMMAND = 'compress';

export const COMPRESS_OPTIONS: OptionSpecs = {
  output: { type: 'string', short: 'o' },
  decomposition: { type: 'string' },
  norm: { type: 'string' },
  ranks: { type: 'string' },
  ratio: { type: 'string' },
  include: { type: 'string', multiple: true },
  exclude: { type: 'string', multiple: true },
  data: { type: 'string' },
  calib: { type: 'string' },
  eval: { type: 'string' },
  'finetune-epochs': { type: 'string' },
  'finetune-images': { type: 'string' },
  lr: { type: 'string' },
  lambda: { type: 'string' },
  report: { type: 'string' },
  arch: { type: 'string' },
  seed: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
};

/** Batch sizes: calibration and evaluation run without gradients, fine-tuning with. */
const EVAL_BATCH = 250;
const FINETUNE_BATCH = 64;

/** What `lowrank compress` was asked to do, validated. */
export interface CompressOptions {
  model: string;
  output: string;
  outputFormat: ModelFormat;
  decomposition?: DecompositionName;
  norm: NormName;
  selector: SelectorName;
  ratio: number;
  include: string[];
  exclude: string[];
  data: string;
  calib: number;
  eval: number;
  fineTuneEpochs: number;
  fineTuneImages?: number;
  lr: number;
  lambda: number;
  report?: string;
  arch?: (typeof ARCHITECTURE_NAMES)[number];
  seed: number;
  quiet: boolean;
}

/** Parses and checks the arguments of `lowrank compress`; every mistake is a usage error naming its flag. */
export function parseCompressOptions(argv: readonly string[]): CompressOptions {
  const { values, positionals } = parseCommandLine(COMMAND, argv, COMPRESS_OPTIONS);
  const model = onePositional(COMMAND, positionals, 'model file (.onnx or .safetensors)');
  const output = stringFlag(values, 'output');
  if (output === undefined)
    throw new UsageError('missing -o/--output <file> (.onnx or .safetensors)', COMMAND);
  const outputFormat = modelFormat(output, '-o/--output', COMMAND);
  modelFormat(model, 'the model', COMMAND);
  const norm = choiceFlag(COMMAND, 'norm', stringFlag(values, 'norm'), NORMS) ?? 'sigma';
  const calib = integerFlag(COMMAND, 'calib', stringFlag(values, 'calib'), 1000);
  if (calib === 0 && normNeedsCalibration(normPlugin(norm))) {
    const without = NORMS.filter((n) => !normNeedsCalibration(normPlugin(n)));
    throw new UsageError(
      `--norm ${norm} learns from calibration images; give --calib > 0 or use --norm ${without.join(' or ')}`,
      COMMAND,
    );
  }
  const report = stringFlag(values, 'report');
  if (report !== undefined && !/\.html?$/i.test(report)) {
    throw new UsageError(`--report '${report}' must end in .html`, COMMAND);
  }
  if (report !== undefined && resolve(report) === resolve(output)) {
    throw new UsageError('--report and -o/--output name the same file; give them different names', COMMAND);
  }
  const fineTuneImages = stringFlag(values, 'finetune-images');
  return {
    model,
    output,
    outputFormat,
    decomposition: choiceFlag(COMMAND, 'decomposition', stringFlag(values, 'decomposition'), DECOMPOSITIONS),
    norm,
    selector: choiceFlag(COMMAND, 'ranks', stringFlag(values, 'ranks'), SELECTORS) ?? 'budget',
    ratio: ratioFlag(stringFlag(values, 'ratio')),
    include: listFlag(values, 'include'),
    exclude: listFlag(values, 'exclude'),
    data: stringFlag(values, 'data') ?? 'fashion-mnist',
    calib,
    eval: integerFlag(COMMAND, 'eval', stringFlag(values, 'eval'), 1000),
    fineTuneEpochs: integerFlag(COMMAND, 'finetune-epochs', stringFlag(values, 'finetune-epochs'), 0),
    fineTuneImages:
      fineTuneImages === undefined
        ? undefined
        : integerFlag(COMMAND, 'finetune-images', fineTuneImages, 0, 1),
    lr: numberFlag(COMMAND, 'lr', stringFlag(values, 'lr'), 0.003),
    lambda: numberFlag(COMMAND, 'lambda', stringFlag(values, 'lambda'), 0.01, { allowZero: true }),
    report,
    arch: choiceFlag(COMMAND, 'arch', stringFlag(values, 'arch'), ARCHITECTURE_NAMES),
    seed: integerFlag(COMMAND, 'seed', stringFlag(values, 'seed'), 0),
    quiet: values.quiet === true,
  };
}

function ratioFlag(value: string | undefined): number {
  const ratio = numberFlag(COMMAND, 'ratio', value, 2);
  if (ratio <= 1) {
    throw new UsageError(
      `--ratio is params before / after and must be > 1 (2 means half the params), got '${value}'`,
      COMMAND,
    );
  }
  return ratio;
}

/** Runs `lowrank compress`: returns the report after writing the model (and the HTML report). */
export async function runCompress(options: CompressOptions, io: CliIo): Promise<CompressionReport> {
  await checkWritable(options.output, '-o/--output');
  if (options.report !== undefined) await checkWritable(options.report, '--report');
  const data = await openDataset(options.data, COMMAND);
  const progress = new ProgressReporter(io, { tty: io.stderrIsTty, quiet: options.quiet });
  const engine = createCliEngine({
    seed: options.seed,
    decompositions: options.decomposition ? [options.decomposition] : ['tucker2', 'svd'],
    norm: options.norm,
    selector: options.selector,
    sigmaErrors: options.calib > 0,
  });
  const loaded = await loadModelFile(engine, options.model, { command: COMMAND, arch: options.arch });
  const model = loaded.model;
  try {
    const inputShape = loaded.inputShape ?? [...SAMPLE_SHAPE];
    checkInputShape(inputShape, data);
    progress.log(
      `${options.model}: ${loaded.description}, ${model.numParameters().toLocaleString('en-US')} params`,
    );
    const recipe = await compressRecipe(engine, options, data, inputShape, progress);
    const { report } = await compress(engine, model, { ...recipe, onProgress: progress.onProgress });
    // Everything is encoded before anything is written, so a failure leaves no file.
    const files = [
      { path: options.output, data: await encodeModel(model, options.outputFormat, inputShape) },
    ];
    if (options.report !== undefined) {
      const html = renderReportHtml(report, reportSettings(options, data));
      files.push({ path: options.report, data: new TextEncoder().encode(html) });
    }
    await writeFilesAtomic(files);
    progress.finish();
    io.stdout(`${formatReport(report)}\n`);
    progress.log(`wrote ${options.output}${options.report === undefined ? '' : ` and ${options.report}`}`);
    return report;
  } finally {
    model.dispose();
  }
}

/** The recipe for compress: layers, norm, ranks and the data of each step as the flags say. */
async function compressRecipe(
  engine: Engine,
  options: CompressOptions,
  data: Dataset,
  inputShape: number[],
  progress: ProgressReporter,
): Promise<CompressRecipe> {
  const train = options.calib > 0 || options.fineTuneEpochs > 0 ? await data.train() : undefined;
  const test = options.eval > 0 ? await data.test() : undefined;
  const fineTuneImages = Math.min(options.fineTuneImages ?? Number.POSITIVE_INFINITY, train?.count ?? 0);
  const evaluation = test && tensorBatches(engine, test, { batchSize: EVAL_BATCH, count: options.eval });
  const evalBatches = test ? batchCount(options.eval, test.count, EVAL_BATCH) : 0;
  const fineTuneBatches = Math.ceil(fineTuneImages / FINETUNE_BATCH);
  progress.expectBatches({
    calibrate: train ? batchCount(options.calib, train.count, EVAL_BATCH) : 0,
    'evaluate-before': evalBatches,
    'evaluate-after': evalBatches,
    'evaluate-fine-tuned': evalBatches,
    'fine-tune': fineTuneBatches,
  });
  return {
    decomposition: options.decomposition ?? { conv: 'tucker2', linear: 'svd' },
    include: options.include.length > 0 ? layerPatterns(options.include) : undefined,
    exclude: options.exclude.length > 0 ? layerPatterns(options.exclude) : undefined,
    norm: options.norm,
    ranks: {
      selector: SELECTOR_PLUGIN_NAMES[options.selector],
      budget: { kind: 'ratio', value: options.ratio, scope: 'model' },
    },
    calibration:
      train && options.calib > 0
        ? tensorBatches(engine, train, { batchSize: EVAL_BATCH, count: options.calib })
        : undefined,
    inputShape,
    evaluation,
    fineTune:
      train && options.fineTuneEpochs > 0
        ? {
            data: (epoch) =>
              tensorBatches(engine, train, {
                batchSize: FINETUNE_BATCH,
                count: fineTuneImages,
                shuffleSeed: options.seed + epoch,
              }),
            epochs: options.fineTuneEpochs,
            optimizer: 'sgd',
            lr: options.lr,
            momentum: 0.9,
            schedule: 'cosine',
            batchesPerEpoch: fineTuneBatches,
            lambda: options.lambda,
          }
        : undefined,
    seed: options.seed,
  };
}

/** The output's directory must exist and be writable before minutes of work go into it. */
async function checkWritable(path: string, flag: string): Promise<void> {
  const dir = dirname(resolve(path));
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new UsageError(`${flag} '${path}': the directory ${dir} does not exist; create it first`, COMMAND);
  }
  if ((await stat(path).catch(() => undefined))?.isDirectory()) {
    throw new UsageError(`${flag} '${path}' is a directory; give a file name`, COMMAND);
  }
  try {
    await access(dir, constants.W_OK);
  } catch {
    throw new Error(`${flag} '${path}': cannot write to the directory ${dir}; choose a writable place`);
  }
}

function checkInputShape(inputShape: readonly number[], data: Dataset): void {
  if (inputShape.join() !== SAMPLE_SHAPE.join()) {
    throw new Error(
      `the model takes samples of shape [${inputShape.join(', ')}], but ${data.description} has images of [${SAMPLE_SHAPE.join(', ')}]`,
    );
  }
}

async function encodeModel(
  model: nn.Module,
  format: ModelFormat,
  inputShape: readonly number[],
): Promise<Uint8Array> {
  return format === 'onnx' ? writeOnnxModel(model, inputShape) : nn.saveModule(model);
}

function reportSettings(options: CompressOptions, data: Dataset): ReportSettings {
  return {
    model: options.model,
    output: options.output,
    decomposition: options.decomposition ?? 'tucker2 (conv), svd (linear)',
    norm: options.norm,
    selector: SELECTOR_PLUGIN_NAMES[options.selector],
    ratio: options.ratio,
    data: data.description,
    calibrationImages: options.calib,
    evaluationImages: options.eval > 0 ? options.eval : undefined,
    fineTune:
      options.fineTuneEpochs > 0
        ? { epochs: options.fineTuneEpochs, lr: options.lr, lambda: options.lambda }
        : undefined,
    seed: options.seed,
  };
}
