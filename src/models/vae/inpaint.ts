import { Tensor } from '../../tensor/tensor.js';
import { zeros } from '../../tensor/create.js';
import { add, concat, logsumexp, mul, neg, reshape, slice, stack, sub, sum } from '../../ops/index.js';
import { noGrad } from '../../autograd/mode.js';
import type { Generator } from '../../random/generator.js';
import type { Dataset } from '../../data/dataset.js';
import { minibatches } from '../../data/batches.js';
import { Adam } from '../../optim/index.js';
import { fit } from '../train.js';
import type { VAE } from './vae.js';
import { makeObjective, type Batch, type ObjectiveSpec } from './objectives.js';
import { makeMask, type MaskSpec } from './masks.js';

/** Which pixels the likelihood counts when training with masks. */
export type MaskedLikelihood = 'observed' | 'all';

/**
 * The batch for training on masked images: the encoder sees x ⊙ mask (and
 * the mask, with `maskInput`); the likelihood counts the observed pixels
 * only (`'observed'`: training on partially observed data, the missing
 * values never enter the loss) or all of them (`'all'`: denoising-style,
 * when complete images are available and the mask is a corruption).
 *
 * @example
 * const m = makeMask({ kind: 'half', side: 'top' }, b.x.shape[0], [1, 28, 28]);
 * objective.evaluate(vae, maskedBatch(b.x, m, 'observed'), rng, step);
 */
export function maskedBatch(x: Tensor, mask: Tensor, likelihood: MaskedLikelihood, y?: Tensor): Batch {
  if (likelihood !== 'observed' && likelihood !== 'all') throw new Error(`maskedBatch: likelihood must be 'observed' or 'all', got ${JSON.stringify(likelihood)}`);
  return likelihood === 'observed' ? { x, y, mask, inputMask: mask } : { x, y, inputMask: mask };
}

/**
 * The mean image [D] over observed entries only (per pixel: sum x m /
 * sum m); a pixel never observed gets the mean of all observed values. For
 * `VAE.initOutputBias` on partially observed data.
 */
export function observedMeanImage(x: Tensor, mask: Tensor): Tensor {
  const n = x.shape[0];
  const d = x.size / n;
  if (mask.size !== x.size) throw new Error(`observedMeanImage: mask has ${mask.size} values, x has ${x.size}`);
  const xs = x.data;
  const ms = mask.data;
  const s = new Float64Array(d);
  const c = new Float64Array(d);
  let total = 0, count = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const m = ms[i * d + j];
      s[j] += m * xs[i * d + j];
      c[j] += m;
    }
  }
  for (let j = 0; j < d; j++) { total += s[j]; count += c[j]; }
  const fallback = count > 0 ? total / count : 0.5;
  return new Tensor(Float32Array.from(s, (v, j) => (c[j] > 0 ? v / c[j] : fallback)), [d]);
}

export interface FitMaskedOptions {
  rng: Generator;
  epochs: number;
  batchSize?: number;
  lr?: number;
  /** Masks drawn afresh for every batch (from `rng`); none: complete data. */
  mask?: MaskSpec;
  /** Default 'observed'. */
  likelihood?: MaskedLikelihood;
  /** Default the ELBO. */
  objective?: ObjectiveSpec;
  /** Default 'dynamic' (fresh Bernoulli pixels per batch). */
  binarize?: 'dynamic' | 'none';
  /** Initialise the decoder's output bias from the (observed) mean image (default true). */
  initBias?: boolean;
  onEpoch?: (epoch: number, meanLoss: number, seconds: number) => void;
}

/**
 * Trains a VAE on images with masks drawn per batch (see `maskedBatch`):
 * `mask` with `likelihood: 'observed'` is training on partially observed
 * data (the seeds' "MNIST with the top half missing" is
 * `{ kind: 'half', side: 'top' }`), with `'all'` it is denoising-style
 * training on complete data. Returns the mean loss of each epoch.
 *
 * @example
 * fitMaskedVae(vae, train, { rng, epochs: 20, mask: { kind: 'half', side: 'top' } });
 */
