// The CNF density model: a normalized density, forward-mode divergence equal
// to the reverse-mode one, Hutchinson's log-density unbiased, adjoint
// gradients equal direct ones, samples inverting the density's map, and a
// few training steps lowering the NLL on two moons.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CNF, defaultCnfConfig, Generator, Adam, sampleToy2d, cnfLoss, evaluateCnf, noGrad, grad, mean, neg, tensor,
  densityGridPoints, type CnfConfig,
} from '../../src/index.js';
import { inputs } from '../helpers.js';

const small: CnfConfig = { ...defaultCnfConfig, hidden: [16, 16], rtol: 1e-6, atol: 1e-6 };

test('the density integrates to 1 over the plane (midpoint rule on a grid)', () => {
  const cnf = new CNF(small, new Generator(0), { dtype: 'float64' });
  const size = 81;
  const range = 6;
  const pts = densityGridPoints(range, size).cast('float64');
  const lp = noGrad(() => cnf.logProb(pts)).data;
  const cell = ((2 * range) / (size - 1)) ** 2;
  let total = 0;
  for (const v of lp) total += Math.exp(v) * cell;
  // A near-Gaussian density on a grid of spacing 0.15 over +-6: the midpoint rule is accurate to ~1e-4
  // and the mass outside the square is ~1e-8; 1% leaves room for the learned warp's heavier tail.
  assert.ok(Math.abs(total - 1) < 0.01, `integral ${total}`);
});

test('forward-mode (jvp) divergence equals the nested reverse-mode (vjp) one, values and gradients', () => {
  const x = inputs([6, 2], 1);
  for (const trace of ['exact', 'hutchinson'] as const) {
    const results = (['jvp', 'vjp'] as const).map((traceBy) => {
      const cnf = new CNF({ ...small, trace, traceBy, solver: 'rk4', stepSize: 0.1 }, new Generator(2), { dtype: 'float64' });
      const lp = cnf.logProb(x, { rng: new Generator(3) });
      return { lp: lp.data, g: grad([mean(lp)], cnf.parameters()) };
    });
    // Same arithmetic up to rounding order (float64).
    results[0].lp.forEach((v, i) => assert.ok(Math.abs(v - results[1].lp[i]) < 1e-10, `${trace} logp ${i}`));
    results[0].g.forEach((g, i) => g.data.forEach((v, q) => assert.ok(Math.abs(v - results[1].g[i].data[q]) < 1e-10, `${trace} grad ${i}.${q}`)));
  }
});

test("Hutchinson's log-density is unbiased: its mean over noise draws is the exact log-density", () => {
  const weights = new CNF(small, new Generator(4), { dtype: 'float64' }).stateDict();
  const point = [[0.4, -0.9]];
  const exact = new CNF(small, new Generator(4), { dtype: 'float64' });
  exact.loadStateDict(weights);
  const ref = noGrad(() => exact.logProb(tensor(point, { dtype: 'float64' }))).item();
  for (const noise of ['gaussian', 'rademacher'] as const) {
    const hutch = new CNF({ ...small, trace: 'hutchinson', noise }, new Generator(4), { dtype: 'float64' });
    hutch.loadStateDict(weights);
    // 2,000 copies of the point, each row with its own eps held fixed through its solve.
    const n = 2000;
    const x = tensor(Array.from({ length: n }, () => point[0]), { dtype: 'float64' });
    const lp = Array.from(noGrad(() => hutch.logProb(x, { rng: new Generator(5) })).data);
    const m = lp.reduce((a, b) => a + b, 0) / n;
    const se = Math.sqrt(lp.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1) / n);
    // Within 4 standard errors (plus the solver's 1e-6 tolerance, since the batch's step sizes differ).
    assert.ok(Math.abs(m - ref) < 4 * se + 1e-5, `${noise}: mean ${m}, exact ${ref}, standard error ${se}`);
    assert.ok(se > 0);
  }
});

test('adjoint gradients of the NLL equal backpropagation through the solver within the tolerance', () => {
  const x = inputs([8, 2], 7);
  // Both ways of differentiating the divergence: the adjoint's vector-Jacobian products go through either.
  for (const traceBy of ['jvp', 'vjp'] as const) {
    const grads = [false, true].map((adjoint) => {
      const cnf = new CNF({ ...small, adjoint, traceBy, rtol: 1e-8, atol: 1e-8 }, new Generator(6), { dtype: 'float64' });
      const loss = neg(mean(cnf.logProb(x)));
      return grad([loss], cnf.parameters());
    });
    let worst = 0;
    grads[0].forEach((g, i) => g.data.forEach((v, q) => (worst = Math.max(worst, Math.abs(v - grads[1][i].data[q])))));
    // Gradients of O(0.1-1); both solves accurate to ~1e-8 relative.
    assert.ok(worst < 1e-6, `${traceBy}: max difference ${worst}`);
  }
});

test('points carried back from the base space map forward onto themselves (the density solve inverts sampling)', () => {
  const cnf = new CNF({ ...small, rtol: 1e-9, atol: 1e-9 }, new Generator(8), { dtype: 'float64' });
  const z0 = inputs([5, 2], 9);
  const x = cnf.fromBase(z0);
  const z = noGrad(() => cnf.logProbWithStats(x).z);
  // Two dopri5 solves at 1e-9: the round trip is accurate to ~1e-8.
  z.data.forEach((v, i) => assert.ok(Math.abs(v - z0.data[i]) < 1e-6, `entry ${i}: ${v} vs ${z0.data[i]}`));
  const xs = cnf.sample(7, new Generator(10));
  assert.deepEqual(xs.shape, [7, 2]);
});

test('a few Adam steps lower the NLL on two moons', () => {
  const rng = new Generator(10);
  const cnf = new CNF({ ...defaultCnfConfig, hidden: [32, 32], rtol: 1e-3, atol: 1e-3 }, new Generator(11));
  const opt = new Adam(cnf.parameters(), { lr: 1e-2 });
  const xEval = sampleToy2d('two-moons', 500, new Generator(12));
  const before = evaluateCnf(cnf, xEval).logLik;
  for (let step = 0; step < 15; step++) {
    opt.zeroGrad();
    cnfLoss(cnf, sampleToy2d('two-moons', 200, rng), rng).loss.backward();
    opt.step();
  }
  const after = evaluateCnf(cnf, xEval).logLik;
  // Untrained the flow is near a standard normal (about -3.9 nats on two moons); 15 steps gain well over 0.2 nats.
  assert.ok(after > before + 0.2, `log-likelihood ${before} -> ${after}`);
});

test('bad configurations and inputs are named', () => {
  assert.throws(() => new CNF({ ...small, hidden: [] }, new Generator(0)), /hidden must be a non-empty list/);
  assert.throws(() => new CNF({ ...small, solver: 'midpoint' as never }, new Generator(0)), /solver must be one of euler, rk4, dopri5/);
  assert.throws(() => new CNF({ ...small, rtol: 0 }, new Generator(0)), /rtol must be a positive finite number/);
  assert.throws(() => new CNF({ ...small, trace: 'hutch' as never }, new Generator(0)), /trace must be one of exact, hutchinson/);
  const cnf = new CNF(small, new Generator(0));
  assert.throws(() => cnf.logProb(tensor([[1, 2, 3]])), /x must have shape \[batch, 2\]/);
  const h = new CNF({ ...small, trace: 'hutchinson' }, new Generator(0));
  assert.throws(() => h.logProb(tensor([[1, 2]])), /needs options.rng/);
});
