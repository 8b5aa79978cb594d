// The score-function (REINFORCE) gradient for a discrete latent: unbiased
// against the exact gradient of the ELBO computed by enumerating the latent's
// values, with each kind of baseline; the baselines cut the variance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as L from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { assertClose } from '../helpers.js';

const f64 = { dtype: 'float64' as const };

// A small discrete model: z in {0, 1, 2} with prior pi, x | z ~ N(mu_z, 1), one observation x = 0.8.
const PI = L.tensor([0.5, 0.3, 0.2], f64);
const MU = L.tensor([-1, 0.5, 2], f64);
const X_OBS = 0.8;
/** log p(x, z) for integer-valued z [...]. */
function logJoint(z: Tensor): Tensor {
  const idx = Array.from(z.data, (v) => v);
  const lp = L.log(L.indexSelect(PI, 0, idx)).reshape(z.shape);
  const mu = L.indexSelect(MU, 0, idx).reshape(z.shape);
  return L.add(lp, new L.Normal(mu, L.scalar(1, 'float64')).logProb(X_OBS));
}

const THETA0 = [0.3, -0.2, 0.1];

/** The exact ELBO gradient by enumeration: grad_theta sum_z q(z) (log p(x, z) - log q(z)). */
function exactGradient(): Float64Array {
  const theta = L.tensor(THETA0, { dtype: 'float64', requiresGrad: true });
  const logq = L.logSoftmax(theta);
  const all = L.tensor([0, 1, 2], f64);
  const elbo = L.sum(L.mul(L.exp(logq), L.sub(logJoint(all), logq)));
  return L.grad(elbo, [theta])[0].data as Float64Array;
}

/**
 * R independent k-draw score-function estimates at once: R copies of theta
 * as the rows of one leaf [R, 3], so row r of the gradient of sum(surrogate)
 * is replicate r's estimate. Returns each coordinate's mean, SE and variance.
 */
function replicates(R: number, k: number, baseline: L.ScoreFunctionOptions['baseline'], seed: number) {
  const data = new Float64Array(R * 3);
  for (let r = 0; r < R; r++) data.set(THETA0, r * 3);
  const theta = L.tensor(data, { shape: [R, 3], dtype: 'float64', requiresGrad: true });
  const guide = new L.Categorical({ logits: theta });
  const { gradients } = L.scoreFunctionGradient({
    guide, f: (z) => L.sub(logJoint(z), guide.logProb(z)), rng: new L.Generator(seed), k, baseline, params: [theta],
  });
  const g = gradients[0].data;
  const mean = new Float64Array(3);
  const variance = new Float64Array(3);
  for (let r = 0; r < R; r++) for (let j = 0; j < 3; j++) mean[j] += g[r * 3 + j] / R;
  for (let r = 0; r < R; r++) for (let j = 0; j < 3; j++) variance[j] += (g[r * 3 + j] - mean[j]) ** 2 / (R - 1);
  const se = variance.map((v) => Math.sqrt(v / R));
  return { mean, se, variance };
}

const R = 20000;

for (const [name, baseline] of [['no baseline', undefined], ['a constant baseline', -4], ['the leave-one-out baseline', 'leaveOneOut']] as const) {
  test(`REINFORCE with ${name} is unbiased: the mean of ${R} estimates matches the exact gradient within 4 SE`, () => {
    const exact = exactGradient();
    const { mean, se } = replicates(R, 4, baseline, 11);
    for (let j = 0; j < 3; j++) {
      // With a fixed seed this is deterministic; a biased estimator (e.g. a baseline depending on its own
      // draw) is off by far more than 4 SE at R = 20000.
      assert.ok(Math.abs(mean[j] - exact[j]) < 4 * se[j], `coordinate ${j}: ${mean[j]} +- ${se[j]} vs exact ${exact[j]}`);
      assert.ok(se[j] < 0.05, `the test has power: SE ${se[j]}`);
    }
  });
}

test('the leave-one-out baseline cuts the variance at least in half (measured 5-13x at R = 20000, k = 4)', () => {
  // f = log p(x, z) - log q(z) sits around -2 to -4 nats, so without a baseline every score term carries that offset.
  const none = replicates(4000, 4, undefined, 12).variance;
  const loo = replicates(4000, 4, 'leaveOneOut', 12).variance;
  for (let j = 0; j < 3; j++) assert.ok(loo[j] < 0.5 * none[j], `coordinate ${j}: leave-one-out ${loo[j]} vs none ${none[j]}`);
});

