import { Tensor } from '../../tensor/tensor.js';
import { zeros } from '../../tensor/create.js';
import { add, clamp, concat, exp, log, log1p, mul, neg, reshape, slice, sub, sum } from '../../ops/index.js';
import { noGrad } from '../../autograd/mode.js';
import { Module, Linear, mlp, type ActivationName, type Sequential } from '../../nn/index.js';
import { Bernoulli, Independent, Normal, klDivergence, type Distribution } from '../../distributions/index.js';
import type { Generator } from '../../random/generator.js';
import { streamingLogMeanExp } from '../../infer/logmeanexp.js';

/** How many of the four quadrants are given (the rest are to be predicted). */
export type GivenQuadrants = 1 | 2 | 3;

/**
 * The order in which quadrants become inputs in Pyro's CVAE example
 * (`examples/cvae/mnist.py`): with 1 given, the bottom-left; with 2, the
 * left half; with 3, all but the bottom-right.
 */
export const QUADRANT_ORDER = ['bottom-left', 'top-left', 'top-right', 'bottom-right'] as const;

/**
 * The quadrant (an index into `QUADRANT_ORDER`) of each pixel of an
 * height x width image, row-major; the split is at floor(height / 2) and
 * floor(width / 2), as in Pyro's example.
 */
export function quadrantIndex(height: number, width: number): Int32Array {
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 2 || width < 2) {
    throw new Error(`quadrantIndex: height and width must be integers >= 2, got ${height}x${width}`);
  }
  const out = new Int32Array(height * width);
  const h2 = Math.floor(height / 2);
  const w2 = Math.floor(width / 2);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const bottom = r >= h2;
      const left = c < w2;
      out[r * width + c] = bottom ? (left ? 0 : 3) : left ? 1 : 2;
    }
  }
  return out;
}

/**
 * Masks [D] (D = height width, 1 = in the set) of the `given` input
 * quadrants and of the `missing` ones, which partition the image.
 *
 * @example
 * const { given, missing } = quadrantMasks(1, 28, 28);
 * sum(given).item();   // returns 196 (the bottom-left 14 x 14)
 * sum(missing).item(); // returns 588
 */
export function quadrantMasks(given: GivenQuadrants, height = 28, width = 28): { given: Tensor; missing: Tensor } {
  if (given !== 1 && given !== 2 && given !== 3) throw new Error(`quadrantMasks: given must be 1, 2 or 3 quadrants, got ${JSON.stringify(given)}`);
  const q = quadrantIndex(height, width);
  const g = new Float32Array(q.length);
  const m = new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) {
    if (q[i] < given) g[i] = 1;
    else m[i] = 1;
  }
  return { given: new Tensor(g, [q.length]), missing: new Tensor(m, [q.length]) };
}

/**
 * Everything needed to rebuild a quadrant model: images 1 x height x width,
 * `given` quadrants as input, MLP widths `hidden`, and for the CVAE the
 * latent size.
 */
export interface QuadrantConfig {
  height: number;
  width: number;
  given: GivenQuadrants;
  hidden: number[];
  latent: number;
  activation: ActivationName;
}

export const defaultQuadrantConfig: QuadrantConfig = { height: 28, width: 28, given: 1, hidden: [500, 500], latent: 200, activation: 'relu' };

function validateQuadrantConfig(c: QuadrantConfig, where: string): QuadrantConfig {
  quadrantMasks(c.given, c.height, c.width);
  if (!Array.isArray(c.hidden) || c.hidden.length === 0 || c.hidden.some((h) => !Number.isInteger(h) || h < 1)) {
    throw new Error(`${where}: hidden must list at least one positive integer width, got ${JSON.stringify(c.hidden)}`);
  }
  if (!Number.isInteger(c.latent) || c.latent < 1) throw new Error(`${where}: latent must be a positive integer, got ${JSON.stringify(c.latent)}`);
  return c;
}

/** Shared by both models: flattening, the masks and the network input. */
abstract class QuadrantModel extends Module<[Tensor], Tensor> {
  readonly config: QuadrantConfig;
  readonly dataDim: number;
  // ES private fields: constants, not parameters (Module skips #private fields).
  readonly #given: Tensor;
  readonly #missing: Tensor;

