// Shared plumbing of the distributions: parameter conversion and
// broadcasting with errors that name the distribution and argument, and a
// few small tensor helpers the engine does not have as ops.
import { Tensor, arrayFor, type DType } from '../tensor/tensor.js';
import { broadcastShapes, formatShape, sameShape, sizeOf } from '../tensor/shape.js';
import { broadcastTo, cast, eq, log, log1p, matmul, mul, neg, reshape, sum, triangularSolve, where } from '../ops/index.js';
import { Generator } from '../random/generator.js';

/** A distribution parameter: a tensor, or a number taken as a scalar of the distribution's dtype. */
export type Param = Tensor | number;

/** float64 when any tensor parameter is float64, else float32 (the library's default). */
export function paramDtype(params: readonly (Param | undefined)[]): DType {
  return params.some((p) => p instanceof Tensor && p.dtype === 'float64') ? 'float64' : 'float32';
}

/** A parameter as a tensor of `dtype`; numbers become scalars. */
export function asParam(x: Param, dtype: DType, dist: string, name: string): Tensor {
  if (typeof x === 'number') {
    const data = arrayFor(dtype, 1);
    data[0] = x;
    return new Tensor(data, []);
  }
  if (!(x instanceof Tensor)) throw new Error(`${dist}: ${name} must be a Tensor or a number, got ${describe(x)}`);
  return x.dtype === dtype ? x : cast(x, dtype);
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return `an array (wrap it in tensor(...))`;
  if (typeof v === 'object') return `an object (${(v as object).constructor?.name ?? 'no prototype'})`;
  return `a ${typeof v}`;
}

/**
 * The broadcast shape of named shapes, with an error naming the first two
 * that conflict: `Normal: loc [3] and scale [4] cannot be broadcast together`.
 */
export function broadcastNamed(dist: string, shapes: readonly [string, readonly number[]][]): number[] {
  let out: number[] = [];
  for (let i = 0; i < shapes.length; i++) {
    try {
      out = broadcastShapes(out, shapes[i][1]);
    } catch {
      for (let j = 0; j < i; j++) {
        try {
          broadcastShapes(shapes[j][1], shapes[i][1]);
        } catch {
          throw new Error(
            `${dist}: ${shapes[j][0]} ${formatShape(shapes[j][1])} and ${shapes[i][0]} ${formatShape(shapes[i][1])} cannot be broadcast together`,
          );
        }
      }
      throw new Error(`${dist}: ${shapes[i][0]} ${formatShape(shapes[i][1])} does not broadcast with the other parameters (${formatShape(out)})`);
    }
  }
  return out;
}

/** `x` broadcast to `shape` (a recorded op, so gradients sum back); `x` itself when it already has that shape. */
export function expandTo(x: Tensor, shape: readonly number[]): Tensor {
  return sameShape(x.shape, shape) ? x : broadcastTo(x, shape);
}

/** Checks a requested batch shape for `expand`: the current one must broadcast to it. */
export function checkExpand(dist: string, from: readonly number[], to: readonly number[]): number[] {
  if (!Array.isArray(to) || to.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`${dist}.expand: batchShape must be an array of non-negative integers, got ${describe(to)}`);
  }
  let ok = to.length >= from.length;
  if (ok) {
    const off = to.length - from.length;
    ok = from.every((d, i) => d === to[i + off] || d === 1);
  }
  if (!ok) throw new Error(`${dist}.expand: cannot expand batch shape ${formatShape(from)} to ${formatShape(to)}`);
  return [...to];
}

/** Sums the last `n` axes (torch.distributions.utils._sum_rightmost). */
export function sumRightmost(x: Tensor, n: number): Tensor {
  if (n <= 0) return x;
  const axes = Array.from({ length: n }, (_, i) => x.rank - n + i);
  return sum(x, axes);
}

/**
 * Cumulative sums along the last axis, as x @ U with U upper triangular
 * ones (K x K): differentiable through matmul, O(K^2) per row, meant for
 * the short axes of stick-breaking. `exclusive` starts at 0 (sum of j < i).
 */
