import { Tensor } from '../../tensor/tensor.js';
import { zeros } from '../../tensor/create.js';
import { add, exp, logSoftmax, mean, mul, neg, oneHot, reshape, slice, sub, sum, transpose } from '../../ops/index.js';
import { noGrad } from '../../autograd/mode.js';
import { Module, mlp, type ActivationName, type Sequential } from '../../nn/index.js';
import { Categorical, Normal, klDivergence } from '../../distributions/index.js';
import type { Generator } from '../../random/generator.js';
import { randn } from '../../random/sample.js';
import { VAE } from './vae.js';
import { validateVaeConfig, type LikelihoodKind, type VaeConfig } from './config.js';

/**
 * Everything needed to rebuild an M2 model (what `config.json` stores).
 *
 * - `inputShape` [C, H, W]: the images (flattened to D = C H W);
 * - `numClasses` K: the label y is one of K classes;
 * - `latent`, `hidden`, `activation`, `likelihood`: the conditional VAE
 *   q(z | x, y), p(x | y, z) (an MLP `VAE` with `conditionDim` = K);
 * - `classifierHidden`: hidden widths of the classifier q(y | x), an MLP
 *   D-h1-...-K with a softmax.
 */
export interface M2Config {
  inputShape: [number, number, number];
  numClasses: number;
  latent: number;
  hidden: number[];
  classifierHidden: number[];
  activation: ActivationName;
  likelihood: LikelihoodKind;
}

export const defaultM2Config: M2Config = {
  inputShape: [1, 28, 28],
  numClasses: 10,
  latent: 50,
  hidden: [256],
  classifierHidden: [256],
  activation: 'softplus',
  likelihood: 'bernoulli',
};

/** Checks an M2 config, naming the field at fault. */
export function validateM2Config(c: M2Config, where = 'M2'): M2Config {
  if (!Number.isInteger(c.numClasses) || c.numClasses < 2) throw new Error(`${where}: numClasses must be an integer >= 2, got ${JSON.stringify(c.numClasses)}`);
  if (!Array.isArray(c.classifierHidden) || c.classifierHidden.length === 0 || c.classifierHidden.some((h) => !Number.isInteger(h) || h < 1)) {
    throw new Error(`${where}: classifierHidden must list at least one positive integer width, got ${JSON.stringify(c.classifierHidden)}`);
  }
  if (!Array.isArray(c.inputShape) || !Array.isArray(c.hidden)) {
    throw new Error(`${where}: inputShape must be [channels, height, width] and hidden a list of widths, got ${JSON.stringify(c.inputShape)} and ${JSON.stringify(c.hidden)}`);
  }
  validateVaeConfig(m2VaeConfig(c), where);
  return c;
}

/** The conditional VAE inside an M2 model: an MLP with conditionDim = numClasses. */
export function m2VaeConfig(c: M2Config): VaeConfig {
  return {
    inputShape: [...c.inputShape], latent: c.latent, hidden: [...c.hidden], activation: c.activation,
    architecture: 'mlp', likelihood: c.likelihood, conditionDim: c.numClasses,
  };
}

/**
 * The classifier network of M2 (and of its labels-only baseline, so both
 * have the same architecture): an MLP D-h1-...-K giving the logits of
 * q(y | x).
 *
 * @example
 * const net = labelClassifier(defaultM2Config, new Generator(0));
 * net.forward(x).shape; // [B, 10]
 */
export function labelClassifier(c: M2Config, rng: Generator): Sequential {
  const [ch, h, w] = c.inputShape;
  return mlp([ch * h * w, ...c.classifierHidden, c.numClasses], { activation: c.activation, rng });
}

/** Integer labels or one-hot rows [B, K] as a one-hot float tensor. */
function asOneHot(y: Tensor | ArrayLike<number>, k: number, batch: number, dtype: Tensor['dtype']): Tensor {
  const t = y instanceof Tensor ? y : oneHot(Array.from(y), k, dtype);
  if (t.rank !== 2 || t.shape[0] !== batch || t.shape[1] !== k) {
    throw new Error(`M2: labels must be ${batch} class indices or one-hot rows [${batch}, ${k}], got ${y instanceof Tensor ? `a tensor [${t.shape.join(', ')}]` : `${(y as ArrayLike<number>).length} indices`}`);
  }
  return t;
}

