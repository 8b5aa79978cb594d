import { Tensor, type DType } from '../tensor/tensor.js';
import { broadcastShapes, formatShape, sizeOf } from '../tensor/shape.js';
import {
  add, broadcastTo, cholesky, choleskyInverse, diagonal, log, matmul, mul, reshape, square, sub, sum,
} from '../ops/index.js';
import { randn } from '../random/sample.js';
import type { Generator } from '../random/generator.js';
import { constraints, type Constraint } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { asParam, broadcastNamed, checkExpand, expandTo, mahalanobisSquared, paramDtype } from './utils.js';

const LOG_2PI = Math.log(2 * Math.PI);

/** Options of `MultivariateNormal`: exactly one of the three matrix parameterizations. */
export interface MultivariateNormalOptions extends DistributionOptions {
  /** Sigma [..., n, n], symmetric positive definite. */
  covarianceMatrix?: Tensor;
  /** Sigma^-1 [..., n, n], symmetric positive definite. */
  precisionMatrix?: Tensor;
  /** L [..., n, n] with Sigma = L L^T, lower triangular with a positive diagonal. */
  scaleTril?: Tensor;
}

/** L eps for L [..., n, n] and eps [..., n] with broadcasting batch dimensions; one GEMM when L is a single matrix. */
export function applyTril(l: Tensor, eps: Tensor): Tensor {
  const n = l.shape[l.rank - 1];
  if (sizeOf(l.shape.slice(0, -2)) === 1) {
    const rows = reshape(eps, [sizeOf(eps.shape.slice(0, -1)), n]);
    const out = matmul(rows, reshape(l, [n, n]), { transB: true });
    return reshape(out, [...broadcastShapes(l.shape.slice(0, -2), eps.shape.slice(0, -1)), n]);
  }
  const out = matmul(l, reshape(eps, [...eps.shape, 1]));
  return reshape(out, out.shape.slice(0, -1));
}

/** sum_i log L_ii: half the log-determinant of L L^T. Shapes: [..., n, n] -> [...]. */
export function halfLogDet(l: Tensor): Tensor {
  return sum(log(diagonal(l)), -1);
}

/**
 * The multivariate normal N(loc, Sigma), parameterized by exactly one of a
 * covariance matrix, a precision matrix or a lower Cholesky factor
 * `scaleTril`, all held internally as the Cholesky factor L (Sigma = L L^T).
 * logProb uses one triangular solve: log p(x) = -(n log 2 pi + |L^-1 (x - mu)|^2) / 2 - sum log L_ii.
 * Reparameterizable: rsample = loc + L eps.
 *
 * Shapes: loc [..., n] and the matrix [..., n, n] broadcast to batchShape; eventShape [n].
 *
 * @example
 * const p = new MultivariateNormal(zeros([2]), { covarianceMatrix: tensor([[2, 1], [1, 2]]) });
 * p.rsample(new Generator(0), [100]).shape;   // [100, 2]
 * p.logProb(zeros([2])).item();              // -log(2 pi) - log(3) / 2 = ~-2.387
 */
export class MultivariateNormal extends Distribution {
  readonly loc: Tensor;
  /** The Cholesky factor as given or computed, before broadcasting to the batch shape (shared by all batch entries when it has no batch dimensions). */
  readonly unbroadcastedScaleTril: Tensor;
  private readonly given: { covarianceMatrix?: Tensor; precisionMatrix?: Tensor };

