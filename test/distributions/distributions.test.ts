// Table-driven distribution tests, after torch's test_distributions.py: each
// row of EXAMPLES is a distribution with parameters (several batched) from
// test/fixtures/dist_logprob.json, which scripts/fixtures/dist_logprob.py
// wrote with torch 1.13 in float64 together with torch's log_prob of values
// torch drew, and its entropy, mean and variance where defined.
//
// Per row:
// - shapes, logProb, entropy, mean and variance against torch to 1e-10
//   (atol 1e-10 + rtol 1e-10: both sides are float64 evaluations of the same
//   formulas, so they agree to ~1e-14; 1e-10 leaves room for summation order
//   and for lgamma/digamma, which match scipy to ~1e-15 relative);
// - sample moments against `mean`/`variance` with a fixed seed;
// - gradients of logProb and entropy by finite differences, and of a
//   function of the parameters through rsample with the noise held fixed
//   (the generator is re-created from the same seed inside the function).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as L from '../../src/index.js';
import * as families from '../../src/distributions/index.js';
import type { Distribution, Tensor } from '../../src/index.js';
import { assertClose, assertGradcheck } from '../helpers.js';
import { FIXTURE, build, decode, leaves, type Example, type Spec } from './spec.js';

/** Per-distribution expectations the fixture cannot carry. */
interface Row {
  /** Whether rsample exists (torch also reparameterizes Gamma, Beta and Dirichlet; here they sample only); 'base' follows the base distribution. */
  hasRsample: boolean | 'base';
  /** Include the value among gradcheck inputs (continuous supports that a small perturbation keeps the value in). */
  valueGrad: boolean;
  /**
   * Finite-difference step. Beta's values come as close as 1e-4 to 0 and 1,
   * where (a - 1) / x has third derivative ~1e12: at the default 1e-6 the
   * O(eps^2 f''') truncation error is ~1e-4 relative; at 1e-7, ~1e-6.
   */
  eps?: number;
}

const EXAMPLES: Record<string, Row> = {
  Normal: { hasRsample: true, valueGrad: true },
  MultivariateNormal: { hasRsample: true, valueGrad: true },
  LowRankMultivariateNormal: { hasRsample: true, valueGrad: true },
  Bernoulli: { hasRsample: false, valueGrad: false },
  Categorical: { hasRsample: false, valueGrad: false },
  OneHotCategorical: { hasRsample: false, valueGrad: false },
  RelaxedOneHotCategorical: { hasRsample: true, valueGrad: false },
  Uniform: { hasRsample: true, valueGrad: true },
  Laplace: { hasRsample: true, valueGrad: true },
  Beta: { hasRsample: false, valueGrad: true, eps: 1e-7 },
  Gamma: { hasRsample: false, valueGrad: true },
  Dirichlet: { hasRsample: false, valueGrad: false },
  Independent: { hasRsample: 'base', valueGrad: true },
  MixtureSameFamily: { hasRsample: false, valueGrad: true },
  TransformedDistribution: { hasRsample: 'base', valueGrad: true },
};

const TOL = { atol: 1e-10, rtol: 1e-10 };
/** Samples per moment check. */
const N = 20000;
/**
 * Standard errors allowed between a sample moment and its formula. With a
 * fixed seed the outcome is deterministic; 5 SE would be exceeded by a
 * correct sampler with probability ~6e-7 per entry (normal approximation),
 * while a wrong mean or variance at these sample sizes is off by tens of SE.
 */
const K_SE = 5;

function rowOf(spec: Spec): Row {
  const r = EXAMPLES[spec.dist];
  assert.ok(r, `EXAMPLES has no row for ${spec.dist}`);
  return r;
}

function expectRsample(spec: Spec): boolean {
  const r = rowOf(spec).hasRsample;
  return r === 'base' ? expectRsample(spec.base!) : r;
}

/** The row whose value-gradient and step settings apply: the innermost base's for wrappers. */
function leafRow(spec: Spec): Row {
  return spec.dist === 'Independent' ? leafRow(spec.base!) : rowOf(spec);
}

function closeToFixture(actual: Tensor, expected: NonNullable<Example['logProb']>, label: string): void {
  const exp = decode(expected);
  assert.deepEqual(actual.shape, exp.shape, `${label}: shape`);
  assertClose(actual.data, exp.data, TOL.atol, TOL.rtol, label);
}

/**
 * Per entry of the event-and-batch shape, the sample mean and variance and
 * their standard errors: var / n for the mean, (m4 - s^4) / n for the
 * variance (the delta-method variance of the sample variance, with m4 the
 * sample fourth central moment).
 */
