// lgamma, digamma and polygamma against scipy (gammaln, psi, polygamma) on a
// grid from 1e-8 to 1e6 and negative non-integers, from the fixture written
// by scripts/fixtures/dist_logprob.py. Tolerance: atol 1e-10 + rtol 1e-12;
// the series with recurrence and reflection agree with scipy to ~4e-15
// relative, and the relative term covers lgamma(1e6) ~ 1.3e7.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as L from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { assertClose, assertGradcheck, inputs } from '../helpers.js';
import { FIXTURE } from './spec.js';

const sp = FIXTURE.special;
const x = L.tensor(Float64Array.from(sp.x));

test('lgamma matches scipy.special.gammaln', () => {
  assertClose(L.lgamma(x).data, sp.lgamma, 1e-10, 1e-12, 'lgamma');
});

test('digamma matches scipy.special.psi', () => {
  assertClose(L.digamma(x).data, sp.digamma, 1e-10, 1e-12, 'digamma');
});

test('polygamma(1..3) matches scipy.special.polygamma', () => {
  for (const n of [1, 2, 3]) assertClose(L.polygamma(n, x).data, sp[`polygamma${n}`], 1e-10, 1e-12, `polygamma${n}`);
});

test('closed forms and poles', () => {
  const f64 = { dtype: 'float64' as const };
  assertClose(L.lgamma(L.tensor([1, 2, 5, 0.5], f64)).data, [0, 0, Math.log(24), 0.5 * Math.log(Math.PI)], 1e-14);
  assertClose([L.digamma(L.tensor([1], f64)).item()], [-0.5772156649015329], 1e-15);
  assertClose([L.polygamma(1, L.tensor([1], f64)).item()], [Math.PI ** 2 / 6], 1e-15);
  assert.deepEqual(L.lgamma(L.tensor([0, -1, -2], f64)).toArray(), [Infinity, Infinity, Infinity]);
  assert.ok(Number.isNaN(L.digamma(L.tensor([0], f64)).item()));
  assert.equal(L.polygamma(1, L.tensor([-1], f64)).item(), Infinity);
  assert.throws(() => L.polygamma(-1, L.tensor([1])), /polygamma: n must be a non-negative integer, got -1/);
});

test('gradients: lgamma -> digamma -> polygamma(1) -> polygamma(2), first and second order', () => {
  const a = inputs([5], 3, 0.2, 6);
  assertGradcheck((t: Tensor) => L.lgamma(t), [a], undefined, 'lgamma');
  assertGradcheck((t: Tensor) => L.digamma(t), [a], undefined, 'digamma');
  assertGradcheck((t: Tensor) => L.polygamma(1, t), [a], undefined, 'polygamma 1');
  // Negative arguments away from the poles 0, -1, -2, ...
  const neg = L.tensor([-0.5, -1.3, -2.7, -3.4], { dtype: 'float64' });
  assertGradcheck((t: Tensor) => L.lgamma(t), [neg], undefined, 'lgamma at negative arguments');
  assertGradcheck((t: Tensor) => L.digamma(t), [neg], undefined, 'digamma at negative arguments');
  const secondOrder = (t: Tensor) => {
    const [g] = L.grad([L.sum(L.lgamma(t))], [t], { createGraph: true });
    return L.sum(L.mul(g, g));
  };
  assertGradcheck(secondOrder, [a], undefined, 'lgamma second order');
});
