import { Tensor, type DType } from '../tensor/tensor.js';
import { formatShape, normalizeAxis, sameShape, sizeOf } from '../tensor/shape.js';
import { kernel } from '../kernels/registry.js';
import { record } from '../autograd/tape.js';
import { zeros } from '../tensor/create.js';
import { output } from './util.js';
import { cast } from './elementwise.js';

/** Integer positions along one axis: a typed array, a plain array, or a tensor holding integer values. */
export type IndexList = Int32Array | readonly number[] | Tensor;

function describeRange(bound: number): string {
  return bound === 0 ? 'the axis has size 0, so no index is valid' : `valid: integers 0 to ${bound - 1}`;
}

/** Checks that every value is an integer in [0, bound) and returns them as a fresh Int32Array (the caller may mutate its own list later). */
function checkedIndices(values: ArrayLike<number>, bound: number, op: string, what: string): Int32Array {
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v)) throw new Error(`${op}: ${what} ${v} at position ${i} is not an integer (${describeRange(bound)})`);
    if (v < 0 || v >= bound) throw new Error(`${op}: ${what} ${v} at position ${i} is out of range (${describeRange(bound)})`);
    out[i] = v;
  }
  return out;
}

function indexValues(indices: IndexList, op: string): { values: ArrayLike<number>; shape: readonly number[] } {
  if (indices instanceof Tensor) return { values: indices.data, shape: indices.shape };
  if (indices instanceof Int32Array || Array.isArray(indices)) return { values: indices, shape: [indices.length] };
  throw new Error(`${op}: indices must be an Int32Array, an array of numbers or a Tensor, got ${typeof indices}`);
}

function outerInner(shape: readonly number[], axis: number): { outer: number; n: number; inner: number } {
  return { outer: sizeOf(shape.slice(0, axis)), n: shape[axis], inner: sizeOf(shape.slice(axis + 1)) };
}

function requireRank(x: Tensor, op: string, what: string): void {
  if (!(x instanceof Tensor)) throw new Error(`${op}: ${what} must be a Tensor, got ${typeof x}`);
  if (x.rank === 0) throw new Error(`${op}: ${what} must have rank >= 1, got a scalar`);
}

// Primitives on validated indices. indexSelect and indexAdd are each
// other's adjoints, as are gather and scatterAdd, so every gradient rule is
// a recorded op and can be differentiated again.

function selectRows(x: Tensor, axis: number, idx: Int32Array): Tensor {
  const { outer, n, inner } = outerInner(x.shape, axis);
  const shape = [...x.shape];
  shape[axis] = idx.length;
  const out = output(shape, x.dtype);
  kernel('indexSelect')(x.data, outer, n, inner, idx, out.data);
  const xShape = x.shape;
  return record(out, 'indexSelect', [x], (g) => [addRows(zeros(xShape, { dtype: g.dtype }), axis, idx, g)]);
}

function addRows(base: Tensor, axis: number, idx: Int32Array, src: Tensor): Tensor {
  if (base.dtype !== src.dtype) return addRows(cast(base, 'float64'), axis, idx, cast(src, 'float64'));
  const { outer, n, inner } = outerInner(base.shape, axis);
  const out = output(base.shape, base.dtype);
  out.data.set(base.data);
  kernel('indexAdd')(src.data, outer, n, inner, idx, out.data);
  return record(out, 'indexAdd', [base, src], (g, needs) => [needs[0] ? g : null, needs[1] ? selectRows(g, axis, idx) : null]);
}

function gatherAt(x: Tensor, axis: number, idx: Int32Array, indexShape: readonly number[]): Tensor {
  const out = output(indexShape, x.dtype);
  kernel('gather')(x.data, x.shape, axis, idx, indexShape, out.data);
  const xShape = x.shape;
  return record(out, 'gather', [x], (g) => [scatterAt(zeros(xShape, { dtype: g.dtype }), axis, idx, indexShape, g)]);
}

function scatterAt(base: Tensor, axis: number, idx: Int32Array, indexShape: readonly number[], src: Tensor): Tensor {
  if (base.dtype !== src.dtype) return scatterAt(cast(base, 'float64'), axis, idx, indexShape, cast(src, 'float64'));
  const out = output(base.shape, base.dtype);
  out.data.set(base.data);
  kernel('scatterAdd')(src.data, idx, indexShape, axis, out.data, base.shape);
  return record(out, 'scatterAdd', [base, src], (g, needs) => [
    needs[0] ? g : null,
    needs[1] ? gatherAt(g, axis, idx, indexShape) : null,
  ]);
}

/**
 * Picks the entries at `indices` along `axis` (torch.index_select);
 * indices may repeat and come in any order. The gradient scatters back with
 * `indexAdd`, summing over repeats.
 *
 * Shapes: x [..., n, ...] (n at `axis`), indices [m] -> [..., m, ...].
 *
 * @example
 * const x = tensor([[1, 2], [3, 4], [5, 6]]);
 * indexSelect(x, 0, [2, 0, 2]).toArray();   // [[5, 6], [1, 2], [5, 6]]
 */
export function indexSelect(x: Tensor, axis: number, indices: IndexList): Tensor {
  const op = 'indexSelect';
  requireRank(x, op, 'x');
  const a = normalizeAxis(axis, x.rank, op);
  const { values, shape } = indexValues(indices, op);
  if (shape.length !== 1) throw new Error(`${op}: indices must be 1-D, got shape ${formatShape(shape)}`);
  return selectRows(x, a, checkedIndices(values, x.shape[a], op, 'index'));
}