function sampleMoments(x: Tensor, n: number) {
  const m = x.size / n;
  const mean = new Float64Array(m);
  const variance = new Float64Array(m);
  const m4 = new Float64Array(m);
  for (let s = 0; s < n; s++) for (let j = 0; j < m; j++) mean[j] += x.data[s * m + j] / n;
  for (let s = 0; s < n; s++) {
    for (let j = 0; j < m; j++) {
      const d = x.data[s * m + j] - mean[j];
      variance[j] += (d * d) / (n - 1);
      m4[j] += (d * d * d * d) / n;
    }
  }
  return { mean, variance, m4 };
}

function checkMoments(d: Distribution, label: string, seed: number): void {
  const x = d.sample(new L.Generator(seed), [N]);
  assert.deepEqual(x.shape, [N, ...d.batchShape, ...d.eventShape], `${label}: sample shape`);
  assert.equal(x.requiresGrad, false, `${label}: sample carries no gradient`);
  const { mean, variance, m4 } = sampleMoments(x, N);
  const mu = L.broadcastTo(d.mean, [...d.batchShape, ...d.eventShape]).data;
  const sigma2 = L.broadcastTo(d.variance, [...d.batchShape, ...d.eventShape]).data;
  for (let j = 0; j < mean.length; j++) {
    const seMean = Math.sqrt(sigma2[j] / N);
    assert.ok(Math.abs(mean[j] - mu[j]) <= K_SE * seMean + 1e-12, `${label}: entry ${j}: sample mean ${mean[j]} vs ${mu[j]} (SE ${seMean})`);
    const seVar = Math.sqrt(Math.max(m4[j] - variance[j] * variance[j], 0) / N);
    assert.ok(Math.abs(variance[j] - sigma2[j]) <= K_SE * seVar + 1e-12, `${label}: entry ${j}: sample variance ${variance[j]} vs ${sigma2[j]} (SE ${seVar})`);
  }
}

FIXTURE.examples.forEach((e, idx) => {
  const row = leafRow(e.spec);
  const hasRsample = expectRsample(e.spec);

  test(`${e.name}: shapes, logProb, entropy, mean, variance match torch`, () => {
    const d = build(e.spec);
    assert.deepEqual(d.batchShape, e.batchShape, 'batchShape');
    assert.deepEqual(d.eventShape, e.eventShape, 'eventShape');
    assert.equal(d.dtype, 'float64');
    closeToFixture(d.logProb(decode(e.value)), e.logProb, 'logProb');
    if (e.entropy) closeToFixture(d.entropy(), e.entropy, 'entropy');
    if (e.mean) closeToFixture(L.broadcastTo(d.mean, e.mean.shape), e.mean, 'mean');
    if (e.variance) closeToFixture(L.broadcastTo(d.variance, e.variance.shape), e.variance, 'variance');
    if (e.variance) closeToFixture(L.broadcastTo(d.stddev, e.variance.shape), { ...e.variance, data: e.variance.data.map((v) => Math.sqrt(Number(v))) }, 'stddev');
    assert.equal(d.hasRsample, hasRsample, 'hasRsample');
  });

  test(`${e.name}: draws have the right shape, lie in the support, and match the moments`, () => {
    const d = build(e.spec);
    const x = d.sample(new L.Generator(50 + idx), [4, 2]);
    assert.deepEqual(x.shape, [4, 2, ...d.batchShape, ...d.eventShape]);
    assert.ok(d.support.check(x).data.every((v) => v === 1), 'every draw in the support');
    assert.ok(d.logProb(x).data.every((v) => v > -Infinity && !Number.isNaN(v)), 'finite logProb at draws');
    if (e.mean && e.variance) checkMoments(d, e.name, 7 + idx);
    else if (e.spec.dist === 'Categorical') {
      // No mean for labels: the one-hot frequencies against probs, each a binomial proportion with SE sqrt(p (1 - p) / n).
      const c = d as L.Categorical;
      const freq = sampleMoments(L.oneHot(c.sample(new L.Generator(7 + idx), [N]), c.numEvents, 'float64'), N).mean;
      const p = c.probs.data;
      for (let j = 0; j < p.length; j++) {
        assert.ok(Math.abs(freq[j] - p[j]) <= K_SE * Math.sqrt((p[j] * (1 - p[j])) / N), `frequency ${freq[j]} vs ${p[j]}`);
      }
    }
  });

  test(`${e.name}: sample and rsample are reproducible from the seed`, () => {
    const d = build(e.spec);
    const a = d.sample(new L.Generator(3), [5]);
    const b = d.sample(new L.Generator(3), [5]);
    assert.deepEqual(Array.from(a.data), Array.from(b.data));
    if (d.hasRsample) assert.deepEqual(Array.from(d.rsample(new L.Generator(3), [5]).data), Array.from(a.data), 'rsample = sample with gradient');
    else assert.throws(() => d.rsample(new L.Generator(3)), /rsample is not available/);
  });

  test(`${e.name}: gradients of logProb and entropy (finite differences)`, () => {
    const params = leaves(e.spec);
    const value = decode(e.value);
    const withValue = row.valueGrad;
    // validateArgs off: a perturbed value may leave a closed support's boundary region by 1e-6; the formula is what is checked.
    const f = (...xs: Tensor[]) => {
      const d = build(e.spec, xs.slice(0, params.length), { validateArgs: false });
      return d.logProb(withValue ? xs[params.length] : value);
    };
    const opts = { eps: row.eps };
    assertGradcheck(f, withValue ? [...params, value] : params, opts, `${e.name} logProb`);
    if (e.entropy) assertGradcheck((...xs: Tensor[]) => build(e.spec, xs, { validateArgs: false }).entropy(), params, opts, `${e.name} entropy`);
  });

  if (hasRsample) {
    test(`${e.name}: rsample gradients with fixed noise (finite differences)`, () => {
      const params = leaves(e.spec);
      const f = (...xs: Tensor[]) => build(e.spec, xs, { validateArgs: false }).rsample(new L.Generator(11 + idx), [3]);
      assertGradcheck(f, params, undefined, `${e.name} rsample`);
    });
  }
});

