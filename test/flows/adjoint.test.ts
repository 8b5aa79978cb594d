// The adjoint method: gradients equal direct backpropagation through the
// same solver (to the solvers' tolerance with dopri5, to O(h^4) with RK4),
// finite differences on a tiny case, and a graph whose size does not depend
// on the number of steps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, mlp, tensor, noGrad, grad, sum, mul, square, add, odeint, odeintAdjoint, type OdeFunc, type Tensor, type OdeintOptions } from '../../src/index.js';
import { inputs } from '../helpers.js';

const net = mlp([2, 8, 2], { activation: 'tanh', rng: new Generator(3), dtype: 'float64' });
const params = net.parameters();
const f: OdeFunc = (_t, [z]) => [net.forward(z)];
const ts = [0, 0.5, 1.2];
const c = inputs([3, 2], 8);

/** A loss reading the state at two requested times, so the adjoint must add incoming gradients midway. */
function loss(ys: Tensor[][]): Tensor {
  return add(sum(square(ys[1][0])), sum(mul(ys[2][0], c)));
}

function gradients(adjoint: boolean, o: OdeintOptions): { value: number; grads: Tensor[] } {
  const z0 = inputs([3, 2], 7).requireGrad();
  const sol = adjoint ? odeintAdjoint(f, [z0], ts, params, o) : odeint(f, [z0], ts, o);
  const l = loss(sol.ys);
  return { value: l.item(), grads: grad([l], [z0, ...params]) };
}

function lossValue(o: OdeintOptions): number {
  return noGrad(() => loss(odeint(f, [inputs([3, 2], 7)], ts, o).ys).item());
}

function maxDiff(a: Tensor[], b: Tensor[]): number {
  let m = 0;
  a.forEach((t, i) => t.data.forEach((v, q) => (m = Math.max(m, Math.abs(v - b[i].data[q])))));
  return m;
}

test('adjoint gradients equal backpropagation through dopri5 within the solver tolerance', () => {
  for (const tol of [1e-6, 1e-9]) {
    const o = { method: 'dopri5' as const, rtol: tol, atol: tol };
    const direct = gradients(false, o);
    const adj = gradients(true, o);
    assert.equal(adj.value, direct.value); // the same forward solve
    // Both approximate the exact gradient to about the tolerance (gradients here are O(1)).
    const d = maxDiff(adj.grads, direct.grads);
    assert.ok(d < 20 * tol, `tol ${tol}: max difference ${d}`);
  }
});

test('with fixed-step RK4 the adjoint and direct gradients differ by O(h^4)', () => {
  const diff = (h: number) => maxDiff(gradients(true, { method: 'rk4', stepSize: h }).grads, gradients(false, { method: 'rk4', stepSize: h }).grads);
  const d1 = diff(0.1);
  const d2 = diff(0.05);
  // Halving h divides an O(h^4) difference by ~16; accept anything above 10.
  assert.ok(d1 / d2 > 10, `differences ${d1} at h = 0.1, ${d2} at h = 0.05`);
  assert.ok(d1 < 1e-4);
});

test('adjoint gradients agree with central finite differences of the loss', () => {
  const o = { method: 'dopri5' as const, rtol: 1e-10, atol: 1e-10 };
  const { grads } = gradients(true, o);
  const h = 1e-5;
  // A few entries of the first weight and of z0.
  const w = params[0];
  for (const q of [0, 3, 7]) {
    const orig = w.data[q];
    w.data[q] = orig + h;
    const up = lossValue(o);
    w.data[q] = orig - h;
    const dn = lossValue(o);
    w.data[q] = orig;
    // Central differences: truncation ~h^2, the solver's tolerance 1e-10 / h = 1e-5 at worst.
    assert.ok(Math.abs((up - dn) / (2 * h) - grads[1].data[q]) < 2e-5, `weight entry ${q}`);
  }
});

test('memory independent of the number of steps: the outputs hang on one op whose parents are y0 and the parameters', () => {
  const nodes = (roots: Tensor[]) => {
    const seen = new Set<Tensor>();
    const stack = [...roots];
    while (stack.length) {
      const t = stack.pop()!;
      if (seen.has(t)) continue;
      seen.add(t);
      for (const p of t.node?.parents ?? []) stack.push(p);
    }
    return seen.size;
  };
  const counts = [0.1, 0.01].map((h) => {
    const z0 = inputs([3, 2], 7).requireGrad();
    const sol = odeintAdjoint(f, [z0], ts, params, { method: 'rk4', stepSize: h });
    return { adjoint: nodes([sol.ys[2][0]]), direct: nodes([odeint(f, [z0], ts, { method: 'rk4', stepSize: h }).ys[2][0]]), steps: sol.stats.accepted };
  });
  assert.equal(counts[0].adjoint, counts[1].adjoint);
  assert.ok(counts[1].steps >= 10 * counts[0].steps - 2);
  assert.ok(counts[1].direct > 5 * counts[0].direct); // backpropagation through the solver grows with the steps
  // slice/reshape, the adjoint op, z0 and the 4 parameters.
  assert.ok(counts[0].adjoint <= 8, `${counts[0].adjoint} nodes`);
});

test('backward solve statistics are reported; bad params are named', () => {
  const z0 = tensor([[0.1, 0.2]], { dtype: 'float64' }).requireGrad();
  const sol = odeintAdjoint(f, [z0], [0, 1], params, { rtol: 1e-6, atol: 1e-6 });
  assert.equal(sol.backwardStats.nfe, 0);
  sum(sol.ys[1][0]).backward();
  assert.ok(sol.backwardStats.nfe > 0 && sol.backwardStats.accepted > 0);
  assert.throws(() => odeintAdjoint(f, [z0], [0, 1], [1 as never]), /params must be an array of Tensors/);
});
