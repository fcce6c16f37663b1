import type { nn } from '@lowrank/core';
import { encodeModel } from '../proto/encode.js';
import { DataType, type Dimension, type ModelProto } from '../proto/messages.js';
import { GraphBuilder } from './graph-builder.js';
import { emitModule } from './module-emitter.js';

export interface ExportOnnxOptions {
  /**
   * One sample's shape, e.g. [1, 28, 28]; the batch axis is added as the dynamic dimension
   * 'batch'. Optional when the model knows it (an imported `OnnxGraph` whose file fixed it).
   */
  inputShape?: readonly number[];
  /** The graph input's name (default 'input'). */
  inputName?: string;
  /** The graph output's name (default 'logits'). */
  outputName?: string;
  /** ONNX opset of the default domain, 13 to 17 (default 13). */
  opset?: number;
  /** The initializers' and the input's element type (default float32; float64 weights are converted). */
  dtype?: 'float32';
  /** Written as the model's producer_name (default 'lowrank'). */
  producerName?: string;
}

/** The operator semantics every `toOnnx` writes are those of opsets 13 to 17. */
const OPSETS = { min: 13, max: 17 };

/** The IR version each supported opset came with. */
function irVersion(opset: number): number {
  return opset <= 14 ? 7 : 8;
}

/**
 * Writes a model as an ONNX ModelProto with inference semantics (BatchNorm uses its running
 * statistics, Dropout is the identity), whatever the model's train/eval mode. Every module
 * in the tree must implement `toOnnx`; an error names the first that does not. The model
 * is first run once on a zero sample to check `inputShape` and record each module's input
 * shape (some layers pick their operators by rank) and the output shape.
 */
export async function exportOnnx(model: nn.Module, options: ExportOnnxOptions = {}): Promise<Uint8Array> {
  const inputShape = options.inputShape ?? (model as { inputShape?: readonly number[] }).inputShape;
  const inputName = options.inputName ?? 'input';
  const outputName = options.outputName ?? 'logits';
  const opset = options.opset ?? 13;
  const dtype = options.dtype ?? 'float32';
  checkOptions(inputShape, inputName, outputName, opset, dtype);
  const { traced, outputShape } = trace(model, inputShape);

  const builder = new GraphBuilder(dtype, inputName);
  const engine = model.engine;
  let output: string;
  try {
    output = engine.noGrad(() => engine.tidy(() => emitModule(builder, model, '', inputName, traced)));
  } catch (e) {
    builder.dispose();
    throw e;
  }
  const initializer = await builder.initializers();
  const nodes = builder.nodes;
  const producer = nodes.find((n) => n.output[0] === output);
  if (producer) {
    // Rename the final value so that the graph output has the requested name.
    for (const n of nodes) n.input = n.input.map((v) => (v === output ? outputName : v));
    producer.output[0] = outputName;
  } else {
    nodes.push({
      name: '/Identity_output',
      opType: 'Identity',
      domain: '',
      input: [output],
      output: [outputName],
      attribute: [],
    });
  }
  if (initializer.some((t) => t.name === outputName || t.name === inputName)) {
    throw new Error(
      `exportOnnx: a weight is named '${initializer.find((t) => t.name === outputName || t.name === inputName)?.name}', the same as the graph's input or output; choose another inputName/outputName`,
    );
  }
  const dims = (shape: readonly number[]): Dimension[] => [
    { param: 'batch' },
    ...shape.map((value) => ({ value })),
  ];
  const proto: ModelProto = {
    irVersion: irVersion(opset),
    opsetImport: [{ domain: '', version: opset }],
    producerName: options.producerName ?? 'lowrank',
    producerVersion: '',
    graph: {
      name: model.typeName,
      node: nodes,
      initializer,
      input: [{ name: inputName, tensorType: { elemType: DataType.float, shape: dims(inputShape) } }],
      output: [
        { name: outputName, tensorType: { elemType: DataType.float, shape: dims(outputShape.slice(1)) } },
      ],
      valueInfo: [],
    },
  };
  return encodeModel(proto);
}

function checkOptions(
  shape: readonly number[] | undefined,
  inputName: string,
  outputName: string,
  opset: number,
  dtype: string,
): asserts shape is readonly number[] {
  if (shape === undefined) {
    throw new Error(
      "exportOnnx: pass options.inputShape, one sample's shape (e.g. [1, 28, 28]): this model does not know its input shape",
    );
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(
      `exportOnnx: inputShape must be one sample's shape as positive integers (e.g. [1, 28, 28]), got ${JSON.stringify(shape)}`,
    );
  }
  if (!Number.isInteger(opset) || opset < OPSETS.min || opset > OPSETS.max) {
    throw new Error(`exportOnnx: opset must be an integer from ${OPSETS.min} to ${OPSETS.max}, got ${opset}`);
  }
  if (dtype !== 'float32') throw new Error(`exportOnnx: dtype must be 'float32', got '${dtype}'`);
  if (!inputName || !outputName || inputName === outputName) {
    throw new Error(
      `exportOnnx: inputName and outputName must be distinct non-empty names, got '${inputName}' and '${outputName}'`,
    );
  }
}

/**
 * Runs the model once in eval mode on a zero sample (batch 1) and records the first input
 * shape each module sees; restores every module's train/eval mode afterwards.
 */
function trace(
  model: nn.Module,
  inputShape: readonly number[],
): { traced: Map<nn.Module, readonly number[]>; outputShape: readonly number[] } {
  const engine = model.engine;
  const modules = model.namedModules().map(([, m]) => m);
  const modes = modules.map((m) => m.training);
  const traced = new Map<nn.Module, readonly number[]>();
  const removers = modules.map((m) =>
    m.addForwardHook((module, inputs) => {
      if (!traced.has(module) && inputs[0]) traced.set(module, [...inputs[0].shape]);
    }),
  );
  model.eval();
  try {
    const outputShape = engine.noGrad(() =>
      engine.tidy(() => [...model.call(engine.zeros([1, ...inputShape])).shape]),
    );
    return { traced, outputShape };
  } catch (e) {
    throw new Error(
      `exportOnnx: the model does not run on an input of shape [1, ${inputShape.join(', ')}] (inputShape is one sample's shape, without the batch axis): ${(e as Error).message}`,
    );
  } finally {
    for (const remove of removers) remove();
    modules.forEach((m, i) => {
      m.training = modes[i];
    });
  }
}
