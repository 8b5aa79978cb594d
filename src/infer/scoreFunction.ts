// The score-function (REINFORCE, likelihood-ratio) gradient of an
// expectation under a distribution that cannot be reparameterized, such as
// a discrete latent, with variance-reducing baselines.
import { Tensor, arrayFor } from '../tensor/tensor.js';
import { broadcastShapes, formatShape } from '../tensor/shape.js';
import { add, mean, mul, square, sub, sum } from '../ops/index.js';
import { grad, noGrad } from '../autograd/index.js';
import type { Generator } from '../random/generator.js';
import type { Distribution } from '../distributions/distribution.js';
import { checkDistribution, checkFinite, checkFunction, checkInteger, checkLogDensity, checkOptions, checkRng, describe } from './checks.js';

/**
 * A running average of the objective, c <- decay c + (1 - decay) mean(f),
 * used as a baseline: the "centering" of Mnih and Gregor, "Neural
 * variational inference and learning in belief networks", ICML 2014, §3.3.
 * It is read before it is updated with the current draws, so it does not
 * depend on them and the gradient stays unbiased.
 *
 * @example
 * const baseline = new MovingAverageBaseline(0.9);
 * for (...) scoreFunctionSurrogate({ guide, f, rng, k: 4, baseline }).surrogate ...;   // updates itself each call
 */
export class MovingAverageBaseline {
  readonly decay: number;
  /** The current average; null until the first update (a baseline of 0 is used before it). */
  value: number | null = null;

  constructor(decay = 0.9) {
    if (typeof decay !== 'number' || !(decay >= 0 && decay < 1)) {
      throw new Error(`MovingAverageBaseline: decay must be in [0, 1), got ${describe(decay)}`);
    }
    this.decay = decay;
  }

  /** Folds in a new batch mean. */
  update(batchMean: number): void {
    checkFinite('MovingAverageBaseline.update', 'batchMean', batchMean);
    this.value = this.value === null ? batchMean : this.decay * this.value + (1 - this.decay) * batchMean;
  }
}

/** Options of `scoreFunctionSurrogate` and `scoreFunctionGradient`. */
export interface ScoreFunctionOptions {
  /** q_phi(z): sampled without gradient; its `logProb` must be differentiable in phi. batchShape [...batch]. */
  guide: Distribution;
  /**
   * The integrand f(z): z [k, ...batch, ...event] -> [k, ...batch]. It may
   * itself depend on parameters (the ELBO's f = log p(x, z) - log q(z) does);
   * that direct gradient is included.
   */
  f: (z: Tensor) => Tensor;
  /** The generator the draws come from. */
  rng: Generator;
  /** Draws, a positive integer (default 1; `leaveOneOut` needs >= 2). */
  k?: number;
  /**
   * Subtracted from f in the score term; any b independent of the draw it
   * multiplies keeps the gradient unbiased (E_q[grad log q] = 0):
   * - a number, or a Tensor broadcasting to [...batch] (e.g. the output of a
   *   learned, input-dependent baseline network, trained by `baselineLoss`; Mnih and Gregor 2014 §3.3);
   * - `'leaveOneOut'`: b_j = the mean of f over the other k - 1 draws (Kool,
   *   van Hoof and Welling, "Buy 4 REINFORCE samples, get a baseline for free!", ICLR 2019 workshop;
   *   the VIMCO idea of Mnih and Rezende, ICML 2016, for the plain mean);
   * - a `MovingAverageBaseline` (read, then updated with this batch's mean);
   * - omitted: no baseline (b = 0), plain REINFORCE.
   */
  baseline?: number | Tensor | 'leaveOneOut' | MovingAverageBaseline;
}

/** What `scoreFunctionSurrogate` returns. */
export interface ScoreFunctionResult {
  /**
   * A surrogate objective whose value is the k-draw estimate of E_q[f] and
   * whose gradient is the score-function estimate of grad E_q[f]:
   * (1/k) sum_j [f(z_j) + stop(f(z_j) - b_j) (log q(z_j) - stop(log q(z_j)))].
   * Shape [...batch]; maximize it (or minimize its negation).
   */
  surrogate: Tensor;
  /** The k-draw estimate of E_q[f], without gradient. [...batch]. */
  value: Tensor;
  /** The draws, [k, ...batch, ...event]. */
  z: Tensor;
  /** f at the draws, without gradient. [k, ...batch]. */
  f: Tensor;
  /**
   * For a Tensor baseline: (1/k) sum_j (stop(f(z_j)) - b)^2, [...batch];
   * minimizing it trains a learned baseline toward E[f | x]. Null otherwise.
   */
  baselineLoss: Tensor | null;
}

