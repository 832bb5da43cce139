/**
 * A small real class-conditional ONNX graph for the class-input tests of both backends:
 * ε(x, t, y) = x·(0.5 + t/2000) + y/20 on 1×SIZE×SIZE images, its inputs named and ordered
 * as asked and its labels int64, int32 (or float, which the contract refuses).
 */
import { FLOAT, buildOnnxModel, type NodeSpec, type ValueInfo } from './onnx-builder.ts';

/** The image size the graph is built for. */
export const SIZE = 8;

export interface Names {
  readonly image: string;
  readonly time: string;
  readonly label: string;
}

/** ε(x, t, y) = x·(0.5 + t/2000) + y/20: depends on every input, so a wrong feed shows. */
export function conditionalModel(names: Names, order: readonly (keyof Names)[], labelType: 'int64' | 'int32' | 'float', learnedVariance = false): Uint8Array {
  const nodes: NodeSpec[] = [
    { op: 'Cast', inputs: [names.time], outputs: ['t_float'], attributes: { to: FLOAT } },
    { op: 'Div', inputs: ['t_float', 'two_thousand'], outputs: ['t_scaled'] },
    { op: 'Add', inputs: ['t_scaled', 'half'], outputs: ['gain_flat'] },
    { op: 'Reshape', inputs: ['gain_flat', 'shape'], outputs: ['gain'] },
    { op: 'Mul', inputs: [names.image, 'gain'], outputs: ['scaled'] },
    { op: 'Cast', inputs: [names.label], outputs: ['y_float'], attributes: { to: FLOAT } },
    { op: 'Div', inputs: ['y_float', 'twenty'], outputs: ['y_scaled'] },
    { op: 'Reshape', inputs: ['y_scaled', 'shape'], outputs: ['y_shift'] },
    { op: 'Add', inputs: ['scaled', 'y_shift'], outputs: [learnedVariance ? 'eps' : 'out'] },
  ];
  if (learnedVariance) {
    nodes.push({ op: 'Add', inputs: [names.image, 'hundred'], outputs: ['variance'] });
    nodes.push({ op: 'Concat', inputs: ['eps', 'variance'], outputs: ['out'], attributes: { axis: 1 } });
  }
  const infos: Record<keyof Names, ValueInfo> = {
    image: { name: names.image, type: 'float', shape: ['batch', 1, SIZE, SIZE] },
    time: { name: names.time, type: 'int64', shape: ['batch'] },
    label: { name: names.label, type: labelType, shape: ['batch'] },
  };
  return buildOnnxModel({
    inputs: order.map((key) => infos[key]),
    outputs: [{ name: 'out', type: 'float', shape: ['batch', learnedVariance ? 2 : 1, SIZE, SIZE] }],
    initializers: [
      { name: 'two_thousand', dims: [], float: [2000] },
      { name: 'half', dims: [], float: [0.5] },
      { name: 'twenty', dims: [], float: [20] },
      { name: 'hundred', dims: [], float: [100] },
      { name: 'shape', dims: [4], int64: [-1, 1, 1, 1] },
    ],
    nodes,
  });
}

/** The original's input names: x, t, y. */
export const PLAIN: Names = { image: 'x', time: 't', label: 'y' };
