import type { Kernels } from '../registry.js';

let row = new Float64Array(1024);

/**
 * Plain TypeScript GEMM: row-major, loop orders chosen so the innermost
 * loop walks contiguous memory in every transpose variant; accumulation in
 * float64. This is the portable baseline the native kernels are measured against.
 */
export const gemm: Kernels['gemm'] = (transA, transB, m, n, k, a, aOff, b, bOff, c, cOff, accumulate) => {
  if (!transB) {
    if (row.length < n) row = new Float64Array(n);
    for (let i = 0; i < m; i++) {
      row.fill(0, 0, n);
      for (let p = 0; p < k; p++) {
        const aip = transA ? a[aOff + p * m + i] : a[aOff + i * k + p];
        if (aip === 0) continue;
        const bo = bOff + p * n;
        for (let j = 0; j < n; j++) row[j] += aip * b[bo + j];
      }
      const co = cOff + i * n;
      if (accumulate) for (let j = 0; j < n; j++) c[co + j] += row[j];
      else for (let j = 0; j < n; j++) c[co + j] = row[j];
    }
    return;
  }
  // B stored n x k: each C entry is a dot product over contiguous rows of B.
  for (let i = 0; i < m; i++) {
    const co = cOff + i * n;
    for (let j = 0; j < n; j++) {
      const bo = bOff + j * k;
      let s = 0;
      if (transA) for (let p = 0; p < k; p++) s += a[aOff + p * m + i] * b[bo + p];
      else {
        const ao = aOff + i * k;
        for (let p = 0; p < k; p++) s += a[ao + p] * b[bo + p];
      }
      c[co + j] = accumulate ? c[co + j] + s : s;
    }
  }
};
