// Monte Carlo estimators of the marginal likelihood p(x) = E_{p(z)}[p(x | z)]:
// the naive estimator (latents from the prior, or uniform over a box) and
// importance sampling with a proposal q, with the diagnostics that show why
// the first fails and the second need not (the variance of the weights).
import { Tensor, arrayFor } from '../tensor/tensor.js';
import { formatShape, sizeOf } from '../tensor/shape.js';
import { add, concat, sub } from '../ops/index.js';
import { noGrad } from '../autograd/mode.js';
import type { Generator } from '../random/generator.js';
import type { Distribution } from '../distributions/distribution.js';
import { Independent } from '../distributions/independent.js';
import { Uniform } from '../distributions/uniform.js';
import { checkDistribution, checkFunction, checkInteger, checkLogDensity, checkOptions, checkRng, describe } from './checks.js';
import type { LogJoint } from './model.js';

/**
 * An estimate of p(x) from n weighted draws, with the spread of the weights.
 * Every field but `n` and `logWeights` has shape [...batch] (one value per
 * independent data point); weights w_i are p(x, z_i) / q(z_i) for the
 * proposal q (the prior, for the naive estimator, where w_i = p(x | z_i)).
 */
export interface MarginalLikelihoodEstimate {
  /**
   * log p^(x) = logmeanexp_i log w_i. Consistent, but biased low for finite
   * n: by Jensen's inequality E[log p^] <= log E[p^] = log p(x). This is the
   * number to report (p^ itself underflows for realistic data).
   */
  logEstimate: Tensor;
  /** p^(x) = (1/n) sum_i w_i: unbiased, E[p^] = p(x); underflows to 0 when log p(x) is below about -745. */
  estimate: Tensor;
  /** log w_i, [n, ...batch]. */
  logWeights: Tensor;
  /**
   * The sample relative variance of the weights, Var(w) / mean(w)^2 (the
   * squared coefficient of variation, with the n - 1 divisor), computed
   * without leaving log space. The relative variance of p^ is this over n.
   * NaN for n = 1 or when every weight is 0.
   */
  relativeVariance: Tensor;
  /** log of the estimated variance of p^, log(Var(w) / n); -Infinity when every weight is 0. */
  logVariance: Tensor;
  /** The effective sample size (sum_i w_i)^2 / sum_i w_i^2, in [1, n] (Kong 1992); 0 when every weight is 0. */
  ess: Tensor;
  /** The number of draws. */
  n: number;
}

/**
 * The estimate, relative variance, effective sample size and log variance
 * of p^ from log importance weights (samples first). The weights are used
 * relative to their log mean, r_i = exp(log w_i - log p^), so nothing
 * overflows: Var(w)/mean(w)^2 = sum_i (r_i - 1)^2 / (n - 1) and
 * ESS = n^2 / sum_i r_i^2.
 *
 * Shapes: logWeights [n, ...batch] -> each field [...batch].
 *
 * @example
 * const s = weightDiagnostics(tensor([0, 0, 0, 0]));
 * s.ess.item();                // 4 (equal weights)
 * s.relativeVariance.item();   // 0
 */
