/**
 * ONNX files for the fuzz pass: small real graphs with wrong signatures (input names,
 * ranks, dtypes, fixed batch sizes, outputs of another shape or type, NaN outputs), and
 * broken files (truncated, random bytes, changed bytes). A writer of its own, since the
 * fuzz needs every tensor type (test/support/onnx-builder.ts writes float and int64 only).
 */
import type { Draws } from './fuzz-harness.ts';
import { concat, varint } from './onnx-builder.ts';

const DTYPES = { float: 1, uint8: 2, int32: 6, int64: 7, string: 8, bool: 9, float16: 10, double: 11 } as const;
export type DType = keyof typeof DTYPES;

const int = (field: number, value: number) => concat([varint(field << 3), varint(value)]);
const bytes = (field: number, data: Uint8Array) => concat([varint((field << 3) | 2), varint(data.length), data]);
const text = (field: number, value: string) => bytes(field, new TextEncoder().encode(value));

/** A graph input or output; without a shape, its shape is left unknown. */
function valueInfo(name: string, type: DType, shape?: readonly (number | string)[]): Uint8Array {
  const dims = (shape ?? []).map((d) => bytes(1, typeof d === 'number' ? int(1, d) : text(2, d)));
  const shapeField = shape ? [bytes(2, concat(dims))] : [];
  return concat([text(1, name), bytes(2, bytes(1, concat([int(1, DTYPES[type]), ...shapeField])))]);
}

interface Node {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly ints?: Readonly<Record<string, number>>;
  readonly lists?: Readonly<Record<string, readonly number[]>>;
}

function node(spec: Node, index: number): Uint8Array {
  const attributes = [
    ...Object.entries(spec.ints ?? {}).map(([name, v]) => bytes(5, concat([text(1, name), int(3, v), int(20, 2)]))),
    ...Object.entries(spec.lists ?? {}).map(([name, vs]) => bytes(5, concat([text(1, name), ...vs.map((v) => int(8, v)), int(20, 7)]))),
  ];
  return concat([...spec.inputs.map((i) => text(1, i)), ...spec.outputs.map((o) => text(2, o)), text(3, `n${index}`), text(4, spec.op), ...attributes]);
}

function floatTensor(name: string, dims: readonly number[], values: readonly number[]): Uint8Array {
  return concat([...dims.map((d) => int(1, d)), int(2, DTYPES.float), text(8, name), bytes(9, new Uint8Array(Float32Array.from(values).buffer))]);
}

function int64Tensor(name: string, values: readonly number[]): Uint8Array {
  return concat([int(1, values.length), int(2, DTYPES.int64), text(8, name), bytes(9, new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer))]);
}

/** What a drawn graph looks like from outside. */
export interface Signature {
  x: { name: string; type: DType; shape: (number | string)[] };
  t: { name: string; type: DType; shape: (number | string)[] } | undefined;
  extraInput: boolean;
  output: 'eps' | 'learned variance' | 'double' | 'int64' | 'rank 3' | 'batch of 1' | 'doubled batch' | 'three channels' | 'half size' | 'NaN' | 'unknown op';
  opset: number;
}

/** ε(x, t) = x·(0.5 + t/2000) and a tail that gives the drawn output. */
export function signatureModel(sig: Signature): Uint8Array {
  const nodes: Node[] = [{ op: 'Cast', inputs: [sig.x.name], outputs: ['xf'], ints: { to: DTYPES.float } }];
  if (sig.t) {
    nodes.push({ op: 'Cast', inputs: [sig.t.name], outputs: ['tf'], ints: { to: DTYPES.float } });
    nodes.push({ op: 'Reshape', inputs: ['tf', 'gain_shape'], outputs: ['tr'] });
    nodes.push({ op: 'Div', inputs: ['tr', 'two_thousand'], outputs: ['ts'] });
    nodes.push({ op: 'Add', inputs: ['ts', 'half'], outputs: ['gain'] });
  } else {
    nodes.push({ op: 'Identity', inputs: ['half'], outputs: ['gain'] });
  }
  nodes.push({ op: 'Mul', inputs: ['xf', 'gain'], outputs: ['eps'] });
  const tail: Record<Signature['output'], Node[]> = {
    eps: [{ op: 'Identity', inputs: ['eps'], outputs: ['out'] }],
    'learned variance': [{ op: 'Concat', inputs: ['eps', 'eps'], outputs: ['out'], ints: { axis: 1 } }],
    double: [{ op: 'Cast', inputs: ['eps'], outputs: ['out'], ints: { to: DTYPES.double } }],
    int64: [{ op: 'Cast', inputs: ['eps'], outputs: ['out'], ints: { to: DTYPES.int64 } }],
    'rank 3': [{ op: 'Reshape', inputs: ['eps', 'rank3_shape'], outputs: ['out'] }],
    'batch of 1': [{ op: 'ReduceMean', inputs: ['eps'], outputs: ['out'], lists: { axes: [0] }, ints: { keepdims: 1 } }],
    'doubled batch': [{ op: 'Concat', inputs: ['eps', 'eps'], outputs: ['out'], ints: { axis: 0 } }],
    'three channels': [{ op: 'Concat', inputs: ['eps', 'eps', 'eps'], outputs: ['out'], ints: { axis: 1 } }],
    'half size': [{ op: 'AveragePool', inputs: ['eps'], outputs: ['out'], lists: { kernel_shape: [2, 2], strides: [2, 2] } }],
    NaN: [{ op: 'Sub', inputs: ['eps', 'eps'], outputs: ['zero'] }, { op: 'Div', inputs: ['zero', 'zero'], outputs: ['out'] }],
    'unknown op': [{ op: 'NoSuchOperator', inputs: ['eps'], outputs: ['out'] }],
  };
  nodes.push(...tail[sig.output]);
  const inputs = [valueInfo(sig.x.name, sig.x.type, sig.x.shape)];
  if (sig.t) inputs.push(valueInfo(sig.t.name, sig.t.type, sig.t.shape));
  if (sig.extraInput) inputs.push(valueInfo('extra', 'float', [1]));
  const initializers = [
    floatTensor('two_thousand', [], [2000]),
    floatTensor('half', [], [0.5]),
    int64Tensor('gain_shape', [-1, 1, 1, 1]),
    int64Tensor('rank3_shape', [-1, 32, 32]),
  ];
  const graph = concat([
    ...nodes.map((n, i) => bytes(1, node(n, i))),
    text(2, 'fuzz-graph'),
    ...initializers.map((t) => bytes(5, t)),
    ...inputs.map((v) => bytes(11, v)),
    bytes(12, valueInfo('out', sig.output === 'double' ? 'double' : sig.output === 'int64' ? 'int64' : 'float')),
  ]);
  return concat([int(1, 8), bytes(8, concat([text(1, ''), int(2, sig.opset)])), bytes(7, graph)]);
}

