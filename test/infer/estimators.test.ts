// Estimators of the marginal likelihood and the variational bounds:
// logmeanexp against scipy; the seeds' demonstration on the conjugate
// Gaussian model (examples/infer/estimators.ts, the same functions): the
// naive estimator's variance explodes with dimension and as the posterior
// narrows while importance sampling with a good q does not;
// ELBO <= IWAE_k <= IWAE_{k+1} <= log p(x); log p(x) = ELBO + KL(q || p(z|x)).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as L from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { assertClose, fixture, lcg } from '../helpers.js';
import { boundsByK, closedFormElbo, conjugateGaussian, gaussianProposal, identityGap, varianceRow, type VarianceRow } from '../../examples/infer/estimators.js';

const f64 = { dtype: 'float64' as const };
const decode = (v: number | string): number => (typeof v === 'string' ? Number(v) : v);

interface LmeCase { name: string; shape: number[]; x: (number | string)[]; logmeanexp: (number | string)[] }
const REF = fixture<{ logmeanexp: LmeCase[] }>('infer_reference.json');

test('logmeanexp matches scipy (logsumexp - log n) to 1e-12, including huge magnitudes and all -inf', () => {
  for (const c of REF.logmeanexp) {
    const x = L.tensor(c.x.map(decode), { shape: c.shape, dtype: 'float64' });
    const got = L.logmeanexp(x, 0);
    assertClose(got.data, c.logmeanexp.map(decode), 1e-12, 1e-14, c.name);
  }
});

test('logmeanexp: axis and keepDims; gradient is the normalized weights, 0 (not NaN) for an all -inf column', () => {
  const x = L.tensor([[0, -Infinity], [Math.log(3), -Infinity]], { dtype: 'float64', requiresGrad: true });
  const y = L.logmeanexp(x, 0);
  assertClose(y.data, [Math.log(2), -Infinity], 1e-15);
  assert.deepEqual(L.logmeanexp(x, 1, true).shape, [2, 1]);
  const [g] = L.grad(L.sum(L.where(L.eq(y, -Infinity), 0, y)), [x]);
  // d/dx_i log mean exp(x) = exp(x_i) / sum_j exp(x_j): [1/4, 3/4] in column 0.
  assertClose(g.data, [0.25, 0, 0.75, 0], 1e-15);
  assert.throws(() => L.logmeanexp(L.zeros([0, 2]), 0), /logmeanexp: axis 0 .* is empty/);
  assert.throws(() => L.logmeanexp(L.scalar(1)), /at least one dimension/);
});

test('weightDiagnostics: equal weights give ESS n and relative variance 0; one dominant weight gives ESS ~1', () => {
  const even = L.weightDiagnostics(L.full([8], -3, f64));
  assert.equal(even.ess.item(), 8);
  assertClose([even.relativeVariance.item(), even.logEstimate.item()], [0, -3], 1e-15);
  const skew = L.weightDiagnostics(L.tensor([0, -50, -50, -50], f64));
  assertClose([skew.ess.item()], [1], 1e-12);
  // w = (1, ~0, ~0, ~0): mean 1/4, sample variance (9/16 + 3/16) / 3 = 1/4 -> relVar (1/4) / (1/16) = 4 = n.
  assertClose([skew.relativeVariance.item()], [4], 1e-12);
  const none = L.weightDiagnostics(L.full([3, 2], -Infinity, f64));
  assert.deepEqual(Array.from(none.logEstimate.data), [-Infinity, -Infinity]);
  assert.deepEqual(Array.from(none.ess.data), [0, 0]);
});

test('importance sampling with q = the exact posterior returns log p(x) exactly (zero-variance weights)', () => {
  const g = conjugateGaussian(3, 5, 0.7, 4);
  const r = L.importanceSampling(g.logJoint, g.posterior, { n: 64, rng: new L.Generator(1) });
  // Every weight is p(x) up to rounding of the densities (a few ulps of ~30 nats).
  assertClose([r.logEstimate.item()], [g.logEvidence], 1e-11);
  assert.ok(r.relativeVariance.item() < 1e-20, `relVar ${r.relativeVariance.item()}`);
  assertClose([r.ess.item()], [64], 1e-9);
});

