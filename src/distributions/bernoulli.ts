import { Tensor, arrayFor, type DType } from '../tensor/tensor.js';
import { add, broadcastTo, log, log1p, mul, neg, sigmoid, softplus, sub } from '../ops/index.js';
import { bernoulli } from '../random/sample.js';
import { noGrad } from '../autograd/mode.js';
import type { Generator } from '../random/generator.js';
import { constraints, type Constraint } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { asParam, checkExpand, paramDtype, xlog1my, xlogy, type Param } from './utils.js';

/** Bernoulli's parameters: exactly one of `probs` (in [0, 1]) and `logits` (log-odds, any real). */
export type BernoulliParams = DistributionOptions & ({ probs: Param; logits?: undefined } | { logits: Param; probs?: undefined });

/**
 * The Bernoulli distribution over {0, 1}, with P(1) = probs = sigmoid(logits).
 * From logits, logProb is the stable x l - softplus(l) (the negative binary
 * cross-entropy with logits); from probs, x log p + (1 - x) log(1 - p) with
 * 0 log 0 = 0, exact at p = 0 and p = 1. Not reparameterizable.
 *
 * Shapes: probs or logits [...] = batchShape; eventShape [].
 *
 * @example
 * const p = new Bernoulli({ logits: tensor([0, 2]) });
 * p.logProb(tensor([1, 0])).toArray();   // [log 0.5, -softplus(2)] = [-0.693, -2.127]
 */
export class Bernoulli extends Distribution {
  private readonly param: 'probs' | 'logits';
  private readonly value: Tensor;

  constructor(params: BernoulliParams) {
    const dist = 'Bernoulli';
    if (typeof params !== 'object' || params === null) throw new Error(`${dist}: pass { probs } or { logits }`);
    const hasP = params.probs !== undefined;
    const hasL = params.logits !== undefined;
    if (hasP === hasL) throw new Error(`${dist}: pass exactly one of probs and logits; got ${hasP ? 'both' : 'neither'}`);
    const which = hasP ? 'probs' : 'logits';
    const raw = (hasP ? params.probs : params.logits) as Param;
    const t = asParam(raw, paramDtype([raw]), dist, which);
    super(t.shape, [], params);
    if (this.validateArgs) this.checkParams({ [which]: t });
    this.param = which;
    this.value = t;
  }

  /** P(x = 1) [...batchShape]. */
  get probs(): Tensor {
    return this.param === 'probs' ? this.value : sigmoid(this.value);
  }
  /** log(p / (1 - p)) [...batchShape]; +-Infinity where probs is 1 or 0. */
  get logits(): Tensor {
    return this.param === 'logits' ? this.value : sub(log(this.value), log1p(neg(this.value)));
  }
  get dtype(): DType {
    return this.value.dtype;
  }
  get argConstraints(): Record<string, Constraint> {
    return { probs: constraints.unitInterval, logits: constraints.real };
  }
  get support(): Constraint {
    return constraints.boolean;
  }
  override get hasEnumerateSupport(): boolean {
    return true;
  }
  override get mean(): Tensor {
    return this.probs;
  }
  override get variance(): Tensor {
    const p = this.probs;
    return mul(p, sub(1, p));
  }

  override sample(rng: Generator, sampleShape: readonly number[] = []): Tensor {
    const shape = this.drawShape(rng, sampleShape);
    return noGrad(() => bernoulli(broadcastTo(this.probs.detach(), shape), rng));
  }

  logProb(value: Tensor | number): Tensor {
    const x = this.checkSample(value);
    if (this.param === 'logits') return sub(mul(x, this.value), softplus(this.value));
    return add(xlogy(x, this.value), xlog1my(sub(1, x), this.value));
  }

  override entropy(): Tensor {
    if (this.param === 'logits') {
      // -p log p - (1 - p) log(1 - p) = softplus(l) - p l.
      return sub(softplus(this.value), mul(sigmoid(this.value), this.value));
    }
    const p = this.value;
    return neg(add(xlogy(p, p), xlog1my(sub(1, p), p)));
  }

  /** [0, 1] along a new leading axis: [2, ...batchShape] (or [2, 1, ..., 1]). */
  override enumerateSupport(expand = true): Tensor {
    const ones = this.batchShape.map(() => 1);
    const v = arrayFor(this.dtype, 2);
    v[1] = 1;
    const t = new Tensor(v, [2, ...ones]);
    return expand ? broadcastTo(t, [2, ...this.batchShape]) : t;
  }

  expand(batchShape: readonly number[]): Bernoulli {
    const shape = checkExpand(this.name, this.batchShape, batchShape);
    const v = broadcastTo(this.value, shape);
    return new Bernoulli(this.param === 'probs' ? { probs: v, validateArgs: false } : { logits: v, validateArgs: false });
  }
}
