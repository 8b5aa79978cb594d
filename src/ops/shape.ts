import { Tensor } from '../tensor/tensor.js';
import { broadcastShapes, broadcastStrides, formatShape, normalizeAxes, normalizeAxis, sameShape, sizeOf, stridesOf } from '../tensor/shape.js';
import { kernel } from '../kernels/registry.js';
import { record } from '../autograd/tape.js';
import { empty, output } from './util.js';
import { sum } from './reduce.js';

/**
 * The same values with a new shape; one dimension may be -1 (inferred).
 * Shares storage with `x`.
 */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const s = [...shape];
  const unknown = s.indexOf(-1);
  if (unknown !== s.lastIndexOf(-1)) throw new Error(`reshape: at most one dimension may be -1, got ${formatShape(shape)}`);
  if (unknown >= 0) {
    const known = sizeOf(s.filter((_, i) => i !== unknown));
    if (known === 0 || x.size % known !== 0) {
      throw new Error(`reshape: cannot reshape ${formatShape(x.shape)} (${x.size} elements) to ${formatShape(shape)}`);
    }
    s[unknown] = x.size / known;
  }
  if (sizeOf(s) !== x.size || s.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`reshape: cannot reshape ${formatShape(x.shape)} (${x.size} elements) to ${formatShape(shape)}`);
  }
  if (sameShape(s, x.shape)) return x;
  const out = new Tensor(x.data, s);
  const inShape = x.shape;
  return record(out, 'reshape', [x], (g) => [reshape(g, inShape)]);
}

/** Reorders dimensions: output dimension i is input dimension perm[i]. Copies. */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  const rank = x.rank;
  const p = perm.map((a) => normalizeAxis(a, rank, 'permute'));
  if (p.length !== rank || new Set(p).size !== rank) {
    throw new Error(`permute: ${formatShape(perm)} is not a permutation of the ${rank} axes of ${formatShape(x.shape)}`);
  }
  if (p.every((a, i) => a === i)) return x;
  const inStrides = stridesOf(x.shape);
  const outShape = p.map((a) => x.shape[a]);
  const out = output(outShape, x.dtype);
  kernel('stridedCopy')(x.data, 0, p.map((a) => inStrides[a]), out.data, outShape);
  const inverse = new Array<number>(rank);
  p.forEach((a, i) => (inverse[a] = i));
  return record(out, 'permute', [x], (g) => [permute(g, inverse)]);
}

/** Swaps two axes (by default the last two). */
export function transpose(x: Tensor, axis0 = -2, axis1 = -1): Tensor {
  if (x.rank < 2 && axis0 === -2 && axis1 === -1) {
    throw new Error(`transpose: needs a tensor of rank >= 2, got ${formatShape(x.shape)}`);
  }
  const a = normalizeAxis(axis0, x.rank, 'transpose');
  const b = normalizeAxis(axis1, x.rank, 'transpose');
  const perm = Array.from({ length: x.rank }, (_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}

/** Repeats `x` along broadcast dimensions to `shape` (NumPy's broadcast_to). Copies. */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  const target = broadcastShapes(x.shape, shape, 'broadcastTo');
  if (!sameShape(target, shape)) {
    throw new Error(`broadcastTo: cannot broadcast ${formatShape(x.shape)} to ${formatShape(shape)}`);
  }
  if (sameShape(x.shape, shape)) return x;
  const out = output(shape, x.dtype);
  kernel('stridedCopy')(x.data, 0, broadcastStrides(x.shape, shape), out.data, shape);
  const inShape = x.shape;
  return record(out, 'broadcastTo', [x], (g) => [sumToShape(g, inShape)]);
}

/** Sums `g` over the dimensions that broadcasting added or expanded, giving a tensor of `shape`. */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  if (lead < 0) throw new Error(`sumToShape: cannot reduce ${formatShape(g.shape)} to larger rank ${formatShape(shape)}`);
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  return reshape(sum(g, axes, false), shape);
}

/** Inserts a dimension of size 1 at `axis`. */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = normalizeAxis(axis, x.rank + 1, 'unsqueeze');
  const s = [...x.shape];
  s.splice(a, 0, 1);
  return reshape(x, s);
}

/** Removes dimensions of size 1 (all, or those in `axes`). */
export function squeeze(x: Tensor, axes?: number | readonly number[]): Tensor {
  const drop = new Set(axes === undefined ? x.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : normalizeAxes(axes, x.rank, 'squeeze'));
  for (const a of drop) {
    if (x.shape[a] !== 1) throw new Error(`squeeze: axis ${a} of ${formatShape(x.shape)} has size ${x.shape[a]}, not 1`);
  }
  return reshape(x, x.shape.filter((_, i) => !drop.has(i)));
}