export function weightDiagnostics(logWeights: Tensor): MarginalLikelihoodEstimate {
  if (!(logWeights instanceof Tensor) || logWeights.rank < 1) {
    throw new Error(`weightDiagnostics: logWeights must be a Tensor [n, ...batch], got ${describe(logWeights)}`);
  }
  const n = logWeights.shape[0];
  if (n < 1) throw new Error('weightDiagnostics: logWeights has no samples (its first dimension is 0)');
  const batch = logWeights.shape.slice(1);
  const m = sizeOf(batch);
  const lw = logWeights.data;
  const dtype = logWeights.dtype;
  const out = {
    logEstimate: arrayFor(dtype, m), estimate: arrayFor(dtype, m), relativeVariance: arrayFor(dtype, m),
    logVariance: arrayFor(dtype, m), ess: arrayFor(dtype, m),
  };
  for (let b = 0; b < m; b++) {
    let mx = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = lw[i * m + b];
      if (Number.isNaN(v)) throw new Error(`weightDiagnostics: logWeights has NaN at sample ${i}`);
      if (v > mx) mx = v;
    }
    if (mx === -Infinity) {
      out.logEstimate[b] = -Infinity;
      out.estimate[b] = 0;
      out.relativeVariance[b] = NaN;
      out.logVariance[b] = -Infinity;
      out.ess[b] = 0;
      continue;
    }
    if (mx === Infinity) throw new Error(`weightDiagnostics: logWeights has +Infinity (an infinite weight) in batch entry ${b}`);
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.exp(lw[i * m + b] - mx);
    const lme = mx + Math.log(s / n);
    let dev = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const r = Math.exp(lw[i * m + b] - lme);
      dev += (r - 1) * (r - 1);
      sq += r * r;
    }
    const rv = n > 1 ? dev / (n - 1) : NaN;
    out.logEstimate[b] = lme;
    out.estimate[b] = Math.exp(lme);
    out.relativeVariance[b] = rv;
    out.logVariance[b] = 2 * lme + Math.log(rv) - Math.log(n);
    out.ess[b] = (n * n) / sq;
  }
  const t = (d: Float32Array | Float64Array) => new Tensor(d, batch);
  return {
    logEstimate: t(out.logEstimate), estimate: t(out.estimate), logWeights, relativeVariance: t(out.relativeVariance),
    logVariance: t(out.logVariance), ess: t(out.ess), n,
  };
}

/** Options of `importanceSampling`. */
export interface ImportanceSamplingOptions {
  /** Draws, a positive integer. */
  n: number;
  /** The generator the draws come from. */
  rng: Generator;
  /** Draw and evaluate at most this many samples at a time (bounds memory for big models); default n. */
  chunkSize?: number;
}

/**
 * Draws n samples in chunks from `sampler`, returning their log weights
 * (samples first) checked for shape and NaN.
 */
function drawLogWeights(
  fn: string, n: number, chunkSize: number, draw: (count: number) => Tensor, logWeight: (z: Tensor) => Tensor,
  what: string, batch: readonly number[] | null,
): Tensor {
  const parts: Tensor[] = [];
  for (let done = 0; done < n; done += chunkSize) {
    const count = Math.min(chunkSize, n - done);
    const z = draw(count);
    const lw = logWeight(z);
    if (!(lw instanceof Tensor)) throw new Error(`${fn}: ${what} must return a Tensor, got ${describe(lw)}`);
    const expected = batch ? [count, ...batch] : [count, ...lw.shape.slice(1)];
    if (lw.rank < 1) throw new Error(`${fn}: ${what} returned shape ${formatShape(lw.shape)}, expected [${count}, ...batch] (samples first)`);
    parts.push(checkLogDensity(fn, what, lw, expected, `samples first: [n, ...batch] for z of shape ${formatShape(z.shape)}`));
    if (parts.length > 1 && parts[0].shape.slice(1).join() !== lw.shape.slice(1).join()) {
      throw new Error(`${fn}: ${what} returned batch shape ${formatShape(lw.shape.slice(1))} for one chunk and ${formatShape(parts[0].shape.slice(1))} for another`);
    }
  }
  return parts.length === 1 ? parts[0] : concat(parts, 0);
}

function checkCounts(fn: string, options: ImportanceSamplingOptions): { n: number; chunk: number; rng: Generator } {
  checkOptions(fn, options);
  const n = checkInteger(fn, 'n', options.n, 1);
  const chunk = options.chunkSize === undefined ? n : checkInteger(fn, 'chunkSize', options.chunkSize, 1);
  return { n, chunk, rng: checkRng(fn, options.rng) };
}

