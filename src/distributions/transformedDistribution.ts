import type { Tensor, DType } from '../tensor/tensor.js';
import { formatShape, sameShape } from '../tensor/shape.js';
import { add, sub } from '../ops/index.js';
import { noGrad } from '../autograd/mode.js';
import type { Generator } from '../random/generator.js';
import { constraints, type Constraint } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { Independent } from './independent.js';
import { ComposeTransform, Transform } from './transforms.js';
import { checkExpand, sumRightmost } from './utils.js';

/**
 * The distribution of y = f_n(... f_1(x)) for x from a base distribution,
 * with density by the change of variables:
 * log p(y) = log p_base(x) - sum_i log |det J_{f_i}(x_{i-1})|, x = f^-1(y).
 * Event dimensions follow torch: a transform with a larger domain event
 * (stick-breaking) makes the base's batch dimensions part of the event.
 * Reparameterizable when the base is. LogNormal is
 * `new TransformedDistribution(new Normal(mu, sigma), [new ExpTransform()])`.
 *
 * Shapes: batchShape and eventShape follow the transforms' forwardShape of the base's.
 *
 * @example
 * const logNormal = new TransformedDistribution(new Normal(0, 1), [new ExpTransform()]);
 * logNormal.logProb(tensor([1])).item();   // -0.919 (log 1 = 0, and log |dx/dy| = 0 at y = 1)
 */
export class TransformedDistribution extends Distribution {
  readonly baseDist: Distribution;
  readonly transforms: readonly Transform[];
  private readonly composed: ComposeTransform;

  constructor(baseDist: Distribution, transforms: Transform | readonly Transform[], options: DistributionOptions = {}) {
    const dist = 'TransformedDistribution';
    if (!(baseDist instanceof Distribution)) throw new Error(`${dist}: baseDist must be a Distribution, got ${typeof baseDist}`);
    const list = transforms instanceof Transform ? [transforms] : transforms;
    if (!Array.isArray(list)) throw new Error(`${dist}: transforms must be a Transform or an array of them, got ${typeof transforms}`);
    list.forEach((t, i) => {
      if (!(t instanceof Transform)) throw new Error(`${dist}: transforms[${i}] must be a Transform, got ${typeof t}`);
    });
    const composed = new ComposeTransform(list);
    const baseShape = [...baseDist.batchShape, ...baseDist.eventShape];
    const baseEventDim = baseDist.eventShape.length;
    const domainEventDim = composed.domain.eventDim;
    if (baseShape.length < domainEventDim) {
      throw new Error(
        `${dist}: the transforms need values of at least ${domainEventDim} dimension(s), but the base ${baseDist.name} has shape ${formatShape(baseShape)}`,
      );
    }
    const forward = composed.forwardShape(baseShape);
    const expanded = composed.inverseShape(forward);
    let base = baseDist;
    if (!sameShape(expanded, baseShape)) base = base.expand(expanded.slice(0, expanded.length - baseEventDim));
    const reinterpreted = domainEventDim - baseEventDim;
    if (reinterpreted > 0) base = new Independent(base, reinterpreted);
    const eventDim = composed.codomain.eventDim + Math.max(baseEventDim - domainEventDim, 0);
    const cut = forward.length - eventDim;
    super(forward.slice(0, cut), forward.slice(cut), { validateArgs: options.validateArgs ?? baseDist.validateArgs });
    this.baseDist = base;
    this.transforms = [...list];
    this.composed = composed;
  }

  get dtype(): DType {
    return this.baseDist.dtype;
  }
  get argConstraints(): Record<string, Constraint> {
    return {};
  }
  get support(): Constraint {
    const c = this.composed.codomain;
    const extra = this.eventShape.length - c.eventDim;
    return extra > 0 ? constraints.independent(c, extra) : c;
  }
  override get hasRsample(): boolean {
    return this.baseDist.hasRsample;
  }

  override sample(rng: Generator, sampleShape: readonly number[] = []): Tensor {
    return noGrad(() => this.composed.forward(this.baseDist.sample(rng, sampleShape)));
  }
  override rsample(rng: Generator, sampleShape: readonly number[] = []): Tensor {
    if (!this.baseDist.hasRsample) return super.rsample(rng, sampleShape);
    return this.composed.forward(this.baseDist.rsample(rng, sampleShape));
  }

  logProb(value: Tensor | number): Tensor {
    let y = this.checkSample(value);
    let eventDim = this.eventShape.length;
    let total: Tensor | null = null;
    for (let i = this.transforms.length - 1; i >= 0; i--) {
      const t = this.transforms[i];
      const x = t.inverse(y);
      eventDim += t.domain.eventDim - t.codomain.eventDim;
      const term = sumRightmost(t.logAbsDetJacobian(x, y), eventDim - t.domain.eventDim);
      total = total ? add(total, term) : term;
      y = x;
    }
    const base = sumRightmost(this.baseDist.logProb(y), eventDim - this.baseDist.eventShape.length);
    return total ? sub(base, total) : base;
  }

  expand(batchShape: readonly number[]): TransformedDistribution {
    const shape = checkExpand(this.name, this.batchShape, batchShape);
    let s = [...shape, ...this.eventShape];
    for (let i = this.transforms.length - 1; i >= 0; i--) s = this.transforms[i].inverseShape(s);
    const baseBatch = s.slice(0, s.length - this.baseDist.eventShape.length);
    return new TransformedDistribution(this.baseDist.expand(baseBatch), this.transforms, { validateArgs: false });
  }
}
