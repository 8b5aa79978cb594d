// PPCA, the Gaussian MLE and the symmetric eigendecomposition, against
// numpy / scikit-learn 1.2.1 (scripts/fixtures/ppca_reference.py ->
// test/fixtures/ppca_reference.json) and against closed-form identities.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Generator,
  MultivariateNormal,
  PPCA,
  gaussianMle,
  klDivergence,
  symmetricEigen,
  tensor,
  type Tensor,
} from '../../src/index.js';
import { fixture } from '../helpers.js';

interface Fixture {
  sklearn: string;
  eigen: { name: string; n: number; a: number[]; values: number[]; vectors: number[] }[];
  pca: {
    n: number;
    d: number;
    x: number[];
    xTest: number[];
    fits: { q: number; score: number; scoreTest: number; scoreSamples: number[]; noiseVariance: number; explainedVariance: number[]; covariance: number[]; mean: number[] }[];
  }[];
}

const fx = fixture<Fixture>('ppca_reference.json');

function t64(values: ArrayLike<number>, shape: number[]): Tensor {
  return tensor(Float64Array.from(values), { shape });
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Data from a PPCA model with known parameters: W [d, q], mu [d], sigma. */
function ppcaData(n: number, d: number, q: number, sigma: number, seed: number): { x: Float64Array; w: Float64Array; mu: Float64Array } {
  const rng = new Generator(seed);
  const w = new Float64Array(d * q);
  for (let i = 0; i < d; i++) for (let c = 0; c < q; c++) w[i * q + c] = rng.normal01() * (3 - c);
  const mu = Float64Array.from({ length: d }, () => 2 * rng.normal01());
  const x = new Float64Array(n * d);
  const z = new Float64Array(q);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < q; c++) z[c] = rng.normal01();
    for (let j = 0; j < d; j++) {
      let v = mu[j] + sigma * rng.normal01();
      for (let c = 0; c < q; c++) v += w[j * q + c] * z[c];
      x[i * d + j] = v;
    }
  }
  return { x, w, mu };
}

/** W W^T [d, d]. */
function outer(w: ArrayLike<number>, d: number, q: number): Float64Array {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
    let s = 0;
    for (let c = 0; c < q; c++) s += w[i * q + c] * w[j * q + c];
    out[i * d + j] = s;
  }
  return out;
}

test('symmetricEigen agrees with numpy.linalg.eigh (values; vectors up to sign, residual and orthogonality)', (t) => {
  // Householder + QL is backward stable: eigenvalues within ~n eps ||A||;
  // 50 n eps ||A|| allows for the reduction's accumulated rounding.
  const lines: string[] = [];
  for (const c of fx.eigen) {
    const n = c.n;
    const { values, vectors } = symmetricEigen(t64(c.a, [n, n]));
    const norm = Math.max(1e-300, ...c.values.map(Math.abs));
    const tol = 50 * n * Number.EPSILON * norm;
    const dv = maxAbs(values.data, c.values);
    assert.ok(dv <= tol, `${c.name}: eigenvalues differ by ${dv} (tolerance ${tol})`);
    const v = vectors.data;
    let residual = 0;
    let orth = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let av = 0;
      let vtv = 0;
      for (let k = 0; k < n; k++) {
        av += c.a[i * n + k] * v[k * n + j];
        vtv += v[k * n + i] * v[k * n + j];
      }
      residual = Math.max(residual, Math.abs(av - v[i * n + j] * values.data[j]));
      orth = Math.max(orth, Math.abs(vtv - (i === j ? 1 : 0)));
    }
    assert.ok(residual <= tol, `${c.name}: ||A V - V L|| = ${residual}`);
    assert.ok(orth <= 50 * n * Number.EPSILON, `${c.name}: ||V^T V - I|| = ${orth}`);
    // Where an eigenvalue is well separated from the others, its vector is numpy's up to sign.
    for (let j = 0; j < n; j++) {
      const gap = Math.min(...c.values.filter((_, i) => i !== j).map((u) => Math.abs(u - c.values[j])), Infinity);
      if (gap < 1e-6 * norm) continue;
      let dot = 0;
      for (let k = 0; k < n; k++) dot += v[k * n + j] * c.vectors[k * n + j];
      assert.ok(Math.abs(Math.abs(dot) - 1) < 1e-9 * Math.max(1, norm / gap), `${c.name}: vector ${j} is not numpy's (|dot| = ${Math.abs(dot)})`);
    }
    lines.push(`${c.name}: ${(dv / norm).toExponential(1)}`);
  }
  t.diagnostic(`max eigenvalue difference / ||A||: ${lines.join(', ')}`);
  assert.throws(() => symmetricEigen(tensor([[1, 2, 3]])), /A must be square, got shape \[1, 3\]/);
});

