// Dense linear algebra for small batched matrices: the Cholesky factor,
// triangular solves and the helpers the Gaussian distributions build on.
// Each op is a primitive whose gradient rule is written in ops, so with
// `createGraph` the rule is recorded and can be differentiated again.
import { Tensor, arrayFor } from '../tensor/tensor.js';
import { broadcastShapes, broadcastStrides, formatShape, sizeOf, stridesOf } from '../tensor/shape.js';
import { kernel } from '../kernels/registry.js';
import { record } from '../autograd/tape.js';
import { empty } from './util.js';
import { add, cast, log, mul, neg } from './elementwise.js';
import { sum } from './reduce.js';
import { matmul } from './matmul.js';
import { transpose } from './shape.js';

function requireMatrix(a: Tensor, op: string, name: string, square = true): number {
  if (!(a instanceof Tensor)) throw new Error(`${op}: ${name} must be a Tensor, got ${typeof a}`);
  if (a.rank < 2) throw new Error(`${op}: ${name} must have shape [..., n, n], got ${formatShape(a.shape)}`);
  const n = a.shape[a.rank - 2];
  if (square && a.shape[a.rank - 1] !== n) {
    throw new Error(`${op}: ${name} must be square in its last two dimensions, got ${formatShape(a.shape)}`);
  }
  return n;
}

function describeBatch(shape: readonly number[], b: number): string {
  if (shape.length === 0) return '';
  const idx: number[] = [];
  let r = b;
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(r % shape[d]);
    r = Math.floor(r / shape[d]);
  }
  return ` at batch index [${idx.join(', ')}]`;
}

/**
 * The diagonal of the last two dimensions (torch.diagonal(A, dim1=-2, dim2=-1)).
 * Its gradient is `diagEmbed` of the incoming gradient.
 *
 * Shapes: A [..., n, m] -> [..., min(n, m)].
 *
 * @example
 * diagonal(tensor([[1, 2], [3, 4]])).toArray();   // [1, 4]
 */
export function diagonal(a: Tensor): Tensor {
  requireMatrix(a, 'diagonal', 'A', false);
  const n = a.shape[a.rank - 2];
  const m = a.shape[a.rank - 1];
  const k = Math.min(n, m);
  const batch = a.shape.slice(0, -2);
  const strides = stridesOf(a.shape);
  const outShape = [...batch, k];
  const out = empty(outShape, a.dtype);
  kernel('stridedCopy')(a.data, 0, [...strides.slice(0, -2), m + 1], out.data, outShape);
  const inShape = a.shape;
  return record(out, 'diagonal', [a], (g) => [diagEmbed(g, inShape[inShape.length - 2], inShape[inShape.length - 1])]);
}

/**
 * A batch of matrices with `v` on the diagonal and zeros elsewhere (torch.diag_embed).
 * Its gradient is `diagonal` of the incoming gradient.
 *
 * Shapes: v [..., k] -> [..., rows, cols] with rows = cols = k by default (rows, cols >= k).
 *
 * @example
 * diagEmbed(tensor([1, 2])).toArray();   // [[1, 0], [0, 2]]
 */
export function diagEmbed(v: Tensor, rows?: number, cols?: number): Tensor {
  if (!(v instanceof Tensor) || v.rank < 1) throw new Error(`diagEmbed: v must be a Tensor of rank >= 1, got ${v instanceof Tensor ? formatShape(v.shape) : typeof v}`);
  const k = v.shape[v.rank - 1];
  const r = rows ?? k;
  const c = cols ?? k;
  if (Math.min(r, c) !== k) throw new Error(`diagEmbed: a ${r} x ${c} matrix has ${Math.min(r, c)} diagonal entries, but v has ${k}`);
  const outShape = [...v.shape.slice(0, -1), r, c];
  const out = empty(outShape, v.dtype);
  const strides = stridesOf(outShape);
  kernel('stridedAssign')(v.data, out.data, 0, [...strides.slice(0, -2), c + 1], v.shape);
  return record(out, 'diagEmbed', [v], (g) => [diagonal(g)]);
}

function triangleMask(n: number, m: number, k: number, lower: boolean, dtype: Tensor['dtype']): Tensor {
  const data = arrayFor(dtype, n * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) data[i * m + j] = (lower ? j - i <= k : j - i >= k) ? 1 : 0;
  }
  return new Tensor(data, [n, m]);
}

/**
 * The lower triangle of the last two dimensions: entries with j - i <= k kept,
 * the rest zero (torch.tril). k = -1 drops the diagonal too.
 *
 * Shapes: A [..., n, m] -> [..., n, m].
 */
export function tril(a: Tensor, k = 0): Tensor {
  requireMatrix(a, 'tril', 'A', false);
  return mul(a, triangleMask(a.shape[a.rank - 2], a.shape[a.rank - 1], k, true, a.dtype));
}

/**
 * The upper triangle of the last two dimensions: entries with j - i >= k kept,
 * the rest zero (torch.triu). k = 1 drops the diagonal too.
 *
 * Shapes: A [..., n, m] -> [..., n, m].
 */