/** Flattens dimensions from `startAxis` to the end into one. */
export function flatten(x: Tensor, startAxis = 0): Tensor {
  const a = normalizeAxis(startAxis, x.rank, 'flatten');
  return reshape(x, [...x.shape.slice(0, a), sizeOf(x.shape.slice(a))]);
}

function sliceBounds(x: Tensor, axis: number, start: number, end: number | undefined, step: number, op: string) {
  const a = normalizeAxis(axis, x.rank, op);
  const n = x.shape[a];
  if (!Number.isInteger(step) || step <= 0) throw new Error(`${op}: step must be a positive integer, got ${step}`);
  const clampIdx = (i: number) => Math.min(Math.max(i < 0 ? i + n : i, 0), n);
  if (!Number.isInteger(start) || (end !== undefined && !Number.isInteger(end))) {
    throw new Error(`${op}: start and end must be integers, got ${start} and ${end}`);
  }
  const s = clampIdx(start);
  const e = end === undefined ? n : clampIdx(end);
  const len = Math.max(0, Math.ceil((e - s) / step));
  return { a, s, len };
}

/**
 * Elements start, start+step, ... before end along `axis` (Python slice
 * rules: negative indices count from the end, bounds are clipped). Copies.
 *
 * @example
 * slice(x, 1, 2, 5)   // x[:, 2:5]
 */
export function slice(x: Tensor, axis: number, start: number, end?: number, step = 1): Tensor {
  const { a, s, len } = sliceBounds(x, axis, start, end, step, 'slice');
  const strides = stridesOf(x.shape);
  const outShape = [...x.shape];
  outShape[a] = len;
  const out = output(outShape, x.dtype);
  const viewStrides = [...strides];
  viewStrides[a] = strides[a] * step;
  kernel('stridedCopy')(x.data, s * strides[a], viewStrides, out.data, outShape);
  const inShape = x.shape;
  return record(out, 'slice', [x], (g) => [sliceAdjoint(g, inShape, a, s, step)]);
}

/** The adjoint of `slice`: places `g` at positions start, start+step, ... of a zero tensor of `shape`. */
export function sliceAdjoint(g: Tensor, shape: readonly number[], axis: number, start: number, step: number): Tensor {
  const out = empty(shape, g.dtype);
  const strides = stridesOf(shape);
  const viewStrides = [...strides];
  viewStrides[axis] = strides[axis] * step;
  kernel('stridedAssign')(g.data, out.data, start * strides[axis], viewStrides, g.shape);
  return record(out, 'sliceAdjoint', [g], (gg) => [slice(gg, axis, start, start + (g.shape[axis] - 1) * step + 1, step)]);
}

/** Joins tensors along an existing axis; all other dimensions must agree. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new Error('concat: needs at least one tensor');
  const first = xs[0];
  const a = normalizeAxis(axis, first.rank, 'concat');
  const dtype = xs.some((x) => x.dtype === 'float64') ? 'float64' : 'float32';
  let total = 0;
  xs.forEach((x, i) => {
    const ok = x.rank === first.rank && x.shape.every((d, j) => j === a || d === first.shape[j]);
    if (!ok) {
      throw new Error(`concat: tensor ${i} has shape ${formatShape(x.shape)}, which does not match ${formatShape(first.shape)} outside axis ${a}`);
    }
    total += x.shape[a];
  });
  const outShape = [...first.shape];
  outShape[a] = total;
  const out = output(outShape, dtype);
  const strides = stridesOf(outShape);
  const starts: number[] = [];
  let at = 0;
  for (const x of xs) {
    starts.push(at);
    kernel('stridedAssign')(x.data, out.data, at * strides[a], strides, x.shape);
    at += x.shape[a];
  }
  return record(out, 'concat', xs, (g, needs) =>
    xs.map((x, i) => (needs[i] ? slice(g, a, starts[i], starts[i] + x.shape[a]) : null)),
  );
}

/** Joins tensors of one shape along a new axis. */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new Error('stack: needs at least one tensor');
  xs.forEach((x, i) => {
    if (!sameShape(x.shape, xs[0].shape)) {
      throw new Error(`stack: tensor ${i} has shape ${formatShape(x.shape)}, expected ${formatShape(xs[0].shape)} like tensor 0`);
    }
  });
  const a = normalizeAxis(axis, xs[0].rank + 1, 'stack');
  return concat(xs.map((x) => unsqueeze(x, a)), a);
}

/** Splits along `axis` into pieces of the given sizes. */
export function split(x: Tensor, sizes: readonly number[], axis = 0): Tensor[] {
  const a = normalizeAxis(axis, x.rank, 'split');
  const total = sizes.reduce((s, v) => s + v, 0);
  if (total !== x.shape[a]) throw new Error(`split: sizes ${formatShape(sizes)} add to ${total}, but axis ${a} of ${formatShape(x.shape)} has ${x.shape[a]}`);
  let at = 0;
  return sizes.map((n) => {
    const piece = slice(x, a, at, at + n);
    at += n;
    return piece;
  });
}