/**
 * The importance-sampling estimate of the marginal likelihood,
 * p(x) = E_q[p(x, z) / q(z)] ~ (1/n) sum_i w_i with w_i = p(x, z_i) / q(z_i),
 * z_i ~ q: unbiased for p(x) whenever q(z) > 0 wherever p(x, z) > 0. Its
 * relative variance is Var_q(w) / (n p(x)^2) = (E_q[w^2] / p(x)^2 - 1) / n =
 * chi^2(p(z | x) || q) / n, small when q is close to the posterior and 0
 * when q is the posterior itself. `logEstimate` = logmeanexp(log w) is the
 * number to report; it is biased low (Jensen), by about relVar / (2n) nats
 * for large n. With q = the guide of a VAE and n = k this is the IWAE
 * bound's estimator (Burda et al. 2016); with a large n it is the standard
 * held-out log-likelihood estimate.
 *
 * Runs without recording gradients (it is an estimate, not an objective:
 * use `iwaeBound` or `elbo` to train).
 *
 * Reference: Bishop, Pattern Recognition and Machine Learning, §11.1.4;
 * Owen, Monte Carlo theory, methods and examples, ch. 9.
 *
 * Shapes: proposal with batchShape [...batch], eventShape [...event];
 * logJoint maps z [n, ...batch, ...event] -> [n, ...batch]; every result
 * field is [...batch] (see `MarginalLikelihoodEstimate`).
 *
 * @example
 * // z ~ N(0, 1), x | z ~ N(z, 0.5^2), x = 1.2: the exact posterior is N(0.96, 0.2).
 * const logJoint = (z: Tensor) => add(new Normal(0, 1).logProb(z), new Normal(z, 0.5).logProb(1.2));
 * const r = importanceSampling(logJoint, new Normal(0.96, Math.sqrt(0.2)), { n: 1000, rng: new Generator(0) });
 * r.logEstimate.item();   // log N(1.2; 0, 1.25) = ~-1.607, to float32 rounding (every weight equals p(x))
 */
export function importanceSampling(logJoint: LogJoint, proposal: Distribution, options: ImportanceSamplingOptions): MarginalLikelihoodEstimate {
  const fn = 'importanceSampling';
  checkFunction(fn, 'logJoint', logJoint);
  checkDistribution(fn, 'proposal', proposal);
  const { n, chunk, rng } = checkCounts(fn, options);
  return noGrad(() => {
    const lw = drawLogWeights(
      fn, n, chunk, (c) => proposal.sample(rng, [c]),
      (z) => {
        const lj = checkLogDensity(fn, 'logJoint', logJoint(z), [z.shape[0], ...proposal.batchShape], 'samples first: [n, ...proposal.batchShape]');
        return sub(lj, proposal.logProb(z));
      },
      'logJoint(z) - proposal.logProb(z)', proposal.batchShape,
    );
    return weightDiagnostics(lw);
  });
}

/** Options of `naiveMonteCarlo`. */
export interface NaiveMonteCarloOptions extends ImportanceSamplingOptions {
  /**
   * Draw z uniformly over this box instead of from the prior: low and high
   * have the prior's event shape (numbers for a scalar latent). The estimate
   * is then vol(box) * mean_i p(x | z_i) p(z_i), which misses the mass of
   * p(x, z) outside the box (biased low unless the box holds it all).
   */
  box?: { low: Tensor | number; high: Tensor | number };
}