test('importance sampling is batched: a proposal with batch shape [B] gives one estimate per data point, in chunks', () => {
  // z_b ~ N(0, 1), x_b | z_b ~ N(z_b, 1): p(x_b) = N(x_b; 0, 2); q_b = N(x_b / 2, 0.75) (0.5 is the exact variance).
  const x = L.tensor([-1, 0.5, 2], f64);
  const logJoint = (z: Tensor) => L.add(new L.Normal(0, 1).logProb(z), new L.Normal(z, L.scalar(1, 'float64')).logProb(x));
  const q = new L.Normal(L.mul(x, 0.5), L.full([3], Math.sqrt(0.75), f64));
  const r = L.importanceSampling(logJoint, q, { n: 4000, rng: new L.Generator(2), chunkSize: 1500 });
  assert.deepEqual(r.logWeights.shape, [4000, 3]);
  const exact = Array.from(x.data, (v) => -0.5 * Math.log(2 * Math.PI * 2) - (v * v) / 4);
  // relVar = chi^2 = 0.75 / sqrt(0.5 (1.5 - 0.5)) - 1 = 0.0607 per point: SE of log p^ ~ sqrt(0.06 / 4000) = 0.004; 5 SE.
  assertClose(r.logEstimate.data, exact, 0.02);
  for (const v of r.relativeVariance.data) assert.ok(Math.abs(v - 0.0607) < 0.02, `relVar ${v}`);
});

