import { evaluate } from '@lowrank/compress';
import { tensorBatches } from '@lowrank/fashion-mnist';
import { ARCHITECTURE_NAMES, type ArchitectureName } from './architectures.js';
import type { CliIo } from './cli-io.js';
import { batchCount, openDataset, SAMPLE_SHAPE } from './dataset.js';
import { createCliEngine } from './engine-setup.js';
import { loadModelFile } from './model-file.js';
import { onnxruntimeAccuracy } from './onnxruntime-accuracy.js';
import {
  choiceFlag,
  integerFlag,
  type OptionSpecs,
  onePositional,
  parseCommandLine,
  stringFlag,
} from './parse-command-line.js';
import { ProgressReporter } from './progress-reporter.js';
import { UsageError } from './usage-error.js';

const COMMAND = 'eval';
const BATCH = 250;

export const EVAL_OPTIONS: OptionSpecs = {
  data: { type: 'string' },
  count: { type: 'string' },
  onnxruntime: { type: 'boolean' },
  arch: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
};

export interface EvalOptions {
  model: string;
  data: string;
  count: number;
  onnxruntime: boolean;
  arch?: ArchitectureName;
  quiet: boolean;
}

export function parseEvalOptions(argv: readonly string[]): EvalOptions {
  const { values, positionals } = parseCommandLine(COMMAND, argv, EVAL_OPTIONS);
  const model = onePositional(COMMAND, positionals, 'model file (.onnx or .safetensors)');
  const onnxruntime = values.onnxruntime === true;
  if (onnxruntime && !model.toLowerCase().endsWith('.onnx')) {
    throw new UsageError(`--onnxruntime runs .onnx models only; '${model}' is not one`, COMMAND);
  }
  return {
    model,
    data: stringFlag(values, 'data') ?? 'fashion-mnist',
    count: integerFlag(COMMAND, 'count', stringFlag(values, 'count'), 1000, 1),
    onnxruntime,
    arch: choiceFlag(COMMAND, 'arch', stringFlag(values, 'arch'), ARCHITECTURE_NAMES),
    quiet: values.quiet === true,
  };
}

export interface EvalResult {
  /** Test images used. */
  count: number;
  accuracy: number;
  /** The same through onnxruntime-node, when asked. */
  onnxruntime?: number;
}

/** Runs `lowrank eval`: prints the top-1 accuracy and returns it. */
export async function runEval(options: EvalOptions, io: CliIo): Promise<EvalResult> {
  const data = await openDataset(options.data, COMMAND);
  const engine = createCliEngine({ seed: 0, decompositions: [] });
  const loaded = await loadModelFile(engine, options.model, { command: COMMAND, arch: options.arch });
  try {
    const inputShape = loaded.inputShape ?? [...SAMPLE_SHAPE];
    if (inputShape.join() !== SAMPLE_SHAPE.join()) {
      throw new Error(
        `the model takes samples of shape [${inputShape.join(', ')}], but ${data.description} has images of [${SAMPLE_SHAPE.join(', ')}]`,
      );
    }
    const test = await data.test();
    const count = Math.min(options.count, test.count);
    const progress = new ProgressReporter(io, { tty: io.stderrIsTty, quiet: options.quiet });
    const batches = batchCount(count, test.count, BATCH);
    const accuracy = await evaluate(
      loaded.model,
      tensorBatches(engine, test, { batchSize: BATCH, count }),
      (batch) => progress.batch('evaluate', batch, batches),
    );
    progress.finish();
    const result: EvalResult = { count, accuracy };
    io.stdout(`accuracy ${percent(accuracy)} on ${count} test images of ${data.description}\n`);
    if (options.onnxruntime) {
      result.onnxruntime = await onnxruntimeAccuracy(options.model, test, count);
      io.stdout(`onnxruntime-node: accuracy ${percent(result.onnxruntime)}\n`);
    }
    return result;
  } finally {
    loaded.model.dispose();
  }
}

function percent(v: number): string {
  return `${(100 * v).toFixed(2)}%`;
}
