import type { Engine, nn } from '@lowrank/core';
import { exportOnnx, importOnnx } from '@lowrank/onnx';

/** An ONNX model as a module, with its per-sample input shape when the graph fixes it. */
export function readOnnxModel(
  engine: Engine,
  bytes: Uint8Array,
): { model: nn.Module; inputShape?: number[] } {
  const model = importOnnx(engine, bytes);
  return { model, inputShape: model.inputShape };
}

/** The model as ONNX bytes, for inputs of one sample's shape `inputShape` (batch dynamic). */
export function writeOnnxModel(model: nn.Module, inputShape: readonly number[]): Promise<Uint8Array> {
  return exportOnnx(model, { inputShape });
}
