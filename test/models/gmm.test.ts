// GaussianMixture / BayesianGaussianMixture behaviour: the lower bound
// never decreases, sampling statistics, sample weights, restarts and warm
// start, initializations, pruning, serialization, and bad input. (Numbers
// against scikit-learn: gmm-parity.test.ts and gmm-fashion.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BayesianGaussianMixture,
  GaussianMixture,
  Generator,
  IllConditionedCovarianceError,
  kmeans,
  tensor,
  type CovarianceType,
  type GaussianMixtureJSON,
  type Tensor,
} from '../../src/index.js';

const TYPES: CovarianceType[] = ['full', 'tied', 'diag', 'spherical'];

/** n points from three Gaussians in 2-D (centers far apart, anisotropic), with their labels. */
function blobs(n: number, seed: number): { x: Tensor; labels: number[] } {
  const rng = new Generator(seed);
  const centers = [[0, 0], [8, 1], [2, 9]];
  const shapes = [[1, 0.5, 0, 0.7], [0.6, 0, 0.3, 1.2], [1.5, 0, 0, 0.4]];
  const data = new Float64Array(n * 2);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    const z0 = rng.normal01();
    const z1 = rng.normal01();
    const [a, b, cc, d] = shapes[c];
    data[i * 2] = centers[c][0] + a * z0 + b * z1;
    data[i * 2 + 1] = centers[c][1] + cc * z0 + d * z1;
    labels.push(c);
  }
  return { x: tensor(data, { shape: [n, 2] }), labels };
}

/** Fraction of points whose cluster's majority label is their own. */
function purity(pred: Int32Array, labels: number[], k: number): number {
  let agree = 0;
  for (let c = 0; c < k; c++) {
    const counts = new Map<number, number>();
    pred.forEach((p, i) => {
      if (p === c) counts.set(labels[i], (counts.get(labels[i]) ?? 0) + 1);
    });
    agree += Math.max(0, ...counts.values());
  }
  return agree / labels.length;
}

function assertNonDecreasing(history: number[], label: string): void {
  assert.ok(history.length >= 2, `${label}: only ${history.length} iterations recorded`);
  for (let i = 1; i < history.length; i++) {
    // Rounding of a sum of N log-densities: 1e-12 relative.
    const slack = 1e-12 * Math.max(1, Math.abs(history[i]));
    assert.ok(history[i] >= history[i - 1] - slack, `${label}: lower bound fell at iteration ${i + 1}: ${history[i - 1]} -> ${history[i]}`);
  }
}

test('EM never decreases the log-likelihood (all covariance types)', () => {
  // With regCovar = 0 every M-step is the exact maximizer, so EM's monotonicity holds exactly.
  const { x } = blobs(600, 1);
  for (const covarianceType of TYPES) {
    const gm = new GaussianMixture({ nComponents: 3, covarianceType, regCovar: 0, tol: 1e-9, maxIter: 2000, initParams: 'random', seed: 3 }).fit(x);
    assertNonDecreasing(gm.report!.history, covarianceType);
    assert.ok(gm.converged, `${covarianceType}: did not converge in 2000 iterations`);
  }
});

test('variational Bayes never decreases its lower bound (both weight priors, all covariance types)', () => {
  const { x } = blobs(450, 2);
  for (const weightConcentrationPriorType of ['dirichlet_process', 'dirichlet_distribution'] as const) {
    for (const covarianceType of TYPES) {
      const bg = new BayesianGaussianMixture({ nComponents: 6, covarianceType, weightConcentrationPriorType, regCovar: 0, tol: 1e-8, maxIter: 500, initParams: 'random', seed: 5 }).fit(x);
      assertNonDecreasing(bg.report!.history, `${weightConcentrationPriorType} ${covarianceType}`);
    }
  }
});

