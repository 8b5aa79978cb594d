// Variational objectives over a model and a guide q(z | x): the evidence
// lower bound (with the KL to the prior sampled or in closed form) and the
// importance-weighted bound. Samples first: z [k, ...batch, ...event].
import { Tensor } from '../tensor/tensor.js';
import { formatShape } from '../tensor/shape.js';
import { mean, sub } from '../ops/index.js';
import { isGradEnabled } from '../autograd/mode.js';
import type { Generator } from '../random/generator.js';
import type { Distribution } from '../distributions/distribution.js';
import { klDivergence } from '../distributions/kl.js';
import { checkDistribution, checkInteger, checkLogDensity, checkOptions, checkRng, describe } from './checks.js';
import { logmeanexp } from './logmeanexp.js';
import { checkModel, resolveLogJoint, type LatentModel, type LogJoint } from './model.js';

/** What every objective takes: the model (a log joint, or a `LatentModel` with data x), the guide, the generator and the sample count. */
export interface ObjectiveOptions {
  /** log p(x, z): z [k, ...batch, ...event] -> [k, ...batch]. Give this or `model` with `x`. */
  logJoint?: LogJoint;
  /** The model as prior and likelihood (needed for `analyticKL` and `elboTerms`). */
  model?: LatentModel;
  /** The observed data the likelihood scores, with `model`. */
  x?: Tensor;
  /** q(z) or q(z | x): batchShape [...batch], eventShape [...event]; reparameterizable (`hasRsample`) for gradients. */
  guide: Distribution;
  /** The generator the latent draws come from. */
  rng: Generator;
  /** Latent draws per data point, a positive integer (default 1). */
  k?: number;
}

/** Options of `elbo` and `elboTerms`. */
export interface ElboOptions extends ObjectiveOptions {
  /**
   * Take KL(q || p(z)) in closed form through `klDivergence(guide, model.prior())`
   * instead of sampling it (default false; needs `model`). Lower variance;
   * the VAE's usual form (Kingma and Welling 2014, eq. 10).
   */
  analyticKL?: boolean;
}

/** The ELBO and its two terms, each [...batch]. */
export interface ElboTerms {
  /** expectedLogLikelihood - kl. */
  elbo: Tensor;
  /** The reconstruction term E_q[log p(x | z)], estimated from the k draws. */
  expectedLogLikelihood: Tensor;
  /** KL(q || p(z)): in closed form with `analyticKL`, else the k-draw estimate of E_q[log q(z) - log p(z)]. */
  kl: Tensor;
}

/**
 * k latent draws from the guide: reparameterized (gradients flow to the
 * guide's parameters) when the guide allows it; a plain draw is allowed only
 * when no gradient is being recorded, because the pathwise gradient would
 * silently miss the score term.
 */
export function drawLatents(fn: string, guide: Distribution, rng: Generator, k: number): Tensor {
  if (guide.hasRsample) return guide.rsample(rng, [k]);
  if (isGradEnabled()) {
    throw new Error(
      `${fn}: guide ${guide.name} is not reparameterizable (hasRsample is false), so the ELBO has no pathwise gradient; ` +
        'train it with scoreFunctionSurrogate (REINFORCE), or evaluate inside noGrad(() => ...)',
    );
  }
  return guide.sample(rng, [k]);
}

function readCommon(fn: string, options: ObjectiveOptions): { guide: Distribution; rng: Generator; k: number } {
  checkOptions(fn, options);
  const guide = checkDistribution(fn, 'guide', options.guide);
  const rng = checkRng(fn, options.rng);
  const k = options.k === undefined ? 1 : checkInteger(fn, 'k', options.k, 1);
  return { guide, rng, k };
}

/**
 * Log importance weights log w_j = log p(x, z_j) - log q(z_j) for k draws
 * z_j ~ q (reparameterized when the guide allows, so the weights are
 * differentiable in the guide's and the model's parameters).
 *
 * Shapes: z [k, ...batch, ...event], logWeights [k, ...batch].
 *
 * @example
 * const { logWeights } = sampleLogWeights({ model, x, guide: encoder(x), rng, k: 50 });
 * iwaeBound(logWeights);   // [batch]
 */
