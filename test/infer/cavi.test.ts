// CAVI: the ELBO rises after every coordinate update (to rounding), the
// answer is the known fixed point, and it sits where the exact posterior
// says: the univariate Gaussian with a Normal-Gamma prior (Bishop PRML
// §10.1.3) and the Bayesian mixture of Gaussians (Blei et al. 2017, §3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as L from '../../src/index.js';
import { fixture } from '../helpers.js';

const f64 = { dtype: 'float64' as const };

/** Every step of the trace is >= the previous one up to 1e-9 relative (rounding of sums of ~100 terms). */
function assertMonotone(trace: number[], label: string): void {
  for (let i = 1; i < trace.length; i++) {
    const tol = 1e-9 * (1 + Math.abs(trace[i - 1]));
    assert.ok(trace[i] >= trace[i - 1] - tol, `${label}: ELBO fell at update ${i}: ${trace[i - 1]} -> ${trace[i]}`);
  }
}

interface NormalGammaRef { x: number[]; prior: L.NormalGammaPrior; log_evidence: number }
const NG = fixture<{ normal_gamma: NormalGammaRef }>('infer_reference.json').normal_gamma;

test('normalGammaPosterior: the closed-form log evidence matches scipy 2-D quadrature to 1e-8', () => {
  const ex = L.normalGammaPosterior(NG.x, NG.prior);
  // dblquad with epsrel 1e-11 on an integrand shifted to O(1): agreement to 1e-8 nats is well inside its error.
  assert.ok(Math.abs(ex.logEvidence - NG.log_evidence) < 1e-8, `${ex.logEvidence} vs scipy ${NG.log_evidence}`);
});

test('CAVI, Normal-Gamma (PRML 10.1.3): the ELBO rises at every update, reaches the known fixed point, and bounds log p(x)', () => {
  const x = L.add(L.mul(L.randn([50], new L.Generator(3), f64), 2), 1.5);
  const prior = { mu0: 0, lambda0: 0.1, a0: 1, b0: 1 };
  // Start far off (E[tau] = 100 while the data say ~0.25) so the updates have work to do.
  const r = L.caviNormalGamma(x, prior, { initExpectedTau: 100, tolerance: 0, maxIterations: 200 });
  assert.ok(r.converged, 'converged');
  assertMonotone(r.updateTrace, 'per update');
  assert.ok(r.elboTrace[r.elboTrace.length - 1] - r.elboTrace[0] > 1000, 'the start was far below the optimum');
  const ex = L.normalGammaPosterior(x, prior);
  const f = r.factors;
  // E_q[mu] is the exact posterior mean, muN = (lambda0 mu0 + N xbar) / (lambda0 + N), exactly.
  assert.ok(Math.abs(f.muN - ex.muN) < 1e-12, `muN ${f.muN} vs ${ex.muN}`);
  // The fixed point in closed form (see caviNormalGamma): aN = a0 + (N+1)/2, bN = C / (1 - 1/(2 aN)),
  // lambdaN = (lambda0 + N) aN / bN. Converged to rounding (tolerance 0): 1e-10 relative.
  const n = 50;
  const aN = prior.a0 + (n + 1) / 2;
  let sq = 0;
  for (const v of x.data) sq += (v - f.muN) ** 2;
  const bN = (prior.b0 + 0.5 * (sq + prior.lambda0 * (f.muN - prior.mu0) ** 2)) / (1 - 1 / (2 * aN));
  assert.equal(f.aN, aN);
  assert.ok(Math.abs(f.bN / bN - 1) < 1e-10, `bN ${f.bN} vs fixed point ${bN}`);
  assert.ok(Math.abs(f.lambdaN / ((prior.lambda0 + n) * aN / bN) - 1) < 1e-10, `lambdaN ${f.lambdaN}`);
  // Moments against the exact Normal-Gamma posterior: E[tau] agrees (here to 1e-8 relative: the mean-field
  // q(tau) has the exact posterior's mean for this model); Var[mu] is underestimated, as mean-field does
  // (Bishop §10.1.2): exact Var[mu] = bN / (lambdaN (aN - 1)) against q's 1 / lambdaN.
  const eTau = f.aN / f.bN;
  assert.ok(Math.abs(eTau / (ex.aN / ex.bN) - 1) < 1e-8, `E[tau] ${eTau} vs exact ${ex.aN / ex.bN}`);
  const exactVarMu = ex.bN / (ex.lambdaN * (ex.aN - 1));
  assert.ok(1 / f.lambdaN < exactVarMu && 1 / f.lambdaN > 0.9 * exactVarMu, `Var[mu] ${1 / f.lambdaN} vs exact ${exactVarMu}`);
  // ELBO <= log p(x), and the gap KL(q || posterior) is small for N = 50 (measured 0.0096).
  const last = r.elboTrace[r.elboTrace.length - 1];
  assert.ok(last <= ex.logEvidence && ex.logEvidence - last < 0.02, `ELBO ${last} vs log p(x) ${ex.logEvidence}`);
  // The returned distributions carry the factors.
  assert.ok(Math.abs(r.qMu.mean.item() - f.muN) < 1e-15 && Math.abs(r.qTau.mean.item() - eTau) < 1e-15, 'qMu, qTau');
});