test('fits recover well-separated clusters from every initialization, deterministically for a seed', () => {
  const { x, labels } = blobs(600, 4);
  for (const initParams of ['kmeans', 'k-means++', 'random', 'random_from_data'] as const) {
    const a = new GaussianMixture({ nComponents: 3, initParams, nInit: 3, seed: 11 }).fit(x);
    // 'random' responsibilities start every mean near the data mean, a nearly
    // symmetric point EM may leave towards merged clusters (as in
    // scikit-learn); it is checked for determinism only.
    if (initParams !== 'random') assert.ok(purity(a.predict(x), labels, 3) > 0.97, `${initParams}: purity ${purity(a.predict(x), labels, 3)}`);
    const b = new GaussianMixture({ nComponents: 3, initParams, nInit: 3, seed: 11 }).fit(x);
    assert.deepEqual(Array.from(b.means.data), Array.from(a.means.data), `${initParams}: same seed, different fit`);
    assert.equal(a.report!.initLowerBounds.length, 3);
    assert.equal(a.lowerBound, Math.max(...a.report!.initLowerBounds), `${initParams}: the best of nInit is kept`);
  }
  const km = kmeans(x, 3, { rng: new Generator(0) });
  assert.ok(purity(km.labels, labels, 3) > 0.97);
  assert.ok(km.converged);
  assert.deepEqual(km.centers.shape, [3, 2]);
});

test('fitPredict agrees with predict, and predictProba rows are the normalized responsibilities', () => {
  const { x } = blobs(300, 6);
  const gm = new GaussianMixture({ nComponents: 3 });
  const labels = gm.fitPredict(x);
  assert.deepEqual(Array.from(labels), Array.from(gm.predict(x)));
  const p = gm.predictProba(x).data;
  for (let i = 0; i < 300; i++) {
    const row = [p[i * 3], p[i * 3 + 1], p[i * 3 + 2]];
    assert.ok(Math.abs(row[0] + row[1] + row[2] - 1) < 1e-12);
    assert.equal(row.indexOf(Math.max(...row)), labels[i]);
  }
});

test('integer sample weights are the same as repeated rows; weight 0 the same as a dropped row', () => {
  const { x } = blobs(240, 7);
  const n = 240;
  const weights = Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 0 : i % 3 === 0 ? 3 : 1));
  const rows: number[] = [];
  for (let i = 0; i < n; i++) for (let r = 0; r < weights[i]; r++) rows.push(x.data[i * 2], x.data[i * 2 + 1]);
  const repeated = tensor(Float64Array.from(rows), { shape: [rows.length / 2, 2] });
  for (const covarianceType of TYPES) {
    const init = { meansInit: [[0, 0], [8, 1], [2, 9]], weightsInit: [0.3, 0.3, 0.4] };
    const opts = { nComponents: 3, covarianceType, tol: 0, maxIter: 10, ...init };
    const weighted = new GaussianMixture(opts).fit(x, { sampleWeight: weights });
    const expanded = new GaussianMixture(opts).fit(repeated);
    const close = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
      for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-9 * (1 + Math.abs(b[i])), `${covarianceType} ${what}[${i}]: ${a[i]} vs ${b[i]}`);
    };
    close(weighted.weights.data, expanded.weights.data, 'weights');
    close(weighted.means.data, expanded.means.data, 'means');
    close(weighted.covariances.data, expanded.covariances.data, 'covariances');
    close([weighted.lowerBound], [expanded.lowerBound], 'lowerBound');
  }
});

test('warm start continues where the last fit stopped', () => {
  const { x } = blobs(300, 8);
  const base = { nComponents: 3, tol: 0, meansInit: [[1, 1], [6, 0], [3, 7]] };
  const once = new GaussianMixture({ ...base, maxIter: 6 }).fit(x);
  const warm = new GaussianMixture({ ...base, maxIter: 3, warmStart: true });
  warm.fit(x);
  warm.fit(x);
  for (let i = 0; i < once.means.size; i++) assert.ok(Math.abs(warm.means.data[i] - once.means.data[i]) < 1e-12);
  assert.ok(Math.abs(warm.lowerBound - once.lowerBound) < 1e-12);
});

