import type {
  AttributeProto,
  GraphProto,
  ModelProto,
  NodeProto,
  TensorProto,
  ValueInfoProto,
} from './messages.js';
import { WireWriter } from './wire.js';

/** Serialises a ModelProto (repeated numbers packed, fields in field-number order). */
export function encodeModel(model: ModelProto): Uint8Array {
  const w = new WireWriter();
  w.intField(1, model.irVersion);
  if (model.producerName) w.stringField(2, model.producerName);
  if (model.producerVersion) w.stringField(3, model.producerVersion);
  w.messageField(7, (g) => writeGraph(g, model.graph));
  for (const o of model.opsetImport) {
    w.messageField(8, (m) => {
      if (o.domain) m.stringField(1, o.domain);
      m.intField(2, o.version);
    });
  }
  return w.finish();
}

/** Serialises a TensorProto on its own. */
export function encodeTensor(t: TensorProto): Uint8Array {
  const w = new WireWriter();
  writeTensor(w, t);
  return w.finish();
}

function writeGraph(w: WireWriter, g: GraphProto): void {
  for (const n of g.node) w.messageField(1, (m) => writeNode(m, n));
  if (g.name) w.stringField(2, g.name);
  for (const t of g.initializer) w.messageField(5, (m) => writeTensor(m, t));
  for (const v of g.input) w.messageField(11, (m) => writeValueInfo(m, v));
  for (const v of g.output) w.messageField(12, (m) => writeValueInfo(m, v));
  for (const v of g.valueInfo) w.messageField(13, (m) => writeValueInfo(m, v));
}

function writeNode(w: WireWriter, n: NodeProto): void {
  for (const s of n.input) w.stringField(1, s);
  for (const s of n.output) w.stringField(2, s);
  if (n.name) w.stringField(3, n.name);
  w.stringField(4, n.opType);
  for (const a of n.attribute) w.messageField(5, (m) => writeAttribute(m, a));
  if (n.domain) w.stringField(7, n.domain);
}

function writeAttribute(w: WireWriter, a: AttributeProto): void {
  w.stringField(1, a.name);
  if (a.f !== undefined) w.floatField(2, a.f);
  if (a.i !== undefined) w.intField(3, a.i);
  if (a.s !== undefined) w.bytesField(4, a.s);
  if (a.t !== undefined) {
    const t = a.t;
    w.messageField(5, (m) => writeTensor(m, t));
  }
  w.packedFloats(7, a.floats);
  w.packedInts(8, a.ints);
  w.intField(20, a.type);
}

function writeTensor(w: WireWriter, t: TensorProto): void {
  w.packedInts(1, t.dims);
  w.intField(2, t.dataType);
  w.packedFloats(4, t.floatData);
  w.packedInts(5, t.int32Data);
  w.packedInts(7, t.int64Data);
  if (t.name) w.stringField(8, t.name);
  if (t.rawData !== undefined) w.bytesField(9, t.rawData);
  w.packedDoubles(10, t.doubleData);
  if (t.dataLocation) w.intField(14, t.dataLocation);
}

function writeValueInfo(w: WireWriter, v: ValueInfoProto): void {
  w.stringField(1, v.name);
  const tensorType = v.tensorType;
  if (!tensorType) return;
  w.messageField(2, (type) =>
    type.messageField(1, (tt) => {
      tt.intField(1, tensorType.elemType);
      const shape = tensorType.shape;
      if (!shape) return;
      tt.messageField(2, (s) => {
        for (const d of shape) {
          s.messageField(1, (dm) => {
            if (d.value !== undefined) dm.intField(1, d.value);
            if (d.param !== undefined) dm.stringField(2, d.param);
          });
        }
      });
    }),
  );
}
