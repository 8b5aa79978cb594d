import { Tensor } from '../../tensor/tensor.js';
import { exp, mul, slice, sum, mean, sub, square } from '../../ops/index.js';
import { noGrad } from '../../autograd/mode.js';
import { Normal, klDivergence } from '../../distributions/index.js';
import type { Generator } from '../../random/generator.js';
import type { VAE } from './vae.js';
import { logImportanceWeights, type Batch } from './objectives.js';
import { streamingLogMeanExp } from '../../infer/logmeanexp.js';

export interface VaeEvaluation {
  /** Examples evaluated. */
  n: number;
  /** Mean ELBO per example (one reparameterized sample, closed-form KL; with a flow posterior, KL from the same sample), nats. */
  elbo: number;
  /** Mean IWAE bound with `k` samples, nats. */
  iwae: number;
  k: number;
  /** Mean log p(x) estimate: the IWAE bound with `kEval` samples (Burda et al. 2016 use 5000), nats. */
  logpx: number;
  kEval: number;
  /** Mean reconstruction term E_q log p(x|z) and KL(q || p), nats. */
  rec: number;
  kl: number;
  /** KL per latent dimension, averaged over examples (of the base Gaussian q_0 when the posterior has a flow). */
  klPerDim: number[];
  /** Dimensions whose posterior mean varies across the data with variance > 0.01 (Burda et al. 2016, §5.2). */
  activeUnits: number;
}

export interface EvaluateOptions {
  rng: Generator;
  /** Samples for the IWAE bound reported as `iwae` (default 5). */
  k?: number;
  /** Samples for the log p(x) estimate (default 5000). */
  kEval?: number;
  /** Images per pass (default 100). */
  batchSize?: number;
  /** Decoder rows per pass, bounding memory: images x samples per pass (default 4000). */
  rowsPerPass?: number;
  /** Called after each batch with the number of examples done. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Streams log-weights in chunks of samples and returns, per example, the
 * log-mean-exp over all k samples: a running maximum and a rescaled sum, so
 * k = 5000 never needs a [5000, B, D] tensor.
 */
function iwBound(model: VAE, batch: Batch, rng: Generator, k: number, rowsPerPass: number): Float64Array {
  const b = batch.x.shape[0];
  const chunk = Math.max(1, Math.min(k, Math.floor(rowsPerPass / b)));
  return streamingLogMeanExp(b, k, chunk, (c) => logImportanceWeights(model, batch, rng, c).data);
}

/**
 * Test-set scores of a VAE in nats per example, as the papers report them:
 * the ELBO, the IWAE-k bound and the importance-sampled log p(x) with
 * k = 5000 (its negation is the "test NLL" of Burda et al. 2016, Table 1),
 * plus the KL per dimension and the number of active units.
 *
 * @example
 * const ev = evaluateVae(vae, { x: test.images }, { rng, kEval: 5000 });
 * console.log(`test NLL ${(-ev.logpx).toFixed(2)} nats`);
 */
export function evaluateVae(model: VAE, data: { x: Tensor; y?: Tensor; mask?: Tensor; inputMask?: Tensor }, options: EvaluateOptions): VaeEvaluation {
  const k = options.k ?? 5;
  const kEval = options.kEval ?? 5000;
  const bs = options.batchSize ?? 100;
  const rows = options.rowsPerPass ?? 4000;
  for (const [name, v] of [['k', k], ['kEval', kEval], ['batchSize', bs], ['rowsPerPass', rows]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`evaluateVae: ${name} must be a positive integer, got ${v}`);
  }
  const n = data.x.shape[0];
  if (n === 0) throw new Error('evaluateVae: the dataset is empty');
  const latent = model.config.latent;
  let elbo = 0, iwae = 0, logpx = 0, rec = 0, kl = 0;
  const klDims = new Float64Array(latent);
  const muSum = new Float64Array(latent);
  const muSq = new Float64Array(latent);
  const wasTraining = model.training;
  model.eval();
  try {
    noGrad(() => {
      for (let start = 0; start < n; start += bs) {
        const end = Math.min(n, start + bs);
        const part = (t: Tensor | undefined) => (t ? slice(t, 0, start, end) : undefined);
        const batch: Batch = { x: part(data.x)!, y: part(data.y), mask: part(data.mask), inputMask: part(data.inputMask) };
        const q = model.posterior(batch.x, batch.y, batch.inputMask);
        const z = q.dist.rsample(options.rng);
        const r = model.logLikelihood(batch.x, z, batch.y, batch.mask);
        const kd = klDivergence(new Normal(q.mu, exp(mul(q.logvar, 0.5)), { validateArgs: false }), new Normal(0, 1, { validateArgs: false }));
        // A flow posterior's KL is estimated from the draw (no closed form); klPerDim then stays that of the base Gaussian q_0.
        const klb = model.flow ? sub(q.dist.logProb(z), model.prior([z.shape[0]], z.dtype).logProb(z)) : sum(kd, -1);
        rec += sum(r).item();
        kl += sum(klb).item();
        elbo += sum(sub(r, klb)).item();
        const kdSum = sum(kd, 0).data;
        const mus = sum(q.mu, 0).data;
        const mus2 = sum(square(q.mu), 0).data;
        for (let j = 0; j < latent; j++) {
          klDims[j] += kdSum[j];
          muSum[j] += mus[j];
          muSq[j] += mus2[j];
        }
        for (const v of iwBound(model, batch, options.rng, k, rows)) iwae += v;
        for (const v of iwBound(model, batch, options.rng, kEval, rows)) logpx += v;
        options.onProgress?.(end, n);
      }
    });
  } finally {
    if (wasTraining) model.train();
  }
  let active = 0;
  for (let j = 0; j < latent; j++) {
    const v = muSq[j] / n - (muSum[j] / n) ** 2;
    if (v > 0.01) active++;
  }
  return {
    n, elbo: elbo / n, iwae: iwae / n, k, logpx: logpx / n, kEval, rec: rec / n, kl: kl / n,
    klPerDim: Array.from(klDims, (v) => v / n), activeUnits: active,
  };
}

/** Mean of images over the batch axis (for the output-bias initialization). */
export function meanImage(x: Tensor): Tensor {
  return mean(x, 0);
}