test('PPCA with ddof = 1 reproduces scikit-learn\'s PCA.score, score_samples, noise variance and covariance', (t) => {
  // scikit-learn's PCA.score is the PPCA log-likelihood (Tipping & Bishop) of
  // the closed-form fit with the covariance divided by N - 1. Same formula, float64:
  // the differences are rounding (observed < 1e-12); allowed 1e-9 relative.
  const lines: string[] = [];
  for (const set of fx.pca) {
    const x = t64(set.x, [set.n, set.d]);
    const xTest = t64(set.xTest, [set.xTest.length / set.d, set.d]);
    for (const f of set.fits) {
      const p = new PPCA({ nComponents: f.q, ddof: 1 }).fit(x);
      const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `d=${set.d} q=${f.q} ${what}: ${a} vs ${b}`);
      close(p.score(x), f.score, 'score');
      close(p.score(xTest), f.scoreTest, 'held-out score');
      close(p.noiseVariance, f.noiseVariance, 'noise variance');
      const head = t64(set.x.slice(0, 10 * set.d), [10, set.d]);
      p.logProb(head).data.forEach((v, i) => close(v, f.scoreSamples[i], `scoreSamples[${i}]`));
      p.covariance().data.forEach((v, i) => close(v, f.covariance[i], `covariance[${i}]`));
      p.eigenvalues!.data.slice(0, f.q).forEach((v, i) => close(v, f.explainedVariance[i], `eigenvalue ${i}`));
      lines.push(`d=${set.d} q=${f.q}: score ${Math.abs(p.score(x) - f.score).toExponential(1)}`);
      // Maximum likelihood (ddof = 0) is at least as likely on the training data.
      assert.ok(new PPCA({ nComponents: f.q }).fit(x).score(x) >= f.score);
    }
  }
  t.diagnostic(`|score - scikit-learn| ${lines.join(', ')}`);
});

test('EM on complete data converges to the closed-form maximum likelihood, never decreasing the likelihood', () => {
  const set = fx.pca[0];
  const x = t64(set.x, [set.n, set.d]);
  for (const q of [1, 3]) {
    const closed = new PPCA({ nComponents: q }).fit(x);
    const em = new PPCA({ nComponents: q, method: 'em', tol: 1e-12, maxIter: 5000 }).fit(x, { rng: new Generator(q) });
    const h = em.report!.history;
    for (let i = 1; i < h.length; i++) assert.ok(h[i] >= h[i - 1] - 1e-12 * Math.abs(h[i]), `q=${q}: fell at iteration ${i + 1}`);
    assert.ok(Math.abs(em.score(x) - closed.score(x)) < 1e-8, `q=${q}: EM ${em.score(x)} vs closed form ${closed.score(x)}`);
    assert.ok(Math.abs(em.noiseVariance - closed.noiseVariance) < 1e-6 * closed.noiseVariance);
    // The likelihood is flat to second order at the optimum: a change below
    // tol = 1e-12 leaves the parameters ~sqrt(tol) relative away from it.
    const wwt = outer(closed.loadings.data, set.d, q);
    const scale = Math.max(...wwt.map(Math.abs));
    assert.ok(maxAbs(outer(em.loadings.data, set.d, q), wwt) < 1e-4 * scale, `q=${q}: W W^T ${maxAbs(outer(em.loadings.data, set.d, q), wwt) / scale}`);
    // Orthogonalized and sign-fixed, W itself matches.
    assert.ok(maxAbs(em.loadings.data, closed.loadings.data) < 1e-3 * Math.sqrt(scale), `q=${q}: W`);
  }
});

