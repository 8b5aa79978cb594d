// Dense float64 linear algebra on plain row-major typed arrays, for the
// classical models (mixtures, PPCA): they run EM on raw arrays, without
// autodiff, and need a few small factorizations per iteration. Products over
// all the data go through the registered 'gemm' kernel, so the native SIMD
// GEMM serves them when it is built.
import { kernel } from '../kernels/registry.js';
import { Tensor } from '../tensor/tensor.js';

/** A dense row-major float64 matrix. */
export interface Matrix64 {
  data: Float64Array;
  rows: number;
  cols: number;
}

/** What the models accept as a data matrix: a Tensor [N, D] (any float dtype) or nested arrays. */
export type MatrixInput = Tensor | readonly (readonly number[])[];

/** Options of `asMatrix64`. */
export interface AsMatrixOptions {
  /** Allow NaN entries (they mean "missing" to PPCA); infinities are always an error. */
  allowNaN?: boolean;
  /** Required number of columns. */
  cols?: number;
  /** What the required number of columns is, for the error message. */
  colsWhat?: string;
  /** Minimum number of rows (default 1). */
  minRows?: number;
}

/**
 * Converts a data matrix to float64 [rows, cols], checking shape and values.
 * Throws errors of the form `<who>: <name> ...` naming the first bad entry.
 */
export function asMatrix64(x: MatrixInput, who: string, name = 'X', opts: AsMatrixOptions = {}): Matrix64 {
  let data: Float64Array;
  let rows: number;
  let cols: number;
  if (x instanceof Tensor) {
    if (x.rank !== 2) {
      throw new Error(`${who}: ${name} must be a 2-D Tensor [N, D] (one row per point), got shape [${x.shape.join(', ')}]`);
    }
    [rows, cols] = x.shape;
    data = x.data instanceof Float64Array ? x.data : Float64Array.from(x.data);
  } else if (Array.isArray(x)) {
    rows = x.length;
    cols = rows > 0 && Array.isArray(x[0]) ? x[0].length : 0;
    data = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      const row = x[i];
      if (!Array.isArray(row) || row.length !== cols) {
        throw new Error(`${who}: ${name} must be a rectangular array of rows; row ${i} has ${Array.isArray(row) ? `${row.length} entries` : 'no entries'}, row 0 has ${cols}`);
      }
      for (let j = 0; j < cols; j++) {
        const v = row[j];
        if (typeof v !== 'number') throw new Error(`${who}: ${name}[${i}][${j}] must be a number, got ${typeof v}`);
        data[i * cols + j] = v;
      }
    }
  } else {
    throw new Error(`${who}: ${name} must be a Tensor [N, D] or an array of rows, got ${x === null ? 'null' : typeof x}`);
  }
  const minRows = opts.minRows ?? 1;
  if (rows < minRows) throw new Error(`${who}: ${name} has ${rows} rows (points); at least ${minRows} needed`);
  if (cols < 1) throw new Error(`${who}: ${name} has no columns (features)`);
  if (opts.cols !== undefined && cols !== opts.cols) {
    throw new Error(`${who}: ${name} has ${cols} columns, expected ${opts.cols} (${opts.colsWhat ?? 'the number of features the model was fitted on'}): shape [${rows}, ${cols}], expected [N, ${opts.cols}]`);
  }
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v - v !== 0) {
      if (v !== v && opts.allowNaN) continue;
      const r = Math.floor(i / cols);
      const c = i % cols;
      const hint = v !== v ? ' (missing values are supported by PPCA, which treats NaN as missing)' : '';
      throw new Error(`${who}: ${name} contains ${v} at row ${r}, column ${c}: expected finite numbers${hint}`);
    }
  }
  return { data, rows, cols };
}

/** A float64 vector of length n from a Tensor or array, checked finite. */
export function asVector64(x: Tensor | readonly number[], n: number, who: string, name: string): Float64Array {
  const src = x instanceof Tensor ? x.data : x;
  if (!(x instanceof Tensor) && !Array.isArray(x)) throw new Error(`${who}: ${name} must be a Tensor or an array of ${n} numbers`);
  if (src.length !== n || (x instanceof Tensor && x.rank !== 1)) {
    const shape = x instanceof Tensor ? `[${x.shape.join(', ')}]` : `[${src.length}]`;
    throw new Error(`${who}: ${name} must have shape [${n}], got ${shape}`);
  }
  const out = Float64Array.from(src as ArrayLike<number>);
  for (let i = 0; i < n; i++) if (!Number.isFinite(out[i])) throw new Error(`${who}: ${name}[${i}] is ${out[i]}: expected finite numbers`);
  return out;
}