export function fitMaskedVae(vae: VAE, data: Dataset, o: FitMaskedOptions): number[] {
  const bs = o.batchSize ?? 100;
  const likelihood = o.likelihood ?? 'observed';
  const objective = makeObjective(o.objective ?? { kind: 'elbo' });
  const shape = vae.config.inputShape;
  if (o.initBias ?? true) {
    const x = reshape(data.images, [data.length, vae.dataDim]);
    // Only what training sees: for 'observed', the observed pixels of one draw of masks.
    const m = o.mask && likelihood === 'observed' ? makeMask(o.mask, data.length, shape, o.rng.fork()) : null;
    vae.initOutputBias(m ? observedMeanImage(x, m) : sum(x, 0).div(data.length));
  }
  const optimizer = new Adam(vae.parameters(), { lr: o.lr ?? 1e-3 });
  const losses: number[] = [];
  vae.train();
  fit({
    model: vae, optimizer, epochs: o.epochs, batchesPerEpoch: Math.ceil(data.length / bs),
    epochBatches: () => minibatches(data, { batchSize: bs, shuffle: true, rng: o.rng, binarize: o.binarize ?? 'dynamic' }),
    loss: (b, step) => {
      const batch: Batch = o.mask ? maskedBatch(b.x, makeMask(o.mask, b.x.shape[0], shape, o.rng), likelihood) : { x: b.x };
      return objective.evaluate(vae, batch, o.rng, step);
    },
    onEpoch: (r) => {
      losses.push(r.means.loss);
      o.onEpoch?.(r.epoch, r.means.loss, r.seconds);
    },
  });
  vae.eval();
  return losses;
}

export type InpaintMethod = 'mean' | 'pseudo-gibbs' | 'metropolis-gibbs';
export const INPAINT_METHODS: readonly InpaintMethod[] = Object.freeze(['mean', 'pseudo-gibbs', 'metropolis-gibbs']);

export interface InpaintOptions {
  rng: Generator;
  /** Default 'mean' (one pass); the iterative ones run `iterations` steps. */
  method?: InpaintMethod;
  /** Steps of the chain (default 100). */
  iterations?: number;
  /** Steps left out of the average that gives `completed` (default floor(iterations / 2)). */
  burnIn?: number;
  /**
   * What the encoder sees when proposing z: the current completed image
   * (`'completed'`, default, Mattei & Frellsen's choice) or only the observed
   * pixels (`'observed'`: an independence proposal q(z | x_obs), useful for
   * a model whose encoder was only ever shown masked images). The
   * Metropolis-within-Gibbs chain is exact with either.
   */
  proposal?: 'completed' | 'observed';
  /** Conditions of a conditional VAE, [B, conditionDim]. */
  y?: Tensor;
}

export interface InpaintResult {
  /**
   * [B, D]: the observed pixels of x exactly, the missing ones filled with
   * the estimate of E[x_miss | x_obs]: the decoder mean at the posterior
   * mean (`mean`), or the average of the decoder means E[x_miss | z_t] over
   * the chain after burn-in (Rao-Blackwellized, iterative methods).
   */
  completed: Tensor;
  /** [B, D]: the chain's last draw of the missing pixels, observed ones kept (iterative methods). */
  sample?: Tensor;
  /** Per example, the fraction of accepted z proposals (Metropolis-within-Gibbs). */
  acceptance?: Float64Array;
}

function checkMask(vae: VAE, x: Tensor, mask: Tensor, who: string): { xf: Tensor; m: Tensor } {
  const xf = vae.flat(x);
  let m: Tensor;
  try {
    m = vae.flat(mask);
  } catch {
    throw new Error(`${who}: mask must have x's shape [${x.shape.join(', ')}] or [B, ${vae.dataDim}], got [${mask.shape.join(', ')}]`);
  }
  if (m.shape[0] !== xf.shape[0]) throw new Error(`${who}: mask has ${m.shape[0]} rows but x has ${xf.shape[0]}`);
  return { xf, m };
}

