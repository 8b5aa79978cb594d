import type { Kernels } from '../registry.js';

let rows = new Float64Array(4 * 1024);

/**
 * Plain TypeScript GEMM, row-major. Loop orders keep the innermost loop on
 * contiguous memory in every transpose variant, and four rows of C are
 * computed together so each element of B loaded feeds four multiply-adds
 * (B traffic is what limits the one-row version). Accumulation is in
 * float64. This is the portable path: the browser's, and the baseline the
 * native kernels are measured against.
 */
export const gemm: Kernels['gemm'] = (transA, transB, m, n, k, a, aOff, b, bOff, c, cOff, accumulate) => {
  if (transB) {
    gemmDot(transA, m, n, k, a, aOff, b, bOff, c, cOff, accumulate);
    return;
  }
  if (rows.length < 4 * n) rows = new Float64Array(4 * n);
  const r = rows;
  // a(i, p) is at aOff + i*ais + p*aps.
  const ais = transA ? 1 : k;
  const aps = transA ? m : 1;
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    r.fill(0, 0, 4 * n);
    for (let p = 0; p < k; p++) {
      const ap = aOff + i * ais + p * aps;
      const a0 = a[ap], a1 = a[ap + ais], a2 = a[ap + 2 * ais], a3 = a[ap + 3 * ais];
      const bo = bOff + p * n;
      for (let j = 0; j < n; j++) {
        const bj = b[bo + j];
        r[j] += a0 * bj;
        r[n + j] += a1 * bj;
        r[2 * n + j] += a2 * bj;
        r[3 * n + j] += a3 * bj;
      }
    }
    store(r, 4 * n, c, cOff + i * n, accumulate);
  }
  for (; i < m; i++) {
    r.fill(0, 0, n);
    for (let p = 0; p < k; p++) {
      const aip = a[aOff + i * ais + p * aps];
      const bo = bOff + p * n;
      for (let j = 0; j < n; j++) r[j] += aip * b[bo + j];
    }
    store(r, n, c, cOff + i * n, accumulate);
  }
};

function store(r: Float64Array, len: number, c: Float32Array | Float64Array, co: number, accumulate: boolean): void {
  if (accumulate) for (let j = 0; j < len; j++) c[co + j] += r[j];
  else for (let j = 0; j < len; j++) c[co + j] = r[j];
}

/** B stored n x k: each C entry is a dot product with a contiguous row of B; four rows of B at a time share each load of A. */
function gemmDot(transA: boolean, m: number, n: number, k: number,
  a: Float32Array | Float64Array, aOff: number, b: Float32Array | Float64Array, bOff: number,
  c: Float32Array | Float64Array, cOff: number, accumulate: boolean): void {
  let arow = rows;
  if (arow.length < k) arow = rows = new Float64Array(Math.max(k, 4 * 1024));
  for (let i = 0; i < m; i++) {
    // Gather row i of op(A) once (strided when A is transposed).
    if (transA) for (let p = 0; p < k; p++) arow[p] = a[aOff + p * m + i];
    else for (let p = 0; p < k; p++) arow[p] = a[aOff + i * k + p];
    const co = cOff + i * n;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const b0 = bOff + j * k, b1 = b0 + k, b2 = b1 + k, b3 = b2 + k;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let p = 0; p < k; p++) {
        const ap = arow[p];
        s0 += ap * b[b0 + p];
        s1 += ap * b[b1 + p];
        s2 += ap * b[b2 + p];
        s3 += ap * b[b3 + p];
      }
      if (accumulate) {
        c[co + j] += s0; c[co + j + 1] += s1; c[co + j + 2] += s2; c[co + j + 3] += s3;
      } else {
        c[co + j] = s0; c[co + j + 1] = s1; c[co + j + 2] = s2; c[co + j + 3] = s3;
      }
    }
    for (; j < n; j++) {
      const bo = bOff + j * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += arow[p] * b[bo + p];
      c[co + j] = accumulate ? c[co + j] + s : s;
    }
  }
}