/**
 * The semi-supervised generative model M2 (Kingma, Rezende, Mohamed &
 * Welling 2014, "Semi-Supervised Learning with Deep Generative Models",
 * §3.1.2): p(y) uniform over K classes, p(z) = N(0, I), p(x | y, z) a
 * decoder network; the inference model is q(y | x) (a classifier) and
 * q(z | x, y). The conditional parts are a `VAE` with `conditionDim` = K
 * (`this.vae`), not a copied model.
 *
 * - For a labeled pair, the bound of Eq. (6):
 *   log p(x, y) >= L(x, y) = E_q(z|x,y)[log p(x | y, z)] - KL(q(z | x, y) || p(z)) + log p(y).
 * - For an unlabeled x, y is summed out exactly (Eq. 7):
 *   log p(x) >= U(x) = sum_y q(y | x) L(x, y) + H(q(y | x)),
 *   with the K label hypotheses stacked into one batch of K B rows.
 * - The classifier also learns from the labels directly through
 *   alpha E_labeled[-log q(y | x)] (Eq. 9); see `m2Loss`.
 *
 * Shapes: x is [B, C, H, W] or [B, D]; labels are B class indices or
 * one-hot rows [B, K].
 *
 * @example
 * const m2 = new M2({ ...defaultM2Config, hidden: [256], latent: 50 }, rng);
 * const u = m2.unlabeledBound(x, rng);   // U(x), [B]
 * const yHat = m2.classify(xTest);       // Int32Array of predicted classes
 */
export class M2 extends Module<[Tensor], Tensor> {
  readonly config: M2Config;
  /** q(z | x, y) and p(x | y, z). */
  vae: VAE;
  /** The logits of q(y | x). */
  classifier: Sequential;

  constructor(config: M2Config, rng: Generator) {
    super();
    this.config = validateM2Config({ ...config, inputShape: [...config.inputShape], hidden: [...config.hidden], classifierHidden: [...config.classifierHidden] });
    this.vae = new VAE(m2VaeConfig(this.config), rng);
    this.classifier = labelClassifier(this.config, rng);
  }

  get numClasses(): number {
    return this.config.numClasses;
  }

  /** Logits of q(y | x), [B, K]. */
  logits(x: Tensor): Tensor {
    return this.classifier.forward(this.vae.flat(x));
  }

  /** q(y | x) as a Categorical with batch shape [B]. */
  labelPosterior(x: Tensor): Categorical {
    return new Categorical({ logits: this.logits(x), validateArgs: false });
  }

  /** log p(y) of the uniform prior: -log K. */
  get logPriorY(): number {
    return -Math.log(this.numClasses);
  }

  /**
   * L(x, y) of Eq. (6) with one reparameterized sample of z and the
   * closed-form KL, per example: [B]. `eps` [B, latent], when given, is the
   * standard normal noise of z = mu + sigma eps (otherwise drawn from rng).
   */
  labeledBound(x: Tensor, y: Tensor | ArrayLike<number>, rng: Generator, eps?: Tensor): Tensor {
    const xf = this.vae.flat(x);
    const yy = asOneHot(y, this.numClasses, xf.shape[0], xf.dtype);
    const q = this.vae.posterior(xf, yy);
    const std = exp(mul(q.logvar, 0.5));
    const z = add(q.mu, mul(std, eps ?? randn(q.mu.shape, rng, { dtype: q.mu.dtype })));
    const rec = this.vae.logLikelihood(xf, z, yy);
    const kl = sum(klDivergence(new Normal(q.mu, std, { validateArgs: false }), new Normal(0, 1, { validateArgs: false })), -1);
    return add(sub(rec, kl), this.logPriorY);
  }

