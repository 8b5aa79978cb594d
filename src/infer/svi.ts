// Stochastic variational inference over a model/guide pair with minibatches
// (Pyro's SVI): the guide maps a minibatch to q(z | x) (amortized, e.g. an
// encoder network), the objective scores the pair, an optimizer steps every
// parameter (the model's and the guide's) on the objective's gradient.
import { Tensor } from '../tensor/tensor.js';
import { formatShape } from '../tensor/shape.js';
import { mean, neg } from '../ops/index.js';
import { noGrad } from '../autograd/mode.js';
import type { Generator } from '../random/generator.js';
import type { Optimizer } from '../optim/optimizer.js';
import { Distribution } from '../distributions/distribution.js';
import { checkFunction, checkInteger, checkOptions, checkRng, describe } from './checks.js';
import { elbo, iwaeBound } from './elbo.js';
import { checkModel, type LatentModel } from './model.js';

/**
 * An objective to maximize for a model/guide pair on data x: a lower bound
 * on log p(x) per data point, [...batch]. `elbo` and `iwaeBound` are two;
 * a VAE variant (beta-VAE, capacity) is another function of this type.
 */
export type VariationalObjective = (args: { model: LatentModel; x: Tensor; guide: Distribution; rng: Generator; k: number }) => Tensor;

/** Options of `SVI`. */
export interface SVIOptions {
  /** The model p(z) p(x | z); its parameters (a decoder's) are among the optimizer's. */
  model: LatentModel;
  /** x [B, ...] -> q(z | x) with batchShape [B] (amortized), or a function ignoring x for a global q. */
  guide: (x: Tensor) => Distribution;
  /** Steps every parameter of model and guide (e.g. new Adam([...decoder.parameters(), ...encoder.parameters()])). */
  optimizer: Optimizer<{ lr: number }>;
  /** 'elbo' (default; analytic KL when `analyticKL`), 'iwae' (the k-sample bound), or a `VariationalObjective`. */
  objective?: 'elbo' | 'iwae' | VariationalObjective;
  /** Latent draws per data point (default 1). */
  k?: number;
  /** For 'elbo': take KL(q || p(z)) in closed form (default false). */
  analyticKL?: boolean;
}

/**
 * Stochastic variational inference (Hoffman, Blei, Wang and Paisley,
 * "Stochastic variational inference", JMLR 14, 2013) in its amortized,
 * reparameterized form (Kingma and Welling, ICLR 2014, Algorithm 1): each
 * `step(x, rng)` draws latents for the minibatch x, evaluates the objective
 * per data point, and takes one optimizer step on minus its mean. The loss
 * is per data point (a mean over the minibatch), so the learning rate does
 * not depend on the batch size. For global latents shared by all N data
 * points, scale the likelihood by N / B inside the model.
 *
 * Paper: also Ranganath, Gerrish and Blei, "Black box variational inference", AISTATS 2014;
 * Pyro's SVI (Bingham et al., JMLR 2019).
 *
 * Shapes: x [B, ...data]; guide(x) batchShape [B]; the objective [B].
 *
 * @example
 * const svi = new SVI({ model, guide: (x) => encoder(x), optimizer: new Adam(params, { lr: 1e-3 }), analyticKL: true });
 * for (const { x } of minibatches(train, { batchSize: 100, rng })) svi.step(x, rng);   // returns the batch's mean ELBO
 */
export class SVI {
  readonly model: LatentModel;
  readonly guide: (x: Tensor) => Distribution;
  readonly optimizer: Optimizer<{ lr: number }>;
  readonly objective: VariationalObjective;
  readonly k: number;

  constructor(options: SVIOptions) {
    const fn = 'SVI';
    checkOptions(fn, options);
    checkModel(fn, options.model);
    checkFunction(fn, 'guide', options.guide);
    const o = options.optimizer as unknown as { step?: unknown; zeroGrad?: unknown } | null;
    if (typeof o !== 'object' || o === null || typeof o.step !== 'function' || typeof o.zeroGrad !== 'function') {
      throw new Error(`${fn}: optimizer must be an Optimizer (e.g. new Adam(params)), got ${describe(options.optimizer)}`);
    }
    this.k = options.k === undefined ? 1 : checkInteger(fn, 'k', options.k, 1);
    if (options.analyticKL !== undefined && typeof options.analyticKL !== 'boolean') {
      throw new Error(`${fn}: analyticKL must be a boolean, got ${describe(options.analyticKL)}`);
    }
    const obj = options.objective ?? 'elbo';
    if (obj === 'elbo') {
      const analyticKL = options.analyticKL ?? false;
      this.objective = (a) => elbo({ ...a, analyticKL });
    } else if (obj === 'iwae') {
      if (options.analyticKL) throw new Error(`${fn}: analyticKL applies to the 'elbo' objective, not 'iwae'`);
      this.objective = (a) => iwaeBound(a);
    } else if (typeof obj === 'function') {
      this.objective = obj;
    } else {
      throw new Error(`${fn}: objective must be 'elbo', 'iwae' or a function, got ${describe(obj)}`);
    }
    this.model = options.model;
    this.guide = options.guide;
    this.optimizer = options.optimizer;
  }

  private evaluateObjective(fn: string, x: Tensor, rng: Generator): Tensor {
    if (!(x instanceof Tensor) || x.rank < 1) throw new Error(`${fn}: x must be a minibatch Tensor [B, ...], got ${describe(x)}`);
    checkRng(fn, rng);
    const guide = this.guide(x);
    if (!(guide instanceof Distribution)) throw new Error(`${fn}: guide(x) must return a Distribution, got ${describe(guide)}`);
    const value = this.objective({ model: this.model, x, guide, rng, k: this.k });
    if (!(value instanceof Tensor)) throw new Error(`${fn}: the objective must return a Tensor, got ${describe(value)}`);
    if (value.shape.join() !== guide.batchShape.join()) {
      throw new Error(`${fn}: the objective returned shape ${formatShape(value.shape)}, expected the guide's batch shape ${formatShape(guide.batchShape)}`);
    }
    return value;
  }

  /** One gradient step on minibatch x; returns the objective's mean over the batch before the step (nats per data point). */
  step(x: Tensor, rng: Generator): number {
    const value = mean(this.evaluateObjective('SVI.step', x, rng));
    const v = value.item();
    if (Number.isNaN(v)) throw new Error('SVI.step: the objective is NaN (check the model and guide for invalid parameters)');
    this.optimizer.zeroGrad();
    neg(value).backward();
    this.optimizer.step();
    return v;
  }

  /** The objective's mean over x without a step or gradient. */
  evaluate(x: Tensor, rng: Generator): number {
    return noGrad(() => mean(this.evaluateObjective('SVI.evaluate', x, rng)).item());
  }
}
