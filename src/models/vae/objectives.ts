import { Tensor } from '../../tensor/tensor.js';
import { abs, exp, gaussianKLStandard, maximum, mean, mul, neg, sub, add, sum, logsumexp } from '../../ops/index.js';
import { Normal, klDivergence } from '../../distributions/index.js';
import type { Generator } from '../../random/generator.js';
import type { VAE } from './vae.js';
import { FlowPosteriorDistribution } from './flow-posterior.js';

/**
 * A minibatch: images, optional conditions (one-hot y), an optional
 * likelihood mask `mask` (1 = pixel counted in log p(x | z)) and an
 * optional `inputMask` (1 = pixel shown to the encoder, which then sees
 * x ⊙ inputMask; see `VAE.posterior`). Training on partially observed data
 * sets both to the observation mask; denoising-style training on complete
 * data sets only `inputMask` (`maskedBatch` in inpaint.ts builds either).
 */
export interface Batch {
  x: Tensor;
  y?: Tensor;
  mask?: Tensor;
  inputMask?: Tensor;
}

export interface ObjectiveResult {
  /** The scalar to minimize: minus the objective, averaged over the batch. */
  loss: Tensor;
  /** Per-example means in nats: `elbo` (the plain ELBO), `rec` (E log p(x|z)), `kl`, and the objective's own `bound`. */
  stats: Record<string, number>;
}

/**
 * How the ELBO's terms are combined. Variants of the VAE are objectives
 * over one model, as in Pyro (Trace_ELBO, RenyiELBO), not copies of it.
 *
 * - `elbo`: E_q[log p(x|z)] - beta_t KL(q(z|x) || p(z)), with beta_t rising
 *   linearly from 0 to `beta` over `warmupSteps` (KL warm-up: Bowman et al.
 *   2016, Sønderby et al. 2016) and optionally free bits: each latent
 *   dimension's batch-mean KL counted as at least `freeBits` nats (Kingma et
 *   al. 2016, "Improved Variational Inference with Inverse Autoregressive
 *   Flow", §C.8). beta > 1 is the beta-VAE (Higgins et al. 2017). The KL is
 *   the closed form from the registry, or a one-sample estimate with
 *   `analyticKL: false`.
 * - `capacity`: E_q[log p(x|z)] - gamma |KL - C_t|, C_t rising linearly to
 *   `maxCapacity` nats over `capacitySteps` (Burgess et al. 2018,
 *   "Understanding disentangling in beta-VAE").
 * - `iwae`: the importance-weighted bound with k samples,
 *   log (1/k) sum_i p(x, z_i) / q(z_i | x) (Burda, Grosse & Salakhutdinov 2016).
 */
export type ObjectiveSpec =
  | { kind: 'elbo'; beta?: number; warmupSteps?: number; freeBits?: number; analyticKL?: boolean }
  | { kind: 'capacity'; gamma: number; maxCapacity: number; capacitySteps: number }
  | { kind: 'iwae'; k: number };

export interface Objective {
  readonly spec: ObjectiveSpec;
  /** Evaluates the objective on a batch at optimizer step `step` (schedules depend on it). */
  evaluate(model: VAE, batch: Batch, rng: Generator, step: number): ObjectiveResult;
}

function finiteNonNeg(v: number | undefined, name: string, kind: string): void {
  if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new Error(`objective ${kind}: ${name} must be a finite number >= 0, got ${v}`);
}

/** Validates a spec and returns the objective. */
export function makeObjective(spec: ObjectiveSpec): Objective {
  switch (spec.kind) {
    case 'elbo':
      finiteNonNeg(spec.beta, 'beta', 'elbo');
      finiteNonNeg(spec.warmupSteps, 'warmupSteps', 'elbo');
      finiteNonNeg(spec.freeBits, 'freeBits', 'elbo');
      return { spec, evaluate: (m, b, r, s) => elboObjective(spec, m, b, r, s) };
    case 'capacity':
      finiteNonNeg(spec.gamma, 'gamma', 'capacity');
      finiteNonNeg(spec.maxCapacity, 'maxCapacity', 'capacity');
      finiteNonNeg(spec.capacitySteps, 'capacitySteps', 'capacity');
      return { spec, evaluate: (m, b, r, s) => capacityObjective(spec, m, b, r, s) };
    case 'iwae':
      if (!Number.isInteger(spec.k) || spec.k < 1) throw new Error(`objective iwae: k must be a positive integer, got ${spec.k}`);
      return { spec, evaluate: (m, b, r) => iwaeObjective(spec.k, m, b, r) };
    default:
      throw new Error(`objective: unknown kind ${JSON.stringify((spec as { kind: unknown }).kind)}; expected elbo, capacity or iwae`);
  }
}