  constructor(loc: Tensor, options: MultivariateNormalOptions) {
    const dist = 'MultivariateNormal';
    if (typeof options !== 'object' || options === null) {
      throw new Error(`${dist}: pass the matrix in options, e.g. new MultivariateNormal(loc, { covarianceMatrix })`);
    }
    const names = (['covarianceMatrix', 'precisionMatrix', 'scaleTril'] as const).filter((k) => options[k] !== undefined);
    if (names.length !== 1) {
      throw new Error(`${dist}: pass exactly one of covarianceMatrix, precisionMatrix, scaleTril; got ${names.length === 0 ? 'none' : names.join(' and ')}`);
    }
    const which = names[0];
    if (!(loc instanceof Tensor) || loc.rank < 1) {
      throw new Error(`${dist}: loc must be a Tensor of shape [..., n], got ${loc instanceof Tensor ? 'a scalar' : typeof loc}`);
    }
    const raw = options[which]!;
    if (!(raw instanceof Tensor)) throw new Error(`${dist}: ${which} must be a Tensor, got ${typeof raw}`);
    const dtype = paramDtype([loc, raw]);
    const mu = asParam(loc, dtype, dist, 'loc');
    const m = asParam(raw, dtype, dist, which);
    const n = mu.shape[mu.rank - 1];
    if (m.rank < 2 || m.shape[m.rank - 1] !== n || m.shape[m.rank - 2] !== n) {
      throw new Error(`${dist}: ${which} ${formatShape(m.shape)} does not match loc ${formatShape(mu.shape)}: expected shape [..., ${n}, ${n}]`);
    }
    const batch = broadcastNamed(dist, [['the batch shape of loc', mu.shape.slice(0, -1)], [`that of ${which}`, m.shape.slice(0, -2)]]);
    super(batch, [n], options);
    if (this.validateArgs) this.checkParams({ loc: mu, [which]: m });
    this.loc = expandTo(mu, [...batch, n]);
    this.given = {};
    if (which === 'scaleTril') {
      this.unbroadcastedScaleTril = m;
    } else if (which === 'covarianceMatrix') {
      this.unbroadcastedScaleTril = this.factor(m, which);
      this.given.covarianceMatrix = m;
    } else {
      this.unbroadcastedScaleTril = this.factor(choleskyInverse(this.factor(m, which)), which);
      this.given.precisionMatrix = m;
    }
  }

  private factor(m: Tensor, which: string): Tensor {
    try {
      return cholesky(m);
    } catch (e) {
      throw new Error(`${this.name}: ${which} must be symmetric positive definite: ${(e as Error).message}`);
    }
  }

  get dtype(): DType {
    return this.loc.dtype;
  }
  get argConstraints(): Record<string, Constraint> {
    return {
      loc: constraints.realVector,
      covarianceMatrix: constraints.positiveDefinite,
      precisionMatrix: constraints.positiveDefinite,
      scaleTril: constraints.lowerCholesky,
    };
  }
  get support(): Constraint {
    return constraints.realVector;
  }
  override get hasRsample(): boolean {
    return true;
  }

  private get matrixShape(): number[] {
    const n = this.eventShape[0];
    return [...this.batchShape, n, n];
  }
  /** L [...batchShape, n, n]. */
  get scaleTril(): Tensor {
    return expandTo(this.unbroadcastedScaleTril, this.matrixShape);
  }
  /** Sigma = L L^T [...batchShape, n, n]. */
  get covarianceMatrix(): Tensor {
    const l = this.unbroadcastedScaleTril;
    return expandTo(this.given.covarianceMatrix ?? matmul(l, l, { transB: true }), this.matrixShape);
  }
  /** Sigma^-1 [...batchShape, n, n]. */
  get precisionMatrix(): Tensor {
    return expandTo(this.given.precisionMatrix ?? choleskyInverse(this.unbroadcastedScaleTril), this.matrixShape);
  }
  override get mean(): Tensor {
    return this.loc;
  }
  override get variance(): Tensor {
    return expandTo(sum(square(this.unbroadcastedScaleTril), -1), [...this.batchShape, this.eventShape[0]]);
  }

  override rsample(rng: Generator, sampleShape: readonly number[] = []): Tensor {
    const eps = randn(this.drawShape(rng, sampleShape), rng, { dtype: this.dtype });
    return add(this.loc, applyTril(this.unbroadcastedScaleTril, eps));
  }

  logProb(value: Tensor | number): Tensor {
    const x = this.checkSample(value);
    const n = this.eventShape[0];
    const m = mahalanobisSquared(this.unbroadcastedScaleTril, sub(x, this.loc));
    return sub(mul(add(m, n * LOG_2PI), -0.5), halfLogDet(this.unbroadcastedScaleTril));
  }

  override entropy(): Tensor {
    const n = this.eventShape[0];
    return expandTo(add(halfLogDet(this.unbroadcastedScaleTril), 0.5 * n * (1 + LOG_2PI)), this.batchShape);
  }

  expand(batchShape: readonly number[]): MultivariateNormal {
    const shape = checkExpand(this.name, this.batchShape, batchShape);
    const n = this.eventShape[0];
    return new MultivariateNormal(broadcastTo(this.loc, [...shape, n]), {
      scaleTril: broadcastTo(this.unbroadcastedScaleTril, [...shape, n, n]),
      validateArgs: false,
    });
  }
}