test('EM with missing values (NaN) recovers the generating parameters', () => {
  // 3000 points from a PPCA model (D = 8, q = 2, sigma = 0.5), 20% of the
  // entries missing completely at random. Sampling error of the estimates is
  // O(1/sqrt(N)) ~ 2% of their scale; tolerances are 5-10% of it.
  const n = 3000;
  const d = 8;
  const q = 2;
  const sigma = 0.5;
  const { x, w, mu } = ppcaData(n, d, q, sigma, 42);
  const rng = new Generator(7);
  const masked = Float64Array.from(x);
  let missing = 0;
  for (let i = 0; i < masked.length; i++) {
    if (rng.uniform01() < 0.2) {
      masked[i] = NaN;
      missing++;
    }
  }
  const p = new PPCA({ nComponents: q, tol: 1e-9 }).fit(t64(masked, [n, d]));
  assert.equal(p.report!.method, 'em');
  assert.ok(Math.abs(p.report!.missingFraction - missing / (n * d)) < 1e-12);
  const h = p.report!.history;
  for (let i = 1; i < h.length; i++) assert.ok(h[i] >= h[i - 1] - 1e-12 * Math.abs(h[i]), `likelihood fell at iteration ${i + 1}: ${h[i - 1]} -> ${h[i]}`);
  assert.ok(p.report!.converged);
  assert.ok(Math.abs(p.noiseVariance - sigma ** 2) < 0.05 * sigma ** 2, `sigma^2 ${p.noiseVariance} vs ${sigma ** 2}`);
  const scaleMu = Math.sqrt(9 + 4);
  assert.ok(maxAbs(p.mean.data, mu) < 0.1 * scaleMu / Math.sqrt(1), `mean off by ${maxAbs(p.mean.data, mu)}`);
  const truth = outer(w, d, q);
  const fitted = outer(p.loadings.data, d, q);
  const scale = Math.max(...truth.map(Math.abs));
  assert.ok(maxAbs(fitted, truth) < 0.1 * scale, `W W^T off by ${maxAbs(fitted, truth)} (scale ${scale})`);
  // The fit on the complete data is closer still, and the two agree.
  const full = new PPCA({ nComponents: q }).fit(t64(x, [n, d]));
  assert.ok(maxAbs(fitted, outer(full.loadings.data, d, q)) < 0.1 * scale);
  // logProb marginalizes the missing entries: a row's log-likelihood equals that of its observed part alone.
  const row = Array.from(masked.subarray(0, d));
  const obs = row.map((v, j) => (Number.isNaN(v) ? -1 : j)).filter((j) => j >= 0);
  const c = p.covariance().data;
  const sub = obs.map((a) => obs.map((b) => c[a * d + b]));
  const direct = new MultivariateNormal(t64(obs.map((j) => p.mean.data[j]), [obs.length]), { covarianceMatrix: t64(sub.flat(), [obs.length, obs.length]) })
    .logProb(t64(obs.map((j) => row[j]), [obs.length])).item();
  assert.ok(Math.abs(p.logProb(t64(row, [1, d])).data[0] - direct) < 1e-10, 'marginal over the observed entries');
});

