// Activation normalization (Glow): a per-feature (per-channel for images)
// affine map whose parameters are set from the first batch of data so that
// the layer's output on it has zero mean and unit variance, then trained as
// ordinary parameters (Kingma & Dhariwal 2018, "Glow", §3.1).
import { Tensor, type DType } from '../../tensor/tensor.js';
import { tensor, zeros } from '../../tensor/create.js';
import { add, exp, mul, neg, sub, sum } from '../../ops/index.js';
import { noGrad } from '../../autograd/index.js';
import { Bijector, type FlowResult } from '../bijector.js';
import { checkInput, perExample, resolveEvent, type Event, type EventShape } from './event.js';

export interface ActNormOptions {
  dtype?: DType;
}

/**
 * ActNorm: forward (base -> data) y = x * exp(logScale) + bias, per feature,
 * log |det| = positions * sum(logScale) (positions = H * W for images, 1 for
 * vectors).
 *
 * Data-dependent initialization: the first `inverseAndLogDet` (the density
 * direction, data -> base) in training mode, or an explicit `initialize(y)`,
 * sets bias = mean(y) and logScale = log std(y) per feature, so that the
 * inverse maps that batch to zero mean and unit variance. Whether this has
 * happened is the buffer `initialized` (0 or 1) in the state dict, so a
 * loaded or resumed model keeps its trained values. Before initialization,
 * the layer is the identity.
 *
 * State dict: `logScale`, `bias` ([D] or [C, 1, 1]), `initialized` ([1], buffer).
 *
 * Paper: Kingma & Dhariwal 2018, https://arxiv.org/abs/1807.03039
 *
 * @example
 * const an = new ActNorm([3, 8, 8]);
 * an.inverseAndLogDet(x);   // x [N, 3, 8, 8]: the first call in training mode initializes from x
 */
export class ActNorm extends Bijector {
  override readonly eventDim: number;
  logScale: Tensor;
  bias: Tensor;
  readonly #ev: Event;
  readonly #initialized: Tensor;

  constructor(eventShape: EventShape, options: ActNormOptions = {}) {
    super();
    const ev = resolveEvent(eventShape, 'ActNorm');
    const dtype = options.dtype ?? 'float32';
    this.#ev = ev;
    this.eventDim = ev.dim;
    this.logScale = zeros(ev.paramShape, { dtype, requiresGrad: true });
    this.bias = zeros(ev.paramShape, { dtype, requiresGrad: true });
    this.#initialized = tensor([0], { dtype });
    this.registerBuffer('initialized', this.#initialized);
  }

  /** Whether the data-dependent initialization has run (or was loaded with the weights). */
  get initialized(): boolean {
    return this.#initialized.data[0] !== 0;
  }

  /**
   * Sets bias and logScale from a batch on the data side (y: [N, ...event]),
   * in place: bias = per-feature mean, logScale = log of the per-feature
   * standard deviation (plus 1e-6, for constant features).
   */
  initialize(y: Tensor): void {
    checkInput(y, this.#ev, 'ActNorm.initialize');
    const f = this.#ev.features;
    const n = y.shape[0];
    const pos = this.#ev.positions;
    const count = n * pos;
    if (count < 2) throw new Error('ActNorm.initialize: needs at least two values per feature to estimate a standard deviation');
    const d = y.data;
    noGrad(() => {
      for (let k = 0; k < f; k++) {
        let m = 0;
        for (let i = 0; i < n; i++) for (let p = 0; p < pos; p++) m += d[(i * f + k) * pos + p];
        m /= count;
        let v = 0;
        for (let i = 0; i < n; i++) for (let p = 0; p < pos; p++) v += (d[(i * f + k) * pos + p] - m) ** 2;
        v /= count;
        this.bias.data[k] = m;
        this.logScale.data[k] = Math.log(Math.sqrt(v) + 1e-6);
      }
    });
    this.#initialized.data[0] = 1;
  }

  #logDet(n: number, sign: 1 | -1, dtype: DType): Tensor {
    const total = mul(sum(this.logScale), sign * this.#ev.positions);
    return perExample(total, n, dtype);
  }

  forwardAndLogDet(x: Tensor): FlowResult {
    checkInput(x, this.#ev, 'ActNorm.forward');
    return { value: add(mul(x, exp(this.logScale)), this.bias), logDet: this.#logDet(x.shape[0], 1, x.dtype) };
  }

  inverseAndLogDet(y: Tensor): FlowResult {
    checkInput(y, this.#ev, 'ActNorm.inverse');
    if (this.training && !this.initialized) this.initialize(y);
    return { value: mul(sub(y, this.bias), exp(neg(this.logScale))), logDet: this.#logDet(y.shape[0], -1, y.dtype) };
  }
}