export function triu(a: Tensor, k = 0): Tensor {
  requireMatrix(a, 'triu', 'A', false);
  return mul(a, triangleMask(a.shape[a.rank - 2], a.shape[a.rank - 1], k, false, a.dtype));
}

/**
 * Cholesky factors of a batch that may fail, without throwing (like
 * torch.linalg.cholesky_ex): `info[b]` is 0 where matrix b is positive
 * definite, else 1 + the index of the first pivot that was not positive
 * (LAPACK's convention); `pivots[b]` holds that pivot's value. Reads only
 * the lower triangle. No gradient: use `cholesky` in computations.
 *
 * Shapes: A [..., n, n] -> L [..., n, n], info and pivots of length prod(...).
 */
export function choleskyEx(a: Tensor): { L: Tensor; info: Int32Array; pivots: Float64Array } {
  const n = requireMatrix(a, 'cholesky', 'A');
  const batch = sizeOf(a.shape.slice(0, -2));
  const out = empty(a.shape, a.dtype);
  const info = new Int32Array(batch);
  const pivots = new Float64Array(batch);
  const x = a.data;
  const l = out.data;
  for (let b = 0; b < batch; b++) {
    const o = b * n * n;
    for (let j = 0; j < n && info[b] === 0; j++) {
      let s = x[o + j * n + j];
      for (let k = 0; k < j; k++) s -= l[o + j * n + k] * l[o + j * n + k];
      if (!(s > 0) || s === Infinity) {
        info[b] = j + 1;
        pivots[b] = s;
        break;
      }
      const d = Math.sqrt(s);
      l[o + j * n + j] = d;
      for (let i = j + 1; i < n; i++) {
        let t = x[o + i * n + j];
        for (let k = 0; k < j; k++) t -= l[o + i * n + k] * l[o + j * n + k];
        l[o + i * n + j] = t / d;
      }
    }
  }
  return { L: out, info, pivots };
}

/**
 * The lower Cholesky factor L of a symmetric positive-definite A = L L^T,
 * batched over leading dimensions. Reads only the lower triangle of A (as
 * torch.linalg.cholesky does). Throws, naming the first pivot that is not
 * positive, when a matrix is not positive definite.
 *
 * Gradient (Murray, "Differentiation of the Cholesky decomposition", 2016,
 * eq. 10): with Phi(X) the lower triangle of X with its diagonal halved,
 * dA = L^-T Phi(L^T dL) L^-1, symmetrized, written with triangular solves
 * so it can be differentiated again.
 *
 * Shapes: A [..., n, n] -> L [..., n, n].
 *
 * @example
 * cholesky(tensor([[4, 2], [2, 2]])).toArray();   // [[2, 0], [1, 1]]
 */
export function cholesky(a: Tensor): Tensor {
  const { L, info, pivots } = choleskyEx(a);
  const n = a.shape[a.rank - 1];
  for (let b = 0; b < info.length; b++) {
    if (info[b] !== 0) {
      throw new Error(
        `cholesky: the matrix${describeBatch(a.shape.slice(0, -2), b)} is not positive definite: ` +
          `pivot ${info[b] - 1} (0-based, of ${n}) is ${pivots[b]}, not positive; ` +
          `if it should be positive definite, add jitter to the diagonal (e.g. A + 1e-6 I)`,
      );
    }
  }
  return record(L, 'cholesky', [a], (g) => [choleskyBackward(g, L)]);
}

function choleskyBackward(gL: Tensor, l: Tensor): Tensor {
  // tril(L^T gL) only needs tril(gL): L^T triu(gL, 1) is strictly upper triangular.
  const phi = tril(matmul(l, gL, { transA: true }));
  // 0.5 (Phi + Phi^T) with Phi's diagonal halved: the symmetric part.
  const sym = mul(add(phi, transpose(tril(phi, -1))), 0.5);
  // L^-T sym L^-1: solve L^T X = sym, then X L^-1 = (L^-T X^T)^T.
  const x = triangularSolve(l, sym, { lower: true, transpose: true });
  return transpose(triangularSolve(l, transpose(x), { lower: true, transpose: true }));
}

export interface TriangularSolveOptions {
  /** Whether A is lower triangular (default true); only that triangle is read. */
  lower?: boolean;
  /** Solve A^T X = B instead of A X = B (default false). */
  transpose?: boolean;
  /** Take A's diagonal as ones without reading it (default false). */
  unitDiagonal?: boolean;
}

/**
 * X solving op(A) X = B for triangular A, with op(A) = A or A^T, by forward
 * or back substitution; batch dimensions broadcast (like
 * torch.linalg.solve_triangular with left=True). Only A's triangle is read,
 * so its gradient is zero off the triangle. A zero on the diagonal gives
 * infinities or NaN, as in LAPACK.
 *
 * Gradients: dB = op(A)^-T dX (another triangular solve) and
 * d op(A) = -dB X^T, restricted to the triangle.
 *
 * Shapes: A [..., n, n], B [..., n, k] -> X [..., n, k] (batch dimensions broadcast).
 *
 * @example
 * const A = tensor([[2, 0], [1, 1]]);
 * triangularSolve(A, tensor([[2], [3]])).toArray();   // [[1], [2]]
 */
