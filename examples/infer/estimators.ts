// The estimators' demonstration on a model with a tractable p(x): a
// conjugate Gaussian, z ~ N(0, I_d), x_j | z ~ N(z, s^2 I_d) for j = 1..m.
//
//   1. The naive Monte Carlo estimator (z from the prior) has a relative
//      variance that explodes as the dimension grows and as the posterior
//      narrows; importance sampling with a good proposal does not.
//   2. ELBO <= IWAE_k <= IWAE_{k+1} <= log p(x), in expectation.
//   3. log p(x) = ELBO + KL(q || p(z | x)), to rounding, from three
//      independent closed forms; with q = the exact posterior the sampled
//      ELBO has zero variance and equals log p(x).
//
// Run: npx tsx examples/infer/estimators.ts [--n 2000] [--repeats 4000] [--seed 0]
// The test suite (test/infer/estimators.test.ts) runs the same functions.
import { pathToFileURL } from 'node:url';
import * as L from '../../src/index.js';
import type { Distribution, LatentModel, Tensor } from '../../src/index.js';

const f64 = { dtype: 'float64' as const };
const LOG_2PI = Math.log(2 * Math.PI);

/** The conjugate Gaussian model with data drawn from it, and its exact posterior and evidence. */
export interface ConjugateGaussian {
  d: number;
  m: number;
  s: number;
  /** The observations [m, d]. */
  x: Tensor;
  model: LatentModel;
  /** log p(x, z): z [n, d] -> [n]. */
  logJoint: (z: Tensor) => Tensor;
  /** log p(x | z): z [n, d] -> [n]. */
  logLikelihood: (z: Tensor) => Tensor;
  prior: Distribution;
  /** p(z | x) = N(mean, variance I) per coordinate (as Independent(Normal)). */
  posterior: Distribution;
  postMean: Float64Array;
  postVariance: number;
  /** log p(x), closed form (the marginal of each coordinate is N(0, s^2 I_m + 1 1^T)). */
  logEvidence: number;
}

/** Draws z from the prior and m observations of it; everything float64. */
export function conjugateGaussian(d: number, m: number, s: number, seed: number): ConjugateGaussian {
  const rng = new L.Generator(seed);
  const zTrue = L.randn([d], rng, f64);
  const x = L.add(zTrue, L.mul(L.randn([m, d], rng, f64), s)); // [m, d]
  const prior = new L.Independent(new L.Normal(L.zeros([d], f64), L.ones([d], f64)), 1);
  // z [..., d] -> x's distribution with batch [...], event [m, d].
  const likelihood = (z: Tensor): Distribution => {
    const lead = z.shape.slice(0, -1);
    const loc = L.broadcastTo(L.unsqueeze(z, -2), [...lead, m, d]);
    return new L.Independent(new L.Normal(loc, L.full([...lead, m, d], s, f64), { validateArgs: false }), 2);
  };
  const model: LatentModel = { prior: () => prior, likelihood };
  const logLikelihood = (z: Tensor) => likelihood(z).logProb(x);
  const logJoint = (z: Tensor) => L.add(prior.logProb(z), logLikelihood(z));
  // Posterior per coordinate: precision 1 + m/s^2, mean (sum_j x_j / s^2) / precision.
  const prec = 1 + m / (s * s);
  const postMean = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let t = 0;
    for (let j = 0; j < m; j++) t += x.data[j * d + i];
    postMean[i] = t / (s * s) / prec;
  }
  const postVariance = 1 / prec;
  const posterior = new L.Independent(
    new L.Normal(L.tensor(postMean, { dtype: 'float64' }), L.full([d], Math.sqrt(postVariance), f64)), 1,
  );
  // log N(x_i; 0, s^2 I + 1 1^T) per coordinate: det = s^(2m) (1 + m/s^2); the inverse by Sherman-Morrison.
  let logEvidence = 0;
  for (let i = 0; i < d; i++) {
    let sum = 0;
    let sq = 0;
    for (let j = 0; j < m; j++) {
      const v = x.data[j * d + i];
      sum += v;
      sq += v * v;
    }
    const quad = (sq - (sum * sum) / (s * s + m)) / (s * s);
    const logDet = 2 * m * Math.log(s) + Math.log(1 + m / (s * s));
    logEvidence += -0.5 * (m * LOG_2PI + logDet + quad);
  }
  return { d, m, s, x, model, logJoint, logLikelihood, prior, posterior, postMean, postVariance, logEvidence };
}

/** A Gaussian proposal around the posterior: mean shifted by `shift` posterior sds, sd scaled by `scale`. */
export function gaussianProposal(g: ConjugateGaussian, scale: number, shift = 0): Distribution {
  const sd = Math.sqrt(g.postVariance);
  const loc = L.tensor(g.postMean.map((v) => v + shift * sd), { dtype: 'float64' });
  return new L.Independent(new L.Normal(loc, L.full([g.d], scale * sd, f64)), 1);
}

