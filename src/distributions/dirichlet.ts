import { Tensor, arrayFor, type DType } from '../tensor/tensor.js';
import { formatShape, sizeOf } from '../tensor/shape.js';
import { add, broadcastTo, div, mul, square, sub, sum } from '../ops/index.js';
import type { Generator } from '../random/generator.js';
import { constraints, type Constraint } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { logStandardGamma } from './gamma.js';
import { digamma, lmvbeta } from './special.js';
import { asParam, checkExpand, finfo, paramDtype, xlogy, type Param } from './utils.js';

/**
 * The Dirichlet distribution on the (K-1)-simplex with density
 * prod_k x_k^(a_k - 1) / B(a), B(a) = prod_k Gamma(a_k) / Gamma(sum_k a_k).
 * Sampled as normalized Gamma(a_k) draws (a softmax of their logs, so small
 * concentrations do not underflow to 0/0); not reparameterizable here.
 *
 * Shapes: concentration [..., K]; batchShape [...]; eventShape [K].
 *
 * @example
 * const d = new Dirichlet(tensor([1, 2, 3]));
 * d.mean.toArray();                                     // [1/6, 1/3, 1/2]
 * d.logProb(tensor([0.2, 0.3, 0.5])).item();            // log(60 * 0.3 * 0.25) = ~1.504
 */
export class Dirichlet extends Distribution {
  readonly concentration: Tensor;

  constructor(concentration: Param, options: DistributionOptions = {}) {
    const a = asParam(concentration, paramDtype([concentration]), 'Dirichlet', 'concentration');
    if (a.rank < 1) throw new Error(`Dirichlet: concentration must have shape [..., K] (K >= 1), got ${formatShape(a.shape)}`);
    super(a.shape.slice(0, -1), a.shape.slice(-1), options);
    if (this.validateArgs) this.checkParams({ concentration: a });
    this.concentration = a;
  }

  get dtype(): DType {
    return this.concentration.dtype;
  }
  get argConstraints(): Record<string, Constraint> {
    return { concentration: constraints.independent(constraints.positive, 1) };
  }
  get support(): Constraint {
    return constraints.simplex;
  }
  override get mean(): Tensor {
    return div(this.concentration, sum(this.concentration, -1, true));
  }
  override get variance(): Tensor {
    const a = this.concentration;
    const a0 = sum(a, -1, true);
    return div(mul(a, sub(a0, a)), mul(square(a0), add(a0, 1)));
  }

  /** Draws [...sampleShape, ...batchShape, K], entries at least the smallest normal number. */
  override sample(rng: Generator, sampleShape: readonly number[] = []): Tensor {
    const shape = this.drawShape(rng, sampleShape);
    const k = this.eventShape[0];
    const a = broadcastTo(this.concentration.detach(), shape).data;
    const out = arrayFor(this.dtype, sizeOf(shape));
    const logs = new Float64Array(k);
    const tiny = finfo(this.dtype).tiny;
    for (let r = 0; r < out.length / k; r++) {
      let m = -Infinity;
      for (let j = 0; j < k; j++) {
        logs[j] = logStandardGamma(a[r * k + j], rng);
        if (logs[j] > m) m = logs[j];
      }
      let s = 0;
      for (let j = 0; j < k; j++) s += Math.exp(logs[j] - m);
      for (let j = 0; j < k; j++) out[r * k + j] = Math.max(Math.exp(logs[j] - m) / s, tiny);
    }
    return new Tensor(out, shape);
  }

  logProb(value: Tensor | number): Tensor {
    const x = this.checkSample(value);
    const a = this.concentration;
    return sub(sum(xlogy(sub(a, 1), x), -1), lmvbeta(a));
  }

  override entropy(): Tensor {
    const a = this.concentration;
    const k = this.eventShape[0];
    const a0 = sum(a, -1);
    // log B(a) + (a0 - K) psi(a0) - sum_k (a_k - 1) psi(a_k)
    return sub(add(lmvbeta(a), mul(sub(a0, k), digamma(a0))), sum(mul(sub(a, 1), digamma(a)), -1));
  }

  expand(batchShape: readonly number[]): Dirichlet {
    const shape = checkExpand(this.name, this.batchShape, batchShape);
    return new Dirichlet(broadcastTo(this.concentration, [...shape, this.eventShape[0]]), { validateArgs: false });
  }
}