test('naive Monte Carlo: from the prior and uniformly over a box, both near log p(x) in one dimension', () => {
  const g = conjugateGaussian(1, 3, 1, 6);
  const prior = L.naiveMonteCarlo(g.logLikelihood, g.prior, { n: 20000, rng: new L.Generator(3) });
  const box = L.naiveMonteCarlo(g.logLikelihood, g.prior, { n: 20000, rng: new L.Generator(3), box: { low: -6, high: 6 } });
  // Exact relVar of the prior-sampled weights is ~1.1 here: SE of log p^ ~ sqrt(1.1 / 20000) = 0.007; 0.04 is > 5 SE.
  assertClose([prior.logEstimate.item()], [g.logEvidence], 0.04, 0, 'prior');
  // Over the box the weights are 12 p(x, z); relVar ~ 12 / (2 sqrt(pi/4)) - 1 ~ 5: SE ~ 0.016; 0.08 is 5 SE.
  assertClose([box.logEstimate.item()], [g.logEvidence], 0.08, 0, 'box');
  assert.throws(() => L.naiveMonteCarlo(g.logLikelihood, g.prior, { n: 10, rng: new L.Generator(0), box: { low: 1, high: 1 } }), /box.low must be below box.high/);
  assert.throws(() => L.naiveMonteCarlo(g.logLikelihood, g.prior, { n: 10, rng: new L.Generator(0), box: { low: L.zeros([2]), high: 1 } }), /box.low has shape \[2\], expected the prior's event shape \[1\]/);
});

// --- The seeds' demonstration ------------------------------------------------

const N_DRAWS = 2000;
const DIMS = [1, 2, 4, 8, 16, 32];
let byDim: VarianceRow[] | null = null;
const rowsByDim = (): VarianceRow[] => (byDim ??= DIMS.map((d) => varianceRow(d, 4, N_DRAWS, 0)));

test('naive MC: the relative variance of the weights explodes with dimension; IS with a good q stays bounded (fixed seeds)', () => {
  const rows = rowsByDim();
  for (const r of rows) {
    // The exact relative variance chi^2(posterior || proposal) grows geometrically for both, but at
    // very different rates: ~1.7^d (and worse, with the posterior mean's offset) for the prior, 1.05^d for q.
    assert.ok(Number.isFinite(r.is.exactRelVar) && r.is.exactRelVar < 5, `IS exact relVar ${r.is.exactRelVar} at d = ${r.d}`);
    // IS: its sample relative variance agrees with the exact one (15%: the sample variance of weights with
    // relVar <= 4 from 2000 draws has a relative SE of a few percent), its ESS stays above 20% of n,
    // and log p^ is within 0.1 nats.
    assert.ok(Math.abs(r.is.relVar / r.is.exactRelVar - 1) < 0.15, `IS relVar ${r.is.relVar} vs exact ${r.is.exactRelVar} at d = ${r.d}`);
    assert.ok(r.is.ess > 0.2 * N_DRAWS, `IS ESS ${r.is.ess} at d = ${r.d}`);
    assert.ok(Math.abs(r.is.error) < 0.1, `IS error ${r.is.error} at d = ${r.d}`);
  }
  for (let i = 1; i < rows.length; i++) assert.ok(rows[i].naive.exactRelVar > rows[i - 1].naive.exactRelVar, `exact relVar at d = ${rows[i].d}`);
  // The naive sample relative variance rises with d until it saturates near n (one weight dominates:
  // the sample cannot show a relative variance above ~n), so its growth is checked over d = 1, 2, 4.
  assert.ok(rows[0].naive.relVar < rows[1].naive.relVar && rows[1].naive.relVar < rows[2].naive.relVar,
    `naive relVar ${rows.slice(0, 3).map((r) => r.naive.relVar)}`);
  for (const r of rows.filter((row) => row.d >= 4)) {
    // The stated factor: from d = 4 on, the naive estimator's relative variance is at least 100 times IS's
    // (measured: 4100x at d = 4, 520x at d = 32 where the naive sample value has saturated).
    assert.ok(r.naive.relVar > 100 * r.is.relVar, `d = ${r.d}: naive ${r.naive.relVar} vs IS ${r.is.relVar}`);
    // Degenerate: fewer than 1% of the draws effectively count.
    assert.ok(r.naive.ess < 0.01 * N_DRAWS, `naive ESS ${r.naive.ess} at d = ${r.d}`);
  }
  // And the estimate itself fails: more than 10 nats low at d >= 16 (biased low: the missing mass is never drawn).
  for (const r of rows.filter((row) => row.d >= 16)) assert.ok(r.naive.error < -10, `naive error ${r.naive.error} at d = ${r.d}`);
});

test('naive MC: the relative variance grows as the posterior narrows (more data, d = 1); IS with a good q does not', () => {
  const rows = [1, 10, 100, 1000].map((m) => varianceRow(1, m, N_DRAWS, 0));
  for (let i = 1; i < rows.length; i++) {
    assert.ok(rows[i].naive.relVar > rows[i - 1].naive.relVar, `naive relVar ${rows.map((r) => r.naive.relVar)}`);
    assert.ok(rows[i].naive.exactRelVar > rows[i - 1].naive.exactRelVar, `exact relVar at m = ${rows[i].m}`);
  }
  // IS with q = the posterior widened 1.2x: the weights' law does not depend on m at all (exact relVar 0.0502).
  for (const r of rows) assert.ok(Math.abs(r.is.relVar - 0.0502) < 0.01, `IS relVar ${r.is.relVar} at m = ${r.m}`);
  assert.ok(rows[3].naive.relVar > 300 * rows[3].is.relVar, `m = 1000: naive ${rows[3].naive.relVar} vs IS ${rows[3].is.relVar}`);
});

test('ELBO <= IWAE_k <= IWAE_{k+1} <= log p(x) in expectation (4000 repeats, common random numbers)', () => {
  const ks = [1, 2, 3, 4, 5, 6, 8, 16, 64];
  const b = boundsByK(4, ks, 4000, 0);
  // E[IWAE_1] is the ELBO: the Monte Carlo mean agrees with the closed form within 4 standard errors.
  assert.ok(Math.abs(b.iwae[0].mean - b.elboClosedForm) < 4 * b.iwae[0].se, `IWAE_1 ${b.iwae[0].mean} vs ELBO ${b.elboClosedForm}`);
  // Monotone in k, each step by more than 4 standard errors of the difference of the two means
  // (the differences are paired, as the bounds share draws).
  for (let i = 1; i < ks.length; i++) {
    const step = b.iwae[i].step!;
    assert.ok(b.iwae[i].mean > b.iwae[i - 1].mean, `IWAE_${ks[i]} ${b.iwae[i].mean} < IWAE_${ks[i - 1]} ${b.iwae[i - 1].mean}`);
    assert.ok(step.mean > 4 * step.se, `IWAE_${ks[i]} - IWAE_${ks[i - 1]}: ${step.mean} +- ${step.se}`);
  }
  const last = b.iwae[b.iwae.length - 1];
  // Still below log p(x) at k = 64, by more than 4 SE (the gap ~ relVar / (2k) ~ 0.05 nats), and closer than the ELBO.
  assert.ok(b.logEvidence - last.mean > 4 * last.se, `IWAE_64 ${last.mean} vs log p(x) ${b.logEvidence}`);
  assert.ok(b.logEvidence - last.mean < 0.1 * (b.logEvidence - b.elboClosedForm), `IWAE_64 gap ${b.logEvidence - last.mean}, ELBO gap ${b.logEvidence - b.elboClosedForm}`);
});

test('log p(x) = ELBO + KL(q || p(z|x)) to 1e-10, with ELBO, KL and log p(x) from three independent closed forms', () => {
  for (const [d, seed] of [[1, 1], [4, 0], [16, 2]]) {
    const r = identityGap(d, seed);
    // All three are sums of O(d m) terms of size ~10 nats: rounding leaves ~1e-13.
    assert.ok(Math.abs(r.gap) < 1e-10, `d = ${d}: gap ${r.gap} (log p(x) ${r.logEvidence}, ELBO ${r.elbo}, KL ${r.kl})`);
    assert.ok(r.kl > 0.5, 'the proposal is really not the posterior');
  }
});

test('elbo with q = the exact posterior has zero variance and equals log p(x) (to 1e-10); analytic KL agrees in mean', () => {
  const g = conjugateGaussian(4, 4, 1, 0);
  const draws = L.noGrad(() => L.sampleLogWeights({ logJoint: g.logJoint, guide: g.posterior, rng: new L.Generator(5), k: 500 }).logWeights);
  for (const v of draws.data) assert.ok(Math.abs(v - g.logEvidence) < 1e-10, `ELBO draw ${v} vs log p(x) ${g.logEvidence}`);
  const e = L.elbo({ logJoint: g.logJoint, guide: g.posterior, rng: new L.Generator(6), k: 10 }).item();
  assert.ok(Math.abs(e - g.logEvidence) < 1e-10, `elbo ${e} vs log p(x) ${g.logEvidence}`);
  // The split form with the KL in closed form: the same ELBO in expectation, but its likelihood term varies with z.
  const q = gaussianProposal(g, 0.8, 0.5);
  const closed = closedFormElbo(g, q);
  const analytic = L.elbo({ model: g.model, x: g.x, guide: q, rng: new L.Generator(7), k: 4000, analyticKL: true }).item();
  const sampled = L.elbo({ model: g.model, x: g.x, guide: q, rng: new L.Generator(7), k: 4000 }).item();
  // Per-draw sds are ~2 nats (sampled) and ~1.8 (analytic): SE of a 4000-draw mean ~0.03; 0.15 is 5 SE.
  assertClose([analytic, sampled], [closed, closed], 0.15);
  const terms = L.elboTerms({ model: g.model, x: g.x, guide: q, rng: new L.Generator(7), k: 10, analyticKL: true });
  assertClose([terms.kl.item()], [L.klDivergence(q, g.prior).item()], 1e-12);
  assertClose([terms.elbo.item()], [terms.expectedLogLikelihood.item() - terms.kl.item()], 1e-12);
});

test('iwaeBound from a model and guide: [batch] shaped, differentiable, equal to logmeanexp of the same draws', () => {
  const g = conjugateGaussian(2, 3, 1, 3);
  const loc = L.tensor(Array.from(g.postMean), { dtype: 'float64', requiresGrad: true });
  const q = new L.Independent(new L.Normal(loc, L.full([2], 0.5, f64)), 1);
  const a = L.iwaeBound({ model: g.model, x: g.x, guide: q, rng: new L.Generator(9), k: 7 });
  const { logWeights } = L.sampleLogWeights({ model: g.model, x: g.x, guide: q, rng: new L.Generator(9), k: 7 });
  assert.deepEqual(a.shape, []);
  assertClose([a.item()], [L.logmeanexp(logWeights, 0).item()], 1e-14);
  const [gl] = L.grad(a, [loc]);
  assert.ok(gl.data.every(Number.isFinite), 'finite gradient');
});

test('objectives refuse bad input with errors naming the argument', () => {
  const g = conjugateGaussian(2, 3, 1, 3);
  const rng = new L.Generator(0);
  const q = g.posterior;
  assert.throws(() => L.elbo({ logJoint: g.logJoint, guide: q, rng, k: 0 }), /elbo: k must be an integer >= 1, got 0/);
  assert.throws(() => L.iwaeBound({ logJoint: g.logJoint, guide: q, rng, k: 2.5 }), /iwaeBound: k must be an integer >= 1, got 2.5/);
  assert.throws(() => L.elbo({ logJoint: g.logJoint, guide: q, rng: 3 as never }), /elbo: rng must be a Generator/);
  assert.throws(() => L.elbo({ logJoint: g.logJoint, model: g.model, x: g.x, guide: q, rng } as never), /exactly one of logJoint .* and model/);
  assert.throws(() => L.elbo({ model: g.model, guide: q, rng } as never), /x \(the observed data, a Tensor\) is required/);
  assert.throws(() => L.elbo({ logJoint: g.logJoint, guide: q, rng, analyticKL: true }), /analyticKL needs model/);
  // A log joint of the wrong shape (summed over the samples) and one returning NaN.
  assert.throws(() => L.elbo({ logJoint: (z) => L.sum(g.logJoint(z)), guide: q, rng, k: 3 }), /elbo: the log joint returned shape \[\], expected \[3\]/);
  assert.throws(() => L.elbo({ logJoint: (z) => L.mul(g.logJoint(z), NaN), guide: q, rng, k: 3 }), /elbo: the log joint returned NaN at flat index 0/);
  assert.throws(() => L.importanceSampling((z) => L.sum(z, -1), q, { n: 0, rng }), /importanceSampling: n must be an integer >= 1, got 0/);
  assert.throws(() => L.importanceSampling((z) => L.sum(z, -1), q, { n: -5, rng }), /n must be an integer >= 1, got -5/);
  assert.throws(() => L.importanceSampling((z) => z, q, { n: 4, rng }), /importanceSampling: logJoint returned shape \[4, 2\], expected \[4\]/);
  assert.throws(() => L.naiveMonteCarlo(g.logLikelihood, q, { n: 4, rng, chunkSize: 0 }), /naiveMonteCarlo: chunkSize must be an integer >= 1/);
  assert.throws(() => L.naiveMonteCarlo(() => L.full([4], NaN), q, { n: 4, rng }), /naiveMonteCarlo: logLikelihood returned NaN/);
  assert.throws(() => L.iwaeBound(L.zeros([0, 3])), /k = 0 samples/);
  // A guide that cannot be reparameterized, while gradients are being recorded.
  const bern = new L.Bernoulli({ logits: L.zeros([2], { dtype: 'float64', requiresGrad: true }) });
  assert.throws(() => L.elbo({ logJoint: (z) => L.sum(z, -1), guide: new L.Independent(bern, 1), rng }), /not reparameterizable .* scoreFunctionSurrogate/);
  // ... but evaluating it without gradients is fine.
  const v = L.noGrad(() => L.elbo({ logJoint: (z) => L.sum(z, -1), guide: new L.Independent(bern, 1), rng, k: 4 }));
  assert.deepEqual(v.shape, []);
});

test('the example runs as a script and prints its tables (tiny flags)', () => {
  const script = fileURLToPath(new URL('../../examples/infer/estimators.ts', import.meta.url));
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, '--n', '200', '--repeats', '100', '--seed', '1'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /As the dimension grows/);
  assert.match(r.stdout, /IWAE_64/);
  assert.match(r.stdout, /log p\(x\) = ELBO \+ KL/);
  const bad = spawnSync(process.execPath, ['--import', 'tsx', script, '--n', '0'], { encoding: 'utf8' });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--n must be an integer >= 2, got 0/);
});

test('streamingLogMeanExp over chunks equals logmeanexp of the whole [k, b] matrix', () => {
  // Log-weights spread over 60 nats (so the running maximum is rescaled
  // often), one example with every weight -Infinity, chunks that do not
  // divide k. Both compute in float64: agreement to 1e-12.
  const k = 37, b = 4;
  const rnd = lcg(5);
  const w = new Float64Array(k * b);
  for (let i = 0; i < k; i++) for (let j = 0; j < b; j++) w[i * b + j] = j === 3 ? -Infinity : 60 * rnd() - 30;
  const ref = L.logmeanexp(new L.Tensor(w, [k, b]), 0).data;
  for (const chunk of [1, 5, 37, 100]) {
    let at = 0;
    const got = L.streamingLogMeanExp(b, k, chunk, (c) => {
      const part = w.subarray(at * b, (at + c) * b);
      at += c;
      return part;
    });
    assert.equal(at, k);
    for (let j = 0; j < 3; j++) assert.ok(Math.abs(got[j] - ref[j]) < 1e-12, `chunk ${chunk}, example ${j}: ${got[j]} vs ${ref[j]}`);
    assert.equal(got[3], -Infinity);
  }
});