/**
 * The exact relative variance of the weights, E_q[w^2] / p(x)^2 - 1 = chi^2(posterior || q),
 * for q = N(mu_q, tau^2 I): per coordinate the integral of N(z; mu, v)^2 / N(z; mu_q, tau^2)
 * is tau^2 / sqrt(v (2 tau^2 - v)) exp((mu - mu_q)^2 / (2 tau^2 - v)), infinite when 2 tau^2 <= v.
 */
export function exactRelativeVariance(g: ConjugateGaussian, qMean: ArrayLike<number>, qVariance: number): number {
  const v = g.postVariance;
  if (2 * qVariance <= v) return Infinity;
  let logProd = 0;
  for (let i = 0; i < g.d; i++) {
    logProd += Math.log(qVariance / Math.sqrt(v * (2 * qVariance - v))) + (g.postMean[i] - qMean[i]) ** 2 / (2 * qVariance - v);
  }
  return Math.expm1(logProd);
}

export interface VarianceRow {
  /** Latent dimension and observations per dimension. */
  d: number;
  m: number;
  logEvidence: number;
  naive: { logEstimate: number; error: number; relVar: number; exactRelVar: number; ess: number };
  is: { logEstimate: number; error: number; relVar: number; exactRelVar: number; ess: number };
}

/**
 * The naive estimator against importance sampling with q = the posterior
 * widened by `proposalScale` (a good, not exact, proposal), n draws each.
 */
export function varianceRow(d: number, m: number, n: number, seed: number, proposalScale = 1.2): VarianceRow {
  const g = conjugateGaussian(d, m, 1, seed);
  const rng = new L.Generator(seed + 1000);
  const naive = L.naiveMonteCarlo(g.logLikelihood, g.prior, { n, rng });
  const q = gaussianProposal(g, proposalScale);
  const is = L.importanceSampling(g.logJoint, q, { n, rng });
  const summary = (r: L.MarginalLikelihoodEstimate, exactRelVar: number) => ({
    logEstimate: r.logEstimate.item(), error: r.logEstimate.item() - g.logEvidence, relVar: r.relativeVariance.item(), exactRelVar, ess: r.ess.item(),
  });
  return {
    d, m, logEvidence: g.logEvidence,
    naive: summary(naive, exactRelativeVariance(g, new Float64Array(d), 1)),
    is: summary(is, exactRelativeVariance(g, g.postMean, proposalScale ** 2 * g.postVariance)),
  };
}

export interface BoundsResult {
  d: number;
  logEvidence: number;
  /** The ELBO in closed form (E_q log p(x, z) + H[q], Gaussian expectations). */
  elboClosedForm: number;
  /**
   * k and the mean of the IWAE_k estimate over `repeats` independent sets of k draws, with its standard
   * error; `step` is the mean (and SE) of IWAE_k - IWAE_{previous k} over the paired repeats.
   */
  iwae: { k: number; mean: number; se: number; step: { mean: number; se: number } | null }[];
}

/**
 * E[IWAE_k] for several k by averaging `repeats` estimates, for a
 * deliberately imperfect q (mean shifted by 0.5 posterior sd, sd 0.8 of the
 * posterior's). The same draws are reused across k (IWAE_k takes the first
 * k of kMax), which keeps each estimate unbiased for its own E[IWAE_k] and
 * makes the differences between k far less noisy (common random numbers).
 */
export function boundsByK(d: number, ks: readonly number[], repeats: number, seed: number): BoundsResult {
  const g = conjugateGaussian(d, 4, 1, seed);
  const q = gaussianProposal(g, 0.8, 0.5);
  const kMax = Math.max(...ks);
  const { logWeights } = L.noGrad(() => {
    // q has batch shape []: draw [kMax * repeats] and fold into [kMax, repeats].
    const r = L.sampleLogWeights({ logJoint: g.logJoint, guide: q, rng: new L.Generator(seed + 2000), k: kMax * repeats });
    return { logWeights: L.reshape(r.logWeights, [kMax, repeats]) };
  });
  const meanSe = (v: ArrayLike<number>) => {
    let mean = 0;
    for (let i = 0; i < repeats; i++) mean += v[i] / repeats;
    let v2 = 0;
    for (let i = 0; i < repeats; i++) v2 += (v[i] - mean) ** 2 / (repeats - 1);
    return { mean, se: Math.sqrt(v2 / repeats) };
  };
  const bounds = ks.map((k) => L.iwaeBound(L.slice(logWeights, 0, 0, k)).data); // each [repeats]
  const iwae = ks.map((k, i) => ({
    k, ...meanSe(bounds[i]), step: i === 0 ? null : meanSe(bounds[i].map((v, r) => v - bounds[i - 1][r])),
  }));
  return { d, logEvidence: g.logEvidence, elboClosedForm: closedFormElbo(g, q), iwae };
}

/**
 * The ELBO of a diagonal Gaussian q = N(a, diag(v)) in closed form, from the
 * Gaussian expectations alone (no sampling, no library density):
 * E_q[log N(z; 0, I)] + sum_j E_q[log N(x_j; z, s^2 I)] + H[q], with
 * E_q[(x - z_i)^2] = (x - a_i)^2 + v_i.
 */