test('samples have the mixture\'s weights, means and covariances (seeded)', () => {
  const d = 2;
  const weights = [0.2, 0.5, 0.3];
  const means = [-3, 1, 2, 2, 0, -4];
  const covariances = [1, 0.6, 0.6, 2, 0.5, -0.2, -0.2, 0.3, 2, 0, 0, 1];
  const gm = GaussianMixture.fromParameters({
    weights,
    means: tensor(Float64Array.from(means), { shape: [3, d] }),
    covariances: tensor(Float64Array.from(covariances), { shape: [3, d, d] }),
  });
  const n = 40000;
  const { x, labels } = gm.sample(n, new Generator(2026));
  const again = gm.sample(n, new Generator(2026));
  assert.deepEqual(Array.from(again.x.data.subarray(0, 100)), Array.from(x.data.subarray(0, 100)), 'same seed, same draws');
  for (let c = 0; c < 3; c++) {
    const idx: number[] = [];
    labels.forEach((l, i) => l === c && idx.push(i));
    const p = weights[c];
    // Binomial count: 5 standard errors.
    assert.ok(Math.abs(idx.length / n - p) < 5 * Math.sqrt((p * (1 - p)) / n), `component ${c}: fraction ${idx.length / n} vs ${p}`);
    const m = idx.length;
    const mean = [0, 1].map((j) => idx.reduce((s, i) => s + x.data[i * d + j], 0) / m);
    const cov = [0, 1, 2, 3].map((e) => {
      const a = e >> 1;
      const b = e & 1;
      return idx.reduce((s, i) => s + (x.data[i * d + a] - mean[a]) * (x.data[i * d + b] - mean[b]), 0) / (m - 1);
    });
    const sigma = covariances.slice(c * 4, c * 4 + 4);
    for (let j = 0; j < 2; j++) {
      // Sample mean: 5 standard errors sqrt(Sigma_jj / m).
      assert.ok(Math.abs(mean[j] - means[c * 2 + j]) < 5 * Math.sqrt(sigma[j * 3] / m), `component ${c} mean ${j}: ${mean[j]}`);
    }
    for (let e = 0; e < 4; e++) {
      // Sample covariance entry (a, b): standard error sqrt((S_aa S_bb + S_ab^2) / m) for Gaussians; 5 of them.
      const a = e >> 1;
      const b = e & 1;
      const se = Math.sqrt((sigma[a * 3] * sigma[b * 3] + sigma[e] ** 2) / m);
      assert.ok(Math.abs(cov[e] - sigma[e]) < 5 * se, `component ${c} covariance ${e}: ${cov[e]} vs ${sigma[e]}`);
    }
  }
  // Labels come grouped by component, as scikit-learn returns them.
  for (let i = 1; i < n; i++) assert.ok(labels[i] >= labels[i - 1]);
});

test('the Dirichlet-process mixture leaves unneeded components empty; prune() keeps the rest', () => {
  const { x, labels } = blobs(900, 9);
  const bg = new BayesianGaussianMixture({ nComponents: 8, weightConcentrationPrior: 0.01, maxIter: 500, seed: 1 }).fit(x);
  const active = bg.activeComponents(0.01);
  assert.equal(active.length, 3, `active components ${Array.from(active)} (weights ${Array.from(bg.weights.data).map((w) => w.toFixed(4))})`);
  const pruned = bg.prune(0.01);
  assert.equal(pruned.nComponents, 3);
  assert.ok(Math.abs(Array.from(pruned.weights.data).reduce((a, b) => a + b, 0) - 1) < 1e-12);
  assert.ok(purity(pruned.predict(x), labels, 3) > 0.97);
  assert.ok(Number.isFinite(pruned.score(x)));
});