// The families of src/distributions; distributions built by models (a VAE's
// flow posterior q(z | x)) are tested with their models.
test('every distribution family of the library has a row, and every row a fixture example', () => {
  const withFixture = new Set(FIXTURE.examples.map((e) => e.spec.dist));
  for (const name of Object.keys(EXAMPLES)) assert.ok(withFixture.has(name), `no fixture example for ${name}`);
  for (const [name, value] of Object.entries(families)) {
    if (typeof value === 'function' && value.prototype instanceof L.Distribution) assert.ok(name in EXAMPLES, `no EXAMPLES row for ${name}`);
  }
});

test('LogNormal moments: exp of a Normal has mean exp(mu + s^2/2) and variance (e^(s^2) - 1) e^(2 mu + s^2)', () => {
  // TransformedDistribution has no generic mean; its sampler is checked on the closed form of this case.
  const mu = 0.3;
  const s = 0.5;
  const d = new L.TransformedDistribution(new L.Normal(L.tensor([mu], { dtype: 'float64' }), s), [new L.ExpTransform()]);
  const { mean, variance, m4 } = sampleMoments(d.sample(new L.Generator(5), [N]), N);
  const m = Math.exp(mu + (s * s) / 2);
  const v = (Math.exp(s * s) - 1) * Math.exp(2 * mu + s * s);
  assert.ok(Math.abs(mean[0] - m) <= K_SE * Math.sqrt(v / N));
  assert.ok(Math.abs(variance[0] - v) <= K_SE * Math.sqrt((m4[0] - variance[0] ** 2) / N));
});

test('RelaxedOneHotCategorical: as the temperature falls, draws approach one-hot vectors with frequencies probs', () => {
  const probs = L.tensor([0.2, 0.3, 0.5], { dtype: 'float64' });
  const d = new L.RelaxedOneHotCategorical(0.05, { probs });
  const y = d.sample(new L.Generator(9), [N]);
  const { mean } = sampleMoments(y, N);
  // The argmax of a draw is an exact Gumbel-max categorical sample; the relaxed mean is within ~1e-2 of probs at this temperature.
  const argmaxFreq = new Float64Array(3);
  for (let s = 0; s < N; s++) {
    let b = 0;
    for (let j = 1; j < 3; j++) if (y.data[s * 3 + j] > y.data[s * 3 + b]) b = j;
    argmaxFreq[b] += 1 / N;
  }
  for (let j = 0; j < 3; j++) {
    const p = probs.data[j];
    assert.ok(Math.abs(argmaxFreq[j] - p) <= K_SE * Math.sqrt((p * (1 - p)) / N), `argmax frequency ${argmaxFreq[j]} vs ${p}`);
    assert.ok(Math.abs(mean[j] - p) < 0.02, `relaxed mean ${mean[j]} vs ${p}`);
  }
});

