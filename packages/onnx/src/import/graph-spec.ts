import type { nn } from '@lowrank/core';

/**
 * An imported graph without its weights (the JSON config of an `OnnxGraph`): the nodes in
 * order, each either a layer node run by a child module or an operator node run with core
 * ops; integer constants inline; float constants as buffers of the graph module.
 */
export interface GraphSpec {
  inputName: string;
  /** The graph input's per-sample dimensions (after the batch axis); null where dynamic. */
  inputShape: (number | null)[];
  outputName: string;
  /** The output's per-sample dimensions as the file declares them; null where dynamic or undeclared. */
  outputShape: (number | null)[] | null;
  /** The default-domain opset the graph was written for. */
  opset: number;
  /** The dtype of the float buffers and of the values the graph computes. */
  dtype: 'float32' | 'float64';
  nodes: NodeSpec[];
  /** Integer constants (Reshape shapes, axes) by value name. */
  ints: Record<string, IntConstant>;
  /** Float constants by value name: the buffer of the graph module that holds each. */
  floats: Record<string, { buffer: string; dims: number[] }>;
}

export interface IntConstant {
  dims: number[];
  values: number[];
}

/** A Conv, Gemm, MatMul or BatchNormalization node whose weights became a child module. */
export interface LayerNodeSpec {
  kind: 'layer';
  name: string;
  opType: 'Conv' | 'Gemm' | 'MatMul' | 'BatchNormalization';
  /** The dotted path of the child module (`layer1.c1`). */
  module: string;
  input: string;
  output: string;
  /** Gemm with transA=1: the input is transposed before the layer. */
  transposeInput?: boolean;
}

/** Any other supported node, run by the op table. */
export interface OpNodeSpec {
  kind: 'op';
  name: string;
  opType: string;
  /** '' for an omitted optional input. */
  inputs: string[];
  output: string;
  attributes: Record<string, nn.OnnxAttributeValue>;
}

export type NodeSpec = LayerNodeSpec | OpNodeSpec;
