import { ARCHITECTURE_NAMES, type ArchitectureName } from './architectures.js';
import type { CliIo } from './cli-io.js';
import { SAMPLE_SHAPE } from './dataset.js';
import { createCliEngine } from './engine-setup.js';
import { formatLayerTable, type LayerTable, layerTable } from './layer-table.js';
import { loadModelFile } from './model-file.js';
import {
  choiceFlag,
  type OptionSpecs,
  onePositional,
  parseCommandLine,
  stringFlag,
} from './parse-command-line.js';

const COMMAND = 'info';

export const INFO_OPTIONS: OptionSpecs = {
  arch: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

export interface InfoOptions {
  model: string;
  arch?: ArchitectureName;
}

export function parseInfoOptions(argv: readonly string[]): InfoOptions {
  const { values, positionals } = parseCommandLine(COMMAND, argv, INFO_OPTIONS);
  return {
    model: onePositional(COMMAND, positionals, 'model file (.onnx or .safetensors)'),
    arch: choiceFlag(COMMAND, 'arch', stringFlag(values, 'arch'), ARCHITECTURE_NAMES),
  };
}

/** Runs `lowrank info`: prints the layer table and returns it. */
export async function runInfo(options: InfoOptions, io: CliIo): Promise<LayerTable> {
  const engine = createCliEngine({ seed: 0, decompositions: [] });
  const loaded = await loadModelFile(engine, options.model, { command: COMMAND, arch: options.arch });
  try {
    const inputShape = loaded.inputShape ?? [...SAMPLE_SHAPE];
    const table = layerTable(loaded.model, inputShape);
    io.stdout(
      `${options.model}: ${loaded.description}, input [N, ${inputShape.join(', ')}]\n\n${formatLayerTable(table)}\n`,
    );
    return table;
  } finally {
    loaded.model.dispose();
  }
}
