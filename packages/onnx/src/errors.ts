/**
 * Bytes that are not a well-formed ONNX protobuf: says what was being read (a path such
 * as `ModelProto.graph.node[3].attribute[0]`) and at which byte offset.
 */
export class OnnxFormatError extends Error {
  constructor(
    readonly what: string,
    readonly offset: number,
    reason: string,
  ) {
    super(`malformed ONNX: ${reason} while reading ${what} at byte ${offset}`);
    this.name = 'OnnxFormatError';
  }
}
