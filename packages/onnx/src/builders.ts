import type { nn } from '@lowrank/core';
import type { GraphSpec } from './import/graph-spec.js';
import { OnnxContainer, OnnxGraph } from './import/onnx-graph.js';

/**
 * Builders for `loadModule`/`buildModule` of a saved imported graph: pass them (with the
 * builders of any factorized layers it holds) to rebuild an `OnnxGraph` without the ONNX file.
 */
export const moduleBuilders: Readonly<Record<string, nn.ModuleBuilder>> = {
  OnnxGraph: (engine, config, children) =>
    new OnnxGraph(engine, config as unknown as GraphSpec, Object.entries(children)),
  OnnxContainer: (engine, _config, children) => new OnnxContainer(engine, Object.entries(children)),
};
