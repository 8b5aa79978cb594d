import { Tensor } from '../../tensor/tensor.js';
import { zeros } from '../../tensor/create.js';
import { add, bernoulliLogProbFromLogits, clamp, concat, exp, log, log1p, mul, neg, reshape, sub } from '../../ops/index.js';
import { noGrad } from '../../autograd/mode.js';
import { Module, Linear, Sequential, Conv2d, ConvTranspose2d, Flatten, Unflatten, mlp, activation } from '../../nn/index.js';
import { Normal, Independent, Bernoulli, type Distribution } from '../../distributions/index.js';
import type { Generator } from '../../random/generator.js';
import { validateVaeConfig, type VaeConfig } from './config.js';
import { FlowPosteriorDistribution, makePosteriorFlow, type PosteriorFlow } from './flow-posterior.js';

/** The approximate posterior q(z | x) and its parameters. */
export interface Posterior {
  /**
   * Independent(Normal(mu, exp(logvar / 2)), 1): batch [B], event [latent];
   * with a flow posterior (`config.posterior`), a FlowPosteriorDistribution
   * whose base is that Gaussian.
   */
  dist: Distribution;
  /** The Gaussian's mean and log-variance (the base q_0 under a flow). */
  mu: Tensor;
  logvar: Tensor;
}

/**
 * A variational autoencoder (Kingma & Welling 2014, "Auto-Encoding
 * Variational Bayes"; Rezende, Mohamed & Wierstra 2014): prior
 * p(z) = N(0, I), a decoder network giving p(x | z) (Bernoulli on logits,
 * or Gaussian with fixed or learned variance), and an encoder network
 * giving the amortized posterior q(z | x) = N(mu(x), diag(exp(logvar(x)))).
 * Training objectives (ELBO, beta, IWAE, ...) live in `objectives.ts`: they
 * combine `prior`, `likelihood` and `posterior`, and the model does not
 * re-derive them. With `conditionDim`, it is a conditional VAE: q(z | x, y)
 * and p(x | y, z) (Sohn et al. 2015). With `posterior`, q(z | x) is that
 * Gaussian followed by a normalizing flow conditioned on x (planar:
 * Rezende & Mohamed 2015; IAF: Kingma et al. 2016), and the objectives
 * estimate the KL term from the sample.
 *
 * Shapes: x is [B, C, H, W] or [B, D] (D = C H W); y is [B, conditionDim];
 * z is [..., B, latent] (leading sample dimensions allowed).
 *
 * @example
 * const vae = new VAE({ ...defaultVaeConfig, latent: 20 }, rng);
 * const q = vae.posterior(x);                       // q(z | x), batch [B]
 * const z = q.dist.rsample(rng);                    // [B, 20]
 * const ll = vae.likelihood(z).logProb(vae.flat(x));    // log p(x | z), [B]
 */
export class VAE extends Module<[Tensor], Tensor> {
  readonly config: VaeConfig;
  readonly dataDim: number;
  encoder: Module;
  muHead: Linear;
  logvarHead: Linear;
  decoder: Module;
  /** Per-pixel log standard deviation of the learned-variance Gaussian decoder. */
  logSigma: Tensor | null = null;
  /** The posterior's flow (`config.posterior`), conditioned on the encoder's features; null: a Gaussian posterior. */
  flow: PosteriorFlow | null = null;

  constructor(config: VaeConfig, rng: Generator) {
    super();
    this.config = validateVaeConfig({
      ...config, hidden: [...config.hidden], inputShape: [...config.inputShape], ...(typeof config.posterior === 'object' && config.posterior !== null ? { posterior: { ...config.posterior } } : {}),
    });
    const [c, h, w] = this.config.inputShape;
    const { latent, hidden, activation: act } = this.config;
    const cond = this.config.conditionDim ?? 0;
    // With maskInput the encoder reads [x ⊙ mask, mask]: twice the pixels (MLP) or channels (conv).
    const inputCopies = this.config.maskInput ? 2 : 1;
    this.dataDim = c * h * w;
    if (this.config.architecture === 'mlp') {
      this.encoder = mlp([inputCopies * this.dataDim + cond, ...hidden], { activation: act, outputActivation: act, rng });
      const top = hidden[hidden.length - 1];
      this.muHead = new Linear(top, latent, { rng });
      this.logvarHead = new Linear(top, latent, { rng });
      this.decoder = mlp([latent + cond, ...[...hidden].reverse(), this.dataDim], { activation: act, rng });
    } else {
      const f = 2 ** hidden.length;
      const [fh, fw] = [h / f, w / f];
      const feat = hidden[hidden.length - 1] * fh * fw;
      const enc: Module[] = [];
      let ch = inputCopies * c;
      for (const out of hidden) {
        enc.push(new Conv2d(ch, out, 4, { stride: 2, padding: 1, rng }), activation(act));
        ch = out;
      }
      enc.push(new Flatten());
      this.encoder = new Sequential(...enc);
      this.muHead = new Linear(feat + cond, latent, { rng });
      this.logvarHead = new Linear(feat + cond, latent, { rng });
      const dec: Module[] = [new Linear(latent + cond, feat, { rng }), activation(act), new Unflatten(1, [hidden[hidden.length - 1], fh, fw])];
      for (let i = hidden.length - 1; i >= 0; i--) {
        const out = i > 0 ? hidden[i - 1] : c;
        dec.push(new ConvTranspose2d(hidden[i], out, 4, { stride: 2, padding: 1, rng }));
        if (i > 0) dec.push(activation(act));
      }
      dec.push(new Flatten());
      this.decoder = new Sequential(...dec);
    }
    if (this.config.likelihood === 'gaussian-learned') this.logSigma = zeros([this.dataDim]).requireGrad();
    // Last, so the encoder and decoder draw the same initial weights as the same VAE without a flow.
    if (this.config.posterior) this.flow = makePosteriorFlow(this.config.posterior, this.muHead.inFeatures, latent, rng);
  }

