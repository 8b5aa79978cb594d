import type { FloatArray } from '../tensor/tensor.js';
import { checkBoolean, checkLr, checkNonNegative, Optimizer, type ParamGroup, type ParamState, type ParamsInput } from './optimizer.js';

/** Hyperparameters of `SGD`, per parameter group. */
export interface SGDOptions {
  /** Learning rate (required). */
  lr: number;
  /** Momentum factor, finite and non-negative (default 0). */
  momentum: number;
  /** Dampening of the momentum's gradient term (default 0). */
  dampening: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). Default false. */
  nesterov: boolean;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Maximize the objective instead of minimizing it. Default false. */
  maximize: boolean;
}

/**
 * Stochastic gradient descent with optional momentum, dampening, Nesterov
 * momentum and weight decay, following `torch.optim.SGD`:
 *
 *     d <- g + weightDecay * p
 *     b <- d at the first step, else momentum * b + (1 - dampening) * d
 *     d <- d + momentum * b  (Nesterov)  or  d <- b
 *     p <- p - lr * d
 *
 * (the momentum form of Sutskever et al., ICML 2013, with lr applied
 * outside the buffer, as PyTorch does).
 *
 * @example
 * const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true });
 * opt.zeroGrad(); loss.backward(); opt.step();
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: ParamsInput<SGDOptions>, options: Partial<SGDOptions> & { lr: number }) {
    if (typeof options !== 'object' || options === null || options.lr === undefined) {
      throw new Error('SGD: lr is required (e.g. new SGD(params, { lr: 0.01 }))');
    }
    super('SGD', params, { ...SGD_DEFAULTS, ...options });
  }

  protected validate(h: SGDOptions, where: string): void {
    checkLr(h.lr, where);
    checkNonNegative(h.momentum, where, 'momentum');
    if (typeof h.dampening !== 'number' || !Number.isFinite(h.dampening)) {
      throw new Error(`${where}: dampening must be a finite number, got ${String(h.dampening)}`);
    }
    checkNonNegative(h.weightDecay, where, 'weightDecay');
    checkBoolean(h.nesterov, where, 'nesterov');
    checkBoolean(h.maximize, where, 'maximize');
    if (h.nesterov && (h.momentum <= 0 || h.dampening !== 0)) {
      throw new Error(`${where}: nesterov needs momentum > 0 and dampening 0, got momentum ${h.momentum}, dampening ${h.dampening}`);
    }
  }

  protected bufferNames(): string[] {
    return []; // the momentum buffer is created at the first update with momentum, as a copy (below)
  }

  protected update(p: FloatArray, g: FloatArray, s: ParamState, group: ParamGroup<SGDOptions>): void {
    const { lr, momentum, dampening, nesterov, weightDecay, maximize } = group;
    const n = p.length;
    let buf = s.buffers.momentumBuffer;
    // The buffer starts as a copy of the first direction (not decayed zeros), as in PyTorch.
    const first = momentum !== 0 && buf === undefined;
    if (first) buf = s.buffers.momentumBuffer = p instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let d = maximize ? -g[i] : g[i];
      if (weightDecay !== 0) d = d + weightDecay * p[i];
      if (momentum !== 0) {
        buf![i] = first ? d : buf![i] * momentum + (1 - dampening) * d;
        d = nesterov ? d + momentum * buf![i] : buf![i];
      }
      p[i] = p[i] + -lr * d;
    }
  }
}

const SGD_DEFAULTS: Omit<SGDOptions, 'lr'> = {
  momentum: 0,
  dampening: 0,
  nesterov: false,
  weightDecay: 0,
  maximize: false,
};
