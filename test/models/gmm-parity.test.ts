// GaussianMixture and BayesianGaussianMixture against scikit-learn 1.2.1
// (scripts/fixtures/gmm_parity.py -> test/fixtures/gmm_synthetic.json), from
// the same initial parameters, on 500 points from 3 Gaussians in 2-D and 5-D,
// for all four covariance types.
//
// Tolerance: both sides compute in float64 with the same algorithm and, as
// asserted, the same number of iterations, so they differ only by rounding
// (different summation orders in the GEMMs, our data shifted to its mean):
// about 1e-15 relative per operation, amplified by the covariances'
// condition numbers (below 1e3 here) and carried through at most 200
// iterations of a contracting fixed-point map. 1e-9 (relative, plus 1e-9
// absolute for entries near zero) leaves three orders of margin over the
// ~1e-12 observed. Labels must agree exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BayesianGaussianMixture, GaussianMixture, tensor, type CovarianceType, type Tensor } from '../../src/index.js';
import { fixture } from '../helpers.js';

interface GmmCase {
  covarianceType: CovarianceType;
  k: number;
  tol: number;
  maxIter: number;
  meansInit: number[];
  weightsInit: number[];
  precisionsInit: number[];
  lowerBound: number;
  nIter: number;
  converged: boolean;
  weights: number[];
  means: number[];
  covariances: number[];
  precisionsCholesky: number[];
  score: number;
  bic: number;
  aic: number;
  predict: number[];
  scoreSamples: number[];
  predictProba: number[];
}

interface BgmmCase {
  covarianceType: CovarianceType;
  weightConcentrationPriorType: 'dirichlet_process' | 'dirichlet_distribution';
  k: number;
  tol: number;
  maxIter: number;
  initIndices?: number[];
  initLabels?: number[];
  lowerBound: number;
  nIter: number;
  converged: boolean;
  weights: number[];
  weightConcentration: number[][];
  meanPrecision: number[];
  degreesOfFreedom: number[];
  means: number[];
  covariances: number[];
  predict: number[];
  scoreSamples: number[];
}

interface Fixture {
  sklearn: string;
  sets: { n: number; d: number; x: number[]; gmm: GmmCase[]; bgmm: BgmmCase[] }[];
}

const fx = fixture<Fixture>('gmm_synthetic.json');
const RTOL = 1e-9;
const ATOL = 1e-9;

function covShape(type: CovarianceType, k: number, d: number): number[] {
  return { full: [k, d, d], tied: [d, d], diag: [k, d], spherical: [k] }[type];
}

/** Max absolute and relative differences, and an assertion within atol + rtol |expected|. */
function compare(label: string, actual: ArrayLike<number>, expected: ArrayLike<number>, stats: Map<string, [number, number]>, atol = ATOL, rtol = RTOL): void {
  assert.equal(actual.length, expected.length, `${label}: length ${actual.length} != ${expected.length}`);
  const quantity = label.split(' ').pop()!;
  const [ma, mr] = stats.get(quantity) ?? [0, 0];
  let maxAbs = ma;
  let maxRel = mr;
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    maxAbs = Math.max(maxAbs, diff);
    if (Math.abs(expected[i]) > 1e-3) maxRel = Math.max(maxRel, diff / Math.abs(expected[i]));
    assert.ok(diff <= atol + rtol * Math.abs(expected[i]), `${label}[${i}]: ${actual[i]} vs scikit-learn ${expected[i]} (|diff| ${diff.toExponential(2)})`);
  }
  stats.set(quantity, [maxAbs, maxRel]);
}

function report(stats: Map<string, [number, number]>): string {
  return [...stats].map(([q, [a, r]]) => `${q} ${a.toExponential(1)}/${r.toExponential(1)}`).join(', ');
}

function t64(values: number[], shape: number[]): Tensor {
  return tensor(Float64Array.from(values), { shape });
}