/** x where the mask is 1, fill where it is 0 (exactly: each output is one of the two inputs). */
function merge(x: Tensor, fill: Tensor, m: Tensor): Tensor {
  const xs = x.data, fs = fill.data, ms = m.data;
  const out = new Float32Array(xs.length);
  for (let i = 0; i < out.length; i++) out[i] = ms[i] !== 0 ? xs[i] : fs[i];
  return new Tensor(out, x.shape);
}

/**
 * log p(x̂ | z) + log p(z) - log q(z | x̂) per example [B]: the log
 * importance weight of z for the complete image x̂, given the decoder
 * output `out` = decode(z) and the proposal q.
 */
function logWeight(vae: VAE, xhat: Tensor, out: Tensor, z: Tensor, q: ReturnType<VAE['posterior']>): Tensor {
  const logPz = vae.prior([z.shape[0]], z.dtype).logProb(z);
  return sub(add(sum(vae.pixelLogProb(xhat, out), -1), logPz), q.dist.logProb(z));
}

/**
 * The log Metropolis-Hastings ratio of the z-step of Metropolis-within-Gibbs
 * (Mattei & Frellsen 2018, Algorithm 1), per example [B]:
 *
 *   log rho = [log p(x̂ | z') + log p(z') - log q(z' | x̂)]
 *           - [log p(x̂ | z)  + log p(z)  - log q(z | x̂)],
 *
 * for the current z, a proposal z' ~ q(z | x̂) (an independence proposal
 * given the completed image x̂ = x_obs ∪ x_miss), targeting p(z | x̂). z' is
 * accepted with probability min(1, exp(log rho)). `inputMask` is what the
 * encoder is shown (default: all of x̂).
 *
 * @example
 * const logRho = mwgLogAcceptance(vae, xhat, z, zNew);  // Float64Array [B]
 */
export function mwgLogAcceptance(vae: VAE, xhat: Tensor, zCurrent: Tensor, zProposed: Tensor, o: { y?: Tensor; inputMask?: Tensor } = {}): Float64Array {
  return noGrad(() => {
    const q = vae.posterior(xhat, o.y, o.inputMask);
    const r = sub(logWeight(vae, xhat, vae.decode(zProposed, o.y), zProposed, q), logWeight(vae, xhat, vae.decode(zCurrent, o.y), zCurrent, q));
    return Float64Array.from(r.data);
  });
}

/**
 * Fills the missing pixels of x (mask 0) from the observed ones (mask 1),
 * never changing an observed pixel.
 *
 * - `mean`: decode the posterior mean of q(z | x_obs) (`VAE.posteriorLocation`:
 *   the flow's image of the base mean with a flow posterior; the encoder sees
 *   x ⊙ mask, and the mask with `maskInput`).
 * - `pseudo-gibbs` (Rezende, Mohamed & Wierstra 2014, §5): alternate
 *   z ~ q(z | x̂) and x_miss ~ p(x_miss | z), always accepting; its
 *   stationary distribution is only approximately p(x_miss | x_obs), since
 *   q is not the exact posterior.
 * - `metropolis-gibbs` (Mattei & Frellsen 2018, "Leveraging the exact
 *   likelihood of deep latent variable models", Algorithm 1): the same
 *   proposal, accepted with the Metropolis-Hastings ratio of
 *   `mwgLogAcceptance`, so the chain's stationary distribution is exactly
 *   p(z, x_miss | x_obs) under the model.
 *
 * The chain starts at z_0 = the posterior mean of q(z | x_obs) and
 * x_miss_0 ~ p(x_miss | z_0). Shapes: x and mask [B, C, H, W] or [B, D];
 * outputs [B, D]. x's values at missing pixels are ignored.
 *
 * @example
 * const mask = makeMask({ kind: 'half', side: 'top' }, 16, [1, 28, 28]);
 * const { completed, acceptance } = inpaint(vae, x, mask, { rng, method: 'metropolis-gibbs', iterations: 200 });
 */