test('MovingAverageBaseline: read before it is updated (unbiased), tracking the mean of f', () => {
  const exact = exactGradient();
  const b = new L.MovingAverageBaseline(0.5);
  const theta = L.tensor(THETA0, { dtype: 'float64', requiresGrad: true });
  const sums = new Float64Array(3);
  const steps = 3000;
  for (let t = 0; t < steps; t++) {
    const guide = new L.Categorical({ logits: theta });
    const { gradients } = L.scoreFunctionGradient({ guide, f: (z) => L.sub(logJoint(z), guide.logProb(z)), rng: new L.Generator(100 + t), k: 2, baseline: b, params: [theta] });
    for (let j = 0; j < 3; j++) sums[j] += gradients[0].data[j] / steps;
  }
  // E[f] under q is the ELBO (~-2.4 here); the average has settled near it.
  assert.ok(b.value !== null && b.value < -1.5 && b.value > -3.5, `baseline ${b.value}`);
  // The per-step estimates have sd ~1, so the mean of 3000 has SE ~0.02; 0.08 is 4 SE.
  assertClose(sums, exact, 0.08);
  assert.throws(() => new L.MovingAverageBaseline(1), /decay must be in \[0, 1\), got 1/);
});

test('a learned (Tensor) baseline: the surrogate is still unbiased in value, and baselineLoss trains it toward E[f]', () => {
  // Bernoulli latents [B = 3] with a per-data-point baseline b (a stand-in for an input-dependent network).
  const logits = L.tensor([0.2, -0.5, 1.0], { dtype: 'float64', requiresGrad: true });
  const b = L.tensor([0, 0, 0], { dtype: 'float64', requiresGrad: true });
  const f = (z: Tensor) => L.add(L.mul(z, 2), -1); // f = 2z - 1, E_q f = 2 sigmoid(l) - 1
  const r = L.scoreFunctionSurrogate({ guide: new L.Bernoulli({ logits }), f, rng: new L.Generator(3), k: 50000, baseline: b });
  assert.deepEqual(r.surrogate.shape, [3]);
  // value = the 50000-draw mean of f; SE <= 1 / sqrt(50000) = 0.0045, 0.02 is > 4 SE.
  const expected = Array.from(logits.data, (l) => 2 / (1 + Math.exp(-l)) - 1);
  assertClose(r.value.data, expected, 0.02);
  // d/dl E_q[f] = 2 sigmoid'(l) (the baseline's value does not enter the expectation).
  const [gl] = L.grad(L.sum(r.surrogate), [logits]);
  const exactGrad = Array.from(logits.data, (l) => { const s = 1 / (1 + Math.exp(-l)); return 2 * s * (1 - s); });
  assertClose(gl.data, exactGrad, 0.03);
  // The baseline gets no gradient from the surrogate, only from its own loss: d/db mean (f - b)^2 = -2 (E f - b).
  assert.ok(r.baselineLoss !== null, 'a Tensor baseline has a loss');
  const [gb] = L.grad(L.sum(r.baselineLoss!), [b]);
  assertClose(gb.data, expected.map((e) => -2 * e), 0.04);
});

test('scoreFunction refuses bad input with errors naming the argument', () => {
  const guide = new L.Categorical({ logits: L.zeros([3], f64) });
  const rng = new L.Generator(0);
  assert.throws(() => L.scoreFunctionSurrogate({ guide, f: logJoint, rng, k: 0 }), /scoreFunctionSurrogate: k must be an integer >= 1, got 0/);
  assert.throws(() => L.scoreFunctionSurrogate({ guide, f: logJoint, rng, k: 1, baseline: 'leaveOneOut' }), /'leaveOneOut' needs k >= 2/);
  assert.throws(() => L.scoreFunctionSurrogate({ guide, f: logJoint, rng, baseline: NaN }), /baseline must be a finite number, got NaN/);
  assert.throws(() => L.scoreFunctionSurrogate({ guide, f: logJoint, rng, baseline: 'mean' as never }), /baseline must be a number, a Tensor, 'leaveOneOut' or a MovingAverageBaseline/);
  assert.throws(() => L.scoreFunctionSurrogate({ guide, f: (z) => L.sum(logJoint(z)), rng, k: 3 }), /f returned shape \[\], expected \[3\]/);
  assert.throws(() => L.scoreFunctionSurrogate({ guide, f: (z) => L.mul(logJoint(z), NaN), rng, k: 3 }), /f returned NaN/);
  assert.throws(() => L.scoreFunctionSurrogate({ guide: 'q' as never, f: logJoint, rng }), /guide must be a Distribution/);
  assert.throws(() => L.scoreFunctionGradient({ guide, f: logJoint, rng, params: [L.zeros([3])] }), /params\[0\] must be a Tensor with requiresGrad/);
});