test('GaussianMixture matches scikit-learn from the same initial parameters (synthetic 2-D and 5-D, all covariance types)', (t) => {
  const stats = new Map<string, [number, number]>();
  for (const set of fx.sets) {
    const x = t64(set.x, [set.n, set.d]);
    for (const c of set.gmm) {
      const label = `d=${set.d} ${c.covarianceType} maxIter=${c.maxIter}`;
      const gm = new GaussianMixture({
        nComponents: c.k,
        covarianceType: c.covarianceType,
        tol: c.tol,
        maxIter: c.maxIter,
        meansInit: t64(c.meansInit, [c.k, set.d]),
        weightsInit: c.weightsInit,
        precisionsInit: t64(c.precisionsInit, covShape(c.covarianceType, c.k, set.d)),
      }).fit(x);
      assert.equal(gm.nIter, c.nIter, `${label}: iterations`);
      assert.equal(gm.converged, c.converged, `${label}: converged`);
      compare(`${label} lowerBound`, [gm.lowerBound], [c.lowerBound], stats);
      compare(`${label} weights`, gm.weights.data, c.weights, stats);
      compare(`${label} means`, gm.means.data, c.means, stats);
      compare(`${label} covariances`, gm.covariances.data, c.covariances, stats);
      compare(`${label} precisionsCholesky`, gm.precisionsCholesky.data, c.precisionsCholesky, stats);
      compare(`${label} score`, [gm.score(x)], [c.score], stats);
      compare(`${label} bic`, [gm.bic(x)], [c.bic], stats);
      compare(`${label} aic`, [gm.aic(x)], [c.aic], stats);
      const head = t64(set.x.slice(0, c.scoreSamples.length * set.d), [c.scoreSamples.length, set.d]);
      compare(`${label} scoreSamples`, gm.scoreSamples(head).data, c.scoreSamples, stats);
      compare(`${label} predictProba`, gm.predictProba(head).data, c.predictProba, stats, 1e-9, 0);
      assert.deepEqual(Array.from(gm.predict(x)), c.predict, `${label}: predict`);
    }
  }
  t.diagnostic(`max |diff| / max rel diff vs scikit-learn ${fx.sklearn}: ${report(stats)}`);
});

test('BayesianGaussianMixture matches scikit-learn from the same initial responsibilities (both weight priors, all covariance types)', (t) => {
  const stats = new Map<string, [number, number]>();
  for (const set of fx.sets) {
    const x = t64(set.x, [set.n, set.d]);
    for (const c of set.bgmm) {
      const label = `d=${set.d} ${c.covarianceType} ${c.weightConcentrationPriorType}`;
      // scikit-learn's start, replicated by the fixture script: one-hot rows at
      // the 'random_from_data' indices, or the k-means labels.
      const resp = new Float64Array(set.n * c.k);
      if (c.initIndices) c.initIndices.forEach((i, comp) => (resp[i * c.k + comp] = 1));
      else c.initLabels!.forEach((l, i) => (resp[i * c.k + l] = 1));
      const bg = new BayesianGaussianMixture({
        nComponents: c.k,
        covarianceType: c.covarianceType,
        weightConcentrationPriorType: c.weightConcentrationPriorType,
        tol: c.tol,
        maxIter: c.maxIter,
      }).fit(x, { responsibilities: tensor(resp, { shape: [set.n, c.k] }) });
      assert.equal(bg.nIter, c.nIter, `${label}: iterations`);
      assert.equal(bg.converged, c.converged, `${label}: converged`);
      // The bound is a sum over 500 points (~1e3): rounding scales with it.
      compare(`${label} lowerBound`, [bg.lowerBound], [c.lowerBound], stats);
      compare(`${label} weights`, bg.weights.data, c.weights, stats);
      compare(`${label} weightConcentration`, bg.weightConcentration.data, c.weightConcentration.flat(), stats);
      compare(`${label} meanPrecision`, bg.meanPrecision.data, c.meanPrecision, stats);
      compare(`${label} degreesOfFreedom`, bg.degreesOfFreedom.data, c.degreesOfFreedom, stats);
      compare(`${label} means`, bg.means.data, c.means, stats);
      compare(`${label} covariances`, bg.covariances.data, c.covariances, stats);
      const head = t64(set.x.slice(0, c.scoreSamples.length * set.d), [c.scoreSamples.length, set.d]);
      compare(`${label} scoreSamples`, bg.scoreSamples(head).data, c.scoreSamples, stats);
      assert.deepEqual(Array.from(bg.predict(x)), c.predict, `${label}: predict`);
    }
  }
  t.diagnostic(`max |diff| / max rel diff vs scikit-learn ${fx.sklearn}: ${report(stats)}`);
});