/** The graph every draw starts from: a valid model of the shipped config's geometry, [B,1,32,32]. */
export function validSignature(): Signature {
  return { x: { name: 'x', type: 'float', shape: ['batch', 1, 32, 32] }, t: { name: 't', type: 'int64', shape: ['batch'] }, extraInput: false, output: 'eps', opset: 13 };
}

const NAMES = ['x', 't', 'sample', 'timestep', 'with space', 'ñame', 'a\nb', 'n'.repeat(300), '0', 'x:0'];
const TYPES: readonly DType[] = ['float', 'uint8', 'int32', 'int64', 'string', 'bool', 'float16', 'double'];

/** One signature with one to three things changed. */
export function fuzzSignature(draws: Draws): { kind: string; signature: Signature } {
  const sig = validSignature();
  const changes: string[] = [];
  for (let i = 0, n = 1 + draws.int(3); i < n; i++) {
    switch (draws.int(9)) {
      case 0: sig.x.name = draws.pick(NAMES.filter((name) => name !== sig.t?.name)); changes.push(`x named ${JSON.stringify(sig.x.name).slice(0, 20)}`); break;
      case 1: if (sig.t) { sig.t.name = draws.pick(NAMES.filter((name) => name !== sig.x.name)); changes.push(`t named ${JSON.stringify(sig.t.name).slice(0, 20)}`); } break;
      case 2: sig.x.type = draws.pick(TYPES); changes.push(`x ${sig.x.type}`); break;
      case 3: if (sig.t) { sig.t.type = draws.pick(TYPES); changes.push(`t ${sig.t.type}`); } break;
      case 4: sig.x.shape = draws.pick([[1, 1, 32, 32], [2, 1, 32, 32], ['batch', 1, 32], ['batch', 1, 32, 32, 1], ['b', 'c', 'h', 'w'], ['batch', 3, 32, 32], ['batch', 1, 64, 64], []]); changes.push(`x [${sig.x.shape}]`); break;
      case 5: if (sig.t) { sig.t.shape = draws.pick([[], ['batch', 1], [1], ['batch', 2], [2]]); changes.push(`t [${sig.t.shape}]`); } break;
      case 6: sig.output = draws.pick(['learned variance', 'double', 'int64', 'rank 3', 'batch of 1', 'doubled batch', 'three channels', 'half size', 'NaN', 'unknown op'] as const); changes.push(`output ${sig.output}`); break;
      case 7: if (draws.random() < 0.5) { sig.t = undefined; changes.push('no t'); } else { sig.extraInput = true; changes.push('a third input'); } break;
      default: sig.opset = draws.pick([1, 7, 99, 10_000]); changes.push(`opset ${sig.opset}`);
    }
  }
  return { kind: changes.join(', '), signature: sig };
}

/** A broken file: the shipped model truncated, random bytes, or a valid graph with bytes changed. */
export function fuzzBrokenOnnx(draws: Draws, shipped: Uint8Array): { kind: string; bytes: Uint8Array } {
  switch (draws.int(3)) {
    case 0: {
      const at = draws.random() < 0.5 ? draws.int(4096) : draws.int(shipped.length);
      return { kind: `the shipped model cut at ${at} bytes`, bytes: shipped.subarray(0, at) };
    }
    case 1:
      return { kind: 'random bytes', bytes: draws.bytes(draws.int(4096)) };
    default: {
      const model = signatureModel(validSignature());
      for (let i = 0, n = 1 + draws.int(6); i < n; i++) model[draws.int(model.length)] = draws.int(256);
      return { kind: 'a valid graph with bytes changed', bytes: model };
    }
  }
}