test('CAVI, Bayesian mixture of Gaussians (Blei et al. 2017): monotone ELBO, a fixed point, the cluster centres', () => {
  const centres = [[-5, 0], [0, 5], [5, 0]];
  const rng = new L.Generator(8);
  const pts: number[] = [];
  for (let i = 0; i < 300; i++) {
    const c = centres[i % 3];
    const e = L.randn([2], rng, f64).data;
    pts.push(c[0] + e[0], c[1] + e[1]);
  }
  const x = L.tensor(pts, { shape: [300, 2], dtype: 'float64' });
  const r = L.caviGaussianMixture(x, { K: 3, priorVariance: 100, rng: new L.Generator(1), tolerance: 0, maxIterations: 500 });
  assert.ok(r.converged, 'converged');
  assertMonotone(r.updateTrace, 'per update');
  const m = L.mixtureMeans(r);
  assert.deepEqual(m.shape, [3, 2]);
  // Each true centre has a fitted mean within 0.3 (100 points per cluster: the sample mean's sd is 0.1 per coordinate).
  for (const c of centres) {
    const best = Math.min(...[0, 1, 2].map((k) => Math.hypot(m.data[2 * k] - c[0], m.data[2 * k + 1] - c[1])));
    assert.ok(best < 0.3, `centre ${c}: nearest fitted mean at ${best}`);
  }
  // s2_k = 1 / (1/sigma^2 + n_k) with n_k ~ 100.
  for (const s2 of r.factors.variances) assert.ok(Math.abs(s2 - 0.01) < 0.001, `s2 ${s2}`);
  // The fixed-point equations (Blei et al. eqs. 26, 34, 35), re-evaluated here from the returned factors:
  // m_k = sum_i phi_ik x_i / (1/sigma^2 + n_k) and phi_ik ∝ exp(m_k . x_i - (|m_k|^2 + 2 s2_k) / 2), to 1e-9.
  const { means, variances, responsibilities: phi } = r.factors;
  for (let k = 0; k < 3; k++) {
    let nk = 0;
    const acc = [0, 0];
    for (let i = 0; i < 300; i++) {
      nk += phi[3 * i + k];
      acc[0] += phi[3 * i + k] * pts[2 * i];
      acc[1] += phi[3 * i + k] * pts[2 * i + 1];
    }
    for (let j = 0; j < 2; j++) assert.ok(Math.abs(means[2 * k + j] - acc[j] / (1 / 100 + nk)) < 1e-9, `m_${k}${j}`);
  }
  for (let i = 0; i < 300; i += 7) {
    const logits = [0, 1, 2].map((k) => means[2 * k] * pts[2 * i] + means[2 * k + 1] * pts[2 * i + 1]
      - 0.5 * (means[2 * k] ** 2 + means[2 * k + 1] ** 2 + 2 * variances[k]));
    const mx = Math.max(...logits);
    const z = logits.reduce((t, l) => t + Math.exp(l - mx), 0);
    for (let k = 0; k < 3; k++) assert.ok(Math.abs(phi[3 * i + k] - Math.exp(logits[k] - mx) / z) < 1e-9, `phi_${i}${k}`);
  }
  for (let i = 0; i < 300; i++) {
    let s = 0;
    for (let k = 0; k < 3; k++) s += r.factors.responsibilities[3 * i + k];
    assert.ok(Math.abs(s - 1) < 1e-12, `responsibilities of point ${i} sum to ${s}`);
  }
});

test('coordinateAscent throws when an update lowers the ELBO (not a coordinate optimum)', () => {
  assert.throws(
    () => L.coordinateAscent({ init: 0, updates: [(s: number) => s + 1], elbo: (s) => -s }),
    /coordinateAscent: update 0 lowered the ELBO from 0 to -1 in sweep 0; it is not the coordinate optimum/,
  );
});

test('CAVI refuses bad input with errors naming the argument', () => {
  const prior = { mu0: 0, lambda0: 1, a0: 1, b0: 1 };
  assert.throws(() => L.caviNormalGamma([], prior), /caviNormalGamma: x is empty/);
  assert.throws(() => L.caviNormalGamma([1, NaN], prior), /caviNormalGamma: x must be finite, got NaN at index 1/);
  assert.throws(() => L.caviNormalGamma([1, 2], { ...prior, lambda0: 0 }), /prior.lambda0 must be a finite positive number, got 0/);
  assert.throws(() => L.caviNormalGamma([1, 2], prior, { maxIterations: 0 }), /coordinateAscent: maxIterations must be an integer >= 1, got 0/);
  const x = L.zeros([4, 2], f64);
  assert.throws(() => L.caviGaussianMixture(x, { K: 5, priorVariance: 1, rng: new L.Generator(0) }), /K \(5\) exceeds the number of data points \(4\)/);
  assert.throws(() => L.caviGaussianMixture(x, { K: 0, priorVariance: 1, rng: new L.Generator(0) }), /K must be an integer >= 1, got 0/);
  assert.throws(() => L.caviGaussianMixture(x, { K: 2, priorVariance: -1, rng: new L.Generator(0) }), /priorVariance must be a finite positive number, got -1/);
  assert.throws(() => L.caviGaussianMixture(x, { K: 2, priorVariance: 1, rng: null as never }), /rng must be a Generator/);
});