  /**
   * L(x, y) for every label y at once, [B, K]: x repeated K times and the K
   * one-hot labels stacked into one pass of K B rows (label-major: rows
   * k B ... (k + 1) B - 1 hold label k).
   *
   * With `sharedNoise` (the default) the K hypotheses share one draw of eps
   * [B, latent] (common random numbers: z_y = mu(x, y) + sigma(x, y) eps),
   * so the differences L(x, y) - L(x, y') that steer q(y | x) carry the
   * model's preference rather than independent sampling noise; each L(x, y)
   * stays an unbiased one-sample estimate. The result equals K
   * `labeledBound` calls with labels 0..K-1 and that eps. Without it, each
   * hypothesis draws its own noise, in label order (equal to K successive
   * `labeledBound` calls on one rng).
   */
  enumeratedBounds(x: Tensor, rng: Generator, sharedNoise = true): Tensor {
    const xf = this.vae.flat(x);
    const [b, d] = xf.shape;
    const k = this.numClasses;
    const latent = this.config.latent;
    const xs = reshape(add(reshape(xf, [1, b, d]), zeros([k, b, d], { dtype: xf.dtype })), [k * b, d]);
    const labels = new Int32Array(k * b);
    for (let c = 0; c < k; c++) labels.fill(c, c * b, (c + 1) * b);
    let eps: Tensor | undefined;
    if (sharedNoise) {
      const e = randn([1, b, latent], rng, { dtype: xf.dtype });
      eps = reshape(add(e, zeros([k, b, latent], { dtype: xf.dtype })), [k * b, latent]);
    }
    const bounds = this.labeledBound(xs, oneHot(labels, k, xf.dtype), rng, eps);
    return transpose(reshape(bounds, [k, b]), 0, 1);
  }

  /**
   * U(x) of Eq. (7), per example: sum_y q(y | x) L(x, y) + H(q(y | x)), [B];
   * also the terms it is made of.
   */
  unlabeledTerms(x: Tensor, rng: Generator, sharedNoise = true): { bound: Tensor; bounds: Tensor; logq: Tensor; entropy: Tensor } {
    const logq = logSoftmax(this.logits(x), -1);
    const q = exp(logq);
    const bounds = this.enumeratedBounds(x, rng, sharedNoise);
    const entropy = neg(sum(mul(q, logq), -1));
    return { bound: add(sum(mul(q, bounds), -1), entropy), bounds, logq, entropy };
  }

  /** U(x), [B]. */
  unlabeledBound(x: Tensor, rng: Generator, sharedNoise = true): Tensor {
    return this.unlabeledTerms(x, rng, sharedNoise).bound;
  }

  /** The most probable class under q(y | x) for each example; batched, without gradients. */
  classify(x: Tensor, batchSize = 500): Int32Array {
    return classifyWith((xb) => this.logits(xb), this.vae.flat(x), batchSize);
  }

  /** The classifier's logits (so `forward` is q(y | x)). */
  forward(x: Tensor): Tensor {
    return this.logits(x);
  }
}

/**
 * Class predictions (argmax of the logits) of any classifier over x [N, D],
 * in batches, without gradients.
 */
export function classifyWith(logits: (x: Tensor) => Tensor, x: Tensor, batchSize = 500): Int32Array {
  const n = x.shape[0];
  const out = new Int32Array(n);
  noGrad(() => {
    for (let start = 0; start < n; start += batchSize) {
      const end = Math.min(n, start + batchSize);
      const l = logits(slice(x, 0, start, end));
      const k = l.shape[1];
      const d = l.data;
      for (let i = 0; i < end - start; i++) {
        let best = 0;
        for (let j = 1; j < k; j++) if (d[i * k + j] > d[i * k + best]) best = j;
        out[start + i] = best;
      }
    }
  });
  return out;
}

/**
 * The fraction of `predicted` equal to `labels` (same length, at least one).
 *
 * @example
 * accuracy([0, 1, 2, 2], [0, 1, 1, 2]); // returns 0.75
 */
