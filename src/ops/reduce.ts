import { Tensor } from '../tensor/tensor.js';
import { normalizeAxes, normalizeAxis, sizeOf } from '../tensor/shape.js';
import { kernel, type ReduceOp } from '../kernels/registry.js';
import { record } from '../autograd/tape.js';
import { output } from './util.js';
import { broadcastTo, reshape } from './shape.js';
import { div, eq, exp, mul, sub, where } from './elementwise.js';

/** Axes to reduce: a number, a list, or undefined for all. */
export type Axes = number | readonly number[] | undefined;

/** Reduces `axes` one at a time (each a middle axis of [outer, n, inner]); returns the keep-dims shape too. */
function reduceRaw(op: ReduceOp, x: Tensor, axes: number[]): { out: Tensor; kept: number[] } {
  let data = x.data;
  const shape = [...x.shape];
  for (let i = axes.length - 1; i >= 0; i--) {
    const a = axes[i];
    const outer = sizeOf(shape.slice(0, a));
    const inner = sizeOf(shape.slice(a + 1));
    const n = shape[a];
    const next = output([outer * inner], x.dtype).data;
    if (n === 0) next.fill(op === 'sum' ? 0 : op === 'max' || op === 'logsumexp' ? -Infinity : Infinity);
    else kernel('reduce')(op, data, outer, n, inner, next);
    data = next;
    shape[a] = 1;
  }
  return { out: new Tensor(data, shape), kept: shape };
}

function finish(out: Tensor, x: Tensor, axes: number[], keepDims: boolean): Tensor {
  return keepDims ? out : reshape(out, x.shape.filter((_, i) => !axes.includes(i)));
}

/** Sum over `axes` (all by default). */
export function sum(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  const ax = normalizeAxes(axes, x.rank, 'sum');
  if (ax.length === 0) return x;
  const { out, kept } = reduceRaw('sum', x, ax);
  const shape = x.shape;
  record(out, 'sum', [x], (g) => [broadcastTo(reshape(g, kept), shape)]);
  return finish(out, x, ax, keepDims);
}

/** Mean over `axes` (all by default). */
export function mean(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  const ax = normalizeAxes(axes, x.rank, 'mean');
  const count = ax.reduce((n, a) => n * x.shape[a], 1);
  return div(sum(x, ax, keepDims), count);
}

/** Variance over `axes` with `correction` (1 for the unbiased estimate, 0 for the MLE). */
export function variance(x: Tensor, axes?: Axes, keepDims = false, correction = 1): Tensor {
  const ax = normalizeAxes(axes, x.rank, 'variance');
  const count = ax.reduce((n, a) => n * x.shape[a], 1);
  const d = sub(x, mean(x, ax, true));
  return div(sum(mul(d, d), ax, keepDims), Math.max(count - correction, 0));
}

function extreme(op: 'max' | 'min', x: Tensor, axes: Axes, keepDims: boolean): Tensor {
  const ax = normalizeAxes(axes, x.rank, op);
  if (ax.length === 0) return x;
  for (const a of ax) {
    if (x.shape[a] === 0) throw new Error(`${op}: cannot reduce over axis ${a} of size 0`);
  }
  const { out, kept } = reduceRaw(op, x, ax);
  const shape = x.shape;
  // The gradient goes to the positions that attain the extreme, split equally between ties.
  record(out, op, [x], (g) => {
    const mask = eq(x, broadcastTo(reshape(out.detach(), kept), shape));
    const count = sum(mask, ax, true);
    return [mul(broadcastTo(reshape(div(g, reshape(count, g.shape)), kept), shape), mask)];
  });
  return finish(out, x, ax, keepDims);
}

/** Maximum over `axes` (all by default). */
export function max(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  return extreme('max', x, axes, keepDims);
}

/** Minimum over `axes` (all by default). */
export function min(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  return extreme('min', x, axes, keepDims);
}

/**
 * log(sum(exp(x))) over `axes`, computed as m + log(sum(exp(x - m))) with m
 * the maximum. All -inf gives -inf (not NaN), and so does an empty axis;
 * the gradient there is 0.
 *
 * @example
 * logsumexp(tensor([-Infinity, -Infinity])).item();   // returns -Infinity
 */
export function logsumexp(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  const ax = normalizeAxes(axes, x.rank, 'logsumexp');
  if (ax.length === 0) return x;
  const { out, kept } = reduceRaw('logsumexp', x, ax);
  const shape = x.shape;
  record(out, 'logsumexp', [x], (g) => {
    // d lse / dx = exp(x - lse); where lse = -inf every x is -inf, and exp(-inf - 0) = 0.
    const y = reshape(out, kept);
    const ySafe = where(eq(y, -Infinity), 0, y);
    return [mul(broadcastTo(reshape(g, kept), shape), exp(sub(x, ySafe)))];
  });
  return finish(out, x, ax, keepDims);
}

/** exp(x) / sum(exp(x)) along `axis`. */
export function softmax(x: Tensor, axis = -1): Tensor {
  const a = normalizeAxis(axis, x.rank, 'softmax');
  return exp(sub(x, logsumexp(x, a, true)));
}

/** x - logsumexp(x) along `axis`: log-probabilities from logits. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const a = normalizeAxis(axis, x.rank, 'logSoftmax');
  return sub(x, logsumexp(x, a, true));
}

/**
 * Running sum along `axis` (from the end when `reverse`), like torch.cumsum.
 * Its gradient is the running sum of the gradient in the other direction.
 *
 * @example
 * cumsum(tensor([1, 2, 3]), 0).toArray();   // returns [1, 3, 6]
 */
export function cumsum(x: Tensor, axis: number, reverse = false): Tensor {
  const a = normalizeAxis(axis, x.rank, 'cumsum');
  const out = output(x.shape, x.dtype);
  if (x.size > 0) {
    kernel('cumsum')(x.data, sizeOf(x.shape.slice(0, a)), x.shape[a], sizeOf(x.shape.slice(a + 1)), reverse, out.data);
  }
  return record(out, 'cumsum', [x], (g) => [cumsum(g, a, !reverse)]);
}
