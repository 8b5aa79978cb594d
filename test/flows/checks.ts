// Shared checks for bijectors: invertibility and log-determinants against
// the determinant of the Jacobian built column by column with autodiff.
import assert from 'node:assert/strict';
import { Tensor, grad, reshape, slice, sum, type Bijector } from '../../src/index.js';

/** log |det A| of a dense n x n matrix (row-major), by LU with partial pivoting in float64. */
export function logAbsDet(a: Float64Array, n: number): number {
  const m = Float64Array.from(a);
  let total = 0;
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(m[i * n + k]) > Math.abs(m[p * n + k])) p = i;
    if (m[p * n + k] === 0) return -Infinity;
    if (p !== k) for (let j = 0; j < n; j++) [m[k * n + j], m[p * n + j]] = [m[p * n + j], m[k * n + j]];
    total += Math.log(Math.abs(m[k * n + k]));
    for (let i = k + 1; i < n; i++) {
      const f = m[i * n + k] / m[k * n + k];
      for (let j = k; j < n; j++) m[i * n + j] -= f * m[k * n + j];
    }
  }
  return total;
}

/**
 * The Jacobians of y = f(x) for each of the N rows of x (f maps rows
 * independently: batch elements do not interact), as N dense D x D matrices,
 * where D is the event size. One backward pass per output coordinate.
 * x: [N, ...event], float64.
 */
export function jacobians(f: (x: Tensor) => Tensor, x: Tensor): Float64Array[] {
  const n = x.shape[0];
  const d = x.size / n;
  const xv = new Tensor(x.data.slice(), x.shape, true);
  const y = reshape(f(xv), [n, d]);
  const jac = Array.from({ length: n }, () => new Float64Array(d * d));
  for (let i = 0; i < d; i++) {
    const [g] = grad(sum(slice(y, 1, i, i + 1)), [xv], { allowUnused: true });
    for (let b = 0; b < n; b++) for (let j = 0; j < d; j++) jac[b][i * d + j] = g.data[b * d + j];
  }
  return jac;
}

/** log |det df/dx| for each row of x, by brute force. */
export function bruteForceLogDet(f: (x: Tensor) => Tensor, x: Tensor): number[] {
  const d = x.size / x.shape[0];
  return jacobians(f, x).map((j) => logAbsDet(j, d));
}

/**
 * Checks a bijector at x (float64, [N, ...event]): inverse(forward(x)) = x to
 * `invTol` (default 1e-5, the issue's bound), and both directions'
 * log-determinants equal the brute-force Jacobian determinant to `detTol`
 * (default 1e-8: float64 arithmetic through a few layers), and
 * log |det J^-1|(y) = -log |det J|(x).
 */
export function checkBijector(b: Bijector, x: Tensor, options: { invTol?: number; detTol?: number } = {}): void {
  const invTol = options.invTol ?? 1e-5;
  const detTol = options.detTol ?? 1e-8;
  const name = b.constructor.name;
  const fwd = b.forwardAndLogDet(x);
  // Bijectors may reshape the event (Squeeze) but not change its size, so the Jacobian stays square.
  assert.deepEqual(fwd.value.shape, b.forwardShape(x.shape), `${name}: forward gives a shape other than forwardShape`);
  assert.equal(fwd.value.size, x.size, `${name}: forward changes the size`);
  assert.deepEqual(fwd.logDet.shape, [x.shape[0]], `${name}: logDet shape`);
  const brute = bruteForceLogDet((v) => b.forwardAndLogDet(v).value, x);
  brute.forEach((v, i) => assert.ok(Math.abs(v - fwd.logDet.data[i]) <= detTol * Math.max(1, Math.abs(v)), `${name}: forward logDet[${i}] ${fwd.logDet.data[i]} vs brute force ${v}`));
  if (!b.hasInverse) return;
  const inv = b.inverseAndLogDet(fwd.value);
  for (let i = 0; i < x.size; i++) {
    assert.ok(Math.abs(inv.value.data[i] - x.data[i]) <= invTol, `${name}: inverse(forward(x))[${i}] = ${inv.value.data[i]}, x = ${x.data[i]}`);
  }
  for (let i = 0; i < x.shape[0]; i++) {
    assert.ok(Math.abs(inv.logDet.data[i] + fwd.logDet.data[i]) <= detTol * Math.max(1, Math.abs(fwd.logDet.data[i])), `${name}: inverse logDet[${i}] ${inv.logDet.data[i]} is not -${fwd.logDet.data[i]}`);
  }
  const bruteInv = bruteForceLogDet((v) => b.inverseAndLogDet(v).value, fwd.value);
  bruteInv.forEach((v, i) => assert.ok(Math.abs(v - inv.logDet.data[i]) <= detTol * Math.max(1, Math.abs(v)), `${name}: inverse logDet[${i}] ${inv.logDet.data[i]} vs brute force ${v}`));
}