test('toJSON / fromJSON reproduce predictions and scores exactly', () => {
  const { x } = blobs(300, 10);
  for (const covarianceType of TYPES) {
    const gm = new GaussianMixture({ nComponents: 3, covarianceType }).fit(x);
    const back = GaussianMixture.fromJSON(JSON.parse(JSON.stringify(gm)));
    assert.deepEqual(Array.from(back.scoreSamples(x).data), Array.from(gm.scoreSamples(x).data), covarianceType);
    assert.deepEqual(Array.from(back.predict(x)), Array.from(gm.predict(x)));
    assert.equal(back.bic(x), gm.bic(x));
    const bg = new BayesianGaussianMixture({ nComponents: 4, covarianceType }).fit(x);
    const bgBack = BayesianGaussianMixture.fromJSON(JSON.parse(JSON.stringify(bg)));
    assert.deepEqual(Array.from(bgBack.scoreSamples(x).data), Array.from(bg.scoreSamples(x).data), `bayesian ${covarianceType}`);
    assert.deepEqual(Array.from(bgBack.weights.data), Array.from(bg.weights.data));
  }
  assert.throws(() => GaussianMixture.fromJSON({ format: 'x' } as unknown as GaussianMixtureJSON), /not a serialized GaussianMixture/);
});

test('scores stay finite far from every component (log space, never NaN)', () => {
  const { x } = blobs(300, 11);
  const gm = new GaussianMixture({ nComponents: 3 }).fit(x);
  const far = tensor([[1e6, -1e6], [1e150, 0]], { dtype: 'float64' });
  const s = gm.scoreSamples(far).data;
  assert.ok(Number.isFinite(s[0]) && s[0] < -1e9, `${s[0]}`);
  assert.ok(!Number.isNaN(s[1]));
  const p = gm.predictProba(far).data;
  for (const v of p) assert.ok(!Number.isNaN(v));
});