export function triangularSolve(a: Tensor, b: Tensor, options: TriangularSolveOptions = {}): Tensor {
  const op = 'triangularSolve';
  const lower = options.lower ?? true;
  const trans = options.transpose ?? false;
  const unit = options.unitDiagonal ?? false;
  const n = requireMatrix(a, op, 'A');
  if (!(b instanceof Tensor) || b.rank < 2) {
    throw new Error(`${op}: B must have shape [..., n, k] (a matrix of right-hand sides), got ${b instanceof Tensor ? formatShape(b.shape) : typeof b}`);
  }
  if (b.shape[b.rank - 2] !== n) {
    throw new Error(`${op}: A ${formatShape(a.shape)} and B ${formatShape(b.shape)} do not chain: A is ${n} x ${n} but B has ${b.shape[b.rank - 2]} rows`);
  }
  if (a.dtype !== b.dtype) return triangularSolve(cast(a, 'float64'), cast(b, 'float64'), options);
  const k = b.shape[b.rank - 1];
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const batch = broadcastShapes(batchA, batchB, `${op} (batch dimensions)`);
  const out = empty([...batch, n, k], a.dtype);
  const sa = broadcastStrides(batchA, batch);
  const sb = broadcastStrides(batchB, batch);
  const nb = sizeOf(batch);
  const idx = new Array<number>(batch.length).fill(0);
  const A = a.data;
  const B = b.data;
  const X = out.data;
  // The effective matrix M = op(A) is lower triangular when lower XOR transpose.
  const effLower = lower !== trans;
  for (let bi = 0; bi < nb; bi++) {
    let oa = 0;
    let ob = 0;
    for (let d = 0; d < batch.length; d++) {
      oa += idx[d] * sa[d];
      ob += idx[d] * sb[d];
    }
    oa *= n * n;
    ob *= n * k;
    const ox = bi * n * k;
    const m = trans ? (i: number, j: number) => A[oa + j * n + i] : (i: number, j: number) => A[oa + i * n + j];
    for (let step = 0; step < n; step++) {
      const i = effLower ? step : n - 1 - step;
      const diag = unit ? 1 : m(i, i);
      for (let c = 0; c < k; c++) {
        let s = B[ob + i * k + c];
        if (effLower) for (let j = 0; j < i; j++) s -= m(i, j) * X[ox + j * k + c];
        else for (let j = i + 1; j < n; j++) s -= m(i, j) * X[ox + j * k + c];
        X[ox + i * k + c] = s / diag;
      }
    }
    for (let d = batch.length - 1; d >= 0; d--) {
      if (++idx[d] < batch[d]) break;
      idx[d] = 0;
    }
  }
  return record(out, op, [a, b], (g, needs) => {
    const gb = triangularSolve(a, g, { lower, transpose: !trans, unitDiagonal: unit });
    let ga: Tensor | null = null;
    if (needs[0]) {
      // d op(A) = -gB X^T; for op(A) = A^T that is the transpose, -X gB^T.
      const full = neg(trans ? matmul(out, gb, { transB: true }) : matmul(gb, out, { transB: true }));
      const off = unit ? 1 : 0;
      ga = lower ? tril(full, -off) : triu(full, off);
    }
    return [ga, needs[1] ? gb : null];
  });
}

/**
 * X solving (L L^T) X = B given the lower Cholesky factor L: two triangular
 * solves (torch.cholesky_solve, with the arguments in solve order).
 *
 * Shapes: L [..., n, n], B [..., n, k] -> X [..., n, k] (batch dimensions broadcast).
 *
 * @example
 * const L = cholesky(tensor([[4, 2], [2, 2]]));
 * choleskySolve(L, tensor([[6], [4]])).toArray();   // [[1], [1]]
 */
export function choleskySolve(l: Tensor, b: Tensor): Tensor {
  const y = triangularSolve(l, b, { lower: true });
  return triangularSolve(l, y, { lower: true, transpose: true });
}

/**
 * (L L^T)^-1 from the lower Cholesky factor L (torch.cholesky_inverse).
 *
 * Shapes: L [..., n, n] -> [..., n, n].
 */
export function choleskyInverse(l: Tensor): Tensor {
  const n = requireMatrix(l, 'choleskyInverse', 'L');
  const eye = arrayFor(l.dtype, n * n);
  for (let i = 0; i < n; i++) eye[i * n + i] = 1;
  return choleskySolve(l, new Tensor(eye, [n, n]));
}

/**
 * log det(L L^T) = 2 sum_i log L_ii from a Cholesky factor.
 *
 * Shapes: L [..., n, n] -> [...].
 *
 * @example
 * logdetFromCholesky(cholesky(tensor([[4, 2], [2, 2]]))).item();   // log 4 = ~1.386
 */
export function logdetFromCholesky(l: Tensor): Tensor {
  requireMatrix(l, 'logdetFromCholesky', 'L');
  return mul(sum(log(diagonal(l)), -1), 2);
}
