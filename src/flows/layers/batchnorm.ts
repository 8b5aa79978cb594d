// Batch normalization as a bijector (Dinh et al. 2017, "Real NVP", §3.7;
// Papamakarios et al. 2017, "Masked Autoregressive Flow", §3.4 and
// appendix B): in the density direction, z = (x - mu) / sqrt(v + eps) *
// exp(logGamma) + beta, whose log-determinant is
// sum(logGamma - log(v + eps) / 2) per feature (times H * W for images).
import { Tensor, type DType } from '../../tensor/tensor.js';
import { ones, zeros } from '../../tensor/create.js';
import { add, exp, log, mean, mul, neg, square, sub, sum } from '../../ops/index.js';
import { Bijector, type FlowResult } from '../bijector.js';
import { checkInput, perExample, resolveEvent, type Event, type EventShape } from './event.js';

export interface BatchNormFlowOptions {
  /** Weight of the newest batch in the running averages (default 0.1, PyTorch's BatchNorm default). */
  momentum?: number;
  /** Added to the variance (default 1e-5). */
  eps?: number;
  dtype?: DType;
}

/**
 * A batch-normalization flow layer with learned log-scale `logGamma` and
 * shift `beta`, per feature (per channel for images).
 *
 * - `inverseAndLogDet` (data -> base, the density direction): in training
 *   mode mu and v are the batch's mean and (biased) variance, and gradients
 *   flow through them as in ordinary batch norm; the running averages are
 *   updated. In eval mode mu and v are the running averages.
 * - `forwardAndLogDet` (base -> data, sampling) always uses the running
 *   averages: it has no data batch to take statistics from. In eval mode the
 *   two directions are exact inverses; in training mode the inverse is the
 *   map with this batch's statistics held fixed, and its log-determinant is
 *   that map's.
 *
 * State dict: `logGamma`, `beta`; buffers `runningMean`, `runningVar`.
 *
 * Paper: Papamakarios et al. 2017, https://arxiv.org/abs/1705.07057 (appendix B)
 *
 * @example
 * const bn = new BatchNormFlow(2);
 * bn.inverseAndLogDet(x);   // training mode: batch statistics
 * bn.eval();
 * bn.forward(z);            // running averages
 */
export class BatchNormFlow extends Bijector {
  override readonly eventDim: number;
  logGamma: Tensor;
  beta: Tensor;
  readonly momentum: number;
  readonly eps: number;
  readonly #ev: Event;
  readonly #runningMean: Tensor;
  readonly #runningVar: Tensor;

  constructor(eventShape: EventShape, options: BatchNormFlowOptions = {}) {
    super();
    const ev = resolveEvent(eventShape, 'BatchNormFlow');
    const dtype = options.dtype ?? 'float32';
    this.momentum = options.momentum ?? 0.1;
    this.eps = options.eps ?? 1e-5;
    if (!(this.momentum > 0 && this.momentum <= 1)) throw new Error(`BatchNormFlow: momentum must be in (0, 1], got ${this.momentum}`);
    if (!(this.eps > 0)) throw new Error(`BatchNormFlow: eps must be positive, got ${this.eps}`);
    this.#ev = ev;
    this.eventDim = ev.dim;
    this.logGamma = zeros(ev.paramShape, { dtype, requiresGrad: true });
    this.beta = zeros(ev.paramShape, { dtype, requiresGrad: true });
    this.#runningMean = zeros(ev.paramShape, { dtype });
    this.#runningVar = ones(ev.paramShape, { dtype });
    this.registerBuffer('runningMean', this.#runningMean);
    this.registerBuffer('runningVar', this.#runningVar);
  }

  /** The running averages (copies): mean and variance per feature. */
  get running(): { mean: Float64Array; variance: Float64Array } {
    return { mean: Float64Array.from(this.#runningMean.data), variance: Float64Array.from(this.#runningVar.data) };
  }

  /** Sets the running averages (e.g. to a batch's statistics, for checks). */
  setRunning(meanValues: ArrayLike<number>, varianceValues: ArrayLike<number>): void {
    const f = this.#ev.features;
    if (meanValues.length !== f || varianceValues.length !== f) throw new Error(`BatchNormFlow.setRunning: expected ${f} means and ${f} variances`);
    for (let i = 0; i < f; i++) {
      if (!(varianceValues[i] >= 0)) throw new Error(`BatchNormFlow.setRunning: variance[${i}] must be non-negative, got ${varianceValues[i]}`);
      this.#runningMean.data[i] = meanValues[i];
      this.#runningVar.data[i] = varianceValues[i];
    }
  }

  /** log of the per-feature scale of the density direction, logGamma - log(v + eps) / 2 (paramShape). */
  #logScale(v: Tensor): Tensor {
    return sub(this.logGamma, mul(log(add(v, this.eps)), 0.5));
  }

  #logDet(logScale: Tensor, n: number, sign: 1 | -1, dtype: DType): Tensor {
    return perExample(mul(sum(logScale), sign * this.#ev.positions), n, dtype);
  }

  forwardAndLogDet(x: Tensor): FlowResult {
    checkInput(x, this.#ev, 'BatchNormFlow.forward');
    const ls = this.#logScale(this.#runningVar);
    const value = add(mul(sub(x, this.beta), exp(neg(ls))), this.#runningMean);
    return { value, logDet: this.#logDet(ls, x.shape[0], -1, x.dtype) };
  }

  inverseAndLogDet(y: Tensor): FlowResult {
    checkInput(y, this.#ev, 'BatchNormFlow.inverse');
    let mu: Tensor;
    let v: Tensor;
    if (this.training) {
      const count = y.shape[0] * this.#ev.positions;
      if (count < 2) throw new Error(`BatchNormFlow: training mode needs at least 2 values per feature for batch statistics, got a batch of ${y.shape[0]}; use eval() for single examples`);
      const axes = this.#ev.statAxes;
      mu = mean(y, axes, true);
      v = mean(square(sub(y, mu)), axes, true);
      const m = this.momentum;
      for (let i = 0; i < this.#ev.features; i++) {
        this.#runningMean.data[i] = (1 - m) * this.#runningMean.data[i] + m * mu.data[i];
        this.#runningVar.data[i] = (1 - m) * this.#runningVar.data[i] + m * v.data[i];
      }
      // keepDims gives [1, D] or [1, C, 1, 1]; the parameters are [D] or [C, 1, 1].
      mu = mu.reshape(this.#ev.paramShape);
      v = v.reshape(this.#ev.paramShape);
    } else {
      mu = this.#runningMean;
      v = this.#runningVar;
    }
    const ls = this.#logScale(v);
    const value = add(mul(sub(y, mu), exp(ls)), this.beta);
    return { value, logDet: this.#logDet(ls, y.shape[0], 1, y.dtype) };
  }
}