export function inpaint(vae: VAE, x: Tensor, mask: Tensor, o: InpaintOptions): InpaintResult {
  const method = o.method ?? 'mean';
  if (!INPAINT_METHODS.includes(method)) throw new Error(`inpaint: method must be one of ${INPAINT_METHODS.join(', ')}, got ${JSON.stringify(method)}`);
  const iterations = o.iterations ?? 100;
  const burnIn = o.burnIn ?? Math.floor(iterations / 2);
  if (!Number.isInteger(iterations) || iterations < 1) throw new Error(`inpaint: iterations must be a positive integer, got ${iterations}`);
  if (!Number.isInteger(burnIn) || burnIn < 0 || burnIn >= iterations) throw new Error(`inpaint: burnIn must be an integer in [0, iterations), got ${burnIn}`);
  const proposal = o.proposal ?? 'completed';
  if (proposal !== 'completed' && proposal !== 'observed') throw new Error(`inpaint: proposal must be 'completed' or 'observed', got ${JSON.stringify(proposal)}`);
  const { xf, m } = checkMask(vae, x, mask, 'inpaint');
  const b = xf.shape[0];
  const wasTraining = vae.training;
  vae.eval();
  try {
    return noGrad(() => {
      const mu0 = vae.posteriorLocation(xf, o.y, m);
      let out = vae.decode(mu0, o.y);
      if (method === 'mean') return { completed: merge(xf, vae.mean(mu0, o.y), m) };
      let z = mu0;
      let xmiss = vae.pixelBase(out).sample(o.rng);
      let meanSum = zeros([b, vae.dataDim], { dtype: 'float64' });
      const acc = new Float64Array(b);
      const u = new Float64Array(b);
      for (let t = 0; t < iterations; t++) {
        const xhat = merge(xf, xmiss, m);
        const q = vae.posterior(xhat, o.y, proposal === 'observed' ? m : undefined);
        const zp = q.dist.sample(o.rng);
        const outp = vae.decode(zp, o.y);
        if (method === 'pseudo-gibbs') {
          z = zp;
          out = outp;
        } else {
          const logRho = sub(logWeight(vae, xhat, outp, zp, q), logWeight(vae, xhat, out, z, q)).data;
          o.rng.fillUniform01(u);
          const a = new Float32Array(b);
          for (let i = 0; i < b; i++) {
            // Accept with probability min(1, rho): u < rho, i.e. log u < log rho (a NaN ratio rejects).
            if (Math.log(u[i]) < logRho[i]) {
              a[i] = 1;
              acc[i]++;
            }
          }
          const at = new Tensor(a, [b, 1]);
          const keep = neg(at).add(1);
          z = add(mul(zp, at), mul(z, keep));
          out = add(mul(outp, at), mul(out, keep));
        }
        xmiss = vae.pixelBase(out).sample(o.rng);
        if (t >= burnIn) meanSum = add(meanSum, vae.config.likelihood === 'bernoulli' ? out.sigmoid() : out);
      }
      const avg = mul(meanSum, 1 / (iterations - burnIn)).cast('float32');
      const result: InpaintResult = { completed: merge(xf, avg, m), sample: merge(xf, xmiss, m) };
      if (method === 'metropolis-gibbs') result.acceptance = acc.map((v) => v / iterations);
      return result;
    });
  } finally {
    if (wasTraining) vae.train();
  }
}

