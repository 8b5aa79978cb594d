import type { FloatArray } from '../tensor/tensor.js';
import { kernel } from '../kernels/registry.js';
import { checkBoolean, checkLr, checkNonNegative, Optimizer, type ParamGroup, type ParamState, type ParamsInput } from './optimizer.js';

/** Hyperparameters of `Adam` and `AdamW`, per parameter group. */
export interface AdamOptions {
  /** Learning rate (default 1e-3). */
  lr: number;
  /** Decay rates of the first and second moment averages, each in [0, 1) (default [0.9, 0.999]). */
  betas: readonly [number, number];
  /** Added to the denominator for numerical stability, > 0 (default 1e-8). */
  eps: number;
  /** Weight decay: an L2 term added to the gradient (Adam) or decoupled shrinkage of the weights (AdamW). Default 0 for Adam, 1e-2 for AdamW. */
  weightDecay: number;
  /** Use the maximum of past second moments (AMSGrad; Reddi et al., ICLR 2018). Default false. */
  amsgrad: boolean;
  /** Maximize the objective instead of minimizing it. Default false. */
  maximize: boolean;
  /** Decoupled weight decay (AdamW). Default false for Adam, true for AdamW. */
  decoupledWeightDecay: boolean;
}

/**
 * Adam, with AdamW's decoupled weight decay as a flag: one implementation
 * following `torch.optim.Adam`/`AdamW` step for step. For each parameter
 * with gradient g at step t (counted per parameter):
 *
 *     g <- g + weightDecay * p                     (Adam's L2 form), or
 *     p <- p * (1 - lr * weightDecay)              (AdamW, decoupled)
 *     m <- beta1 m + (1 - beta1) g
 *     v <- beta2 v + (1 - beta2) g^2
 *     vmax <- max(vmax, v)                         (amsgrad; then v := vmax below)
 *     p <- p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 *
 * which is PyTorch's arrangement of the bias corrections (eps is added
 * after correcting v, not to sqrt(v) itself as in the paper's Algorithm 1).
 * Moment buffers have the parameter's dtype.
 *
 * Paper: Kingma & Ba, "Adam: A method for stochastic optimization", ICLR 2015;
 * AdamW: Loshchilov & Hutter, "Decoupled weight decay regularization", ICLR 2019.
 *
 * @example
 * const opt = new Adam(model.parameters(), { lr: 1e-3 });
 * for (const batch of batches) {
 *   opt.zeroGrad();
 *   loss(model, batch).backward();
 *   opt.step();
 * }
 */
export class Adam extends Optimizer<AdamOptions> {
  constructor(params: ParamsInput<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(options.decoupledWeightDecay ? 'AdamW' : 'Adam', params, { ...ADAM_DEFAULTS, ...options });
  }

  protected validate(h: AdamOptions, where: string): void {
    validateAdam(h, where);
  }

  protected bufferNames(group: ParamGroup<AdamOptions>): string[] {
    return group.amsgrad ? ['expAvg', 'expAvgSq', 'maxExpAvgSq'] : ['expAvg', 'expAvgSq'];
  }

  protected update(p: FloatArray, g: FloatArray, s: ParamState, group: ParamGroup<AdamOptions>): void {
    const { lr, eps, weightDecay, amsgrad, maximize, decoupledWeightDecay } = group;
    const [beta1, beta2] = group.betas;
    const m = s.buffers.expAvg;
    const v = s.buffers.expAvgSq;
    let vmax = s.buffers.maxExpAvgSq;
    if (amsgrad && !vmax) {
      // amsgrad switched on after earlier steps (e.g. by loadStateDict): start the maximum from v, as PyTorch's zeros then max would.
      vmax = s.buffers.maxExpAvgSq = v.slice();
    }
    const bc1 = 1 - beta1 ** s.step;
    const bc2Sqrt = Math.sqrt(1 - beta2 ** s.step);
    const stepSize = lr / bc1;
    const l2 = decoupledWeightDecay ? 0 : weightDecay;
    const shrink = decoupledWeightDecay ? 1 - lr * weightDecay : 1;
    // One pass over p, g, m, v in the `adamStep` kernel (native when built):
    // PyTorch's operations in its order (mul_ then add_, addcmul_, addcdiv_),
    // each in double and stored to the dtype, so float64 trajectories agree
    // with it to rounding and both backends give the same bits.
    kernel('adamStep')(p, g, m, v, amsgrad ? vmax! : null, stepSize, beta1, beta2, bc2Sqrt, eps, l2, shrink, maximize);
  }
}

/**
 * Adam with decoupled weight decay (default 1e-2, as `torch.optim.AdamW`):
 * the same implementation as `Adam` with `decoupledWeightDecay: true`.
 *
 * Paper: Loshchilov & Hutter, "Decoupled weight decay regularization", ICLR 2019.
 *
 * @example
 * const opt = new AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.05 });
 */
export class AdamW extends Adam {
  constructor(params: ParamsInput<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, { weightDecay: 1e-2, ...options, decoupledWeightDecay: true });
  }
}

const ADAM_DEFAULTS: AdamOptions = {
  lr: 1e-3,
  betas: [0.9, 0.999],
  eps: 1e-8,
  weightDecay: 0,
  amsgrad: false,
  maximize: false,
  decoupledWeightDecay: false,
};

function validateAdam(h: AdamOptions, where: string): void {
  checkLr(h.lr, where);
  const b = h.betas;
  if (!Array.isArray(b) || b.length !== 2) throw new Error(`${where}: betas must be a pair [beta1, beta2], got ${String(b)}`);
  b.forEach((beta, i) => {
    if (typeof beta !== 'number' || !(beta >= 0 && beta < 1)) {
      throw new Error(`${where}: betas[${i}] must be in [0, 1), got ${String(beta)}`);
    }
  });
  if (typeof h.eps !== 'number' || !Number.isFinite(h.eps) || !(h.eps > 0)) {
    throw new Error(`${where}: eps must be a finite positive number, got ${String(h.eps)}`);
  }
  checkNonNegative(h.weightDecay, where, 'weightDecay');
  checkBoolean(h.amsgrad, where, 'amsgrad');
  checkBoolean(h.maximize, where, 'maximize');
  checkBoolean(h.decoupledWeightDecay, where, 'decoupledWeightDecay');
}