/**
 * The score-function (REINFORCE) estimator of the gradient of an
 * expectation, as a surrogate to differentiate:
 *   grad_phi E_{q_phi}[f_phi(z)] = E_q[grad_phi f_phi(z) + (f_phi(z) - b) grad_phi log q_phi(z)]
 * for any b that does not depend on z (Williams, "Simple statistical
 * gradient-following algorithms for connectionist reinforcement learning",
 * Machine Learning 8, 1992; Glynn 1990). It needs only log q and samples,
 * so it works for discrete latents where `rsample` does not exist. The
 * estimate is unbiased; the baseline only changes its variance (Mnih and
 * Gregor, ICML 2014). For the ELBO of a discrete-latent model, f is
 * z -> log p(x, z) - log q(z).
 *
 * Shapes: guide batchShape [...batch]; f: [k, ...batch, ...event] -> [k, ...batch];
 * surrogate, value [...batch].
 *
 * @example
 * const q = new Categorical({ logits });                      // logits [K] with requiresGrad
 * const { surrogate } = scoreFunctionSurrogate({ guide: q, f: (z) => reward(z), rng, k: 8, baseline: 'leaveOneOut' });
 * const [g] = grad(surrogate, [logits]);                      // an unbiased estimate of grad E_q[reward]
 */
export function scoreFunctionSurrogate(options: ScoreFunctionOptions): ScoreFunctionResult {
  const fn = 'scoreFunctionSurrogate';
  checkOptions(fn, options);
  const guide = checkDistribution(fn, 'guide', options.guide);
  checkFunction(fn, 'f', options.f);
  const rng = checkRng(fn, options.rng);
  const k = options.k === undefined ? 1 : checkInteger(fn, 'k', options.k, 1);
  const baseline = options.baseline;
  if (baseline === 'leaveOneOut' && k < 2) throw new Error(`${fn}: baseline 'leaveOneOut' needs k >= 2 draws, got k = ${k}`);
  const batch = guide.batchShape;
  const z = guide.sample(rng, [k]);
  const fz = checkLogDensity(fn, 'f', options.f(z), [k, ...batch], 'samples first: [k, ...guide.batchShape]');
  const logq = guide.logProb(z);
  const fd = fz.detach();
  let b: Tensor | number;
  let baselineLoss: Tensor | null = null;
  if (baseline === undefined) {
    b = 0;
  } else if (typeof baseline === 'number') {
    b = checkFinite(fn, 'baseline', baseline);
  } else if (baseline === 'leaveOneOut') {
    // b_j = (sum_i f_i - f_j) / (k - 1).
    b = noGrad(() => mul(sub(sum(fd, 0, true), fd), 1 / (k - 1)));
  } else if (baseline instanceof MovingAverageBaseline) {
    b = baseline.value ?? 0;
    baseline.update(noGrad(() => mean(fd)).item());
  } else if (baseline instanceof Tensor) {
    try {
      broadcastShapes(baseline.shape, batch);
    } catch {
      throw new Error(`${fn}: a Tensor baseline must broadcast to the guide's batch shape ${formatShape(batch)}, got ${formatShape(baseline.shape)}`);
    }
    b = baseline.detach();
    baselineLoss = mean(square(sub(fd, baseline)), 0);
  } else {
    throw new Error(`${fn}: baseline must be a number, a Tensor, 'leaveOneOut' or a MovingAverageBaseline, got ${describe(baseline)}`);
  }
  const advantage = noGrad(() => sub(fd, b));
  // log q - stop(log q) is 0 in value and has the gradient of log q.
  const score = mul(advantage, sub(logq, logq.detach()));
  const surrogate = mean(add(fz, score), 0);
  return { surrogate, value: noGrad(() => mean(fd, 0)), z, f: fd, baselineLoss };
}

/**
 * The score-function estimate of grad_params E_q[f] (see
 * `scoreFunctionSurrogate`), summed over the batch: the gradient of
 * sum(surrogate) with respect to each parameter (zeros for parameters it
 * does not touch).
 *
 * Shapes: one gradient per parameter, of its shape; value [...batch].
 *
 * @example
 * const { gradients } = scoreFunctionGradient({ guide: new Bernoulli({ logits: theta }), f, rng, k: 16, params: [theta] });
 */
export function scoreFunctionGradient(options: ScoreFunctionOptions & { params: readonly Tensor[] }): { gradients: Tensor[]; value: Tensor } {
  const fn = 'scoreFunctionGradient';
  checkOptions(fn, options);
  const params = options.params;
  if (!Array.isArray(params) || params.length === 0) throw new Error(`${fn}: params must be a non-empty array of Tensors, got ${describe(params)}`);
  params.forEach((p, i) => {
    if (!(p instanceof Tensor) || !p.requiresGrad) throw new Error(`${fn}: params[${i}] must be a Tensor with requiresGrad, got ${describe(p)}`);
  });
  const r = scoreFunctionSurrogate(options);
  if (!r.surrogate.requiresGrad) {
    return { gradients: params.map((p) => new Tensor(arrayFor(p.dtype, p.size), p.shape)), value: r.value };
  }
  const gradients = grad(sum(r.surrogate), params, { allowUnused: true });
  return { gradients, value: r.value };
}
