// Autoregressive affine flows built on MADE: MAF (Papamakarios, Pavlakou &
// Murray 2017), which evaluates densities in one pass and samples in D, and
// IAF (Kingma, Salimans, Jozefowicz, Chen, Sutskever & Welling 2016), which
// samples in one pass and inverts in D.
import { Tensor, type DType } from '../../tensor/tensor.js';
import { add, div, exp, logSigmoid, mul, neg, sigmoid, sub, sum } from '../../ops/index.js';
import { zerosLike } from '../../tensor/create.js';
import type { Generator } from '../../random/generator.js';
import { Bijector, type FlowResult } from '../bijector.js';
import { MADE } from './made.js';
import { checkLast } from './planar.js';

/** Options of `MaskedAutoregressiveFlow` and `InverseAutoregressiveFlow`. */
export interface AutoregressiveFlowOptions {
  /** Generator of the MADE's initialization. */
  rng: Generator;
  /** MADE hidden widths (default [4 D]). */
  hidden?: number[];
  /** The autoregressive order (default 'natural'); alternate 'natural' and 'reversed' between stacked layers. */
  order?: 'natural' | 'reversed' | readonly number[];
  /** Size of a context vector h the shift and scale may depend on (default 0). */
  contextDim?: number;
  /** MADE's hidden nonlinearity (default relu). */
  activation?: 'relu' | 'tanh' | 'elu';
  /** Start with MADE's output layer at zero (MAF: the identity; IAF: z' = sigma(gateBias) z + (1 - sigma) 0). */
  zeroInit?: boolean;
  /** Parameter dtype (default float32). */
  dtype?: DType;
}

function made(dim: number, o: AutoregressiveFlowOptions): MADE {
  if (!o || !o.rng) throw new Error('autoregressive flow: options.rng (a Generator) is required for the initialization');
  const m = new MADE(dim, { rng: o.rng, hidden: o.hidden, order: o.order, contextDim: o.contextDim, activation: o.activation, dtype: o.dtype, outputsPerDim: 2 });
  if (o.zeroInit) {
    m.outputLayer.weight.data.fill(0);
    m.outputLayer.bias?.data.fill(0);
  }
  return m;
}

/**
 * Masked autoregressive flow layer. Forward (base u -> data x, sampling):
 * x_i = u_i exp(alpha_i) + mu_i with (mu, alpha) = MADE(x_<i), which takes
 * D sequential passes; inverse (data -> base, density evaluation):
 * u = (x - mu(x)) exp(-alpha(x)) in one pass, log |det du/dx| = -sum_i alpha_i.
 * Its `inv` is the affine IAF with the same parameters.
 *
 * Shapes: x [..., D], context [..., C] -> [..., D], logDet [...].
 *
 * Paper: Papamakarios, Pavlakou & Murray, "Masked Autoregressive Flow for Density Estimation", NeurIPS 2017, §3.
 *
 * @example
 * const maf = new MaskedAutoregressiveFlow(2, { hidden: [16], rng: new Generator(0) });
 * const { value: u, logDet } = maf.inverseAndLogDet(x);   // density: log p(x) = log N(u) + logDet
 */
export class MaskedAutoregressiveFlow extends Bijector {
  readonly dim: number;
  made: MADE;

  constructor(dim: number, options: AutoregressiveFlowOptions) {
    super();
    this.made = made(dim, options);
    this.dim = dim;
  }

  /** x from u by D passes (the i-th pass fixes the i-th dimension in order); log |det dx/du| = sum alpha(x). */
  forwardAndLogDet(u: Tensor, context?: Tensor): FlowResult {
    checkLast('MaskedAutoregressiveFlow', u, this.dim);
    let x = zerosLike(u);
    let alpha = x;
    for (let pass = 0; pass < this.dim; pass++) {
      const [mu, a] = this.made.blocks(x, context);
      x = add(mul(u, exp(a)), mu);
      alpha = a;
    }
    // After D passes every conditioner has seen the final x_<i, so the last pass's alpha is alpha(x).
    return { value: x, logDet: sum(alpha, -1) };
  }

  inverseAndLogDet(x: Tensor, context?: Tensor): FlowResult {
    checkLast('MaskedAutoregressiveFlow', x, this.dim);
    const [mu, alpha] = this.made.blocks(x, context);
    return { value: mul(sub(x, mu), exp(neg(alpha))), logDet: neg(sum(alpha, -1)) };
  }
}

/**
 * Inverse autoregressive flow layer with the numerically stable gated
 * update of Kingma et al. 2016 (their Algorithm 1 / eq. 14): with
 * (m, s) = MADE(z, h) and sigma = sigmoid(s),
 *   z' = sigma * z + (1 - sigma) * m,   log |det dz'/dz| = sum_i log sigma_i.
 * Forward (noise -> sample) is one pass; the inverse takes D passes. The
 * optional context h (from the encoder of a VAE) enters the MADE's first
 * layer. The IAF paper initializes s to be positive so each step starts
 * close to the identity: `gateBias` sets the initial bias of s (default 0).
 *
 * Shapes: z [..., D], context [..., C] -> [..., D], logDet [...].
 *
 * Paper: Kingma, Salimans, Jozefowicz, Chen, Sutskever & Welling, "Improved
 * Variational Inference with Inverse Autoregressive Flow", NeurIPS 2016, §4.
 *
 * @example
 * const iaf = new InverseAutoregressiveFlow(20, { hidden: [320], contextDim: 400, rng });
 * const { value: zK, logDet } = iaf.forwardAndLogDet(z0, h);   // log q(zK | x) = log q(z0 | x) - logDet
 */
export class InverseAutoregressiveFlow extends Bijector {
  readonly dim: number;
  made: MADE;

  constructor(dim: number, options: AutoregressiveFlowOptions & { gateBias?: number }) {
    super();
    this.made = made(dim, options);
    this.dim = dim;
    if (options.gateBias !== undefined) {
      if (!Number.isFinite(options.gateBias)) throw new Error(`InverseAutoregressiveFlow: gateBias must be finite, got ${options.gateBias}`);
      const bias = this.made.outputLayer.bias!.data;
      for (let i = dim; i < 2 * dim; i++) bias[i] = options.gateBias;
    }
  }

  forwardAndLogDet(z: Tensor, context?: Tensor): FlowResult {
    checkLast('InverseAutoregressiveFlow', z, this.dim);
    const [m, s] = this.made.blocks(z, context);
    const sigma = sigmoid(s);
    // sigma z + (1 - sigma) m = m + sigma (z - m): one multiply, and no log of a difference.
    const value = add(m, mul(sigma, sub(z, m)));
    return { value, logDet: sum(logSigmoid(s), -1) };
  }

  /** z from z' by D passes: z_i = m_i + (z'_i - m_i) / sigma_i with (m, sigma) from z_<i. */
  inverseAndLogDet(y: Tensor, context?: Tensor): FlowResult {
    checkLast('InverseAutoregressiveFlow', y, this.dim);
    let z = zerosLike(y);
    let s = z;
    for (let pass = 0; pass < this.dim; pass++) {
      const [m, sp] = this.made.blocks(z, context);
      z = add(m, div(sub(y, m), sigmoid(sp)));
      s = sp;
    }
    return { value: z, logDet: neg(sum(logSigmoid(s), -1)) };
  }
}