export function closedFormElbo(g: ConjugateGaussian, q: Distribution): number {
  const a = q.mean.data;
  const v = q.variance.data;
  let total = 0;
  for (let i = 0; i < g.d; i++) {
    total += -0.5 * LOG_2PI - 0.5 * (a[i] * a[i] + v[i]);
    for (let j = 0; j < g.m; j++) {
      const xv = g.x.data[j * g.d + i];
      total += -0.5 * LOG_2PI - Math.log(g.s) - ((xv - a[i]) ** 2 + v[i]) / (2 * g.s * g.s);
    }
    total += 0.5 * (LOG_2PI + 1 + Math.log(v[i]));
  }
  return total;
}

/** log p(x) - (ELBO + KL(q || p(z | x))) for a mismatched q, the KL from the registry. */
export function identityGap(d: number, seed: number): { logEvidence: number; elbo: number; kl: number; gap: number } {
  const g = conjugateGaussian(d, 4, 1, seed);
  const q = gaussianProposal(g, 0.7, 1.3);
  const elbo = closedFormElbo(g, q);
  const kl = L.klDivergence(q, g.posterior).item();
  return { logEvidence: g.logEvidence, elbo, kl, gap: g.logEvidence - (elbo + kl) };
}

const fmt = (v: number, w = 10, p = 3): string => (Number.isFinite(v) ? (Math.abs(v) >= 1e5 ? v.toExponential(2) : v.toFixed(p)) : String(v)).padStart(w);

function main(): void {
  const args = process.argv.slice(2);
  const get = (name: string, def: number) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : def;
  };
  const n = get('n', 2000);
  const repeats = get('repeats', 4000);
  const seed = get('seed', 0);
  for (const [name, v] of [['n', n], ['repeats', repeats], ['seed', seed]] as const) {
    if (!Number.isInteger(v) || v < (name === 'seed' ? 0 : 2)) throw new Error(`estimators example: --${name} must be an integer >= ${name === 'seed' ? 0 : 2}, got ${v}`);
  }
  console.log(`Conjugate Gaussian: z ~ N(0, I_d), x_j | z ~ N(z, I_d), j = 1..m; n = ${n} draws per estimate.`);
  console.log('Naive: z from the prior. IS: q = the posterior with its sd widened 1.2x. relVar = Var(w) / mean(w)^2 (sample, and exact).\n');
  const header = `${'d'.padStart(3)} ${'m'.padStart(5)} ${'log p(x)'.padStart(10)} | ${'naive err'.padStart(10)} ${'relVar'.padStart(10)} ${'exact'.padStart(10)} ${'ESS'.padStart(8)} | ${'IS err'.padStart(10)} ${'relVar'.padStart(10)} ${'exact'.padStart(10)} ${'ESS'.padStart(8)}`;
  const print = (r: VarianceRow) => console.log(
    `${String(r.d).padStart(3)} ${String(r.m).padStart(5)} ${fmt(r.logEvidence)} | ${fmt(r.naive.error)} ${fmt(r.naive.relVar)} ${fmt(r.naive.exactRelVar)} ${fmt(r.naive.ess, 8, 1)} | ` +
      `${fmt(r.is.error)} ${fmt(r.is.relVar)} ${fmt(r.is.exactRelVar)} ${fmt(r.is.ess, 8, 1)}`,
  );
  console.log('As the dimension grows (m = 4):');
  console.log(header);
  for (const d of [1, 2, 4, 8, 16, 32]) print(varianceRow(d, 4, n, seed));
  console.log('\nAs the posterior narrows (d = 1, more observations):');
  console.log(header);
  for (const m of [1, 10, 100, 1000, 10000]) print(varianceRow(1, m, n, seed));

  const b = boundsByK(4, [1, 2, 4, 8, 16, 64], repeats, seed);
  console.log(`\nBounds (d = 4, q: mean shifted 0.5 sd, sd x0.8), mean over ${repeats} repeats:`);
  console.log(`  ELBO (closed form) ${b.elboClosedForm.toFixed(4)}`);
  for (const r of b.iwae) console.log(`  IWAE_${String(r.k).padEnd(3)}           ${r.mean.toFixed(4)} +- ${r.se.toFixed(4)}`);
  console.log(`  log p(x)           ${b.logEvidence.toFixed(4)}`);

  const id = identityGap(4, seed);
  console.log(`\nlog p(x) = ELBO + KL(q || p(z|x)): ${id.logEvidence.toFixed(12)} = ${id.elbo.toFixed(12)} + ${id.kl.toFixed(12)}; gap ${id.gap.toExponential(2)}`);
  const g = conjugateGaussian(4, 4, 1, seed);
  const w = L.noGrad(() => L.sampleLogWeights({ logJoint: g.logJoint, guide: g.posterior, rng: new L.Generator(seed + 3), k: 1000 }).logWeights);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of w.data) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  console.log(`q = exact posterior: 1000 sampled ELBO terms lie in [${lo.toFixed(12)}, ${hi.toFixed(12)}] (spread ${(hi - lo).toExponential(2)}), log p(x) = ${g.logEvidence.toFixed(12)}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