export function sampleLogWeights(options: ObjectiveOptions): { z: Tensor; logWeights: Tensor } {
  const fn = 'sampleLogWeights';
  const { guide, rng, k } = readCommon(fn, options);
  const logJoint = resolveLogJoint(fn, options);
  return weights(fn, logJoint, guide, rng, k);
}

function weights(fn: string, logJoint: LogJoint, guide: Distribution, rng: Generator, k: number): { z: Tensor; logWeights: Tensor } {
  const z = drawLatents(fn, guide, rng, k);
  const shape = [k, ...guide.batchShape];
  const lj = checkLogDensity(fn, 'the log joint', logJoint(z), shape, 'samples first: [k, ...guide.batchShape]');
  return { z, logWeights: sub(lj, guide.logProb(z)) };
}

/**
 * The evidence lower bound
 *   ELBO(q) = E_q[log p(x, z) - log q(z)] = log p(x) - KL(q(z) || p(z | x)) <= log p(x),
 * estimated with k reparameterized draws z_j = g(eps_j; phi) from the guide:
 * (1/k) sum_j [log p(x, z_j) - log q(z_j)]. Unbiased for the ELBO, and
 * differentiable: its gradient is the reparameterization (pathwise)
 * estimator of the ELBO's gradient. With `analyticKL` and a `model`, the
 * split form E_q[log p(x | z)] - KL(q || p(z)) is used with the KL in closed
 * form (see `elboTerms`).
 *
 * When q is the exact posterior every draw gives log p(x, z) - log q(z) = log p(x):
 * the sampled estimate has zero variance (the analytic-KL form does not, as
 * its likelihood term still varies with z).
 *
 * Paper: Kingma and Welling, "Auto-encoding variational Bayes", ICLR 2014
 * (eqs. 3, 6, 7 and 10); Rezende, Mohamed and Wierstra, "Stochastic
 * backpropagation and approximate inference in deep generative models", ICML 2014;
 * Blei, Kucukelbir and McAuliffe, "Variational inference: a review for statisticians", JASA 2017, eq. 13.
 *
 * Shapes: guide batchShape [...batch], eventShape [...event]; the log joint
 * maps z [k, ...batch, ...event] -> [k, ...batch]; the result is [...batch]
 * (one bound per data point: average it for a minibatch loss).
 *
 * @example
 * const q = new Independent(new Normal(mu, sigma), 1);        // [B] x [d], from an encoder
 * const bound = elbo({ model, x, guide: q, rng, analyticKL: true });   // [B]
 * neg(mean(bound)).backward();                                // gradients for encoder and decoder
 */
export function elbo(options: ElboOptions): Tensor {
  const fn = 'elbo';
  const { guide, rng, k } = readCommon(fn, options);
  if (options.analyticKL !== undefined && typeof options.analyticKL !== 'boolean') {
    throw new Error(`${fn}: analyticKL must be a boolean, got ${describe(options.analyticKL)}`);
  }
  if (options.analyticKL) return terms(fn, options, guide, rng, k).elbo;
  const logJoint = resolveLogJoint(fn, options);
  return mean(weights(fn, logJoint, guide, rng, k).logWeights, 0);
}

/**
 * The ELBO as its two terms, E_q[log p(x | z)] (reconstruction) and
 * KL(q || p(z)) (closed form with `analyticKL`, else sampled from the same
 * k draws), so an objective can weight them: the beta-VAE's
 * expectedLogLikelihood - beta * kl (Higgins et al., ICLR 2017), or a
 * capacity target (Burgess et al. 2018). Needs `model` and `x`.
 *
 * Paper: Kingma and Welling, ICLR 2014, eq. 7 (the split) and appendix B (the Gaussian KL).
 *
 * Shapes: each term [...batch] (guide batchShape).
 *
 * @example
 * const { expectedLogLikelihood, kl } = elboTerms({ model, x, guide, rng, analyticKL: true });
 * const betaVae = sub(expectedLogLikelihood, mul(kl, 4));   // [B]
 */
export function elboTerms(options: ElboOptions): ElboTerms {
  const fn = 'elboTerms';
  const { guide, rng, k } = readCommon(fn, options);
  return terms(fn, options, guide, rng, k);
}

