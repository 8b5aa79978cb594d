import { Tensor, arrayFor, type DType } from '../tensor/tensor.js';
import { sizeOf } from '../tensor/shape.js';
import { add, broadcastTo, div, log, mul, square, sub } from '../ops/index.js';
import type { Generator } from '../random/generator.js';
import { constraints, type Constraint } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { digamma, lgamma } from './special.js';
import { asParam, broadcastNamed, checkExpand, expandTo, finfo, paramDtype, uniformOpen, xlogy, type Param } from './utils.js';

/**
 * log of one Gamma(alpha, 1) draw by Marsaglia and Tsang's squeeze-and-reject
 * method ("A simple method for generating gamma variables", ACM TOMS 2000):
 * d = alpha - 1/3, c = 1 / sqrt(9 d); propose v = (1 + c z)^3 with z normal,
 * accept when log u < z^2 / 2 + d - d v + d log v. For alpha < 1 the draw is
 * Gamma(alpha + 1) u^(1/alpha), kept in log space so that tiny alphas do
 * not underflow to 0 before Beta and Dirichlet normalize.
 */
export function logStandardGamma(alpha: number, rng: Generator): number {
  if (!(alpha > 0 && alpha < Infinity)) return NaN;
  if (alpha < 1) return logStandardGamma(alpha + 1, rng) + Math.log(uniformOpen(rng)) / alpha;
  const d = alpha - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let z: number;
    let v: number;
    do {
      z = rng.normal01();
      v = 1 + c * z;
    } while (v <= 0);
    v = v * v * v;
    const u = uniformOpen(rng);
    const z2 = z * z;
    // The squeeze accepts ~98% of proposals without a logarithm.
    if (u < 1 - 0.0331 * z2 * z2) return Math.log(d * v);
    if (Math.log(u) < 0.5 * z2 + d * (1 - v + Math.log(v))) return Math.log(d * v);
  }
}

/** log Gamma(alpha_i, 1) draws, one per entry of `alpha` (broadcast beforehand), in row-major order. */
export function logStandardGammas(alpha: Tensor, rng: Generator): Float64Array {
  const out = new Float64Array(alpha.size);
  for (let i = 0; i < out.length; i++) out[i] = logStandardGamma(alpha.data[i], rng);
  return out;
}

/**
 * The gamma distribution with shape `concentration` alpha and `rate` beta:
 * density beta^alpha x^(alpha-1) e^(-beta x) / Gamma(alpha), mean alpha / beta.
 * Sampled by Marsaglia–Tsang; not reparameterizable here (hasRsample is
 * false), so gradients with respect to alpha need a score-function estimator.
 *
 * Shapes: concentration and rate broadcast to batchShape; eventShape [].
 *
 * @example
 * const g = new Gamma(tensor([2, 0.5]), 1);
 * g.sample(new Generator(0), [1000]).shape;   // [1000, 2]
 * g.mean.toArray();                           // [2, 0.5]
 */
export class Gamma extends Distribution {
  readonly concentration: Tensor;
  readonly rate: Tensor;

  constructor(concentration: Param, rate: Param, options: DistributionOptions = {}) {
    const dtype = paramDtype([concentration, rate]);
    const a = asParam(concentration, dtype, 'Gamma', 'concentration');
    const b = asParam(rate, dtype, 'Gamma', 'rate');
    const batch = broadcastNamed('Gamma', [['concentration', a.shape], ['rate', b.shape]]);
    super(batch, [], options);
    if (this.validateArgs) this.checkParams({ concentration: a, rate: b });
    this.concentration = expandTo(a, batch);
    this.rate = expandTo(b, batch);
  }

  get dtype(): DType {
    return this.concentration.dtype;
  }
  get argConstraints(): Record<string, Constraint> {
    return { concentration: constraints.positive, rate: constraints.positive };
  }
  get support(): Constraint {
    return constraints.positive;
  }
  override get mean(): Tensor {
    return div(this.concentration, this.rate);
  }
  override get variance(): Tensor {
    return div(this.concentration, square(this.rate));
  }

  /** Draws [...sampleShape, ...batchShape]; a draw that underflows is raised to the smallest normal number, to stay in the support. */
  override sample(rng: Generator, sampleShape: readonly number[] = []): Tensor {
    const shape = this.drawShape(rng, sampleShape);
    const alpha = broadcastTo(this.concentration.detach(), shape);
    const rate = broadcastTo(this.rate.detach(), shape);
    const logs = logStandardGammas(alpha, rng);
    const out = arrayFor(this.dtype, sizeOf(shape));
    const tiny = finfo(this.dtype).tiny;
    for (let i = 0; i < out.length; i++) out[i] = Math.max(Math.exp(logs[i]) / rate.data[i], tiny);
    return new Tensor(out, shape);
  }

  logProb(value: Tensor | number): Tensor {
    const x = this.checkSample(value);
    const a = this.concentration;
    const b = this.rate;
    return sub(sub(add(xlogy(a, b), xlogy(sub(a, 1), x)), mul(b, x)), lgamma(a));
  }

  override entropy(): Tensor {
    const a = this.concentration;
    // alpha - log beta + log Gamma(alpha) + (1 - alpha) psi(alpha)
    return add(sub(a, log(this.rate)), add(lgamma(a), mul(sub(1, a), digamma(a))));
  }

  expand(batchShape: readonly number[]): Gamma {
    const shape = checkExpand(this.name, this.batchShape, batchShape);
    return new Gamma(broadcastTo(this.concentration, shape), broadcastTo(this.rate, shape), { validateArgs: false });
  }
}