test('bad input gets a clear error', () => {
  const { x } = blobs(30, 12);
  // More components than points.
  assert.throws(() => new GaussianMixture({ nComponents: 5 }).fit(tensor([[0, 1], [1, 0], [2, 2]])), /3 points but nComponents is 5: need at least as many points as components/);
  assert.throws(() => new BayesianGaussianMixture({ nComponents: 40 }).fit(x), /30 points but nComponents is 40/);
  // NaN and infinities.
  const bad = Float64Array.from(x.data);
  bad[7] = NaN;
  assert.throws(() => new GaussianMixture({ nComponents: 2 }).fit(tensor(bad, { shape: [30, 2] })), /X contains NaN at row 3, column 1: expected finite numbers \(missing values are supported by PPCA/);
  bad[7] = Infinity;
  assert.throws(() => new GaussianMixture({ nComponents: 2 }).fit(tensor(bad, { shape: [30, 2] })), /X contains Infinity at row 3, column 1/);
  // Shapes.
  assert.throws(() => new GaussianMixture({ nComponents: 2 }).fit(tensor([1, 2, 3])), /X must be a 2-D Tensor \[N, D\]/);
  assert.throws(() => new GaussianMixture({ nComponents: 2, meansInit: [[0, 0, 0], [1, 1, 1]] }).fit(x), /meansInit should have shape \[2, 2\], got \[2, 3\]/);
  assert.throws(() => new GaussianMixture({ nComponents: 2, covarianceType: 'diag', precisionsInit: [1, 2] }).fit(x), /precisionsInit should have shape \[2, 2\], got \[2\]/);
  assert.throws(() => new GaussianMixture({ nComponents: 2, weightsInit: [0.5, 0.6] }).fit(x), /weightsInit sums to 1.1/);
  assert.throws(() => new GaussianMixture({ nComponents: 2, precisionsInit: [[[1, 0], [0, -1]], [[1, 0], [0, 1]]] }).fit(x), /precisionsInit\[0\] is not positive definite/);
  const gm = new GaussianMixture({ nComponents: 2 });
  assert.throws(() => gm.predict(x), /predict is not available before fit/);
  gm.fit(x);
  assert.throws(() => gm.predict(tensor([[1, 2, 3]])), /X has 3 columns, expected 2 \(the number of features the model was fitted on\)/);
  assert.throws(() => gm.fit(x, { sampleWeight: [1, 2] }), /sampleWeight should have shape \[30\], got \[2\]/);
  assert.throws(() => gm.fit(x, { sampleWeight: new Array(30).fill(-1) }), /sampleWeight\[0\] is -1: weights must be >= 0/);
  assert.throws(() => gm.sample(0, new Generator(0)), /n must be a positive integer/);
  // Options.
  assert.throws(() => new GaussianMixture({ nComponents: 0 }), /nComponents must be an integer >= 1, got 0/);
  assert.throws(() => new GaussianMixture({ covarianceType: 'banana' as CovarianceType }), /covarianceType must be one of full, tied, diag, spherical/);
  assert.throws(() => new GaussianMixture({ regCovar: -1 }), /regCovar must be a finite number >= 0/);
  assert.throws(() => new BayesianGaussianMixture({ nComponents: 2, degreesOfFreedomPrior: 0.5 }).fit(x), /degreesOfFreedomPrior must be greater than D - 1 = 1/);
});

test('a constant column: fine with regCovar (as scikit-learn), a clear error naming it with regCovar = 0', () => {
  const { x } = blobs(120, 13);
  const data = new Float64Array(120 * 3);
  for (let i = 0; i < 120; i++) {
    data[i * 3] = x.data[i * 2];
    data[i * 3 + 1] = 0.7; // constant
    data[i * 3 + 2] = x.data[i * 2 + 1];
  }
  const xc = tensor(data, { shape: [120, 3] });
  const gm = new GaussianMixture({ nComponents: 3 }).fit(xc);
  assert.ok(Number.isFinite(gm.score(xc)));
  for (const covarianceType of ['full', 'tied', 'diag'] as const) {
    assert.throws(() => new GaussianMixture({ nComponents: 3, covarianceType, regCovar: 0 }).fit(xc),
      /column 1 of X is constant \(every value is 0\.7\).*set regCovar > 0/);
  }
});

test('an ill-conditioned covariance names the component and suggests regCovar (never NaN)', () => {
  // The second column is twice the first: every covariance is singular without regularization.
  const rng = new Generator(14);
  const data = new Float64Array(200 * 2);
  for (let i = 0; i < 200; i++) {
    const v = rng.normal01() + (i % 2) * 6;
    data[i * 2] = v;
    data[i * 2 + 1] = 2 * v;
  }
  const x = tensor(data, { shape: [200, 2] });
  const fit = () => new GaussianMixture({ nComponents: 2, regCovar: 0 }).fit(x);
  assert.throws(fit, IllConditionedCovarianceError);
  assert.throws(fit, /the covariance of component \d \(of 2\) is singular or ill-conditioned to working precision .*Increase regCovar \(now 0/);
  // A failed fit leaves the model unfitted rather than half-updated.
  const gm = new GaussianMixture({ nComponents: 2, regCovar: 0 });
  assert.throws(() => gm.fit(x));
  assert.equal(gm.fitted, false);
  // With the default regularization it fits, and every score is finite.
  const ok = new GaussianMixture({ nComponents: 2 }).fit(x);
  for (const v of ok.scoreSamples(x).data) assert.ok(Number.isFinite(v));
  // A component collapsed onto a single repeated point.
  const dup = tensor([[0, 0], [0, 0], [0, 0], [5, 5], [5.5, 4], [4, 6], [6, 5.2], [4.8, 4.1]]);
  assert.throws(() => new GaussianMixture({ nComponents: 2, regCovar: 0 }).fit(dup), /component \d \(of 2\).*regCovar/);
});