  /** x as [B, D]. */
  flat(x: Tensor): Tensor {
    if (x.rank === 2 && x.shape[1] === this.dataDim) return x;
    if (x.rank === 4 && x.shape[1] * x.shape[2] * x.shape[3] === this.dataDim) return reshape(x, [x.shape[0], this.dataDim]);
    const [c, h, w] = this.config.inputShape;
    throw new Error(`VAE: expected x of shape [B, ${c}, ${h}, ${w}] or [B, ${this.dataDim}], got [${x.shape.join(', ')}]`);
  }

  private checkCondition(y: Tensor | undefined, batch: number): Tensor | null {
    const cond = this.config.conditionDim ?? 0;
    if (cond === 0) {
      if (y) throw new Error('VAE: this model is not conditional (conditionDim 0) but a condition y was given');
      return null;
    }
    if (!y || y.rank !== 2 || y.shape[1] !== cond || y.shape[0] !== batch) {
      throw new Error(`VAE: a conditional model needs y of shape [${batch}, ${cond}], got ${y ? `[${y.shape.join(', ')}]` : 'none'}`);
    }
    return y;
  }

  /**
   * q(z | x[, y]), or q(z | x_obs[, y]) when `inputMask` (1 = observed,
   * shaped like x) is given: the encoder then sees x ⊙ inputMask, and with
   * `maskInput` the mask itself (all ones when no mask is given).
   */
  posterior(x: Tensor, y?: Tensor, inputMask?: Tensor): Posterior {
    let xf = this.flat(x);
    const cond = this.checkCondition(y, xf.shape[0]);
    if (inputMask) {
      const m = this.flat(inputMask);
      if (m.shape[0] !== xf.shape[0]) throw new Error(`VAE: inputMask has ${m.shape[0]} rows but x has ${xf.shape[0]}`);
      xf = mul(xf, m);
      if (this.config.maskInput) xf = concat([xf, m], 1);
    } else if (this.config.maskInput) {
      xf = concat([xf, zeros(xf.shape, { dtype: xf.dtype }).add(1)], 1);
    }
    let h: Tensor;
    if (this.config.architecture === 'mlp') {
      h = this.encoder.forward(cond ? concat([xf, cond], 1) : xf);
    } else {
      const [c, hh, ww] = this.config.inputShape;
      // [x ⊙ m, m] as rows of 2D values become 2C channels: x's channels, then the mask's.
      h = this.encoder.forward(reshape(xf, [xf.shape[0], (xf.shape[1] / this.dataDim) * c, hh, ww]));
      if (cond) h = concat([h, cond], 1);
    }
    const mu = this.muHead.forward(h);
    const logvar = this.logvarHead.forward(h);
    const dist = new Independent(new Normal(mu, exp(mul(logvar, 0.5)), { validateArgs: false }), 1, { validateArgs: false });
    if (this.flow) return { dist: new FlowPosteriorDistribution(dist, this.flow, h), mu, logvar };
    return { dist, mu, logvar };
  }

  /** The prior p(z) = N(0, I) with batch shape `batch`. */
  prior(batch: readonly number[] = [], dtype: Tensor['dtype'] = 'float32'): Distribution {
    const shape = [...batch, this.config.latent];
    return new Independent(new Normal(zeros(shape, { dtype }), zeros(shape, { dtype }).add(1), { validateArgs: false }), 1, { validateArgs: false });
  }

