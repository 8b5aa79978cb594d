// odeint: convergence orders on a linear ODE with a closed-form solution,
// dopri5 against known solutions at several tolerances, gradients through
// the steps, and clear errors for bad options.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, add, mul, neg, matmul, sum, grad, odeint, type OdeFunc, type Tensor } from '../../src/index.js';

// y' = A y with A = [[-0.5, 1], [-1, -0.5]]: y(t) = e^{-t/2} R(t) y0 with R(t) = [[cos t, sin t], [-sin t, cos t]].
const A = tensor([[-0.5, -1], [1, -0.5]], { dtype: 'float64' }); // row-vector form: y A (A^T of the matrix above)
const spiral: OdeFunc = (_t, [y]) => [matmul(y, A)];
function spiralExact(t: number, y0: [number, number]): [number, number] {
  const s = Math.exp(-t / 2);
  return [s * (Math.cos(t) * y0[0] + Math.sin(t) * y0[1]), s * (-Math.sin(t) * y0[0] + Math.cos(t) * y0[1])];
}
const y0 = () => tensor([[1, 0.5]], { dtype: 'float64' });

function errAt(method: 'euler' | 'rk4', h: number): number {
  const { ys } = odeint(spiral, [y0()], [0, 2], { method, stepSize: h });
  const e = spiralExact(2, [1, 0.5]);
  return Math.hypot(ys[1][0].data[0] - e[0], ys[1][0].data[1] - e[1]);
}

test('Euler converges with order 1 and RK4 with order 4 (error ratio at h and h/2)', () => {
  // Observed order log2(err(h) / err(h/2)); asymptotically 1 and 4. At these
  // steps the next term of the error expansion still shifts it by a few percent.
  for (const [method, order, h] of [['euler', 1, 0.01], ['rk4', 4, 0.1]] as const) {
    const p = Math.log2(errAt(method, h) / errAt(method, h / 2));
    assert.ok(Math.abs(p - order) < 0.1, `${method}: observed order ${p}`);
  }
});

test('fixed-step methods land on every requested time and count their steps', () => {
  const { ys, stats } = odeint(spiral, [y0()], [0, 0.25, 1], { method: 'rk4', stepSize: 0.1 });
  assert.equal(ys.length, 3);
  assert.equal(stats.accepted, 3 + 8); // ceil(0.25 / 0.1) + ceil(0.75 / 0.1)
  assert.equal(stats.nfe, 4 * 11);
  for (const [i, t] of [[1, 0.25], [2, 1]] as const) {
    const e = spiralExact(t, [1, 0.5]);
    // RK4 at h <= 0.1 on a problem with unit rates: local error ~h^5/120, global well under 1e-6.
    assert.ok(Math.abs(ys[i][0].data[0] - e[0]) < 1e-6 && Math.abs(ys[i][0].data[1] - e[1]) < 1e-6);
  }
});

test('dopri5 meets rtol/atol on exponential decay and the harmonic oscillator, with more steps for tighter tolerances', () => {
  const decay: OdeFunc = (_t, [y]) => [neg(y)];
  // y'' = -y as (q, p): q(t) = cos t, p(t) = -sin t, over 10 time units (1.6 periods).
  const oscillator: OdeFunc = (_t, [q, p]) => [p, neg(q)];
  let prevSteps = 0;
  for (const tol of [1e-4, 1e-6, 1e-8, 1e-10]) {
    const d = odeint(decay, [tensor([1], { dtype: 'float64' })], [0, 1, 3], { rtol: tol, atol: tol });
    // Global errors of a step-size controller tuned to local error: within a small multiple of tol on these short spans.
    assert.ok(Math.abs(d.ys[1][0].item() - Math.exp(-1)) < 10 * tol, `decay tol ${tol}: ${d.ys[1][0].item() - Math.exp(-1)}`);
    assert.ok(Math.abs(d.ys[2][0].item() - Math.exp(-3)) < 10 * tol);
    const o = odeint(oscillator, [tensor([1], { dtype: 'float64' }), tensor([0], { dtype: 'float64' })], [0, 10], { rtol: tol, atol: tol });
    const eq = Math.abs(o.ys[1][0].item() - Math.cos(10));
    const ep = Math.abs(o.ys[1][1].item() + Math.sin(10));
    assert.ok(eq < 30 * tol && ep < 30 * tol, `oscillator tol ${tol}: errors ${eq}, ${ep}`);
    assert.ok(o.stats.accepted > prevSteps, `tol ${tol}: ${o.stats.accepted} steps, not more than ${prevSteps}`);
    // FSAL: 6 new evaluations per step attempted, plus the first and the initial-step probe.
    assert.equal(o.stats.nfe, 6 * (o.stats.accepted + o.stats.rejected) + 2);
    prevSteps = o.stats.accepted;
  }
});

