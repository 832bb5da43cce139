/**
 * A minimal ONNX writer for tests: enough protobuf to describe a small graph of
 * standard operators, so a test can build a model whose output it knows in closed form.
 */

type Field = Uint8Array;

/** Protobuf's base-128 varint. */
export function varint(value: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) byte |= 0x80;
    out.push(byte);
  } while (v !== 0n);
  return out;
}

export function concat(parts: readonly (Uint8Array | number[])[]): Uint8Array {
  const length = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

const intField = (field: number, value: number | bigint): Field => Uint8Array.from([...varint((field << 3) | 0), ...varint(value)]);
const bytesField = (field: number, bytes: Uint8Array): Field => concat([varint((field << 3) | 2), varint(bytes.length), bytes]);
const stringField = (field: number, text: string): Field => bytesField(field, new TextEncoder().encode(text));

/** ONNX TensorProto data types. */
export const FLOAT = 1;
export const INT64 = 7;
export const INT32 = 6;

export interface TensorInit {
  readonly name: string;
  readonly dims: readonly number[];
  readonly float?: readonly number[];
  readonly int64?: readonly number[];
}

function tensor(init: TensorInit): Uint8Array {
  const raw = init.float ? new Uint8Array(Float32Array.from(init.float).buffer) : new Uint8Array(BigInt64Array.from(init.int64!.map(BigInt)).buffer);
  return concat([...init.dims.map((d) => intField(1, d)), intField(2, init.float ? FLOAT : INT64), stringField(8, init.name), bytesField(9, raw)]);
}

export interface ValueInfo {
  readonly name: string;
  readonly type: 'float' | 'int64' | 'int32';
  /** Numbers are fixed sizes, strings symbolic ones. */
  readonly shape: readonly (number | string)[];
}

function valueInfo(info: ValueInfo): Uint8Array {
  const dims = info.shape.map((d) => bytesField(1, typeof d === 'number' ? intField(1, d) : stringField(2, d)));
  const shape = bytesField(2, concat(dims));
  const elementType = info.type === 'float' ? FLOAT : info.type === 'int32' ? INT32 : INT64;
  const tensorType = bytesField(1, concat([intField(1, elementType), shape]));
  return concat([stringField(1, info.name), bytesField(2, tensorType)]);
}

export interface NodeSpec {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** Integer attributes, e.g. Cast's `to` or Concat's `axis`. */
  readonly attributes?: Readonly<Record<string, number>>;
}

const ATTRIBUTE_INT = 2;

function attribute(name: string, value: number): Uint8Array {
  return concat([stringField(1, name), intField(3, value), intField(20, ATTRIBUTE_INT)]);
}

function node(spec: NodeSpec, index: number): Uint8Array {
  const attributes = Object.entries(spec.attributes ?? {}).map(([name, value]) => bytesField(5, attribute(name, value)));
  return concat([...spec.inputs.map((i) => stringField(1, i)), ...spec.outputs.map((o) => stringField(2, o)), stringField(3, `n${index}`), stringField(4, spec.op), ...attributes]);
}

/** Serialize an ONNX ModelProto (IR 8, default opset 13). */
export function buildOnnxModel(graph: {
  readonly nodes: readonly NodeSpec[];
  readonly initializers: readonly TensorInit[];
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
}): Uint8Array {
  const body = concat([
    ...graph.nodes.map((n, i) => bytesField(1, node(n, i))),
    stringField(2, 'test-graph'),
    ...graph.initializers.map((t) => bytesField(5, tensor(t))),
    ...graph.inputs.map((v) => bytesField(11, valueInfo(v))),
    ...graph.outputs.map((v) => bytesField(12, valueInfo(v))),
  ]);
  const opset = concat([stringField(1, ''), intField(2, 13)]);
  return concat([intField(1, 8), bytesField(8, opset), bytesField(7, body)]);
}