function terms(fn: string, options: ElboOptions, guide: Distribution, rng: Generator, k: number): ElboTerms {
  if (options.logJoint !== undefined || options.model === undefined) {
    throw new Error(`${fn}: ${options.analyticKL ? 'analyticKL needs' : 'the split into terms needs'} model (a LatentModel with prior() and likelihood(z)) and x, not logJoint`);
  }
  checkModel(fn, options.model);
  const model = options.model;
  const x = options.x;
  if (!(x instanceof Tensor)) throw new Error(`${fn}: x (the observed data, a Tensor) is required with model, got ${describe(x)}`);
  const batch = guide.batchShape;
  const z = drawLatents(fn, guide, rng, k);
  const shape = [k, ...batch];
  const ll = checkLogDensity(fn, 'model.likelihood(z).logProb(x)', model.likelihood(z).logProb(x), shape, 'samples first: [k, ...guide.batchShape]');
  const expectedLogLikelihood = mean(ll, 0);
  const prior = model.prior();
  checkDistribution(fn, 'model.prior()', prior);
  let kl: Tensor;
  if (options.analyticKL) {
    kl = klDivergence(guide, prior);
    if (kl.shape.join() !== batch.join()) {
      throw new Error(
        `${fn}: KL(guide || prior) has shape ${formatShape(kl.shape)}, expected the guide's batch shape ${formatShape(batch)} ` +
          `(guide ${guide.toString()}, prior ${prior.toString()})`,
      );
    }
  } else {
    const lp = checkLogDensity(fn, 'model.prior().logProb(z)', prior.logProb(z), shape, 'samples first: [k, ...guide.batchShape]');
    kl = mean(sub(guide.logProb(z), lp), 0);
  }
  return { elbo: sub(expectedLogLikelihood, kl), expectedLogLikelihood, kl };
}

/**
 * The importance-weighted bound (IWAE) on log p(x):
 *   L_k = E[log (1/k) sum_j p(x, z_j) / q(z_j)],  z_1..z_k ~ q iid,
 * with L_1 = ELBO <= L_k <= L_{k+1} <= log p(x), and L_k -> log p(x) as
 * k -> infinity when the weights are bounded (Burda, Grosse and
 * Salakhutdinov, "Importance weighted autoencoders", ICLR 2016, Theorem 1).
 *
 * Two forms:
 * - `iwaeBound(logWeights)`: logmeanexp over the first axis of given log
 *   weights [k, ...batch] -> [...batch].
 * - `iwaeBound({ model, x, guide, rng, k })` (or `{ logJoint, guide, rng, k }`):
 *   draws k reparameterized latents per data point and returns the one-draw
 *   estimate of L_k, [...batch]. Differentiable; its gradient weights each
 *   draw's gradient by its normalized importance weight (Burda et al., eq. 14).
 *
 * The estimate of L_k is unbiased for L_k but, as an estimate of log p(x),
 * biased low (the same Jensen gap as `importanceSampling`'s logEstimate).
 *
 * Shapes: logWeights [k, ...batch] -> [...batch].
 *
 * @example
 * iwaeBound(tensor([[-1], [-3]])).toArray();              // [log((e^-1 + e^-3) / 2)] = [~-1.566]
 * const lk = iwaeBound({ model, x, guide: encoder(x), rng, k: 50 });   // [B]
 */
export function iwaeBound(logWeights: Tensor): Tensor;
export function iwaeBound(options: ObjectiveOptions): Tensor;
export function iwaeBound(arg: Tensor | ObjectiveOptions): Tensor {
  if (arg instanceof Tensor) {
    if (arg.rank < 1) throw new Error('iwaeBound: logWeights must have shape [k, ...batch] (samples first), got a scalar');
    if (arg.shape[0] < 1) throw new Error('iwaeBound: logWeights has k = 0 samples along its first axis; k must be >= 1');
    return logmeanexp(arg, 0);
  }
  const fn = 'iwaeBound';
  const { guide, rng, k } = readCommon(fn, arg);
  const logJoint = resolveLogJoint(fn, arg);
  return logmeanexp(weights(fn, logJoint, guide, rng, k).logWeights, 0);
}
