import { Tensor, arrayFor, type DType } from '../tensor/tensor.js';
import { formatShape } from '../tensor/shape.js';
import {
  add, broadcastTo, cholesky, diagEmbed, div, log, matmul, mul, reciprocal, reshape, sqrt, square, sub, sum, transpose, triangularSolve,
} from '../ops/index.js';
import { randn } from '../random/sample.js';
import type { Generator } from '../random/generator.js';
import { constraints, type Constraint } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { halfLogDet } from './multivariateNormal.js';
import { asParam, broadcastNamed, checkExpand, expandTo, paramDtype } from './utils.js';

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * The multivariate normal with a low-rank-plus-diagonal covariance
 * Sigma = W W^T + diag(D), W [n, r] with r << n, in O(n r^2) per
 * evaluation instead of O(n^3): through the capacitance matrix
 * C = I_r + W^T D^-1 W (r x r) and its Cholesky factor,
 * log det Sigma = log det C + sum log D (the matrix determinant lemma) and
 * x^T Sigma^-1 x = x^T D^-1 x - |Lc^-1 W^T D^-1 x|^2 (Woodbury).
 * Reparameterizable: rsample = loc + W eps_r + sqrt(D) eps_n.
 *
 * Shapes: loc [..., n], covFactor [..., n, r], covDiag [..., n] broadcast to batchShape; eventShape [n].
 *
 * @example
 * const p = new LowRankMultivariateNormal(zeros([3]), tensor([[1], [0], [1]]), ones([3]));
 * p.covarianceMatrix.toArray();   // [[2, 0, 1], [0, 1, 0], [1, 0, 2]]
 */
export class LowRankMultivariateNormal extends Distribution {
  readonly loc: Tensor;
  /** W [...batchShape, n, r]. */
  readonly covFactor: Tensor;
  /** D [...batchShape, n]. */
  readonly covDiag: Tensor;
  private readonly unbroadcastedW: Tensor;
  private readonly unbroadcastedD: Tensor;
  /** Cholesky factor of I + W^T D^-1 W, unbroadcast. */
  private readonly capacitanceTril: Tensor;

  constructor(loc: Tensor, covFactor: Tensor, covDiag: Tensor, options: DistributionOptions = {}) {
    const dist = 'LowRankMultivariateNormal';
    for (const [name, v, rank] of [['loc', loc, 1], ['covFactor', covFactor, 2], ['covDiag', covDiag, 1]] as const) {
      if (!(v instanceof Tensor) || v.rank < rank) {
        throw new Error(`${dist}: ${name} must be a Tensor of rank >= ${rank}, got ${v instanceof Tensor ? formatShape(v.shape) : typeof v}`);
      }
    }
    const dtype = paramDtype([loc, covFactor, covDiag]);
    const mu = asParam(loc, dtype, dist, 'loc');
    const w = asParam(covFactor, dtype, dist, 'covFactor');
    const d = asParam(covDiag, dtype, dist, 'covDiag');
    const n = mu.shape[mu.rank - 1];
    if (w.shape[w.rank - 2] !== n) {
      throw new Error(`${dist}: covFactor ${formatShape(w.shape)} must have ${n} rows (shape [..., ${n}, r]) to match loc ${formatShape(mu.shape)}`);
    }
    if (d.shape[d.rank - 1] !== n) {
      throw new Error(`${dist}: covDiag ${formatShape(d.shape)} must have shape [..., ${n}] to match loc ${formatShape(mu.shape)}`);
    }
    const batch = broadcastNamed(dist, [
      ['the batch shape of loc', mu.shape.slice(0, -1)], ['that of covFactor', w.shape.slice(0, -2)], ['that of covDiag', d.shape.slice(0, -1)],
    ]);
    super(batch, [n], options);
    if (this.validateArgs) this.checkParams({ loc: mu, covFactor: w, covDiag: d });
    const r = w.shape[w.rank - 1];
    this.loc = expandTo(mu, [...batch, n]);
    this.covFactor = expandTo(w, [...batch, n, r]);
    this.covDiag = expandTo(d, [...batch, n]);
    this.unbroadcastedW = w;
    this.unbroadcastedD = d;
    const wtDinv = div(transpose(w), reshape(d, [...d.shape.slice(0, -1), 1, n])); // W^T D^-1 [..., r, n]
    const eye = arrayFor(dtype, r * r);
    for (let i = 0; i < r; i++) eye[i * r + i] = 1;
    this.capacitanceTril = cholesky(add(matmul(wtDinv, w), new Tensor(eye, [r, r])));
  }