export interface ConditionalLogLikelihood {
  /** Per example: the estimate of log p(x_obs), nats. */
  logObserved: Float64Array;
  /** Per example: the estimate of log p(x_obs, x_miss) = log p(x), nats. */
  logJoint: Float64Array;
  /** Per example: logJoint - logObserved, the estimate of log p(x_miss | x_obs), nats. */
  logConditional: Float64Array;
  k: number;
}

export interface ConditionalLogLikelihoodOptions {
  rng: Generator;
  /** Importance samples (default 1000). */
  k?: number;
  y?: Tensor;
  /** Decoder rows per pass (images x samples), bounding memory (default 4000). */
  rowsPerPass?: number;
  /**
   * The importance distribution: q(z | x_obs) (`'observed'`, default), or
   * the defensive mixture (q(z | x_obs) + q(z | x)) / 2 (`'mixture'`,
   * Hesterberg 1995), half the draws from each component, for evaluation
   * when the complete x is known: an encoder trained on complete images
   * proposes well for log p(x) from x but may not from x ⊙ mask, one trained
   * on masked images the other way round, and the mixture's weights are at
   * most twice those of either component.
   */
  proposal?: 'observed' | 'mixture';
}

/**
 * Importance-sampled log p(x_miss | x_obs) = log p(x_miss, x_obs) - log p(x_obs),
 * the score of an inpainting under the model (x holds the true values of
 * the missing pixels; the encoder never sees them). With z_1..z_K drawn
 * from q(z | x_obs) (the encoder shown x ⊙ mask) and
 * w_k = p(x_obs | z_k) p(z_k) / q(z_k | x_obs):
 *
 *   log p̂(x_obs) = log (1/K) sum_k w_k,
 *   log p̂(x)     = log (1/K) sum_k w_k p(x_miss | z_k),
 *
 * the IWAE bound of Burda et al. 2016 for each (the same draws serve both,
 * so the difference is log sum_k w̄_k p(x_miss | z_k) with w̄ the
 * self-normalized weights: an importance-sampling estimate of
 * E_{p(z | x_obs)} p(x_miss | z)).
 *
 * Bias: each term is a lower bound in expectation (Jensen), rising with K
 * to the true value (Burda et al. 2016, Theorem 1); log p̂(x_obs) is the
 * right-way-round bound for the observed half. The difference has no
 * guaranteed sign; to first order in 1/K its bias is
 * -(V_joint - V_obs) / (2K), V the relative variance of each term's weights,
 * and since q(z | x_obs) knows nothing of x_miss the joint's weights vary
 * more, so log p̂(x_miss | x_obs) is typically too low (the conditional NLL
 * too high), shrinking as K grows. Both are consistent as K → ∞.
 *
 * How large that bias is depends on the encoder. For a VAE trained on
 * complete MNIST digits, q(z | x ⊙ mask) with the top half blanked is a poor
 * proposal: on 300 test digits -log p̂(x) came out at 190, 178 and 171 nats
 * for K = 100, 1000, 5000 against 103 from the usual full-image estimate, and
 * the conditional NLL at 118-103 nats against ~41 with the mixture below.
 * `proposal: 'mixture'` (evaluation only: it needs the true x) adds q(z | x)
 * as a second component and brought -log p̂(x) to within 0.3 nat of the
 * full-image value; see BENCHMARKS.md.
 *
 * @example
 * const r = conditionalLogLikelihood(vae, x, mask, { rng, k: 1000 });
 * // -mean(r.logConditional): nats per image to encode the missing pixels given the rest
 */
