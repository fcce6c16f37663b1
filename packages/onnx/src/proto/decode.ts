import {
  type AttributeProto,
  type Dimension,
  emptyGraph,
  emptyTensor,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type OperatorSetId,
  type TensorProto,
  type ValueInfoProto,
} from './messages.js';
import { WireReader, WireType } from './wire.js';

const { varint, lengthDelimited: bytes, fixed32, fixed64 } = WireType;

/** Parses a serialized ModelProto; malformed bytes throw an `OnnxFormatError`. */
export function decodeModel(data: Uint8Array): ModelProto {
  const r = new WireReader(data);
  const model: ModelProto = {
    irVersion: 0,
    opsetImport: [],
    producerName: '',
    producerVersion: '',
    graph: emptyGraph(),
  };
  let sawGraph = false;
  r.message('ModelProto', data.length, (field, wt) => {
    switch (field) {
      case 1:
        r.expect(varint, wt, 'ir_version');
        model.irVersion = r.int();
        break;
      case 2:
        r.expect(bytes, wt, 'producer_name');
        model.producerName = r.string();
        break;
      case 3:
        r.expect(bytes, wt, 'producer_version');
        model.producerVersion = r.string();
        break;
      case 7:
        r.expect(bytes, wt, 'graph');
        model.graph = readGraph(r, 'graph');
        sawGraph = true;
        break;
      case 8:
        r.expect(bytes, wt, 'opset_import');
        model.opsetImport.push(readOpset(r, `opset_import[${model.opsetImport.length}]`));
        break;
      default:
        r.skip(wt);
    }
  });
  if (!sawGraph) r.fail('the model has no graph (is this an ONNX file?)', 0);
  return model;
}

/** Parses a serialized TensorProto (a `.pb` tensor file, or a test's round trip). */
export function decodeTensor(data: Uint8Array): TensorProto {
  const r = new WireReader(data);
  const t = emptyTensor();
  r.message('TensorProto', data.length, (field, wt) => tensorField(r, t, field, wt));
  return t;
}

function readOpset(r: WireReader, name: string): OperatorSetId {
  const o: OperatorSetId = { domain: '', version: 0 };
  r.nested(name, (field, wt) => {
    if (field === 1) {
      r.expect(bytes, wt, 'domain');
      o.domain = r.string();
    } else if (field === 2) {
      r.expect(varint, wt, 'version');
      o.version = r.int();
    } else r.skip(wt);
  });
  return o;
}

function readGraph(r: WireReader, name: string): GraphProto {
  const g = emptyGraph();
  r.nested(name, (field, wt) => {
    switch (field) {
      case 1:
        r.expect(bytes, wt, 'node');
        g.node.push(readNode(r, `node[${g.node.length}]`));
        break;
      case 2:
        r.expect(bytes, wt, 'name');
        g.name = r.string();
        break;
      case 5:
        r.expect(bytes, wt, 'initializer');
        g.initializer.push(readTensor(r, `initializer[${g.initializer.length}]`));
        break;
      case 11:
        r.expect(bytes, wt, 'input');
        g.input.push(readValueInfo(r, `input[${g.input.length}]`));
        break;
      case 12:
        r.expect(bytes, wt, 'output');
        g.output.push(readValueInfo(r, `output[${g.output.length}]`));
        break;
      case 13:
        r.expect(bytes, wt, 'value_info');
        g.valueInfo.push(readValueInfo(r, `value_info[${g.valueInfo.length}]`));
        break;
      default:
        r.skip(wt);
    }
  });
  return g;
}

function readNode(r: WireReader, name: string): NodeProto {
  const n: NodeProto = { name: '', opType: '', domain: '', input: [], output: [], attribute: [] };
  r.nested(name, (field, wt) => {
    switch (field) {
      case 1:
        r.expect(bytes, wt, 'input');
        n.input.push(r.string());
        break;
      case 2:
        r.expect(bytes, wt, 'output');
        n.output.push(r.string());
        break;
      case 3:
        r.expect(bytes, wt, 'name');
        n.name = r.string();
        break;
      case 4:
        r.expect(bytes, wt, 'op_type');
        n.opType = r.string();
        break;
      case 5:
        r.expect(bytes, wt, 'attribute');
        n.attribute.push(readAttribute(r, `attribute[${n.attribute.length}]`));
        break;
      case 7:
        r.expect(bytes, wt, 'domain');
        n.domain = r.string();
        break;
      default:
        r.skip(wt);
    }
  });
  return n;
}

