import { Tensor, arrayFor, type DType } from '../tensor/tensor.js';
import { sizeOf } from '../tensor/shape.js';
import { add, broadcastTo, div, mul, square, sub } from '../ops/index.js';
import type { Generator } from '../random/generator.js';
import { constraints, type Constraint } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { logStandardGamma } from './gamma.js';
import { digamma, lbeta } from './special.js';
import { asParam, broadcastNamed, checkExpand, expandTo, finfo, paramDtype, xlog1my, xlogy, type Param } from './utils.js';

/**
 * The beta distribution on [0, 1] with density
 * x^(a-1) (1-x)^(b-1) / B(a, b), a = concentration1, b = concentration0
 * (torch's names). Sampled as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b),
 * computed as sigmoid(log X - log Y) so small concentrations do not give
 * 0/0; not reparameterizable here (hasRsample is false).
 *
 * Shapes: concentration1 and concentration0 broadcast to batchShape; eventShape [].
 *
 * @example
 * const b = new Beta(2, 3);
 * b.mean.item();                          // 0.4
 * b.logProb(tensor([0.5])).item();        // log(12 * 0.5 * 0.25) = ~0.405
 */
export class Beta extends Distribution {
  readonly concentration1: Tensor;
  readonly concentration0: Tensor;

  constructor(concentration1: Param, concentration0: Param, options: DistributionOptions = {}) {
    const dtype = paramDtype([concentration1, concentration0]);
    const a = asParam(concentration1, dtype, 'Beta', 'concentration1');
    const b = asParam(concentration0, dtype, 'Beta', 'concentration0');
    const batch = broadcastNamed('Beta', [['concentration1', a.shape], ['concentration0', b.shape]]);
    super(batch, [], options);
    if (this.validateArgs) this.checkParams({ concentration1: a, concentration0: b });
    this.concentration1 = expandTo(a, batch);
    this.concentration0 = expandTo(b, batch);
  }

  get dtype(): DType {
    return this.concentration1.dtype;
  }
  get argConstraints(): Record<string, Constraint> {
    return { concentration1: constraints.positive, concentration0: constraints.positive };
  }
  get support(): Constraint {
    return constraints.unitInterval;
  }
  override get mean(): Tensor {
    return div(this.concentration1, add(this.concentration1, this.concentration0));
  }
  override get variance(): Tensor {
    const a = this.concentration1;
    const b = this.concentration0;
    const total = add(a, b);
    return div(mul(a, b), mul(square(total), add(total, 1)));
  }

  /** Draws [...sampleShape, ...batchShape], kept inside [tiny, 1 - eps] (torch's clamp_probs). */
  override sample(rng: Generator, sampleShape: readonly number[] = []): Tensor {
    const shape = this.drawShape(rng, sampleShape);
    const a = broadcastTo(this.concentration1.detach(), shape).data;
    const b = broadcastTo(this.concentration0.detach(), shape).data;
    const { tiny, eps } = finfo(this.dtype);
    const out = arrayFor(this.dtype, sizeOf(shape));
    for (let i = 0; i < out.length; i++) {
      const lx = logStandardGamma(a[i], rng);
      const ly = logStandardGamma(b[i], rng);
      out[i] = Math.min(Math.max(1 / (1 + Math.exp(ly - lx)), tiny), 1 - eps);
    }
    return new Tensor(out, shape);
  }

  logProb(value: Tensor | number): Tensor {
    const x = this.checkSample(value);
    const a = this.concentration1;
    const b = this.concentration0;
    return sub(add(xlogy(sub(a, 1), x), xlog1my(sub(b, 1), x)), lbeta(a, b));
  }

  override entropy(): Tensor {
    const a = this.concentration1;
    const b = this.concentration0;
    const total = add(a, b);
    // log B(a, b) - (a - 1) psi(a) - (b - 1) psi(b) + (a + b - 2) psi(a + b)
    return add(
      sub(sub(lbeta(a, b), mul(sub(a, 1), digamma(a))), mul(sub(b, 1), digamma(b))),
      mul(sub(total, 2), digamma(total)),
    );
  }

  expand(batchShape: readonly number[]): Beta {
    const shape = checkExpand(this.name, this.batchShape, batchShape);
    return new Beta(broadcastTo(this.concentration1, shape), broadcastTo(this.concentration0, shape), { validateArgs: false });
  }
}