/**
 * Per-example reconstruction term, KL and per-dimension KL for one
 * reparameterized sample. A flow posterior has no closed-form KL; with
 * log q(z_K | x) = log q_0(z_0 | x) - sum_k log |det J_k| (Rezende & Mohamed
 * 2015, eq. 13) it is split as
 *   KL(q_0 || p) + [log p(z_0) - log p(z_K) - sum_k log |det J_k|],
 * the first term in closed form and the bracket at the draw: the same
 * expectation as log q(z_K | x) - log p(z_K) at the draw, but the noise of
 * the Gaussian part is gone, and a flow at the identity gives exactly the
 * Gaussian VAE's objective. `analyticKL: false` uses
 * log q(z_K | x) - log p(z_K) at the draw. No per-dimension split (klDims null).
 */
function terms(model: VAE, batch: Batch, rng: Generator, analyticKL = true) {
  const q = model.posterior(batch.x, batch.y, batch.inputMask);
  if (q.dist instanceof FlowPosteriorDistribution) {
    const { z, z0, logDet } = q.dist.rsampleWithLogDet(rng);
    const rec = model.logLikelihood(batch.x, z, batch.y, batch.mask);
    const prior = model.prior([z.shape[0]], z.dtype);
    if (!analyticKL) return { rec, kl: sub(q.dist.logProb(z), prior.logProb(z)), klDims: null };
    const kl0 = gaussianKLStandard(q.mu, q.logvar);
    return { rec, kl: add(kl0, sub(sub(prior.logProb(z0), prior.logProb(z)), logDet)), klDims: null };
  }
  const z = q.dist.rsample(rng);
  const rec = model.logLikelihood(batch.x, z, batch.y, batch.mask);
  // The closed-form KL to N(0, I) in one fused pass; per dimension (from the registry) only when free bits ask for it.
  const klDims = () => klDivergence(new Normal(q.mu, exp(mul(q.logvar, 0.5)), { validateArgs: false }), new Normal(0, 1, { validateArgs: false }));
  const kl = analyticKL ? gaussianKLStandard(q.mu, q.logvar) : sub(q.dist.logProb(z), model.prior([z.shape[0]], z.dtype).logProb(z));
  return { rec, kl, klDims };
}

const ramp = (step: number, steps: number | undefined) => (steps && steps > 0 ? Math.min(1, step / steps) : 1);

function elboObjective(spec: Extract<ObjectiveSpec, { kind: 'elbo' }>, model: VAE, batch: Batch, rng: Generator, step: number): ObjectiveResult {
  const { rec, kl, klDims } = terms(model, batch, rng, spec.analyticKL ?? true);
  const beta = (spec.beta ?? 1) * ramp(step, spec.warmupSteps);
  if (spec.freeBits && !klDims) throw new Error('objective elbo: free bits need the KL of each latent dimension, which a flow posterior does not split into; drop freeBits or the flow');
  // Free bits act on each dimension's KL averaged over the batch.
  const klTerm = spec.freeBits ? sum(maximum(mean(klDims!(), 0), spec.freeBits)) : mean(kl);
  const loss = sub(mul(klTerm, beta), mean(rec));
  return { loss, stats: stats(rec, kl, neg(loss).item()) };
}

function capacityObjective(spec: Extract<ObjectiveSpec, { kind: 'capacity' }>, model: VAE, batch: Batch, rng: Generator, step: number): ObjectiveResult {
  const { rec, kl } = terms(model, batch, rng);
  const c = spec.maxCapacity * ramp(step, spec.capacitySteps);
  const loss = sub(mul(mean(abs(sub(kl, c))), spec.gamma), mean(rec));
  return { loss, stats: { ...stats(rec, kl, neg(loss).item()), capacity: c } };
}

/** log w_i = log p(x | z_i) + log p(z_i) - log q(z_i | x), [k, B]; with a flow posterior log q is the flow's own, from the draw. */
export function logImportanceWeights(model: VAE, batch: Batch, rng: Generator, k: number): Tensor {
  const q = model.posterior(batch.x, batch.y, batch.inputMask);
  const z = q.dist.rsample(rng, [k]); // [k, B, latent]
  const logPz = model.prior([k, z.shape[1]], z.dtype).logProb(z);
  return sub(add(model.logLikelihood(batch.x, z, batch.y, batch.mask), logPz), q.dist.logProb(z));
}

function iwaeObjective(k: number, model: VAE, batch: Batch, rng: Generator): ObjectiveResult {
  const logw = logImportanceWeights(model, batch, rng, k);
  const bound = sub(logsumexp(logw, 0), Math.log(k));
  const loss = neg(mean(bound));
  return { loss, stats: { bound: -loss.item(), elbo: mean(logw).item() } };
}

function stats(rec: Tensor, kl: Tensor, bound: number): Record<string, number> {
  const r = mean(rec).item();
  const k = mean(kl).item();
  return { elbo: r - k, rec: r, kl: k, bound };
}
