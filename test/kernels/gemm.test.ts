// The GEMM kernel against a naive triple loop in float64, every transpose
// variant, sizes that are not multiples of the blocking (4), offsets into
// larger buffers, and accumulation. Exact agreement is not expected (the
// summation order differs): tolerance 1e-12 relative for float64 inputs.
import { test } from 'node:test';
import { kernel, type FloatArray } from '../../src/index.js';
import { assertClose, lcg } from '../helpers.js';

function naive(tA: boolean, tB: boolean, m: number, n: number, k: number, a: FloatArray, ao: number, b: FloatArray, bo: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += a[ao + (tA ? p * m + i : i * k + p)] * b[bo + (tB ? j * k + p : p * n + j)];
    c[i * n + j] = s;
  }
  return c;
}

for (const [m, n, k] of [[1, 1, 1], [7, 5, 3], [9, 13, 17], [4, 8, 1], [33, 6, 10]]) {
  for (const tA of [false, true]) for (const tB of [false, true]) {
    test(`gemm ${m}x${n}x${k} transA=${tA} transB=${tB}`, () => {
      const r = lcg(m * 100 + n * 10 + k);
      const ao = 3, bo = 5, co = 2;
      const a = new Float64Array(ao + m * k).map(() => r() - 0.5);
      const b = new Float64Array(bo + k * n).map(() => r() - 0.5);
      const c = new Float64Array(co + m * n).fill(7);
      kernel('gemm')(tA, tB, m, n, k, a, ao, b, bo, c, co, false);
      const ref = naive(tA, tB, m, n, k, a, ao, b, bo);
      assertClose(c.subarray(co), ref, 1e-12, 1e-12, 'C = AB');
      assertClose(c.subarray(0, co), [7, 7], 0, 0, 'untouched before offset');
      kernel('gemm')(tA, tB, m, n, k, a, ao, b, bo, c, co, true);
      assertClose(c.subarray(co), ref.map((v) => 2 * v), 1e-12, 1e-12, 'C += AB');
    });
  }
}
