// What "a model" is to the estimators and objectives: a log joint function
// of the latent draws, or a prior and a likelihood (so that the KL to the
// prior can be taken in closed form). Shapes are always samples first.
import { Tensor } from '../tensor/tensor.js';
import { add } from '../ops/index.js';
import type { Distribution } from '../distributions/distribution.js';
import { describe } from './checks.js';

/**
 * log p(x, z) at fixed observed data x, as a function of latent draws.
 *
 * Shapes (samples first): z [k, ...batch, ...event] -> [k, ...batch], where
 * `batch` indexes independent data points (a minibatch of a VAE; empty for
 * one global latent) and `event` is the shape of one latent draw. This is
 * the shape `guide.rsample(rng, [k])` gives for a guide with batch shape
 * `batch` and event shape `event`.
 *
 * @example
 * // z ~ N(0, 1), x | z ~ N(z, 0.5^2), one observation x = 1.2:
 * const logJoint: LogJoint = (z) => L.add(new Normal(0, 1).logProb(z), new Normal(z, 0.5).logProb(1.2));
 */
export type LogJoint = (z: Tensor) => Tensor;

/**
 * A latent-variable model p(x, z) = p(z) p(x | z), split so that objectives
 * can use the prior on its own (a closed-form KL(q || p(z)) through
 * `klDivergence`) and the likelihood on its own (a reconstruction term).
 * The VAE is one: `prior()` is N(0, I) over [d] (an `Independent` of
 * `Normal`s), `likelihood(z)` is the decoder's `Independent(Bernoulli)` over
 * pixels.
 *
 * Shapes (samples first):
 * - `prior()`: eventShape = the latent event shape; its batch shape must
 *   broadcast against [k, ...batch] (usually [] or [...batch]).
 * - `likelihood(z)` for z [k, ...batch, ...event]: a distribution whose
 *   `logProb(x)` of the observed x has shape [k, ...batch] (e.g. batchShape
 *   [k, ...batch], eventShape = one data point's shape, x [...batch, ...data]).
 *
 * @example
 * const model: LatentModel = {
 *   prior: () => new Independent(new Normal(zeros([d]), ones([d])), 1),
 *   likelihood: (z) => new Independent(new Bernoulli({ logits: decoder.forward(z) }), 1),
 * };
 * elbo({ model, x, guide: encoder(x), rng, analyticKL: true });   // [batch]
 */
export interface LatentModel {
  /** p(z). */
  prior(): Distribution;
  /** p(x | z) for latent draws z [k, ...batch, ...event]. */
  likelihood(z: Tensor): Distribution;
}

/**
 * The log joint of a `LatentModel` at observed data x:
 * z -> prior().logProb(z) + likelihood(z).logProb(x).
 *
 * Shapes: x as the likelihood expects ([...batch, ...data]); the result maps z [k, ...batch, ...event] -> [k, ...batch].
 *
 * @example
 * const lj = modelLogJoint(model, x);
 * lj(guide.rsample(rng, [5])).shape;   // [5, ...batch]
 */
export function modelLogJoint(model: LatentModel, x: Tensor): LogJoint {
  checkModel('modelLogJoint', model);
  return (z) => add(model.prior().logProb(z), model.likelihood(z).logProb(x));
}

/** The log likelihood of a `LatentModel` at x: z -> likelihood(z).logProb(x). Shapes as `modelLogJoint`. */
export function modelLogLikelihood(model: LatentModel, x: Tensor): LogJoint {
  checkModel('modelLogLikelihood', model);
  return (z) => model.likelihood(z).logProb(x);
}

export function checkModel(fn: string, model: unknown): asserts model is LatentModel {
  const m = model as Partial<LatentModel> | null;
  if (typeof m !== 'object' || m === null || typeof m.prior !== 'function' || typeof m.likelihood !== 'function') {
    throw new Error(`${fn}: model must be an object with prior() and likelihood(z) methods (a LatentModel), got ${describe(model)}`);
  }
}

/** Reads { logJoint } or { model, x } from options into a log joint, with errors naming the arguments. */
export function resolveLogJoint(fn: string, o: { logJoint?: unknown; model?: unknown; x?: unknown }): LogJoint {
  const hasLJ = o.logJoint !== undefined;
  const hasModel = o.model !== undefined;
  if (hasLJ === hasModel) {
    throw new Error(`${fn}: pass exactly one of logJoint (a function z -> log p(x, z)) and model (a LatentModel, with x); got ${hasLJ ? 'both' : 'neither'}`);
  }
  if (hasLJ) {
    if (typeof o.logJoint !== 'function') throw new Error(`${fn}: logJoint must be a function z -> log p(x, z), got ${describe(o.logJoint)}`);
    return o.logJoint as LogJoint;
  }
  checkModel(fn, o.model);
  if (!(o.x instanceof Tensor)) throw new Error(`${fn}: x (the observed data, a Tensor) is required with model, got ${describe(o.x)}`);
  return modelLogJoint(o.model, o.x as Tensor);
}
