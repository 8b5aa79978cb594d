// Radial flow (Rezende & Mohamed 2015, eq. 14): contracts or expands
// around a reference point z0.
import { Tensor, type DType } from '../../tensor/tensor.js';
import { full, zeros } from '../../tensor/create.js';
import { add, div, log1p, mul, softplus, sqrt, square, sub, sum } from '../../ops/index.js';
import type { Generator } from '../../random/generator.js';
import { uniform_ } from '../../nn/init.js';
import { Bijector, type FlowResult } from '../bijector.js';
import { checkLast } from './planar.js';

/** Options of `RadialFlow`. */
export interface RadialFlowOptions {
  /** Generator for z0's initialization. */
  rng: Generator;
  /** Parameter dtype (default float32). */
  dtype?: DType;
}

/**
 * A radial flow layer: f(z) = z + beta h(alpha, r) (z - z0), r = |z - z0|,
 * h = 1 / (alpha + r), with alpha = softplus(a) > 0 and
 * beta = -alpha + softplus(b') >= -alpha, the condition for invertibility
 * (Rezende & Mohamed 2015, A.2). The log-determinant is
 * (D - 1) log(1 + beta h) + log(1 + beta h + beta h'(r) r)
 * = (D - 1) log(1 + beta h) + log(1 + beta alpha h^2).
 * No closed-form inverse (`hasInverse` false).
 *
 * Shapes: z [..., D] -> [..., D], logDet [...]; parameters z0 [D], rawAlpha [1], rawBeta [1].
 *
 * Paper: Rezende & Mohamed, "Variational Inference with Normalizing Flows", ICML 2015, §4.1 and A.2.
 *
 * @example
 * const layer = new RadialFlow(2, { rng: new Generator(0), dtype: 'float64' });
 * layer.forwardAndLogDet(z).logDet;   // [N] for z [N, 2]
 */
export class RadialFlow extends Bijector {
  override readonly hasInverse = false;
  readonly dim: number;
  z0: Tensor;
  rawAlpha: Tensor;
  rawBeta: Tensor;

  constructor(dim: number, options: RadialFlowOptions) {
    super();
    if (!Number.isInteger(dim) || dim < 1) throw new Error(`RadialFlow: dim must be a positive integer, got ${dim}`);
    if (!options || !options.rng) throw new Error('RadialFlow: options.rng (a Generator) is required for the initialization');
    const dtype = options.dtype ?? 'float32';
    this.dim = dim;
    this.z0 = uniform_(zeros([dim], { dtype, requiresGrad: true }), -1, 1, options.rng);
    this.rawAlpha = zeros([1], { dtype, requiresGrad: true });
    // softplus(log(e - 1)) = 1 = alpha at a = 0, so beta starts at 0: the identity.
    this.rawBeta = full([1], Math.log(Math.E - 1), { dtype, requiresGrad: true });
  }

  /** alpha > 0. */
  get alpha(): Tensor {
    return softplus(this.rawAlpha);
  }
  /** beta >= -alpha. */
  get beta(): Tensor {
    return sub(softplus(this.rawBeta), this.alpha);
  }

  forwardAndLogDet(z: Tensor): FlowResult {
    checkLast('RadialFlow', z, this.dim);
    const alpha = this.alpha;
    const beta = sub(softplus(this.rawBeta), alpha);
    const diff = sub(z, this.z0);
    const r = sqrt(sum(square(diff), -1, true));
    const h = div(1, add(alpha, r));
    const bh = mul(beta, h);
    const value = add(z, mul(bh, diff));
    // 1 + beta h >= r / (alpha + r) > 0 and 1 + beta alpha h^2 >= r / (alpha + r) > 0 when beta >= -alpha.
    const logDet = add(mul(log1p(bh), this.dim - 1), log1p(mul(mul(beta, alpha), square(h))));
    return { value, logDet: sum(logDet, -1) };
  }
  inverseAndLogDet(_y: Tensor): FlowResult {
    return this.noInverse();
  }
  protected override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}