test('log p(x) = ELBO + KL(q || p(z | x)): zero gap at the posterior, the closed-form KL for a perturbed q', () => {
  const { x } = ppcaData(40, 6, 2, 0.7, 3);
  const xt = t64(x, [40, 6]);
  const p = new PPCA({ nComponents: 2 }).fit(xt);
  const logp = p.logProb(xt).data;
  const post = p.posterior(xt);
  const atPosterior = p.elbo(xt, post).data;
  for (let i = 0; i < 40; i++) assert.ok(Math.abs(atPosterior[i] - logp[i]) < 1e-10 * Math.abs(logp[i]), `row ${i}: ELBO ${atPosterior[i]} vs log p(x) ${logp[i]}`);
  // Perturbed q: shifted means, a different (full) covariance per row.
  const mean = Float64Array.from(post.mean.data, (v, i) => v + 0.3 * Math.sin(i));
  const cov = new Float64Array(40 * 4);
  for (let i = 0; i < 40; i++) cov.set([0.5 + 0.01 * i, 0.1, 0.1, 0.3], i * 4);
  const qz = { mean: t64(mean, [40, 2]), covariance: t64(cov, [40, 2, 2]) };
  const elbo = p.elbo(xt, qz).data;
  const kl = klDivergence(new MultivariateNormal(qz.mean, { covarianceMatrix: qz.covariance }), p.posteriorDistribution(xt)).data;
  for (let i = 0; i < 40; i++) {
    assert.ok(kl[i] > 0);
    assert.ok(Math.abs(elbo[i] + kl[i] - logp[i]) < 1e-9 * Math.abs(logp[i]), `row ${i}: ELBO + KL = ${elbo[i] + kl[i]} vs log p(x) = ${logp[i]}`);
  }
});

test('posterior, transform and inverseTransform follow Tipping & Bishop\'s formulas', () => {
  const { x } = ppcaData(30, 5, 2, 0.4, 4);
  const xt = t64(x, [30, 5]);
  const p = new PPCA({ nComponents: 2 }).fit(xt);
  const w = p.loadings.data;
  const s2 = p.noiseVariance;
  // M = W^T W + sigma^2 I; E[z|x] = M^-1 W^T (x - mu); Cov = sigma^2 M^-1.
  const m = [0, 0, 0, 0];
  for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) for (let j = 0; j < 5; j++) m[a * 2 + b] += w[j * 2 + a] * w[j * 2 + b];
  m[0] += s2;
  m[3] += s2;
  const det = m[0] * m[3] - m[1] * m[2];
  const minv = [m[3] / det, -m[1] / det, -m[2] / det, m[0] / det];
  const post = p.posterior(xt);
  assert.ok(maxAbs(post.covariance.data, minv.map((v) => s2 * v)) < 1e-12);
  const z = p.transform(xt).data;
  for (let i = 0; i < 30; i++) {
    const t = [0, 0];
    for (let j = 0; j < 5; j++) for (let a = 0; a < 2; a++) t[a] += w[j * 2 + a] * (x[i * 5 + j] - p.mean.data[j]);
    assert.ok(Math.abs(z[i * 2] - (minv[0] * t[0] + minv[1] * t[1])) < 1e-10);
    assert.ok(Math.abs(z[i * 2 + 1] - (minv[2] * t[0] + minv[3] * t[1])) < 1e-10);
  }
  const back = p.inverseTransform(p.transform(xt));
  assert.deepEqual(back.shape, [30, 5]);
  for (let i = 0; i < 5; i++) {
    let s = p.mean.data[i];
    for (let a = 0; a < 2; a++) s += w[i * 2 + a] * z[a];
    assert.ok(Math.abs(back.data[i] - s) < 1e-12);
  }
});

test('samples have the model\'s mean and covariance W W^T + sigma^2 I (seeded)', () => {
  const { x } = ppcaData(500, 4, 2, 0.6, 5);
  const p = new PPCA({ nComponents: 2 }).fit(t64(x, [500, 4]));
  const n = 40000;
  const s = p.sample(n, new Generator(11));
  assert.deepEqual(Array.from(p.sample(n, new Generator(11)).data.subarray(0, 100)), Array.from(s.data.subarray(0, 100)), 'same seed, same draws');
  const { mean, covariance } = gaussianMle(s, { ddof: 1 });
  const c = p.covariance().data;
  for (let i = 0; i < 4; i++) {
    // 5 standard errors of a sample mean and of a sample covariance entry.
    assert.ok(Math.abs(mean.data[i] - p.mean.data[i]) < 5 * Math.sqrt(c[i * 5] / n), `mean ${i}`);
    for (let j = 0; j < 4; j++) {
      const se = Math.sqrt((c[i * 5] * c[j * 5] + c[i * 4 + j] ** 2) / n);
      assert.ok(Math.abs(covariance.data[i * 4 + j] - c[i * 4 + j]) < 5 * se, `covariance (${i}, ${j})`);
    }
  }
});

