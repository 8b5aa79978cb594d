// Variational families over a flat unconstrained vector zeta in R^dim: the
// guides black-box VI (`advi`) optimizes. A family owns its trainable
// parameters and builds q from them; a normalizing flow becomes a family by
// returning a TransformedDistribution whose transforms hold its parameters.
import { Tensor, arrayFor, type DType } from '../tensor/tensor.js';
import { full } from '../tensor/create.js';
import type { Distribution } from '../distributions/distribution.js';
import { Independent } from '../distributions/independent.js';
import { Normal } from '../distributions/normal.js';
import { MultivariateNormal } from '../distributions/multivariateNormal.js';
import { constraints } from '../distributions/constraints.js';
import { bijectTo, type Transform } from '../distributions/transforms.js';
import { checkInteger, checkPositive, describe } from './checks.js';

/**
 * A family of distributions q_phi(zeta) over R^dim (eventShape [dim],
 * batchShape []) with trainable parameters phi. This is the hook for new
 * guide families: a normalizing-flow family implements it by returning,
 * from `distribution()`, a TransformedDistribution of a base Normal through
 * flow layers whose weights are in `parameters()`.
 *
 * @example
 * const family = new MeanFieldGaussian(3, { dtype: 'float64' });
 * const q = family.distribution();          // Independent(Normal), eventShape [3]
 * q.rsample(rng, [10]).shape;               // [10, 3]
 * new Adam(family.parameters(), { lr: 0.05 });
 */
export interface VariationalFamily {
  /** The dimension of zeta. */
  readonly dim: number;
  /** The dtype of draws and parameters. */
  readonly dtype: DType;
  /** The trainable parameters phi (leaves with requiresGrad), for an optimizer. */
  parameters(): Tensor[];
  /** q_phi over R^dim, reparameterizable, built from the current parameters (gradients flow to them). */
  distribution(): Distribution;
  /**
   * The same q with the parameters cut from the graph (optional): lets
   * `advi` use the sticking-the-landing gradient (Roeder et al. 2017).
   */
  detachedDistribution?(): Distribution;
}

/** Options of the Gaussian families. */
export interface GaussianFamilyOptions {
  /** Parameter dtype (default float64: the models VI is checked on are small). */
  dtype?: DType;
  /** The initial mean, dim numbers (default zeros: the centre of each constraint's unconstrained space). */
  initLoc?: ArrayLike<number>;
  /** The initial standard deviation of every coordinate, > 0 (default 0.1, as Pyro's AutoNormal). */
  initScale?: number;
}

function initParams(fn: string, dim: number, options: GaussianFamilyOptions): { dtype: DType; loc: Tensor; scale: number } {
  checkInteger(fn, 'dim', dim, 1);
  if (typeof options !== 'object' || options === null) throw new Error(`${fn}: options must be an object, got ${describe(options)}`);
  const dtype = options.dtype ?? 'float64';
  if (dtype !== 'float32' && dtype !== 'float64') throw new Error(`${fn}: dtype must be 'float32' or 'float64', got ${describe(dtype)}`);
  const scale = options.initScale === undefined ? 0.1 : checkPositive(fn, 'initScale', options.initScale);
  const data = arrayFor(dtype, dim);
  if (options.initLoc !== undefined) {
    const l = options.initLoc;
    if (l === null || typeof l !== 'object' || typeof l.length !== 'number' || l.length !== dim) {
      throw new Error(`${fn}: initLoc must hold dim = ${dim} numbers, got ${describe(l)}`);
    }
    for (let i = 0; i < dim; i++) {
      if (!Number.isFinite(l[i])) throw new Error(`${fn}: initLoc must be finite, got ${l[i]} at index ${i}`);
      data[i] = l[i];
    }
  }
  return { dtype, loc: new Tensor(data, [dim], true), scale };
}

