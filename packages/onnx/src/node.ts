// Node-only helpers (file system), kept out of the main entry so that the package runs in browsers.
import { readFile } from 'node:fs/promises';
import type { Engine, nn } from '@lowrank/core';
import { writeFileAtomic } from '@lowrank/core/node';
import { type ExportOnnxOptions, exportOnnx } from './export/export-onnx.js';
import { type ImportOnnxOptions, importOnnx } from './import/import-onnx.js';
import type { OnnxGraph } from './import/onnx-graph.js';

/** Reads an .onnx file into an `OnnxGraph` (see `importOnnx`). */
export async function importOnnxFile(
  engine: Engine,
  path: string,
  options: ImportOnnxOptions = {},
): Promise<OnnxGraph> {
  return importOnnx(engine, new Uint8Array(await readFile(path)), options);
}

/**
 * Writes a model as an .onnx file (see `exportOnnx`). The whole model is serialised before
 * the file is touched, and the write is atomic: on any failure no file, or the old one, is left.
 */
export async function exportOnnxFile(
  model: nn.Module,
  path: string,
  options: ExportOnnxOptions = {},
): Promise<void> {
  const bytes = await exportOnnx(model, options);
  await writeFileAtomic(path, bytes);
}