test('RelaxedOneHotCategorical: a batched temperature equals one distribution per row', () => {
  const logits = L.tensor([[1, 0, -1], [0.5, 0.2, -0.3]], { dtype: 'float64' });
  const temps = L.tensor([0.5, 2], { dtype: 'float64' });
  const d = new L.RelaxedOneHotCategorical(temps, { logits });
  const y = L.tensor([[0.7, 0.2, 0.1], [0.3, 0.3, 0.4]], { dtype: 'float64' });
  const lp = d.logProb(y).data;
  for (let r = 0; r < 2; r++) {
    const single = new L.RelaxedOneHotCategorical(temps.data[r], { logits: L.slice(logits, 0, r, r + 1) });
    assertClose([single.logProb(L.slice(y, 0, r, r + 1)).item()], [lp[r]], 1e-12, 0, `row ${r}`);
  }
});

test('expand broadcasts the parameters: logProb and entropy of the expanded distribution repeat the original', () => {
  for (const e of FIXTURE.examples) {
    const d = build(e.spec);
    const target = [2, ...d.batchShape];
    const x = d.expand(target);
    assert.deepEqual(x.batchShape, target, `${e.name}: batchShape`);
    assert.deepEqual(x.eventShape, d.eventShape, `${e.name}: eventShape`);
    const v = decode(e.value);
    const lp = d.logProb(v);
    const lpx = x.logProb(L.unsqueeze(v, 1));
    assert.deepEqual(lpx.shape, [3, 2, ...d.batchShape], `${e.name}: expanded logProb shape`);
    assertClose(lpx.data, L.broadcastTo(L.unsqueeze(lp, 1), lpx.shape).data, 1e-12, 1e-12, `${e.name}: expanded logProb`);
    if (e.entropy) assertClose(x.entropy().data, L.broadcastTo(d.entropy(), target).data, 1e-12, 1e-12, `${e.name}: expanded entropy`);
  }
  assert.throws(() => new L.Normal(L.zeros([3]), 1).expand([4]), /Normal.expand: cannot expand batch shape \[3\] to \[4\]/);
});

test('enumerateSupport: every value once, and the probabilities over it sum to 1', () => {
  const f64 = { dtype: 'float64' as const };
  const cases: [Distribution, number[]][] = [
    [new L.Bernoulli({ probs: L.tensor([0.2, 0.7], f64) }), [2, 2]],
    [new L.Categorical({ logits: L.tensor([[0, 1, 2], [1, 1, 1]], f64) }), [3, 2]],
    [new L.OneHotCategorical({ probs: L.tensor([0.1, 0.2, 0.7], f64) }), [3, 3]],
  ];
  for (const [d, shape] of cases) {
    assert.ok(d.hasEnumerateSupport);
    const s = d.enumerateSupport();
    assert.deepEqual(s.shape, shape, `${d.name}: support shape`);
    const total = L.logsumexp(d.logProb(s), 0);
    assertClose(total.data, new Float64Array(total.size), 1e-12, 0, `${d.name}: total probability`);
  }
  assert.deepEqual(new L.Categorical({ probs: L.ones([2, 3]) }).enumerateSupport(false).shape, [3, 1]);
  assert.throws(() => new L.Normal(0, 1).enumerateSupport(), /Normal: enumerateSupport is not available/);
});

test('MixtureSameFamily: logProb is the logsumexp of weighted component densities', () => {
  const f64 = { dtype: 'float64' as const };
  const w = L.tensor([0.3, 0.7], f64);
  const mu = L.tensor([-1, 1], f64);
  const s = L.tensor([0.5, 2], f64);
  const gmm = new L.MixtureSameFamily(new L.Categorical({ probs: w }), new L.Normal(mu, s));
  const x = 0.4;
  const pdf = (m: number, sd: number) => Math.exp(-0.5 * ((x - m) / sd) ** 2) / (sd * Math.sqrt(2 * Math.PI));
  assertClose([gmm.logProb(x).item()], [Math.log(0.3 * pdf(-1, 0.5) + 0.7 * pdf(1, 2))], 1e-14, 1e-14);
});

test('Bernoulli from probs is exact at 0 and 1, from logits stable at large |logits|', () => {
  const f64 = { dtype: 'float64' as const };
  const p = new L.Bernoulli({ probs: L.tensor([0, 1, 0.5], f64) });
  assertClose(p.logProb(L.tensor([0, 1, 1], f64)).data, [0, 0, Math.log(0.5)], 0);
  assertClose(p.logProb(L.tensor([1, 0, 0], f64)).data, [-Infinity, -Infinity, Math.log(0.5)], 0);
  assertClose(p.entropy().data, [0, 0, Math.log(2)], 0);
  const l = new L.Bernoulli({ logits: L.tensor([-800, 800], f64) });
  assertClose(l.logProb(L.tensor([0, 1], f64)).data, [0, 0], 0);
  assertClose(l.logProb(L.tensor([1, 0], f64)).data, [-800, -800], 0);
  // Gradients at the boundary stay finite (the double where in xlogy).
  const probs = L.tensor([0, 1], { dtype: 'float64', requiresGrad: true });
  const [g] = L.grad([L.sum(new L.Bernoulli({ probs }).logProb(L.tensor([0, 1], f64)))], [probs]);
  assert.ok(g.data.every((v) => Number.isFinite(v)), `finite gradient, got ${Array.from(g.data)}`);
});