export function conditionalLogLikelihood(vae: VAE, x: Tensor, mask: Tensor, o: ConditionalLogLikelihoodOptions): ConditionalLogLikelihood {
  const k = o.k ?? 1000;
  const rows = o.rowsPerPass ?? 4000;
  const proposal = o.proposal ?? 'observed';
  if (proposal !== 'observed' && proposal !== 'mixture') throw new Error(`conditionalLogLikelihood: proposal must be 'observed' or 'mixture', got ${JSON.stringify(proposal)}`);
  if (proposal === 'mixture' && (k < 2 || k % 2 !== 0)) throw new Error(`conditionalLogLikelihood: the mixture proposal draws half of k from each component; k must be even, got ${k}`);
  if (!Number.isInteger(k) || k < 1) throw new Error(`conditionalLogLikelihood: k must be a positive integer, got ${k}`);
  if (!Number.isInteger(rows) || rows < 1) throw new Error(`conditionalLogLikelihood: rowsPerPass must be a positive integer, got ${rows}`);
  const { xf, m } = checkMask(vae, x, mask, 'conditionalLogLikelihood');
  const b = xf.shape[0];
  const miss = neg(m).add(1);
  // Running log-sum-exp per example: maximum and rescaled sum, for the observed and the joint weights.
  const mo = new Float64Array(b).fill(-Infinity), so = new Float64Array(b);
  const mj = new Float64Array(b).fill(-Infinity), sj = new Float64Array(b);
  const accumulate = (mx: Float64Array, s: Float64Array, j: number, v: number) => {
    if (v > mx[j]) {
      s[j] = s[j] * Math.exp(mx[j] - v) + 1;
      mx[j] = v;
    } else if (v > -Infinity) {
      s[j] += Math.exp(v - mx[j]);
    }
  };
  const wasTraining = vae.training;
  vae.eval();
  try {
    noGrad(() => {
      const q = vae.posterior(xf, o.y, m);
      const qFull = proposal === 'mixture' ? vae.posterior(xf, o.y) : null;
      const chunk = Math.max(1, Math.min(k, Math.floor(rows / b)));
      for (let done = 0; done < k; done += chunk) {
        // Stratified mixture draws: the first k/2 from q(z | x_obs), the rest from q(z | x); every draw
        // is weighted by the mixture density, which keeps the estimate of each p unbiased.
        const c = Math.min(chunk, k - done, (qFull && done < k / 2) ? k / 2 - done : Infinity);
        const z = ((qFull && done >= k / 2) ? qFull : q).dist.sample(o.rng, [c]); // [c, B, latent]
        const lp = vae.pixelLogProb(xf, vae.decode(z, o.y)); // [c, B, D]
        const logQ = qFull ? sub(logsumexp(stack([q.dist.logProb(z), qFull.dist.logProb(z)], 0), 0), Math.LN2) : q.dist.logProb(z);
        const logW = sub(add(sum(mul(lp, m), -1), vae.prior([c, b], z.dtype).logProb(z)), logQ).data;
        const logMiss = sum(mul(lp, miss), -1).data;
        for (let i = 0; i < c; i++) {
          for (let j = 0; j < b; j++) {
            accumulate(mo, so, j, logW[i * b + j]);
            accumulate(mj, sj, j, logW[i * b + j] + logMiss[i * b + j]);
          }
        }
      }
    });
  } finally {
    if (wasTraining) vae.train();
  }
  const lme = (mx: number, s: number) => (mx === -Infinity ? -Infinity : mx + Math.log(s) - Math.log(k));
  const logObserved = Float64Array.from(mo, (v, j) => lme(v, so[j]));
  const logJoint = Float64Array.from(mj, (v, j) => lme(v, sj[j]));
  return { logObserved, logJoint, logConditional: logJoint.map((v, j) => v - logObserved[j]), k };
}

/** Mean squared error over the missing pixels (mask 0) of all images; NaN when none is missing. */
export function missingPixelMse(x: Tensor, completed: Tensor, mask: Tensor): number {
  if (x.size !== completed.size || x.size !== mask.size) throw new Error(`missingPixelMse: x, completed and mask must have the same size, got ${x.size}, ${completed.size}, ${mask.size}`);
  const xs = x.data, cs = completed.data, ms = mask.data;
  let s = 0, n = 0;
  for (let i = 0; i < xs.length; i++) {
    if (ms[i] === 0) {
      s += (xs[i] - cs[i]) ** 2;
      n++;
    }
  }
  return n === 0 ? NaN : s / n;
}