  constructor(config: QuadrantConfig, where: string) {
    super();
    this.config = validateQuadrantConfig({ ...config, hidden: [...config.hidden] }, where);
    this.dataDim = config.height * config.width;
    const masks = quadrantMasks(config.given, config.height, config.width);
    this.#given = masks.given;
    this.#missing = masks.missing;
  }

  /** 1 on the input quadrants, [D]. */
  get givenMask(): Tensor {
    return this.#given;
  }

  /** 1 on the quadrants to predict, [D]. */
  get missingMask(): Tensor {
    return this.#missing;
  }

  /** x as [B, D]. */
  flat(x: Tensor): Tensor {
    const d = this.dataDim;
    if (x.rank === 2 && x.shape[1] === d) return x;
    if (x.rank === 4 && x.shape[1] === 1 && x.shape[2] === this.config.height && x.shape[3] === this.config.width) return reshape(x, [x.shape[0], d]);
    throw new Error(`quadrant model: expected images [B, 1, ${this.config.height}, ${this.config.width}] or [B, ${d}], got [${x.shape.join(', ')}]`);
  }

  /**
   * The network input y: the given quadrants of x, and -1 on the missing
   * ones (Pyro's convention, so a missing pixel differs from a black one), [B, D].
   */
  input(x: Tensor): Tensor {
    return sub(mul(this.flat(x), this.givenMask), sub(1, this.givenMask));
  }

  /** log p(x_missing | logits), summed over the missing pixels only: [..., B]. */
  protected missingLogLikelihood(x: Tensor, logits: Tensor): Tensor {
    const lp = new Bernoulli({ logits, validateArgs: false }).logProb(this.flat(x));
    return sum(mul(lp, this.missingMask), -1);
  }

  /** Sets an output layer's bias to logit(mean pixel), clamped to [1e-3, 1 - 1e-3], so the untrained net predicts the data mean. */
  protected setOutputBias(layer: Linear, meanImage: Tensor): void {
    if (!layer.bias) return;
    const m = clamp(reshape(meanImage, [this.dataDim]), 1e-3, 1 - 1e-3);
    layer.bias.data.set(sub(log(m), log1p(neg(m))).data);
  }
}

/**
 * The "plain network" of the quadrant benchmark (Pyro's CVAE example,
 * `baseline.py`): an MLP that predicts the missing quadrants of an image
 * deterministically from the given ones, p(x_missing | y) = prod Bernoulli(sigmoid(f(y))),
 * trained by the Bernoulli negative log-likelihood of the missing pixels.
 *
 * @example
 * const net = new QuadrantNet({ ...defaultQuadrantConfig, given: 2 }, rng);
 * const ll = net.logLikelihood(x);   // log p(x_missing | y), [B]
 */
export class QuadrantNet extends QuadrantModel {
  net: Sequential;

  constructor(config: QuadrantConfig, rng: Generator) {
    super(config, 'QuadrantNet');
    const d = this.dataDim;
    this.net = mlp([d, ...this.config.hidden, d], { activation: this.config.activation, rng });
  }

  /** The logits of every pixel given y, [B, D]. */
  logits(x: Tensor): Tensor {
    return this.net.forward(this.input(x));
  }

  /** log p(x_missing | y) in nats, [B]. */
  logLikelihood(x: Tensor): Tensor {
    return this.missingLogLikelihood(x, this.logits(x));
  }

  /** The predicted image: given quadrants as they are, missing ones filled with sigmoid(logits), [B, D]. */
  complete(x: Tensor): Tensor {
    return noGrad(() => {
      const xf = this.flat(x);
      return add(mul(xf, this.givenMask), mul(this.logits(xf).sigmoid(), this.missingMask));
    });
  }

  initOutputBias(meanImage: Tensor): void {
    this.setOutputBias(this.net.at(-1) as Linear, meanImage);
  }

  forward(x: Tensor): Tensor {
    return this.logits(x);
  }
}