  /**
   * The decoder's raw output for z [..., B, latent]: Bernoulli logits or
   * Gaussian means, [..., B, D]. Leading sample dimensions are folded into the batch.
   */
  decode(z: Tensor, y?: Tensor): Tensor {
    const lead = z.shape.slice(0, -1);
    let zz = z.rank === 2 ? z : reshape(z, [-1, this.config.latent]);
    if (this.config.conditionDim) {
      const b = lead[lead.length - 1];
      const cond = this.checkCondition(y, b)!;
      // Repeat y over leading sample dimensions.
      const reps = zz.shape[0] / b;
      const yy = reps === 1 ? cond : reshape(add(reshape(cond, [1, b, cond.shape[1]]), zeros([reps, b, cond.shape[1]], { dtype: cond.dtype })), [-1, cond.shape[1]]);
      zz = concat([zz, yy], 1);
    }
    const out = this.decoder.forward(zz);
    return z.rank === 2 ? out : reshape(out, [...lead, this.dataDim]);
  }

  /** p(x | z[, y]) with event shape [D]. */
  likelihood(z: Tensor, y?: Tensor): Distribution {
    return this.pixelLikelihood(this.decode(z, y));
  }

  /** The per-pixel distribution (batch [..., D], no event dims) from decoder output; `likelihood` wraps it in Independent. */
  pixelLikelihood(out: Tensor): Distribution {
    const base = this.pixelBase(out);
    return new Independent(base, 1, { validateArgs: false });
  }

  /**
   * log p(x_d | z) of each pixel, [..., B, D], from the decoder output
   * `out` = decode(z): one decoding serves several masks (observed and
   * missing pixels in `inpaint.ts`).
   */
  pixelLogProb(x: Tensor, out: Tensor): Tensor {
    return this.pixelBase(out).logProb(this.flat(x));
  }

  /** Per-pixel p(x_d | z), batch [..., D] (no event dims), from decoder output. */
  pixelBase(out: Tensor): Distribution {
    switch (this.config.likelihood) {
      case 'bernoulli':
        // Grey levels in [0, 1] are allowed as targets (the usual binary cross-entropy), hence no validation.
        return new Bernoulli({ logits: out, validateArgs: false });
      case 'gaussian':
        return new Normal(out, this.config.sigma ?? 0.1, { validateArgs: false });
      default:
        return new Normal(out, exp(this.logSigma!), { validateArgs: false });
    }
  }

  /**
   * log p(x | z) summed over pixels, counting only pixels where `mask` is 1
   * when a mask is given (partially observed data): [..., B].
   */
  logLikelihood(x: Tensor, z: Tensor, y?: Tensor, mask?: Tensor): Tensor {
    const xf = this.flat(x);
    const out = this.decode(z, y);
    // Bernoulli decoders: x l - softplus(l) summed over the pixels in one fused pass (and one for its gradient).
    if (!mask && this.config.likelihood === 'bernoulli') return bernoulliLogProbFromLogits(xf, out);
    if (!mask) return this.pixelLikelihood(out).logProb(xf);
    return mul(this.pixelBase(out).logProb(xf), this.flat(mask)).sum(-1);
  }

  /** The mean of p(x | z): sigmoid(logits) or the Gaussian mean, [..., B, D]. */
  mean(z: Tensor, y?: Tensor): Tensor {
    const out = this.decode(z, y);
    return this.config.likelihood === 'bernoulli' ? out.sigmoid() : out;
  }

  /** Draws z ~ p(z) and returns the decoder means [n, D] (the usual way to show samples). */
  sampleMeans(n: number, rng: Generator, y?: Tensor): Tensor {
    return noGrad(() => this.mean(this.prior([n]).sample(rng), y));
  }

  /**
   * One point of q(z | x[, y]) in the latent space the decoder reads, [B, latent]:
   * the posterior mean for a Gaussian q; for a flow posterior, the flow's
   * image of the base mean (the mode's image, not the mean of q). What
   * reconstructions, latent maps and interpolations use.
   */
  posteriorLocation(x: Tensor, y?: Tensor, inputMask?: Tensor): Tensor {
    const q = this.posterior(x, y, inputMask);
    return q.dist instanceof FlowPosteriorDistribution ? q.dist.flow.transform(q.mu, q.dist.context).value : q.mu;
  }

  /** Reconstruction: the decoder mean at `posteriorLocation`, [B, D]. */
  reconstruct(x: Tensor, y?: Tensor): Tensor {
    return noGrad(() => this.mean(this.posteriorLocation(x, y), y));
  }

  forward(x: Tensor): Tensor {
    return this.reconstruct(x);
  }

  /**
   * Sets the decoder's output bias to logit(mean pixel value), clamped to
   * [1e-3, 1 - 1e-3], as the IWAE paper does (Burda et al. 2016, §5): the
   * untrained model then predicts the data mean. MLP Bernoulli decoders only.
   */
  initOutputBias(meanImage: Tensor): void {
    if (this.config.likelihood !== 'bernoulli' || this.config.architecture !== 'mlp') return;
    const last = (this.decoder as Sequential).at(-1) as Linear;
    if (!last.bias) return;
    const m = clamp(reshape(meanImage, [this.dataDim]), 1e-3, 1 - 1e-3);
    const logit = sub(log(m), log1p(neg(m)));
    last.bias.data.set(logit.data);
  }
}
