// Planar flow (Rezende & Mohamed 2015, eq. 10-12 and appendix A.1):
// f(z) = z + u_hat h(w^T z + b), h = tanh, with u reparameterized so that
// w^T u_hat >= -1, which is what makes f invertible.
import { Tensor, type DType } from '../../tensor/tensor.js';
import { zeros } from '../../tensor/create.js';
import { add, div, elu, log1p, mul, square, sub, sum, tanh } from '../../ops/index.js';
import type { Generator } from '../../random/generator.js';
import { uniform_ } from '../../nn/init.js';
import { Bijector, type FlowResult } from '../bijector.js';

// m(a) = ELU(a) (a for a >= 0, e^a - 1 below) in place of A.1's
// m(a) = -1 + softplus(a): both are > -1, all the construction needs, but
// with ELU u is left as it is whenever w^T u >= 0 already, and u = 0 gives
// u_hat = 0 exactly — the identity map a zero-initialized layer starts from
// (A.1's m(0) = log 2 - 1 would not).

/**
 * The planar map with explicit (possibly per-example) parameters, the form an
 * amortized flow posterior needs: u, w and b may carry batch dimensions that
 * broadcast against z.
 *
 * f(z) = z + u_hat tanh(w^T z + b), u_hat = u + (m(w^T u) - w^T u) w / |w|^2
 * with m = ELU (see above),
 * log |det df/dz| = log(1 + (1 - tanh^2(w^T z + b)) w^T u_hat), and
 * w^T u_hat = m(w^T u) > -1 exactly, so the argument of the log stays positive.
 *
 * Shapes: z [..., D], u and w [..., D], b [..., 1] (broadcasting) -> value
 * [..., D], logDet [...].
 *
 * Paper: Rezende & Mohamed, "Variational Inference with Normalizing Flows", ICML 2015, §4.1 and A.1.
 *
 * @example
 * const { value, logDet } = planarMap(z, u, w, b);   // z [N, 2], u, w [2], b [1] -> [N, 2], [N]
 */
export function planarMap(z: Tensor, u: Tensor, w: Tensor, b: Tensor): FlowResult {
  const wu = sum(mul(w, u), -1, true);
  const mwu = elu(wu);
  const uHat = add(u, mul(div(sub(mwu, wu), sum(square(w), -1, true)), w));
  const h = tanh(add(sum(mul(w, z), -1, true), b));
  const value = add(z, mul(uHat, h));
  // 1 + h'(a) w^T u_hat with w^T u_hat = m(w^T u): log1p keeps precision when the layer is near the identity.
  const logDet = sum(log1p(mul(sub(1, square(h)), mwu)), -1);
  return { value, logDet };
}

/** Options of `PlanarFlow`. */
export interface PlanarFlowOptions {
  /** Generator for w's initialization (u starts at 0: the identity). */
  rng: Generator;
  /** Parameter dtype (default float32). */
  dtype?: DType;
  /** Initial u (default zeros: the layer starts as the identity). */
  initU?: 'zeros' | 'uniform';
}

/**
 * A planar flow layer with its own parameters u [D], w [D], b [1] (a VI
 * family, a density model's base-to-data map). No closed-form inverse:
 * `hasInverse` is false and `inverseAndLogDet` throws. w starts uniform in
 * +-1/sqrt(D), u at zero (the identity) unless `initU: 'uniform'`.
 *
 * Shapes: z [..., D] -> [..., D], logDet [...].
 *
 * Paper: Rezende & Mohamed, "Variational Inference with Normalizing Flows", ICML 2015.
 *
 * @example
 * const layer = new PlanarFlow(2, { rng: new Generator(0), dtype: 'float64' });
 * const { value, logDet } = layer.forwardAndLogDet(z);   // z [N, 2]
 */
export class PlanarFlow extends Bijector {
  override readonly hasInverse = false;
  readonly dim: number;
  u: Tensor;
  w: Tensor;
  b: Tensor;

  constructor(dim: number, options: PlanarFlowOptions) {
    super();
    if (!Number.isInteger(dim) || dim < 1) throw new Error(`PlanarFlow: dim must be a positive integer, got ${dim}`);
    if (!options || !options.rng) throw new Error('PlanarFlow: options.rng (a Generator) is required for the initialization');
    const dtype = options.dtype ?? 'float32';
    this.dim = dim;
    const bound = 1 / Math.sqrt(dim);
    this.u = zeros([dim], { dtype, requiresGrad: true });
    if (options.initU === 'uniform') uniform_(this.u, -bound, bound, options.rng);
    this.w = uniform_(zeros([dim], { dtype, requiresGrad: true }), -bound, bound, options.rng);
    this.b = zeros([1], { dtype, requiresGrad: true });
  }

  forwardAndLogDet(z: Tensor): FlowResult {
    checkLast('PlanarFlow', z, this.dim);
    return planarMap(z, this.u, this.w, this.b);
  }
  inverseAndLogDet(_y: Tensor): FlowResult {
    return this.noInverse();
  }
  protected override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

export function checkLast(where: string, x: Tensor, dim: number): void {
  if (!(x instanceof Tensor) || x.rank < 1 || x.shape[x.rank - 1] !== dim) {
    throw new Error(`${where}: input must have shape [..., ${dim}], got ${x instanceof Tensor ? `[${x.shape.join(', ')}]` : typeof x}`);
  }
}