/** An MLP trunk with two linear heads: a diagonal Gaussian N(mu, exp(logvar / 2)) over z. */
class GaussianNet extends Module<[Tensor], Tensor> {
  trunk: Sequential;
  mu: Linear;
  logvar: Linear;

  constructor(input: number, hidden: number[], latent: number, act: ActivationName, rng: Generator) {
    super();
    this.trunk = mlp([input, ...hidden], { activation: act, outputActivation: act, rng });
    this.mu = new Linear(hidden[hidden.length - 1], latent, { rng });
    this.logvar = new Linear(hidden[hidden.length - 1], latent, { rng });
  }

  params(x: Tensor): { mu: Tensor; logvar: Tensor } {
    const h = this.trunk.forward(x);
    return { mu: this.mu.forward(h), logvar: this.logvar.forward(h) };
  }

  forward(x: Tensor): Tensor {
    return this.params(x).mu;
  }
}

/** A diagonal Gaussian over z: the distribution (batch [B], event [latent]) and its per-dimension Normal. */
export interface GaussianLatent {
  dist: Distribution;
  normal: Normal;
  mu: Tensor;
  logvar: Tensor;
}

function gaussian(p: { mu: Tensor; logvar: Tensor }): GaussianLatent {
  const normal = new Normal(p.mu, exp(mul(p.logvar, 0.5)), { validateArgs: false });
  return { dist: new Independent(normal, 1, { validateArgs: false }), normal, ...p };
}

/**
 * A conditional VAE for image completion (Sohn, Lee & Yan 2015, "Learning
 * Structured Output Representation using Deep Conditional Generative
 * Models"; the protocol of Pyro's CVAE example): y is the given quadrants
 * of an image x, and the missing quadrants are generated through a latent z:
 *
 * - prior network p(z | y) = N(mu(y), diag sigma(y)^2) (learned, conditioned on y);
 * - recognition network q(z | x, y) = N(mu(x), diag sigma(x)^2) on the whole image;
 * - generation network p(x_missing | z, y), Bernoulli on the missing pixels.
 *
 * The conditional ELBO: log p(x_m | y) >= E_q[log p(x_m | z, y)] - KL(q(z | x, y) || p(z | y)),
 * and the importance-sampled estimate
 * log p(x_m | y) ~ logmeanexp_k [log p(x_m | z_k, y) + log p(z_k | y) - log q(z_k | x, y)].
 *
 * @example
 * const cvae = new QuadrantCVAE({ ...defaultQuadrantConfig, given: 1 }, rng);
 * const { elbo } = cvae.elbo(x, rng);                         // [B]
 * const ll = quadrantLogLikelihood(cvae, x, { k: 100, rng });   // per example, nats
 */
export class QuadrantCVAE extends QuadrantModel {
  priorNet: GaussianNet;
  recognitionNet: GaussianNet;
  generationNet: Sequential;

  constructor(config: QuadrantConfig, rng: Generator) {
    super(config, 'QuadrantCVAE');
    const { hidden, latent, activation: act } = this.config;
    const d = this.dataDim;
    this.priorNet = new GaussianNet(d, hidden, latent, act, rng);
    this.recognitionNet = new GaussianNet(d, hidden, latent, act, rng);
    this.generationNet = mlp([latent + d, ...[...hidden].reverse(), d], { activation: act, rng });
  }

  /** p(z | y), batch [B]. */
  prior(x: Tensor): GaussianLatent {
    return gaussian(this.priorNet.params(this.input(x)));
  }

  /** q(z | x, y), batch [B]: the recognition network sees the whole image (given and missing quadrants). */
  posterior(x: Tensor): GaussianLatent {
    return gaussian(this.recognitionNet.params(this.flat(x)));
  }

  /** Logits of every pixel for z [..., B, latent] and the input of x, [..., B, D]. */
  decode(z: Tensor, y: Tensor): Tensor {
    const lead = z.shape.slice(0, -1);
    const b = y.shape[0];
    const rows = z.rank === 2 ? z : reshape(z, [-1, this.config.latent]);
    const reps = rows.shape[0] / b;
    const yy = reps === 1 ? y : reshape(add(reshape(y, [1, b, this.dataDim]), zeros([reps, b, this.dataDim], { dtype: y.dtype })), [-1, this.dataDim]);
    const out = this.generationNet.forward(concat([rows, yy], 1));
    return z.rank === 2 ? out : reshape(out, [...lead, this.dataDim]);
  }

