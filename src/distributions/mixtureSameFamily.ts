import { Tensor, type DType } from '../tensor/tensor.js';
import { broadcastShapes, formatShape, sameShape } from '../tensor/shape.js';
import { add, broadcastTo, gather, logSoftmax, logsumexp, mul, reshape, square, sub, sum } from '../ops/index.js';
import type { Generator } from '../random/generator.js';
import type { Constraint } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { Categorical } from './categorical.js';
import { checkExpand } from './utils.js';

/**
 * A mixture of K components of one family with a categorical choice of
 * component: p(x) = sum_k pi_k p_k(x), logProb by a logsumexp over
 * log pi_k + log p_k(x). Sampling draws a component index, then a value
 * from every component, and keeps the chosen one. Not reparameterizable.
 * A Gaussian mixture with diagonal covariances is
 * `new MixtureSameFamily(new Categorical({ logits }), new Independent(new Normal(mu, sigma), 1))`.
 *
 * Shapes: mixtureDistribution batchShape [...]; componentDistribution
 * batchShape [..., K], eventShape [...e] -> batchShape [...], eventShape [...e].
 *
 * @example
 * const gmm = new MixtureSameFamily(new Categorical({ probs: tensor([0.3, 0.7]) }), new Normal(tensor([-1, 1]), tensor([0.5, 0.5])));
 * gmm.logProb(tensor([0])).shape;   // [1]
 */
export class MixtureSameFamily extends Distribution {
  readonly mixtureDistribution: Categorical;
  readonly componentDistribution: Distribution;

  constructor(mixtureDistribution: Categorical, componentDistribution: Distribution, options: DistributionOptions = {}) {
    const dist = 'MixtureSameFamily';
    if (!(mixtureDistribution instanceof Categorical)) {
      throw new Error(`${dist}: mixtureDistribution must be a Categorical, got ${describe(mixtureDistribution)}`);
    }
    if (!(componentDistribution instanceof Distribution)) {
      throw new Error(`${dist}: componentDistribution must be a Distribution, got ${describe(componentDistribution)}`);
    }
    const k = mixtureDistribution.numEvents;
    const cb = componentDistribution.batchShape;
    if (cb.length < 1 || cb[cb.length - 1] !== k) {
      throw new Error(
        `${dist}: componentDistribution's batch shape ${formatShape(cb)} must end with the number of mixture components (${k}, from the Categorical)`,
      );
    }
    let batch: number[];
    try {
      batch = broadcastShapes(mixtureDistribution.batchShape, cb.slice(0, -1));
    } catch {
      throw new Error(
        `${dist}: mixtureDistribution's batch shape ${formatShape(mixtureDistribution.batchShape)} and componentDistribution's ` +
          `${formatShape(cb.slice(0, -1))} (without the component axis) cannot be broadcast together`,
      );
    }
    super(batch, componentDistribution.eventShape, options);
    this.mixtureDistribution = sameShape(mixtureDistribution.batchShape, batch) ? mixtureDistribution : mixtureDistribution.expand(batch);
    this.componentDistribution = sameShape(cb.slice(0, -1), batch) ? componentDistribution : componentDistribution.expand([...batch, k]);
  }

  get dtype(): DType {
    return this.componentDistribution.dtype;
  }
  get argConstraints(): Record<string, Constraint> {
    return {};
  }
  get support(): Constraint {
    return this.componentDistribution.support;
  }

  /** The mixture weights with trailing axes for the event: [...batch, K, 1, ..., 1]. */
  private weightsForEvent(): Tensor {
    const p = this.mixtureDistribution.probs;
    return reshape(p, [...p.shape, ...this.eventShape.map(() => 1)]);
  }
  private get componentAxis(): number {
    return this.batchShape.length;
  }

  /** sum_k pi_k mu_k. */
  override get mean(): Tensor {
    return sum(mul(this.weightsForEvent(), this.componentDistribution.mean), this.componentAxis);
  }
  /** The law of total variance: sum_k pi_k sigma_k^2 + sum_k pi_k (mu_k - mu)^2. */
  override get variance(): Tensor {
    const w = this.weightsForEvent();
    const ax = this.componentAxis;
    const mu = this.componentDistribution.mean;
    const mean = sum(mul(w, mu), ax, true);
    return add(sum(mul(w, this.componentDistribution.variance), ax), sum(mul(w, square(sub(mu, mean))), ax));
  }

  override sample(rng: Generator, sampleShape: readonly number[] = []): Tensor {
    const shape = this.drawShape(rng, sampleShape);
    const lead = shape.length - this.eventShape.length; // sample + batch dims
    const idx = this.mixtureDistribution.sample(rng, sampleShape); // [...sample, ...batch]
    const all = this.componentDistribution.sample(rng, sampleShape); // [...sample, ...batch, K, ...event]
    const index = broadcastTo(reshape(idx, [...idx.shape, 1, ...this.eventShape.map(() => 1)]), [...idx.shape, 1, ...this.eventShape]);
    return reshape(gather(all, lead, index), shape);
  }

  logProb(value: Tensor | number): Tensor {
    const x = this.checkSample(value);
    const ev = this.eventShape.length;
    // A component axis before the event: [..., 1, ...event] broadcasts against the components' [..., K].
    const padded = reshape(x, [...x.shape.slice(0, x.rank - ev), 1, ...x.shape.slice(x.rank - ev)]);
    const logComponents = this.componentDistribution.logProb(padded); // [..., ...batch, K]
    const logWeights = logSoftmax(this.mixtureDistribution.logits, -1); // [...batch, K]
    return logsumexp(add(logComponents, logWeights), -1);
  }

  expand(batchShape: readonly number[]): MixtureSameFamily {
    const shape = checkExpand(this.name, this.batchShape, batchShape);
    const k = this.mixtureDistribution.numEvents;
    return new MixtureSameFamily(this.mixtureDistribution.expand(shape), this.componentDistribution.expand([...shape, k]), { validateArgs: false });
  }
}

function describe(v: unknown): string {
  if (v instanceof Distribution) return `a ${v.name}`;
  return v === null ? 'null' : typeof v;
}
