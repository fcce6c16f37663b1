/**
 * The parts of ONNX's protobuf messages (onnx.proto, IR version 8) that lowrank reads and
 * writes. Repeated fields are always present (empty when absent); optional scalars read
 * as their protobuf defaults; fields not listed here are skipped when read.
 */

/** TensorProto.DataType values. */
export const DataType = {
  undefined: 0,
  float: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int16: 5,
  int32: 6,
  int64: 7,
  string: 8,
  bool: 9,
  float16: 10,
  double: 11,
  uint32: 12,
  uint64: 13,
} as const;

/** AttributeProto.AttributeType values. */
export const AttributeType = {
  undefined: 0,
  float: 1,
  int: 2,
  string: 3,
  tensor: 4,
  graph: 5,
  floats: 6,
  ints: 7,
  strings: 8,
} as const;

export interface TensorProto {
  name: string;
  dims: number[];
  dataType: number;
  floatData: number[];
  int32Data: number[];
  int64Data: number[];
  doubleData: number[];
  /** Little-endian values, when the writer used raw_data. */
  rawData?: Uint8Array;
  /** 1 (EXTERNAL) when the values live in another file, which lowrank does not read. */
  dataLocation: number;
  /** How many external_data entries the tensor has. */
  externalDataEntries: number;
}

export interface AttributeProto {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProto;
  floats: number[];
  ints: number[];
  /** Whether the attribute holds a subgraph (g or graphs), which lowrank does not run. */
  hasGraph: boolean;
}

export interface NodeProto {
  name: string;
  opType: string;
  domain: string;
  input: string[];
  output: string[];
  attribute: AttributeProto[];
}

/** One dimension: a fixed size, a named (dynamic) size, or unknown. */
export interface Dimension {
  value?: number;
  param?: string;
}

export interface ValueInfoProto {
  name: string;
  /** Present when the value has a tensor type. */
  tensorType?: { elemType: number; shape?: Dimension[] };
}

export interface GraphProto {
  name: string;
  node: NodeProto[];
  initializer: TensorProto[];
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  valueInfo: ValueInfoProto[];
}

export interface OperatorSetId {
  domain: string;
  version: number;
}

export interface ModelProto {
  irVersion: number;
  opsetImport: OperatorSetId[];
  producerName: string;
  producerVersion: string;
  graph: GraphProto;
}

export function emptyTensor(name = ''): TensorProto {
  return {
    name,
    dims: [],
    dataType: 0,
    floatData: [],
    int32Data: [],
    int64Data: [],
    doubleData: [],
    dataLocation: 0,
    externalDataEntries: 0,
  };
}

export function emptyGraph(name = ''): GraphProto {
  return { name, node: [], initializer: [], input: [], output: [], valueInfo: [] };
}