export interface InpaintingEvaluation {
  n: number;
  /** Importance samples of the likelihoods. */
  k: number;
  /** Mean number of missing pixels per image. */
  missingPixels: number;
  /** -mean log p(x_obs): NLL of the observed pixels, nats per image. */
  observedNll: number;
  /** -mean log p(x) with the proposal q(z | x_obs), nats per image. */
  jointNll: number;
  /** -mean log p(x_miss | x_obs), nats per image. */
  conditionalNll: number;
  /** MSE on the missing pixels of the one-pass completion (decoder mean at the posterior mean). */
  mseMean: number;
  /** MSE of the Metropolis-within-Gibbs completion (when `iterations` > 0). */
  mseChain?: number;
  /** Mean acceptance rate of its z proposals. */
  acceptance?: number;
}

export interface EvaluateInpaintingOptions {
  rng: Generator;
  k?: number;
  /** Metropolis-within-Gibbs steps (0: one-pass completion only; default 0). */
  iterations?: number;
  /** The chain's proposal (see `InpaintOptions.proposal`; default 'completed'). */
  proposal?: 'completed' | 'observed';
  /** The importance distribution of the likelihoods (see `ConditionalLogLikelihoodOptions.proposal`; default 'observed'). */
  likelihoodProposal?: 'observed' | 'mixture';
  batchSize?: number;
  y?: Tensor;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Scores a VAE on masked held-out images (`inpaint`,
 * `conditionalLogLikelihood`), in nats per image and MSE per missing pixel.
 *
 * @example
 * const ev = evaluateInpainting(vae, testX, makeMask({ kind: 'half', side: 'top' }, n, [1, 28, 28]), { rng, k: 1000 });
 */
export function evaluateInpainting(vae: VAE, x: Tensor, mask: Tensor, o: EvaluateInpaintingOptions): InpaintingEvaluation {
  const bs = o.batchSize ?? 100;
  const iterations = o.iterations ?? 0;
  const { xf, m } = checkMask(vae, x, mask, 'evaluateInpainting');
  const n = xf.shape[0];
  let obs = 0, joint = 0, cond = 0, acc = 0;
  const meanFill: Tensor[] = [];
  const chainFill: Tensor[] = [];
  for (let start = 0; start < n; start += bs) {
    const end = Math.min(n, start + bs);
    const part = (t: Tensor | undefined) => (t ? slice(t, 0, start, end) : undefined);
    const [xb, mb, yb] = [part(xf)!, part(m)!, part(o.y)];
    const ll = conditionalLogLikelihood(vae, xb, mb, { rng: o.rng, k: o.k, y: yb, proposal: o.likelihoodProposal });
    for (let j = 0; j < end - start; j++) {
      obs += ll.logObserved[j];
      joint += ll.logJoint[j];
      cond += ll.logConditional[j];
    }
    meanFill.push(inpaint(vae, xb, mb, { rng: o.rng, method: 'mean', y: yb }).completed);
    if (iterations > 0) {
      const r = inpaint(vae, xb, mb, { rng: o.rng, method: 'metropolis-gibbs', iterations, proposal: o.proposal, y: yb });
      chainFill.push(r.completed);
      for (const a of r.acceptance!) acc += a;
    }
    o.onProgress?.(end, n);
  }
  let missing = 0;
  for (const v of m.data) if (v === 0) missing++;
  const ev: InpaintingEvaluation = {
    n, k: o.k ?? 1000, missingPixels: missing / n, observedNll: -obs / n, jointNll: -joint / n, conditionalNll: -cond / n,
    mseMean: missingPixelMse(xf, concat(meanFill, 0), m),
  };
  if (iterations > 0) {
    ev.mseChain = missingPixelMse(xf, concat(chainFill, 0), m);
    ev.acceptance = acc / n;
  }
  return ev;
}
