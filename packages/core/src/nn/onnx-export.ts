import type { Tensor } from '../tensor.js';

/**
 * An ONNX attribute value, tagged by its ONNX type (an integer-valued float such as
 * Gemm's `alpha: 1` must still be written as FLOAT, so a bare number would be ambiguous).
 */
export type OnnxAttributeValue =
  | { int: number }
  | { ints: readonly number[] }
  | { float: number }
  | { floats: readonly number[] }
  | { string: string };

/**
 * What a module sees while it writes itself into an ONNX graph (`Module.toOnnx`).
 * Values are named by strings, as in ONNX. The emitter tracks which module is being
 * written, so weights are named by their state-dict path (`conv2.first.weight`) and an
 * imported graph maps them back onto the same module tree. `@lowrank/onnx` implements it.
 */
export interface OnnxEmitter {
  /** The dotted path of the module being written ('' for the root). */
  readonly path: string;
  /**
   * The shape the module being written received when the exporter traced the model on one
   * sample (batch 1), when known: lets a layer pick ops by rank (Gemm for [N, in], MatMul
   * for more axes). Undefined for modules the trace did not reach.
   */
  readonly inputShape?: readonly number[];
  /** Writes the module's child `name` on `input` and returns its output. */
  child(name: string, input: string): string;
  /**
   * A tensor as a graph initializer named `<path>.<name>`: a parameter or buffer of the
   * module (pass its own name so the state-dict name is kept), or a constant derived from
   * them at export time (a reshaped core, say). Floats are written in the export dtype.
   */
  initializer(name: string, value: Tensor): string;
  /** An int64 constant (a Reshape shape, Unsqueeze axes) as an initializer named `<path>.<name>`. */
  int64s(name: string, values: readonly number[]): string;
  /** Appends a node of the default ONNX domain and returns the name of its single output. */
  node(
    opType: string,
    inputs: readonly string[],
    attributes?: Readonly<Record<string, OnnxAttributeValue>>,
  ): string;
}

/** A module that can write itself into an ONNX graph (see `Module.toOnnx`). */
export interface OnnxExportable {
  toOnnx(g: OnnxEmitter, input: string): string;
}
