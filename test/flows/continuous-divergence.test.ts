// The divergence of a continuous flow's dynamics: the exact trace against a
// finite-difference Jacobian, Hutchinson's estimator unbiased with the
// variances theory gives (fixed seeds), and dynamicsWithDivergence's gradients
// against differentiating the trace directly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Generator, mlp, tensor, noGrad, grad, sum, mul, concat,
  exactTrace, hutchinsonTrace, traceNoise, dynamicsWithDivergence, type Tensor,
} from '../../src/index.js';
import { inputs } from '../helpers.js';

const D = 3;
const net = mlp([D, 16, D], { activation: 'tanh', rng: new Generator(1), dtype: 'float64' });
const f = (z: Tensor) => net.forward(z);

/** The Jacobian df/dz of one row by central differences, row-major [D, D] with J[i][j] = df_i/dz_j. */
function jacobianFd(z: number[]): number[][] {
  const h = 1e-6;
  const J = Array.from({ length: D }, () => new Array<number>(D).fill(0));
  for (let j = 0; j < D; j++) {
    const up = [...z];
    const dn = [...z];
    up[j] += h;
    dn[j] -= h;
    const fu = noGrad(() => f(tensor([up], { dtype: 'float64' }))).data;
    const fd = noGrad(() => f(tensor([dn], { dtype: 'float64' }))).data;
    for (let i = 0; i < D; i++) J[i][j] = (fu[i] - fd[i]) / (2 * h);
  }
  return J;
}

test('exact trace equals the trace of a finite-difference Jacobian, row by row', () => {
  const z = inputs([5, D], 3).requireGrad();
  const tr = exactTrace(f(z), z);
  assert.deepEqual(tr.shape, [5]);
  for (let r = 0; r < 5; r++) {
    const J = jacobianFd(Array.from(z.data.subarray(r * D, r * D + D)));
    // Central differences at h = 1e-6 in float64: truncation ~h^2, rounding ~1e-16 / h = 1e-10.
    assert.ok(Math.abs(tr.data[r] - (J[0][0] + J[1][1] + J[2][2])) < 1e-8, `row ${r}`);
  }
});

test("Hutchinson's estimator is unbiased, with Gaussian variance 2||A_s||_F^2 and Rademacher variance 2(||A_s||_F^2 - sum A_ii^2) <= it", () => {
  const z1 = [0.3, -0.8, 0.5];
  const J = jacobianFd(z1);
  const exact = J[0][0] + J[1][1] + J[2][2];
  let frob = 0;
  let diag = 0;
  for (let i = 0; i < D; i++) {
    diag += J[i][i] ** 2;
    for (let j = 0; j < D; j++) frob += ((J[i][j] + J[j][i]) / 2) ** 2;
  }
  const theory = { gaussian: 2 * frob, rademacher: 2 * (frob - diag) };
  // One point repeated: each row is an independent estimate with its own noise.
  const n = 20000;
  const z = tensor(Array.from({ length: n }, () => z1), { dtype: 'float64' }).requireGrad();
  const fz = f(z);
  const variances: Record<string, number> = {};
  for (const [kind, seed] of [['gaussian', 11], ['rademacher', 12]] as const) {
    const est = hutchinsonTrace(fz, z, traceNoise([n, D], kind, new Generator(seed), { dtype: 'float64' })).data;
    let m = 0;
    for (const v of est) m += v;
    m /= n;
    let v2 = 0;
    for (const v of est) v2 += (v - m) ** 2;
    v2 /= n - 1;
    variances[kind] = v2;
    // Unbiased: the mean within 4 standard errors of the exact trace (a false alarm has probability ~6e-5).
    const se = Math.sqrt(v2 / n);
    assert.ok(Math.abs(m - exact) < 4 * se, `${kind}: mean ${m}, exact ${exact}, standard error ${se}`);
    // The sample variance of 20,000 draws is within a few percent of the population's
    // (relative standard error sqrt((kurtosis - 1) / n) ~ 2% for these quadratic forms).
    assert.ok(Math.abs(v2 / theory[kind] - 1) < 0.1, `${kind}: variance ${v2}, theory ${theory[kind]}`);
  }
  assert.ok(variances.rademacher < variances.gaussian);
});

test('traceNoise: Rademacher entries are +-1; bad kinds are named', () => {
  const e = traceNoise([1000], 'rademacher', new Generator(0));
  assert.ok(Array.from(e.data).every((v) => v === 1 || v === -1));
  assert.throws(() => traceNoise([3], 'uniform' as never, new Generator(0)), /kind must be one of gaussian, rademacher/);
});

test('dynamicsWithDivergence: values and gradients equal differentiating f and its trace directly', () => {
  const params = net.parameters();
  const x = inputs([4, D], 5);
  const w = inputs([4, D], 6);
  const eps = traceNoise([4, D], 'gaussian', new Generator(2), { dtype: 'float64' });
  for (const trace of ['exact', 'hutchinson'] as const) {
    // Reference: f and the trace on a leaf, differentiated with createGraph.
    const zl = x.detach().requireGrad();
    const fz = f(zl);
    const div = trace === 'exact' ? exactTrace(fz, zl, { createGraph: true }) : hutchinsonTrace(fz, zl, eps, { createGraph: true });
    const lossRef = sum(concat([mul(fz, w).reshape([-1]), div]));
    const ref = grad([lossRef], [zl, ...params]);
    // Through the op, with z an interior tensor (as inside a solver).
    const base = x.detach().requireGrad();
    const z = mul(base, 1);
    const out = dynamicsWithDivergence(f, z, params, { trace, noise: eps });
    const loss = sum(concat([mul(out.dz, w).reshape([-1]), out.div]));
    assert.ok(Math.abs(loss.item() - lossRef.item()) < 1e-12);
    const got = grad([loss], [base, ...params]);
    got.forEach((g, i) => {
      for (let q = 0; q < g.size; q++) assert.ok(Math.abs(g.data[q] - ref[i].data[q]) < 1e-12, `${trace}: input ${i} entry ${q}`);
    });
  }
  const quiet = noGrad(() => dynamicsWithDivergence(f, x, params));
  assert.equal(quiet.dz.requiresGrad, false);
  assert.equal(quiet.div.requiresGrad, false);
  assert.throws(() => dynamicsWithDivergence(f, x, params, { trace: 'hutchinson' }), /needs options.noise/);
});