/** Flattens a Tensor or nested array of the given shape to float64, checking the shape and that entries are finite. */
export function asArray64(x: unknown, shape: readonly number[], who: string, name: string): Float64Array {
  const want = `[${shape.join(', ')}]`;
  let got: number[];
  let flat: ArrayLike<number>;
  if (x instanceof Tensor) {
    got = [...x.shape];
    flat = x.data;
  } else if (Array.isArray(x) || typeof x === 'number') {
    got = [];
    const out: number[] = [];
    let level: unknown = x;
    while (Array.isArray(level)) {
      got.push(level.length);
      level = level[0];
    }
    const walk = (v: unknown, depth: number): void => {
      if (depth === got.length) {
        if (typeof v !== 'number') throw new Error(`${who}: ${name} must hold numbers, found ${typeof v}`);
        out.push(v);
        return;
      }
      if (!Array.isArray(v) || v.length !== got[depth]) throw new Error(`${who}: ${name} is a ragged array; expected shape ${want}`);
      for (const e of v) walk(e, depth + 1);
    };
    walk(x, 0);
    flat = out;
  } else {
    throw new Error(`${who}: ${name} must be a Tensor or a nested array of shape ${want}, got ${x === null ? 'null' : typeof x}`);
  }
  if (got.length !== shape.length || got.some((g, i) => g !== shape[i])) {
    throw new Error(`${who}: ${name} should have shape ${want}, got [${got.join(', ')}]`);
  }
  const out = Float64Array.from(flat);
  for (let i = 0; i < out.length; i++) if (!Number.isFinite(out[i])) throw new Error(`${who}: ${name} contains ${out[i]} at flat index ${i}: expected finite numbers`);
  return out;
}

/** A float64 Tensor over `data` (not copied). */
export function tensor64(data: Float64Array, shape: readonly number[]): Tensor {
  return new Tensor(data, shape);
}

/**
 * C (m x n) = op(A) op(B) (+ C when `accumulate`) for float64 row-major
 * matrices at offsets, through the active backend's 'gemm' kernel.
 */
export function gemm64(transA: boolean, transB: boolean, m: number, n: number, k: number,
  a: Float64Array, aOff: number, b: Float64Array, bOff: number, c: Float64Array, cOff: number, accumulate: boolean): void {
  if (m === 0 || n === 0) return;
  if (k === 0) {
    if (!accumulate) c.fill(0, cOff, cOff + m * n);
    return;
  }
  kernel('gemm')(transA, transB, m, n, k, a, aOff, b, bOff, c, cOff, accumulate);
}

/** Where a Cholesky factorization stopped: the pivot index (0-based) and its value, or null when it succeeded. */
export interface CholeskyFailure {
  index: number;
  pivot: number;
  /** The largest diagonal entry of the matrix, the scale the pivot was judged against. */
  scale: number;
}

/**
 * Lower Cholesky factor of the symmetric n x n matrix at a[aOff..] (lower
 * triangle read) into l[lOff..] (upper triangle zeroed). Fails, returning
 * where, when a pivot is not positive or is below `relTol` times the largest
 * diagonal entry: then the matrix is singular to working precision
 * (condition number beyond about 1 / relTol), and anything computed from its
 * inverse would be noise.
 */
export function cholesky64(a: Float64Array, aOff: number, n: number, l: Float64Array, lOff: number, relTol = Number.EPSILON): CholeskyFailure | null {
  let scale = 0;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(a[aOff + i * n + i]));
  for (let j = 0; j < n; j++) {
    const rj = lOff + j * n;
    let s = a[aOff + j * n + j];
    for (let k = 0; k < j; k++) s -= l[rj + k] * l[rj + k];
    if (!(s > relTol * scale) || s === Infinity) return { index: j, pivot: s, scale };
    const d = Math.sqrt(s);
    l[rj + j] = d;
    for (let k = j + 1; k < n; k++) l[rj + k] = 0;
    for (let i = j + 1; i < n; i++) {
      const ri = lOff + i * n;
      let t = a[aOff + i * n + j];
      for (let k = 0; k < j; k++) t -= l[ri + k] * l[rj + k];
      l[ri + j] = t / d;
    }
  }
  return null;
}