test('dopri5 integrates backwards in time', () => {
  const { ys } = odeint((_t, [y]) => [neg(y)], [tensor([1], { dtype: 'float64' })], [1, 0], { rtol: 1e-9, atol: 1e-9 });
  assert.ok(Math.abs(ys[1][0].item() - Math.E) < 1e-7);
});

test('gradients flow through the steps: d y(1) / d theta for y\' = -theta y', () => {
  for (const method of ['rk4', 'dopri5'] as const) {
    const theta = tensor([0.7], { dtype: 'float64', requiresGrad: true });
    const yInit = tensor([2], { dtype: 'float64', requiresGrad: true });
    const { ys } = odeint((_t, [y]) => [neg(mul(y, theta))], [yInit], [0, 1], { method, stepSize: 0.05, rtol: 1e-10, atol: 1e-10 });
    const [gTheta, gY0] = grad([sum(ys[1][0])], [theta, yInit]);
    // y(1) = y0 e^{-theta}: dy/dtheta = -y0 e^{-theta}, dy/dy0 = e^{-theta}; RK4 at h = 0.05 is accurate to ~1e-8 here.
    assert.ok(Math.abs(gTheta.item() + 2 * Math.exp(-0.7)) < 1e-7, `${method}: ${gTheta.item()}`);
    assert.ok(Math.abs(gY0.item() - Math.exp(-0.7)) < 1e-7);
  }
});

test('bad options and bad right-hand sides give clear errors', () => {
  const f: OdeFunc = (_t, [y]) => [neg(y)];
  const y = [tensor([1])];
  assert.throws(() => odeint(f, y, [0]), /ts must list at least two times/);
  assert.throws(() => odeint(f, y, [0, 1, 0.5]), /strictly increasing or strictly decreasing/);
  assert.throws(() => odeint(f, y, [0, NaN]), /finite numbers/);
  assert.throws(() => odeint(f, y, [0, 1], { method: 'rk45' as never }), /method must be one of euler, rk4, dopri5/);
  assert.throws(() => odeint(f, y, [0, 1], { rtol: -1 }), /rtol must be a positive finite number/);
  assert.throws(() => odeint(f, y, [0, 1], { method: 'euler', stepSize: 0 }), /stepSize must be a positive finite number/);
  assert.throws(() => odeint(f, y, [0, 1], { maxSteps: 1.5 }), /maxSteps must be a positive integer/);
  assert.throws(() => odeint(f, [], [0, 1]), /y0 must be a non-empty array of Tensors/);
  assert.throws(() => odeint(() => [] as Tensor[], y, [0, 1]), /must return 1 tensor/);
  assert.throws(() => odeint((_t, [v]) => [add(v, tensor([1, 2]))], y, [0, 1]), /must be a Tensor of the shape of y\[0\]/);
  assert.throws(() => odeint(f, y, [0, 100], { method: 'euler', stepSize: 0.01, maxSteps: 50 }), /more than maxSteps = 50/);
  assert.throws(() => odeint(f, y, [0, 100], { rtol: 1e-10, atol: 1e-10, maxSteps: 20 }), /more than maxSteps = 20/);
});