test('Categorical logProb of a zero-probability category is -Infinity, with finite gradients elsewhere', () => {
  const probs = L.tensor([0, 0.4, 0.6], { dtype: 'float64', requiresGrad: true });
  const c = new L.Categorical({ probs });
  assert.equal(c.logProb(0).item(), -Infinity);
  const [g] = L.grad([c.logProb(L.tensor([1, 2], { dtype: 'float64' })).sum()], [probs]);
  assert.ok(g.data.every((v) => Number.isFinite(v)), `finite gradient, got ${Array.from(g.data)}`);
  assert.equal(c.entropy().item(), -(0.4 * Math.log(0.4) + 0.6 * Math.log(0.6)));
});

test('Gamma, Beta and Dirichlet samplers stay inside the support for tiny concentrations', () => {
  const rng = new L.Generator(1);
  const g = new L.Gamma(1e-3, 1).sample(rng, [1000]);
  assert.ok(g.data.every((v) => v > 0), 'Gamma draws positive');
  const b = new L.Beta(1e-3, 1e-3).sample(rng, [1000]);
  assert.ok(b.data.every((v) => v > 0 && v < 1), 'Beta draws inside (0, 1)');
  const d = new L.Dirichlet(L.full([4], 1e-3)).sample(rng, [200]);
  assert.ok(L.constraints.simplex.check(d).data.every((v) => v === 1), 'Dirichlet draws on the simplex');
});

test('the numbers-only constructors give float32 distributions; a float64 tensor makes float64', () => {
  assert.equal(new L.Normal(0, 1).dtype, 'float32');
  assert.equal(new L.Normal(0, 1).sample(new L.Generator(0), [2]).dtype, 'float32');
  assert.equal(new L.Normal(L.zeros([2], { dtype: 'float64' }), 1).dtype, 'float64');
  assert.equal(new L.Normal(L.zeros([2]), L.ones([2], { dtype: 'float64' })).loc.dtype, 'float64');
});

test('Gaussian matrix getters agree: L L^T = covariance, covariance x precision = I (full and low-rank)', () => {
  const f64 = { dtype: 'float64' as const };
  const eye = (n: number) => L.eye(n, f64).data;
  const p = L.tensor([[2, 0.5, 0], [0.5, 1, 0.2], [0, 0.2, 3]], f64);
  const fromPrecision = new L.MultivariateNormal(L.zeros([3], f64), { precisionMatrix: p });
  assertClose(L.matmul(fromPrecision.covarianceMatrix, p).data, eye(3), 1e-12, 0, 'covariance from precision');
  const l = fromPrecision.scaleTril;
  assertClose(L.matmul(l, l, { transB: true }).data, fromPrecision.covarianceMatrix.data, 1e-12, 0, 'L L^T');
  assertClose(fromPrecision.precisionMatrix.data, p.data, 0, 0, 'the given precision is kept');
  const fromTril = new L.MultivariateNormal(L.zeros([3], f64), { scaleTril: l });
  assertClose(L.matmul(fromTril.precisionMatrix, fromTril.covarianceMatrix).data, eye(3), 1e-12, 0, 'precision from scaleTril');
  const lr = new L.LowRankMultivariateNormal(L.zeros([4], f64), L.tensor([[1, 0], [0.5, 1], [0, -1], [2, 0.3]], f64), L.tensor([1, 0.5, 2, 0.7], f64));
  assertClose(L.matmul(lr.precisionMatrix, lr.covarianceMatrix).data, eye(4), 1e-12, 0, 'Woodbury precision');
  const dense = new L.MultivariateNormal(L.zeros([4], f64), { covarianceMatrix: lr.covarianceMatrix });
  const x = L.tensor([[0.3, -1, 2, 0.1], [1, 1, 1, 1]], f64);
  assertClose(lr.logProb(x).data, dense.logProb(x).data, 1e-12, 1e-12, 'low-rank logProb = dense logProb');
  assertClose([lr.entropy().item()], [dense.entropy().item()], 1e-12, 1e-12, 'low-rank entropy = dense entropy');
});