/** The inverse of the lower-triangular n x n matrix at l[lOff..] into out[oOff..] (lower triangular too). */
export function invertLower64(l: Float64Array, lOff: number, n: number, out: Float64Array, oOff: number): void {
  for (let i = 0; i < n * n; i++) out[oOff + i] = 0;
  for (let j = 0; j < n; j++) {
    // Column j of L^-1: forward substitution of L x = e_j.
    out[oOff + j * n + j] = 1 / l[lOff + j * n + j];
    for (let i = j + 1; i < n; i++) {
      let s = 0;
      for (let k = j; k < i; k++) s -= l[lOff + i * n + k] * out[oOff + k * n + j];
      out[oOff + i * n + j] = s / l[lOff + i * n + i];
    }
  }
}

/** Solves A X = B for symmetric positive-definite A (n x n) and B (n x m), both row-major; returns X, or null when A is not positive definite. */
export function solveSpd64(a: Float64Array, n: number, b: Float64Array, m: number): Float64Array | null {
  const l = new Float64Array(n * n);
  if (cholesky64(a, 0, n, l, 0, 0) !== null) return null;
  const x = Float64Array.from(b);
  for (let c = 0; c < m; c++) {
    for (let i = 0; i < n; i++) {
      let s = x[i * m + c];
      for (let k = 0; k < i; k++) s -= l[i * n + k] * x[k * m + c];
      x[i * m + c] = s / l[i * n + i];
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = x[i * m + c];
      for (let k = i + 1; k < n; k++) s -= l[k * n + i] * x[k * m + c];
      x[i * m + c] = s / l[i * n + i];
    }
  }
  return x;
}

/** The inverse of a symmetric positive-definite n x n matrix, or null when it is not positive definite. */
export function inverseSpd64(a: Float64Array, n: number): Float64Array | null {
  const eye = new Float64Array(n * n);
  for (let i = 0; i < n; i++) eye[i * n + i] = 1;
  const x = solveSpd64(a, n, eye, n);
  if (x) symmetrize64(x, 0, n);
  return x;
}

/** log det of a symmetric positive-definite matrix from its lower Cholesky factor: 2 sum log L_ii. */
export function logDetFromCholesky64(l: Float64Array, lOff: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.log(l[lOff + i * n + i]);
  return 2 * s;
}

/** Replaces the n x n block at a[off..] by (A + A^T) / 2. */
export function symmetrize64(a: Float64Array, off: number, n: number): void {
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const v = 0.5 * (a[off + i * n + j] + a[off + j * n + i]);
      a[off + i * n + j] = v;
      a[off + j * n + i] = v;
    }
  }
}

/** Eigenvalues (ascending) and orthonormal eigenvectors (columns of `vectors`, row-major n x n) of a symmetric matrix. */
export interface SymmetricEigen64 {
  values: Float64Array;
  vectors: Float64Array;
}

/**
 * The eigendecomposition A = V diag(values) V^T of a symmetric n x n matrix
 * (row-major; only the lower triangle is read), in float64, eigenvalues
 * ascending as numpy.linalg.eigh returns them, eigenvectors in the columns
 * of V.
 *
 * Method: Householder reduction to tridiagonal form accumulating the
 * transformations, then the implicit QL algorithm with Wilkinson-type shifts
 * on the tridiagonal matrix (the EISPACK routines tred2 and tql2; Wilkinson
 * and Reinsch, "Handbook for Automatic Computation, Vol. II: Linear
 * Algebra", 1971, contributions II/2 and II/3). About 9 n^3 flops; backward
 * stable, so eigenvalues are accurate to about n eps ||A||.
 */