test('gaussianMle: closed-form mean and covariance, weights as repeated rows', () => {
  const { mean, covariance } = gaussianMle([[0, 0], [2, 0], [0, 2], [2, 2]]);
  assert.deepEqual(Array.from(mean.data), [1, 1]);
  assert.deepEqual(Array.from(covariance.data), [1, 0, 0, 1]);
  const unbiased = gaussianMle([[0, 0], [2, 0], [0, 2], [2, 2]], { ddof: 1 }).covariance.data;
  assert.ok(maxAbs(unbiased, [4 / 3, 0, 0, 4 / 3]) < 1e-15);
  const weighted = gaussianMle([[1, 0], [3, 4]], { sampleWeight: [3, 1] });
  const repeated = gaussianMle([[1, 0], [1, 0], [1, 0], [3, 4]]);
  assert.ok(maxAbs(weighted.mean.data, repeated.mean.data) < 1e-15);
  assert.ok(maxAbs(weighted.covariance.data, repeated.covariance.data) < 1e-15);
  assert.throws(() => gaussianMle([[1, NaN]]), /X contains NaN at row 0, column 1/);
});

test('toJSON / fromJSON reproduce the model', () => {
  const { x } = ppcaData(100, 5, 2, 0.5, 6);
  const p = new PPCA({ nComponents: 2 }).fit(t64(x, [100, 5]));
  const back = PPCA.fromJSON(JSON.parse(JSON.stringify(p)));
  assert.deepEqual(Array.from(back.logProb(t64(x, [100, 5])).data), Array.from(p.logProb(t64(x, [100, 5])).data));
  assert.equal(back.noiseVariance, p.noiseVariance);
});

test('PPCA: bad input gets a clear error', () => {
  const { x } = ppcaData(50, 4, 1, 0.5, 8);
  const xt = t64(x, [50, 4]);
  assert.throws(() => new PPCA({ nComponents: 4 }).fit(xt), /nComponents \(4\) must be below the number of features D = 4/);
  assert.throws(() => new PPCA({ nComponents: 0 }), /nComponents must be an integer >= 1, got 0/);
  const withNaN = Float64Array.from(x);
  withNaN[5] = NaN;
  assert.throws(() => new PPCA({ nComponents: 1, method: 'closed-form' }).fit(t64(withNaN, [50, 4])), /1 missing \(NaN\) entries; the closed form needs complete data: use method 'em'/);
  const allMissing = Float64Array.from(x);
  for (let i = 0; i < 50; i++) allMissing[i * 4 + 2] = NaN;
  assert.throws(() => new PPCA({ nComponents: 1 }).fit(t64(allMissing, [50, 4])), /column 2 of X has no observed value/);
  const inf = Float64Array.from(x);
  inf[3] = -Infinity;
  assert.throws(() => new PPCA({ nComponents: 1 }).fit(t64(inf, [50, 4])), /X contains -Infinity at row 0, column 3/);
  // Data exactly in a 1-D subspace: zero noise variance, an unbounded likelihood.
  const line = Array.from({ length: 20 }, (_, i) => [i, 2 * i, -i]);
  assert.throws(() => new PPCA({ nComponents: 1 }).fit(line), /noise variance is .*lie \(numerically\) in a 1-dimensional subspace/);
  const p = new PPCA({ nComponents: 1 });
  assert.throws(() => p.logProb(xt), /logProb is not available before fit/);
  p.fit(xt);
  assert.throws(() => p.logProb(tensor([[1, 2]])), /X has 2 columns, expected 4/);
  assert.throws(() => p.inverseTransform(tensor([[1, 2]])), /Z has 2 columns, expected 1 \(the latent dimension nComponents\)/);
  assert.throws(() => p.sample(3, undefined as unknown as Generator), /pass a Generator as rng/);
});