export function accuracy(predicted: ArrayLike<number>, labels: ArrayLike<number>): number {
  if (predicted.length !== labels.length) throw new Error(`accuracy: ${predicted.length} predictions for ${labels.length} labels`);
  if (labels.length === 0) throw new Error('accuracy: no examples');
  let right = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) right++;
  return right / labels.length;
}

/** How the terms of M2's objective are weighted in one step. */
export interface M2LossOptions {
  /**
   * Weight alpha of E_labeled[-log q(y | x)] in the summed objective
   * J^alpha = sum_labeled -L + sum_unlabeled -U + alpha E_labeled[-log q(y | x)]
   * (Eq. 9). Kingma et al. use alpha = 0.1 N (the default).
   */
  alpha?: number;
  /** Labeled examples N_l and unlabeled examples N_u in the training set (N = N_l + N_u). */
  numLabeled: number;
  numUnlabeled: number;
  /** One noise draw shared by the K label hypotheses of an unlabeled example (default true; see `M2.enumeratedBounds`). */
  sharedNoise?: boolean;
}

/**
 * The minibatch estimate of J^alpha / N (Kingma et al. 2014, Eq. 9),
 * normalized per training example so the learning rate does not depend on N:
 *
 *   (N_u / N) mean_u[-U(x)] + (N_l / N) mean_l[-L(x, y)] + (alpha / N) mean_l[-log q(y | x)].
 *
 * With alpha = 0.1 N the classification term has weight 0.1 (per labeled
 * example, 0.1 N / N_l times the weight of its bound). Stats are per-example
 * means in nats: `U`, `L` (labeled bound), `ce`, `labeledAccuracy`, and
 * `bound` = -loss.
 */
export function m2Loss(
  model: M2, labeled: { x: Tensor; y: ArrayLike<number> }, unlabeled: { x: Tensor }, rng: Generator, o: M2LossOptions,
): { loss: Tensor; stats: Record<string, number> } {
  const n = o.numLabeled + o.numUnlabeled;
  if (!(o.numLabeled > 0 && o.numUnlabeled >= 0)) throw new Error(`m2Loss: numLabeled must be positive and numUnlabeled non-negative, got ${o.numLabeled} and ${o.numUnlabeled}`);
  const alpha = o.alpha ?? 0.1 * n;
  if (!(alpha >= 0 && Number.isFinite(alpha))) throw new Error(`m2Loss: alpha must be a finite number >= 0, got ${alpha}`);
  const b = labeled.x.shape[0];
  const y = oneHot(Array.from(labeled.y), model.numClasses, labeled.x.dtype);
  const lBound = model.labeledBound(labeled.x, y, rng);
  const logits = model.logits(labeled.x);
  const ce = neg(sum(mul(logSoftmax(logits, -1), y), -1));
  let loss = add(mul(mean(lBound), -o.numLabeled / n), mul(mean(ce), alpha / n));
  let uMean = NaN;
  if (unlabeled.x.shape[0] > 0) {
    const u = model.unlabeledBound(unlabeled.x, rng, o.sharedNoise ?? true);
    loss = add(loss, mul(mean(u), -o.numUnlabeled / n));
    uMean = mean(u).item();
  }
  let right = 0;
  const ld = logits.data;
  const k = model.numClasses;
  for (let i = 0; i < b; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (ld[i * k + j] > ld[i * k + best]) best = j;
    if (best === labeled.y[i]) right++;
  }
  return { loss, stats: { U: uMean, L: mean(lBound).item(), ce: mean(ce).item(), labeledAccuracy: right / b, bound: -loss.item() } };
}

/**
 * Cross-entropy of a classifier's logits [B, K] against class indices: the
 * labels-only baseline's loss, mean over the batch.
 */
export function crossEntropy(logits: Tensor, labels: ArrayLike<number>): Tensor {
  const k = logits.shape[logits.rank - 1];
  const y = oneHot(Array.from(labels), k, logits.dtype);
  return mean(neg(sum(mul(logSoftmax(logits, -1), y), -1)));
}