export function symmetricEigen64(a: Float64Array, n: number): SymmetricEigen64 {
  if (a.length !== n * n) throw new Error(`symmetricEigen: expected ${n * n} entries for an ${n} x ${n} matrix, got ${a.length}`);
  // V is kept in column-major order internally (vt[j * n + k] = V[k][j]) so
  // that the inner loops, which walk down columns of V, read contiguous memory.
  const vt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const v = a[i * n + j];
      if (!Number.isFinite(v)) throw new Error(`symmetricEigen: entry (${i}, ${j}) is ${v}: expected finite numbers`);
      vt[j * n + i] = v;
      vt[i * n + j] = v;
    }
  }
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  if (n === 1) {
    d[0] = vt[0];
    vt[0] = 1;
    return { values: d, vectors: vt };
  }
  tridiagonalize(vt, n, d, e);
  tridiagonalQL(vt, n, d, e);
  // Sort ascending (insertion by selection; n is small next to the n^3 above).
  const order = Array.from(d.keys()).sort((i, j) => d[i] - d[j]);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  for (let c = 0; c < n; c++) {
    const src = order[c];
    values[c] = d[src];
    for (let k = 0; k < n; k++) vectors[k * n + c] = vt[src * n + k];
  }
  return { values, vectors };
}

/**
 * Householder tridiagonalization (tred2). On entry col holds A with
 * col[j * n + k] = A[k][j]; on exit it holds the orthogonal Q with
 * A = Q T Q^T in the same layout, d the diagonal of T and e[1..] its
 * subdiagonal.
 */
function tridiagonalize(col: Float64Array, n: number, d: Float64Array, e: Float64Array): void {
  // V[k][j] = col[j * n + k].
  for (let j = 0; j < n; j++) d[j] = col[j * n + n - 1];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = col[j * n + i - 1];
        col[j * n + i] = 0;
        col[i * n + j] = 0;
      }
    } else {
      // The Householder vector that zeroes row i left of the subdiagonal.
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      // p = A u / h, accumulated in e.
      for (let j = 0; j < i; j++) {
        const cj = j * n;
        f = d[j];
        col[i * n + j] = f;
        g = e[j] + col[cj + j] * f;
        for (let k = j + 1; k <= i - 1; k++) {
          const vkj = col[cj + k];
          g += vkj * d[k];
          e[k] += vkj * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      // A <- A - u q^T - q u^T.
      for (let j = 0; j < i; j++) {
        const cj = j * n;
        f = d[j];
        g = e[j];
        for (let k = j; k <= i - 1; k++) col[cj + k] -= f * e[k] + g * d[k];
        d[j] = col[cj + i - 1];
        col[cj + i] = 0;
      }
    }
    d[i] = h;
  }
  // Accumulate the transformations.
  for (let i = 0; i < n - 1; i++) {
    const ci = i * n;
    const ci1 = (i + 1) * n;
    col[ci + n - 1] = col[ci + i];
    col[ci + i] = 1;
    const h = d[i + 1];
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = col[ci1 + k] / h;
      for (let j = 0; j <= i; j++) {
        const cj = j * n;
        let g = 0;
        for (let k = 0; k <= i; k++) g += col[ci1 + k] * col[cj + k];
        for (let k = 0; k <= i; k++) col[cj + k] -= g * d[k];
      }
    }
    for (let k = 0; k <= i; k++) col[ci1 + k] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = col[j * n + n - 1];
    col[j * n + n - 1] = 0;
  }
  col[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

/** Implicit QL iterations (tql2) on the tridiagonal (d, e), rotating the columns of Q (same layout as above) along. */
function tridiagonalQL(col: Float64Array, n: number, d: Float64Array, e: Float64Array): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = Number.EPSILON;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n - 1 && Math.abs(e[m]) > eps * tst1) m++;
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 60) throw new Error(`symmetricEigen: the QL iteration did not converge for eigenvalue ${l} of ${n}`);
        // Shift from the leading 2 x 2 block.
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        // The implicit QL sweep of plane rotations from m up to l.
        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          const ci = i * n;
          const ci1 = (i + 1) * n;
          for (let k = 0; k < n; k++) {
            const t = col[ci1 + k];
            const u = col[ci + k];
            col[ci1 + k] = s * u + c * t;
            col[ci + k] = c * u - s * t;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
}