/**
 * base plus src added at `indices` along `axis` (torch.index_add, out of
 * place): out[..., indices[j], ...] += src[..., j, ...], repeats summing.
 * Gradients: to base the incoming gradient, to src `indexSelect` of it.
 *
 * Shapes: base [..., n, ...], indices [m], src [..., m, ...] (base's shape with m at `axis`) -> base's shape.
 *
 * @example
 * indexAdd(zeros([3]), 0, [0, 2, 0], tensor([1, 2, 3])).toArray();   // [4, 0, 2]
 */
export function indexAdd(base: Tensor, axis: number, indices: IndexList, src: Tensor): Tensor {
  const op = 'indexAdd';
  requireRank(base, op, 'base');
  const a = normalizeAxis(axis, base.rank, op);
  const { values, shape } = indexValues(indices, op);
  if (shape.length !== 1) throw new Error(`${op}: indices must be 1-D, got shape ${formatShape(shape)}`);
  const expected = [...base.shape];
  expected[a] = values.length;
  if (!(src instanceof Tensor) || !sameShape(src.shape, expected)) {
    const got = src instanceof Tensor ? formatShape(src.shape) : typeof src;
    throw new Error(`${op}: src must have shape ${formatShape(expected)} (base ${formatShape(base.shape)} with ${values.length} indices along axis ${a}), got ${got}`);
  }
  return addRows(base, a, checkedIndices(values, base.shape[a], op, 'index'), src);
}

/** Validates a gather/scatter index tensor against the tensor it addresses and returns its values. */
function checkedIndexTensor(index: Tensor, target: Tensor, axis: number, op: string, targetName: string): Int32Array {
  if (!(index instanceof Tensor)) throw new Error(`${op}: index must be a Tensor holding integer values, got ${typeof index}`);
  if (index.rank !== target.rank) {
    throw new Error(`${op}: index ${formatShape(index.shape)} must have the rank of ${targetName} ${formatShape(target.shape)}`);
  }
  for (let d = 0; d < target.rank; d++) {
    if (d !== axis && index.shape[d] > target.shape[d]) {
      throw new Error(
        `${op}: index ${formatShape(index.shape)} is larger than ${targetName} ${formatShape(target.shape)} along axis ${d} ` +
          `(only axis ${axis} may differ freely)`,
      );
    }
  }
  return checkedIndices(index.data, target.shape[axis], op, 'index');
}

/**
 * Picks one entry along `axis` per position of `index` (torch.gather):
 * out[i][j][k] = x[index[i][j][k]][j][k] for axis 0, and so on. The
 * gradient scatters back with `scatterAdd`.
 *
 * Shapes: x [d0, ..., dr], index of the same rank with index.shape[d] <= x.shape[d]
 * for d != axis (a float tensor holding integers 0 .. x.shape[axis]-1) -> index's shape.
 *
 * @example
 * // The log-probability of each row's label: logits [B, K], labels [B, 1].
 * const logp = logSoftmax(tensor([[0, 1], [2, 0]]), 1);
 * gather(logp, 1, tensor([[1], [0]])).shape;   // [2, 1]
 */
export function gather(x: Tensor, axis: number, index: Tensor): Tensor {
  const op = 'gather';
  requireRank(x, op, 'x');
  const a = normalizeAxis(axis, x.rank, op);
  return gatherAt(x, a, checkedIndexTensor(index, x, a, op, 'x'), index.shape);
}

/**
 * base plus each entry of src added at the position `index` names along
 * `axis` (torch.scatter_add, out of place): out[index[i][j]][j] += src[i][j]
 * for axis 0; repeats sum. Gradients: to base the incoming gradient, to src
 * `gather` of it. Unlike PyTorch, src must have exactly index's shape.
 *
 * Shapes: base [d0, ..., dr], index of the same rank with index.shape[d] <= base.shape[d]
 * for d != axis, src of index's shape -> base's shape.
 *
 * @example
 * scatterAdd(zeros([2, 2]), 1, tensor([[1, 1], [0, 1]]), tensor([[1, 2], [3, 4]])).toArray();   // [[0, 3], [3, 4]]
 */
export function scatterAdd(base: Tensor, axis: number, index: Tensor, src: Tensor): Tensor {
  const op = 'scatterAdd';
  requireRank(base, op, 'base');
  const a = normalizeAxis(axis, base.rank, op);
  const idx = checkedIndexTensor(index, base, a, op, 'base');
  if (!(src instanceof Tensor) || !sameShape(src.shape, index.shape)) {
    const got = src instanceof Tensor ? formatShape(src.shape) : typeof src;
    throw new Error(`${op}: src must have the shape of index ${formatShape(index.shape)}, got ${got}`);
  }
  return scatterAt(base, a, idx, index.shape, src);
}

/**
 * One-hot rows: out[..., k] = 1 where k equals the index, else 0. No
 * gradient (the indices are discrete). For a classifier's targets or M2's
 * labels.
 *
 * Shapes: indices [...] (a tensor of integer values, or a list: [m]) -> [..., numClasses].
 *
 * @example
 * oneHot([2, 0], 3).toArray();   // [[0, 0, 1], [1, 0, 0]]
 */
export function oneHot(indices: IndexList, numClasses: number, dtype: DType = 'float32'): Tensor {
  const op = 'oneHot';
  if (!Number.isInteger(numClasses) || numClasses <= 0) {
    throw new Error(`${op}: numClasses must be a positive integer, got ${numClasses}`);
  }
  const { values, shape } = indexValues(indices, op);
  const idx = checkedIndices(values, numClasses, op, 'class index');
  const out = zeros([...shape, numClasses], { dtype });
  for (let i = 0; i < idx.length; i++) out.data[i * numClasses + idx[i]] = 1;
  return out;
}