  /** log p(x_missing | z, y), [..., B]. */
  logLikelihood(x: Tensor, z: Tensor): Tensor {
    return this.missingLogLikelihood(x, this.decode(z, this.input(x)));
  }

  /**
   * The conditional ELBO per example with one reparameterized sample and
   * the closed-form KL between the two diagonal Gaussians: `elbo` = `rec` - `kl`, each [B].
   */
  elbo(x: Tensor, rng: Generator): { elbo: Tensor; rec: Tensor; kl: Tensor } {
    const xf = this.flat(x);
    const p = this.prior(xf);
    const q = this.posterior(xf);
    const z = q.dist.rsample(rng);
    const rec = this.logLikelihood(xf, z);
    const kl = sum(klDivergence(q.normal, p.normal), -1);
    return { elbo: sub(rec, kl), rec, kl };
  }

  /** log w = log p(x_m | z, y) + log p(z | y) - log q(z | x, y) for k samples z ~ q, [k, B]. */
  logImportanceWeights(x: Tensor, rng: Generator, k: number): Tensor {
    const xf = this.flat(x);
    const p = this.prior(xf);
    const q = this.posterior(xf);
    const z = q.dist.rsample(rng, [k]);
    return sub(add(this.logLikelihood(xf, z), p.dist.logProb(z)), q.dist.logProb(z));
  }

  /** Completions: given quadrants as they are, missing ones the decoder mean for z ~ p(z | y), [B, D]. */
  complete(x: Tensor, rng: Generator): Tensor {
    return noGrad(() => {
      const xf = this.flat(x);
      const z = this.prior(xf).dist.sample(rng);
      return add(mul(xf, this.givenMask), mul(this.decode(z, this.input(xf)).sigmoid(), this.missingMask));
    });
  }

  initOutputBias(meanImage: Tensor): void {
    this.setOutputBias(this.generationNet.at(-1) as Linear, meanImage);
  }

  forward(x: Tensor): Tensor {
    return this.prior(x).mu;
  }
}

export interface QuadrantLogLikelihoodOptions {
  /** Importance samples per example (at least 1; the benchmark uses 1000). */
  k: number;
  rng: Generator;
  /** Images per pass (default 100). */
  batchSize?: number;
  /** Decoder rows per pass, bounding memory: images x samples (default 10000). */
  rowsPerPass?: number;
}

/**
 * log p(x_missing | y) in nats per example [N]: exact for the plain
 * network; for the CVAE the importance-sampled estimate with k samples from
 * q(z | x, y), streamed (running max and rescaled sum) so k can be large.
 * Its mean is a lower bound of the true value in expectation that tightens
 * with k (Burda et al. 2016), and it is >= the ELBO in expectation.
 */
export function quadrantLogLikelihood(model: QuadrantNet | QuadrantCVAE, x: Tensor, o: QuadrantLogLikelihoodOptions): Float64Array {
  const xf = model.flat(x);
  const n = xf.shape[0];
  const bs = o.batchSize ?? 100;
  const rows = o.rowsPerPass ?? 10000;
  if (!Number.isInteger(o.k) || o.k < 1) throw new Error(`quadrantLogLikelihood: k must be a positive integer, got ${o.k}`);
  const out = new Float64Array(n);
  noGrad(() => {
    for (let start = 0; start < n; start += bs) {
      const end = Math.min(n, start + bs);
      const xb = slice(xf, 0, start, end);
      const b = end - start;
      if (model instanceof QuadrantNet) {
        const ll = model.logLikelihood(xb).data;
        for (let j = 0; j < b; j++) out[start + j] = ll[j];
        continue;
      }
      const chunk = Math.max(1, Math.min(o.k, Math.floor(rows / b)));
      out.set(streamingLogMeanExp(b, o.k, chunk, (c) => model.logImportanceWeights(xb, o.rng, c).data), start);
    }
  });
  return out;
}