/**
 * The mean-field (fully factorized) Gaussian q(zeta) = prod_i N(zeta_i; mu_i, sigma_i^2),
 * with sigma = exp(rho) through `bijectTo(constraints.positive)` so the
 * parameters (mu, rho) are unconstrained. ADVI's default family.
 *
 * Paper: Kucukelbir, Tran, Ranganath, Gelman and Blei, "Automatic
 * differentiation variational inference", JMLR 18, 2017, §2.4.
 *
 * Shapes: loc [dim], rawScale [dim]; distribution(): batchShape [], eventShape [dim].
 *
 * @example
 * const f = new MeanFieldGaussian(2, { initScale: 0.5 });
 * f.distribution().logProb(zeros([2], { dtype: 'float64' }));
 */
export class MeanFieldGaussian implements VariationalFamily {
  readonly dim: number;
  readonly dtype: DType;
  /** mu [dim]. */
  readonly loc: Tensor;
  /** rho [dim], sigma = exp(rho). */
  readonly rawScale: Tensor;
  private readonly toScale: Transform = bijectTo(constraints.positive);

  constructor(dim: number, options: GaussianFamilyOptions = {}) {
    const { dtype, loc, scale } = initParams('MeanFieldGaussian', dim, options);
    this.dim = dim;
    this.dtype = dtype;
    this.loc = loc;
    this.rawScale = full([dim], Math.log(scale), { dtype, requiresGrad: true });
  }

  parameters(): Tensor[] {
    return [this.loc, this.rawScale];
  }
  /** sigma [dim]. */
  get scale(): Tensor {
    return this.toScale.forward(this.rawScale);
  }
  distribution(): Distribution {
    return new Independent(new Normal(this.loc, this.scale, { validateArgs: false }), 1);
  }
  detachedDistribution(): Distribution {
    return new Independent(new Normal(this.loc.detach(), this.toScale.forward(this.rawScale.detach()), { validateArgs: false }), 1);
  }
}

/**
 * The full-rank Gaussian q(zeta) = N(mu, L L^T) with L lower triangular with
 * a positive diagonal, L = LowerCholeskyTransform(A) for an unconstrained
 * square A (through `bijectTo(constraints.lowerCholesky)`: the strict lower
 * triangle of A as is, its diagonal exponentiated; A's upper triangle is
 * unused and keeps a zero gradient). Captures posterior correlations the
 * mean-field family cannot.
 *
 * Paper: Kucukelbir et al., JMLR 2017, §2.4 ("full-rank Gaussian"); Titsias
 * and Lazaro-Gredilla, "Doubly stochastic variational Bayes for non-conjugate inference", ICML 2014.
 *
 * Shapes: loc [dim], rawScaleTril [dim, dim]; distribution(): batchShape [], eventShape [dim].
 *
 * @example
 * const f = new FullRankGaussian(3);
 * (f.distribution() as MultivariateNormal).scaleTril.shape;   // [3, 3]
 */
export class FullRankGaussian implements VariationalFamily {
  readonly dim: number;
  readonly dtype: DType;
  /** mu [dim]. */
  readonly loc: Tensor;
  /** A [dim, dim], L = tril(A, -1) + diag(exp(diag A)). */
  readonly rawScaleTril: Tensor;
  private readonly toTril: Transform = bijectTo(constraints.lowerCholesky);

  constructor(dim: number, options: GaussianFamilyOptions = {}) {
    const { dtype, loc, scale } = initParams('FullRankGaussian', dim, options);
    this.dim = dim;
    this.dtype = dtype;
    this.loc = loc;
    const a = arrayFor(dtype, dim * dim);
    for (let i = 0; i < dim; i++) a[i * dim + i] = Math.log(scale);
    this.rawScaleTril = new Tensor(a, [dim, dim], true);
  }

  parameters(): Tensor[] {
    return [this.loc, this.rawScaleTril];
  }
  /** L [dim, dim]. */
  get scaleTril(): Tensor {
    return this.toTril.forward(this.rawScaleTril);
  }
  distribution(): Distribution {
    return new MultivariateNormal(this.loc, { scaleTril: this.scaleTril, validateArgs: false });
  }
  detachedDistribution(): Distribution {
    return new MultivariateNormal(this.loc.detach(), { scaleTril: this.toTril.forward(this.rawScaleTril.detach()), validateArgs: false });
  }
}