function readAttribute(r: WireReader, name: string): AttributeProto {
  const a: AttributeProto = { name: '', type: 0, floats: [], ints: [], hasGraph: false };
  r.nested(name, (field, wt) => {
    switch (field) {
      case 1:
        r.expect(bytes, wt, 'name');
        a.name = r.string();
        break;
      case 2:
        r.expect(fixed32, wt, 'f');
        a.f = r.float32();
        break;
      case 3:
        r.expect(varint, wt, 'i');
        a.i = r.int();
        break;
      case 4:
        r.expect(bytes, wt, 's');
        a.s = r.bytesField();
        break;
      case 5:
        r.expect(bytes, wt, 't');
        a.t = readTensor(r, 't');
        break;
      case 6:
      case 11:
        a.hasGraph = true;
        r.skip(wt);
        break;
      case 7:
        r.repeated(wt, fixed32, 'floats', () => r.float32(), a.floats);
        break;
      case 8:
        r.repeated(wt, varint, 'ints', () => r.int(), a.ints);
        break;
      case 20:
        r.expect(varint, wt, 'type');
        a.type = r.int();
        break;
      default:
        r.skip(wt);
    }
  });
  return a;
}

function readTensor(r: WireReader, name: string): TensorProto {
  const t = emptyTensor();
  r.nested(name, (field, wt) => tensorField(r, t, field, wt));
  return t;
}

function tensorField(r: WireReader, t: TensorProto, field: number, wt: number): void {
  switch (field) {
    case 1:
      r.repeated(wt, varint, 'dims', () => r.int(), t.dims);
      break;
    case 2:
      r.expect(varint, wt, 'data_type');
      t.dataType = r.int();
      break;
    case 4:
      r.repeated(wt, fixed32, 'float_data', () => r.float32(), t.floatData);
      break;
    case 5:
      r.repeated(wt, varint, 'int32_data', () => r.int(), t.int32Data);
      break;
    case 7:
      r.repeated(wt, varint, 'int64_data', () => r.int(), t.int64Data);
      break;
    case 8:
      r.expect(bytes, wt, 'name');
      t.name = r.string();
      break;
    case 9:
      r.expect(bytes, wt, 'raw_data');
      t.rawData = r.bytesField();
      break;
    case 10:
      r.repeated(wt, fixed64, 'double_data', () => r.float64(), t.doubleData);
      break;
    case 13:
      r.expect(bytes, wt, 'external_data');
      r.bytesField();
      t.externalDataEntries++;
      break;
    case 14:
      r.expect(varint, wt, 'data_location');
      t.dataLocation = r.int();
      break;
    default:
      r.skip(wt);
  }
}

function readValueInfo(r: WireReader, name: string): ValueInfoProto {
  const v: ValueInfoProto = { name: '' };
  r.nested(name, (field, wt) => {
    if (field === 1) {
      r.expect(bytes, wt, 'name');
      v.name = r.string();
    } else if (field === 2) {
      r.expect(bytes, wt, 'type');
      r.nested('type', (tf, twt) => {
        if (tf !== 1) return r.skip(twt);
        r.expect(bytes, twt, 'tensor_type');
        const tensorType: { elemType: number; shape?: Dimension[] } = { elemType: 0 };
        r.nested('tensor_type', (ff, fwt) => {
          if (ff === 1) {
            r.expect(varint, fwt, 'elem_type');
            tensorType.elemType = r.int();
          } else if (ff === 2) {
            r.expect(bytes, fwt, 'shape');
            tensorType.shape = readShape(r);
          } else r.skip(fwt);
        });
        v.tensorType = tensorType;
      });
    } else r.skip(wt);
  });
  return v;
}

function readShape(r: WireReader): Dimension[] {
  const dims: Dimension[] = [];
  r.nested('shape', (field, wt) => {
    if (field !== 1) return r.skip(wt);
    r.expect(bytes, wt, 'dim');
    const d: Dimension = {};
    r.nested(`dim[${dims.length}]`, (df, dwt) => {
      if (df === 1) {
        r.expect(varint, dwt, 'dim_value');
        d.value = r.int();
      } else if (df === 2) {
        r.expect(bytes, dwt, 'dim_param');
        d.param = r.string();
      } else r.skip(dwt);
    });
    dims.push(d);
  });
  return dims;
}