/**
 * The naive Monte Carlo estimate of the marginal likelihood,
 * p(x) = E_{p(z)}[p(x | z)] ~ (1/n) sum_i p(x | z_i) with z_i ~ p(z): unbiased,
 * but its relative variance is chi^2(p(z | x) || p(z)) / n, which grows
 * exponentially with the number of latent dimensions and as the posterior
 * narrows (more data), because almost no prior draw lands where the
 * posterior has its mass. It is importance sampling with the prior as the
 * proposal (the weights are the likelihoods). With `box`, z is uniform over
 * a box of volume V instead and the weights are V p(x | z) p(z) (the
 * quadrature-like estimator, no better in high dimension).
 *
 * Runs without recording gradients. `logEstimate` is biased low (Jensen).
 *
 * Reference: Bishop, PRML §11.1; Neal, "Annealed importance sampling", 2001, §1 (why it fails).
 *
 * Shapes: prior with eventShape [...event]; logLikelihood maps z [n, ...priorBatch, ...event]
 * -> [n, ...batch]; results [...batch].
 *
 * @example
 * const logLik = (z: Tensor) => new Normal(z, 0.5).logProb(1.2);           // [n]
 * naiveMonteCarlo(logLik, new Normal(0, 1), { n: 10000, rng }).logEstimate.item();   // ~-1.607 (relative variance ~1.8 per draw)
 * naiveMonteCarlo(logLik, new Normal(0, 1), { n: 10000, rng, box: { low: -5, high: 5 } });
 */
export function naiveMonteCarlo(
  logLikelihood: (z: Tensor) => Tensor, prior: Distribution, options: NaiveMonteCarloOptions,
): MarginalLikelihoodEstimate {
  const fn = 'naiveMonteCarlo';
  checkFunction(fn, 'logLikelihood', logLikelihood);
  checkDistribution(fn, 'prior', prior);
  const { n, chunk, rng } = checkCounts(fn, options);
  const box = options.box;
  return noGrad(() => {
    let draw: (count: number) => Tensor;
    let logWeight: (z: Tensor) => Tensor;
    if (box === undefined) {
      draw = (c) => prior.sample(rng, [c]);
      logWeight = (z) => logLikelihood(z);
    } else {
      const u = boxDistribution(fn, box, prior);
      draw = (c) => u.sample(rng, [c]);
      logWeight = (z) => {
        const ll = logLikelihood(z);
        if (!(ll instanceof Tensor)) throw new Error(`${fn}: logLikelihood must return a Tensor, got ${describe(ll)}`);
        // Uniform logProb is -log V inside the box: log w = log p(x|z) + log p(z) + log V.
        return sub(add(ll, prior.logProb(z)), u.logProb(z));
      };
    }
    return weightDiagnostics(drawLogWeights(fn, n, chunk, draw, logWeight, 'logLikelihood', null));
  });
}

function boxDistribution(fn: string, box: { low: Tensor | number; high: Tensor | number }, prior: Distribution): Distribution {
  if (typeof box !== 'object' || box === null) throw new Error(`${fn}: box must be { low, high }, got ${describe(box)}`);
  const ev = prior.eventShape;
  const asT = (v: Tensor | number, name: string): Tensor => {
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new Error(`${fn}: box.${name} must be finite, got ${v}`);
      const d = arrayFor(prior.dtype, sizeOf(ev));
      d.fill(v);
      return new Tensor(d, ev);
    }
    if (!(v instanceof Tensor)) throw new Error(`${fn}: box.${name} must be a Tensor or a number, got ${describe(v)}`);
    if (v.shape.join() !== ev.join()) {
      throw new Error(`${fn}: box.${name} has shape ${formatShape(v.shape)}, expected the prior's event shape ${formatShape(ev)}`);
    }
    for (let i = 0; i < v.size; i++) {
      if (!Number.isFinite(v.data[i])) throw new Error(`${fn}: box.${name} must be finite, got ${v.data[i]} at flat index ${i}`);
    }
    return v;
  };
  const lo = asT(box.low, 'low');
  const hi = asT(box.high, 'high');
  for (let i = 0; i < lo.size; i++) {
    if (!(lo.data[i] < hi.data[i])) throw new Error(`${fn}: box.low must be below box.high, got ${lo.data[i]} >= ${hi.data[i]} at flat index ${i}`);
  }
  const u = new Uniform(lo, hi);
  return ev.length > 0 ? new Independent(u, ev.length) : u;
}