  get dtype(): DType {
    return this.loc.dtype;
  }
  get argConstraints(): Record<string, Constraint> {
    return { loc: constraints.realVector, covFactor: constraints.independent(constraints.real, 2), covDiag: constraints.independent(constraints.positive, 1) };
  }
  get support(): Constraint {
    return constraints.realVector;
  }
  override get hasRsample(): boolean {
    return true;
  }
  override get mean(): Tensor {
    return this.loc;
  }
  override get variance(): Tensor {
    return expandTo(add(sum(square(this.unbroadcastedW), -1), this.unbroadcastedD), [...this.batchShape, this.eventShape[0]]);
  }
  /** W W^T + diag(D) [...batchShape, n, n]. */
  get covarianceMatrix(): Tensor {
    const w = this.unbroadcastedW;
    const n = this.eventShape[0];
    return expandTo(add(matmul(w, w, { transB: true }), diagEmbed(this.unbroadcastedD)), [...this.batchShape, n, n]);
  }
  /** The Cholesky factor of the covariance (dense, O(n^3)), for KL divergences with full-covariance normals. */
  get scaleTril(): Tensor {
    return cholesky(this.covarianceMatrix);
  }
  /** Sigma^-1 by Woodbury: D^-1 - D^-1 W C^-1 W^T D^-1 [...batchShape, n, n]. */
  get precisionMatrix(): Tensor {
    const dinv = reciprocal(this.unbroadcastedD);
    const n = this.eventShape[0];
    const wtDinv = mul(transpose(this.unbroadcastedW), reshape(dinv, [...dinv.shape.slice(0, -1), 1, n]));
    const a = triangularSolve(this.capacitanceTril, wtDinv); // Lc^-1 W^T D^-1
    return expandTo(sub(diagEmbed(dinv), matmul(a, a, { transA: true })), [...this.batchShape, n, n]);
  }

  override rsample(rng: Generator, sampleShape: readonly number[] = []): Tensor {
    const shape = this.drawShape(rng, sampleShape);
    const r = this.unbroadcastedW.shape[this.unbroadcastedW.rank - 1];
    const epsW = randn([...shape.slice(0, -1), r], rng, { dtype: this.dtype });
    const epsD = randn(shape, rng, { dtype: this.dtype });
    const wEps = matmul(this.unbroadcastedW, reshape(epsW, [...epsW.shape, 1]));
    return add(add(this.loc, reshape(wEps, wEps.shape.slice(0, -1))), mul(sqrt(this.unbroadcastedD), epsD));
  }

  logProb(value: Tensor | number): Tensor {
    const x = this.checkSample(value);
    const n = this.eventShape[0];
    const diff = sub(x, this.loc);
    const dinvDiff = div(diff, this.unbroadcastedD);
    // W^T D^-1 diff as a row: [..., 1, n] x [..., n, r] -> [..., 1, r].
    const proj = matmul(reshape(dinvDiff, [...dinvDiff.shape.slice(0, -1), 1, n]), this.unbroadcastedW);
    const y = triangularSolve(this.capacitanceTril, transpose(proj));
    const mahalanobis = sub(sum(mul(diff, dinvDiff), -1), sum(square(y), [-2, -1]));
    const logDet = add(mul(halfLogDet(this.capacitanceTril), 2), sum(log(this.unbroadcastedD), -1));
    return mul(add(add(mahalanobis, logDet), n * LOG_2PI), -0.5);
  }

  override entropy(): Tensor {
    const n = this.eventShape[0];
    const logDet = add(mul(halfLogDet(this.capacitanceTril), 2), sum(log(this.unbroadcastedD), -1));
    return expandTo(add(mul(logDet, 0.5), 0.5 * n * (1 + LOG_2PI)), this.batchShape);
  }

  expand(batchShape: readonly number[]): LowRankMultivariateNormal {
    const shape = checkExpand(this.name, this.batchShape, batchShape);
    const n = this.eventShape[0];
    const r = this.covFactor.shape[this.covFactor.rank - 1];
    return new LowRankMultivariateNormal(
      broadcastTo(this.loc, [...shape, n]), broadcastTo(this.covFactor, [...shape, n, r]), broadcastTo(this.covDiag, [...shape, n]),
      { validateArgs: false },
    );
  }
}