export function cumsumLast(x: Tensor, exclusive = false): Tensor {
  const k = x.shape[x.rank - 1];
  const u = arrayFor(x.dtype, k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) u[i * k + j] = (exclusive ? i < j : i <= j) ? 1 : 0;
  const rows = reshape(x, [sizeOf(x.shape.slice(0, -1)), k]);
  return reshape(matmul(rows, new Tensor(u, [k, k])), x.shape);
}

/**
 * ||L^-1 d||^2 over the last axis for lower-triangular L [..., n, n] and
 * d [..., n] with broadcasting batch dimensions (torch's _batch_mahalanobis).
 * When L is a single matrix, all right-hand sides go through one solve.
 */
export function mahalanobisSquared(l: Tensor, diff: Tensor): Tensor {
  const n = l.shape[l.rank - 1];
  const lBatch = l.shape.slice(0, -2);
  if (sizeOf(lBatch) === 1) {
    const outShape = broadcastShapes(diff.shape.slice(0, -1), lBatch);
    const rows = reshape(diff, [sizeOf(diff.shape.slice(0, -1)), n]);
    // L Y = D^T with D^T [n, N]: the transpose is read by the solve as a matrix of N right-hand sides.
    const y = triangularSolve(reshape(l, [n, n]), rows.transpose(0, 1));
    const m = sum(y.mul(y), 0);
    return reshape(m, outShape);
  }
  const y = triangularSolve(l, reshape(diff, [...diff.shape, 1]));
  return sum(y.mul(y), [-2, -1]);
}

/** A uniform on the open interval (0, 1): (k + 1/2) / 2^53 for a 53-bit k (two words). */
export function uniformOpen(rng: Generator): number {
  const a = rng.nextUint32() >>> 5;
  const b = rng.nextUint32() >>> 6;
  return (a * 67108864 + b + 0.5) * 1.1102230246251565e-16;
}

export function checkRng(dist: string, rng: unknown): asserts rng is Generator {
  if (!(rng instanceof Generator)) throw new Error(`${dist}: rng must be a Generator (e.g. new Generator(0)), got ${describe(rng)}`);
}

export function checkSampleShape(dist: string, sampleShape: unknown): number[] {
  if (!Array.isArray(sampleShape) || sampleShape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`${dist}: sampleShape must be an array of non-negative integers (e.g. [100]), got ${describe(sampleShape)}`);
  }
  return [...sampleShape];
}

/** Machine epsilon and the smallest positive normal number of a dtype (torch.finfo). */
export function finfo(dtype: DType): { eps: number; tiny: number; max: number } {
  return dtype === 'float64'
    ? { eps: 2.220446049250313e-16, tiny: 2.2250738585072014e-308, max: Number.MAX_VALUE }
    : { eps: 1.1920928955078125e-7, tiny: 1.1754943508222875e-38, max: 3.4028234663852886e38 };
}

/** A flat index as the index into `shape`: `2` for rank <= 1, `[1, 2]` otherwise. */
export function formatIndex(flat: number, shape: readonly number[]): string {
  if (shape.length <= 1) return String(flat);
  const idx: number[] = [];
  let r = flat;
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(r % shape[d]);
    r = Math.floor(r / shape[d]);
  }
  return `[${idx.join(', ')}]`;
}

/**
 * x log y with 0 log y = 0 (torch.xlogy), broadcasting. The double `where`
 * keeps gradients finite where x = 0 and y = 0: the log never sees 0 there.
 */
export function xlogy(x: Tensor, y: Tensor): Tensor {
  const zero = eq(x, 0);
  return where(zero, 0, mul(x, log(where(zero, 1, y))));
}

/** x log(1 - y) with 0 log(1 - y) = 0, broadcasting; as `xlogy`. */
export function xlog1my(x: Tensor, y: Tensor): Tensor {
  const zero = eq(x, 0);
  return where(zero, 0, mul(x, log1p(neg(where(zero, 0, y)))));
}

/** A number for an error message: float32 values in the shortest form that rounds back to them (0.1, not 0.10000000149011612). */
export function formatValue(v: number, dtype: DType = 'float64'): string {
  if (Object.is(v, -0)) return '0';
  if (dtype === 'float32' && Number.isFinite(v)) {
    for (let p = 1; p <= 9; p++) {
      const s = Number(v.toPrecision(p));
      if (Math.fround(s) === v) return String(s);
    }
  }
  return String(v);
}
