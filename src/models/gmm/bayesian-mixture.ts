// BayesianGaussianMixture: mean-field variational Bayes (CAVI) for a
// Gaussian mixture with a Dirichlet or Dirichlet-process (stick-breaking)
// prior on the weights and Normal-Wishart priors on the components, with
// scikit-learn's semantics.
import { lgammaScalar, polygammaScalar } from '../../distributions/special.js';
import type { Generator } from '../../random/generator.js';
import { Tensor } from '../../tensor/tensor.js';
import { asArray64, cholesky64, tensor64 } from '../linalg64.js';
import {
  covarianceShape,
  estimateGaussianStats,
  precisionCholeskyFromCovariance,
  covariancesFromPrecisionCholesky,
  logDetPrecisionCholesky,
  type Data64,
} from './gaussian.js';
import { GaussianMixture, sampleMixture, type GaussianMixtureJSON } from './gaussian-mixture.js';
import { MixtureBase, type FitReport, type MixtureOptions } from './mixture.js';

/** The prior on the mixing weights. */
export type WeightConcentrationPriorType = 'dirichlet_process' | 'dirichlet_distribution';

/** Options of `BayesianGaussianMixture` (scikit-learn's, in camelCase). */
export interface BayesianGaussianMixtureOptions extends MixtureOptions {
  /** 'dirichlet_process' (stick-breaking, the default) or 'dirichlet_distribution'. */
  weightConcentrationPriorType?: WeightConcentrationPriorType;
  /** The Dirichlet (process) concentration gamma_0 (default 1 / K). Smaller favours fewer components. */
  weightConcentrationPrior?: number;
  /** beta_0, the precision scale of the prior on the means (default 1). */
  meanPrecisionPrior?: number;
  /** m_0 [D], the prior mean of the means (default the data mean). */
  meanPrior?: Tensor | readonly number[];
  /** nu_0 > D - 1, the Wishart degrees of freedom (default D). */
  degreesOfFreedomPrior?: number;
  /**
   * The prior on the covariances, W_0^-1, shaped by the covariance type:
   * [D, D] full/tied, [D] diag, a number for spherical (default the data's
   * covariance, variances, or mean variance).
   */
  covariancePrior?: Tensor | readonly unknown[] | number;
}

const LN2 = Math.LN2;
const digamma = (x: number): number => polygammaScalar(0, x);
const lbeta = (a: number, b: number): number => lgammaScalar(a) + lgammaScalar(b) - lgammaScalar(a + b);

/** The serialized form of a BayesianGaussianMixture. */
export interface BayesianGaussianMixtureJSON {
  format: 'latent.BayesianGaussianMixture';
  version: 1;
  options: Required<MixtureOptions> & { weightConcentrationPriorType: WeightConcentrationPriorType };
  priors: { weightConcentration: number; meanPrecision: number; mean: number[]; degreesOfFreedom: number; covariance: number[] };
  nFeatures: number;
  center: number[];
  weightConcentration: number[][];
  meanPrecision: number[];
  means: number[];
  degreesOfFreedom: number[];
  covariances: number[];
  precisionsCholesky: number[];
  report: FitReport | null;
}

/**
 * Variational Bayesian Gaussian mixture: mean-field q(z) q(pi) q(mu, Lambda)
 * updated by coordinate ascent (CAVI). q(pi) is a Dirichlet (finite
 * mixture) or a product of Betas (truncated stick-breaking Dirichlet
 * process); each q(mu_k, Lambda_k) is Normal-Wishart. Components the data
 * does not need get weights near zero: `activeComponents()` lists the
 * others and `prune()` gives a GaussianMixture of them alone.
 *
 * `lowerBound` is scikit-learn's evidence lower bound with the constants
 * (which do not depend on q) dropped; it rises at every iteration (tested).
 * `scoreSamples`/`predict` use the variational E-step's weighted
 * log-probabilities, as scikit-learn does.
 *
 * Papers: Attias, "A variational Bayesian framework for graphical models",
 * NIPS 2000; Bishop, "Pattern Recognition and Machine Learning", 2006,
 * section 10.2; Blei & Jordan, "Variational inference for Dirichlet process
 * mixtures", Bayesian Analysis 2006.
 *
 * @example
 * const bgmm = new BayesianGaussianMixture({ nComponents: 10, weightConcentrationPrior: 0.01 }).fit(x);
 * bgmm.activeComponents();   // e.g. Int32Array [0, 2, 5]: the components in use
 * const gmm = bgmm.prune();  // a GaussianMixture of those three
 */
export class BayesianGaussianMixture extends MixtureBase {
  protected override readonly who: string = 'BayesianGaussianMixture';
  readonly weightConcentrationPriorType: WeightConcentrationPriorType;
  readonly weightConcentrationPriorOption?: number;
  readonly meanPrecisionPriorOption?: number;
  readonly meanPriorOption?: Tensor | readonly number[];
  readonly degreesOfFreedomPriorOption?: number;
  readonly covariancePriorOption?: Tensor | readonly unknown[] | number;

  // Priors resolved at fit time (meanPrior relative to the center).
  private alpha0 = 0;
  private beta0 = 0;
  private m0: Float64Array = new Float64Array(0);
  private nu0 = 0;
  private psi0: Float64Array = new Float64Array(0);

  // Variational parameters.
  /** Dirichlet: [alpha]; Dirichlet process: [a, b] of the Beta sticks. */
  private conc: Float64Array[] = [];
  private betaK: Float64Array = new Float64Array(0);
  private nuK: Float64Array = new Float64Array(0);
  private covArr: Float64Array = new Float64Array(0);

  constructor(options: BayesianGaussianMixtureOptions = {}) {
    super(options, 'BayesianGaussianMixture');
    const who = this.who;
    this.weightConcentrationPriorType = options.weightConcentrationPriorType ?? 'dirichlet_process';
    if (this.weightConcentrationPriorType !== 'dirichlet_process' && this.weightConcentrationPriorType !== 'dirichlet_distribution') {
      throw new Error(`${who}: weightConcentrationPriorType must be 'dirichlet_process' or 'dirichlet_distribution', got ${String(options.weightConcentrationPriorType)}`);
    }
    const positive = (name: string, v: number | undefined): number | undefined => {
      if (v !== undefined && (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v))) throw new Error(`${who}: ${name} must be a finite number > 0, got ${String(v)}`);
      return v;
    };
    this.weightConcentrationPriorOption = positive('weightConcentrationPrior', options.weightConcentrationPrior);
    this.meanPrecisionPriorOption = positive('meanPrecisionPrior', options.meanPrecisionPrior);
    this.degreesOfFreedomPriorOption = positive('degreesOfFreedomPrior', options.degreesOfFreedomPrior);
    this.meanPriorOption = options.meanPrior;
    this.covariancePriorOption = options.covariancePrior;
  }

  protected prepare(data: Data64, _doInit: boolean, center: Float64Array): void {
    const who = `${this.who}.fit`;
    const { x, n, d, weights } = data;
    const k = this.nComponents;
    this.alpha0 = this.weightConcentrationPriorOption ?? 1 / k;
    this.beta0 = this.meanPrecisionPriorOption ?? 1;
    // Weighted mean and (frequency-weighted, unbiased) covariance of the (centered) data.
    let wsum = 0;
    const mean = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      const wi = weights ? weights[i] : 1;
      wsum += wi;
      for (let j = 0; j < d; j++) mean[j] += wi * x[i * d + j];
    }
    for (let j = 0; j < d; j++) mean[j] /= wsum;
    if (this.meanPriorOption !== undefined) {
      this.m0 = asArray64(this.meanPriorOption, [d], who, 'meanPrior');
      for (let j = 0; j < d; j++) this.m0[j] -= center[j];
    } else {
      this.m0 = mean;
    }
    if (this.degreesOfFreedomPriorOption !== undefined) {
      if (!(this.degreesOfFreedomPriorOption > d - 1)) {
        throw new Error(`${who}: degreesOfFreedomPrior must be greater than D - 1 = ${d - 1}, got ${this.degreesOfFreedomPriorOption}`);
      }
      this.nu0 = this.degreesOfFreedomPriorOption;
    } else {
      this.nu0 = d;
    }
    const type = this.covarianceType;
    if (this.covariancePriorOption !== undefined) {
      const shape = type === 'full' || type === 'tied' ? [d, d] : type === 'diag' ? [d] : [];
      const p = typeof this.covariancePriorOption === 'number'
        ? Float64Array.of(this.covariancePriorOption)
        : asArray64(this.covariancePriorOption, shape, who, 'covariancePrior');
      if (p.length !== Math.max(1, shape.reduce((a, b) => a * b, 1))) throw new Error(`${who}: covariancePrior should have shape [${shape.join(', ')}] for covarianceType '${type}'`);
      if (type === 'full' || type === 'tied') checkPriorCovariance(p, d, who);
      else for (let i = 0; i < p.length; i++) if (!(p[i] > 0) || !Number.isFinite(p[i])) throw new Error(`${who}: covariancePrior must be positive, entry ${i} is ${p[i]}`);
      this.psi0 = p;
    } else {
      if (!(wsum > 1)) throw new Error(`${who}: the default covariancePrior (the data covariance) needs a total sample weight above 1, got ${wsum}`);
      const cov = new Float64Array(d * d);
      for (let i = 0; i < n; i++) {
        const wi = weights ? weights[i] : 1;
        if (wi === 0) continue;
        for (let a = 0; a < d; a++) {
          const da = wi * (x[i * d + a] - mean[a]);
          for (let b = 0; b <= a; b++) cov[a * d + b] += da * (x[i * d + b] - mean[b]);
        }
      }
      for (let a = 0; a < d; a++) for (let b = 0; b <= a; b++) {
        cov[a * d + b] /= wsum - 1;
        cov[b * d + a] = cov[a * d + b];
      }
      if (type === 'full' || type === 'tied') this.psi0 = cov;
      else {
        const v = new Float64Array(d);
        for (let j = 0; j < d; j++) v[j] = cov[j * d + j];
        if (type === 'diag') this.psi0 = v;
        else this.psi0 = Float64Array.of(v.reduce((a, b) => a + b, 0) / d);
      }
    }
  }

  protected initialize(data: Data64, resp: Float64Array | null): void {
    this.mStep(data, resp!);
  }

  protected mStep(data: Data64, resp: Float64Array): void {
    const k = this.nComponents;
    const d = data.d;
    const { nk, means: xk, covariances: sk } = estimateGaussianStats(data, resp, k, this.regCovar, this.covarianceType);
    // q(pi).
    if (this.weightConcentrationPriorType === 'dirichlet_process') {
      const a = new Float64Array(k);
      const b = new Float64Array(k);
      let tail = 0;
      for (let c = k - 1; c >= 0; c--) {
        a[c] = 1 + nk[c];
        b[c] = this.alpha0 + tail;
        tail += nk[c];
      }
      this.conc = [a, b];
    } else {
      this.conc = [nk.map((v) => this.alpha0 + v)];
    }
    // q(mu | Lambda): beta_k = beta_0 + N_k, m_k = (beta_0 m_0 + N_k xbar_k) / beta_k.
    this.betaK = nk.map((v) => this.beta0 + v);
    const m = new Float64Array(k * d);
    for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) m[c * d + j] = (this.beta0 * this.m0[j] + nk[c] * xk[c * d + j]) / this.betaK[c];
    this.meansC = m;
    // q(Lambda): Wishart(nu_k, W_k), carried as the normalized covariance W_k^-1 / nu_k.
    const b0 = this.beta0;
    const diff = new Float64Array(k * d);
    for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) diff[c * d + j] = xk[c * d + j] - this.m0[j];
    let cov: Float64Array;
    switch (this.covarianceType) {
      case 'full': {
        this.nuK = nk.map((v) => this.nu0 + v);
        cov = new Float64Array(k * d * d);
        for (let c = 0; c < k; c++) {
          const o = c * d * d;
          const f = (nk[c] * b0) / this.betaK[c];
          for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
            cov[o + i * d + j] = (this.psi0[i * d + j] + nk[c] * sk[o + i * d + j] + f * diff[c * d + i] * diff[c * d + j]) / this.nuK[c];
          }
        }
        break;
      }
      case 'tied': {
        let total = 0;
        for (let c = 0; c < k; c++) total += nk[c];
        const nu = this.nu0 + total / k;
        this.nuK = Float64Array.of(nu);
        cov = new Float64Array(d * d);
        for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
          let s = 0;
          for (let c = 0; c < k; c++) s += (nk[c] / this.betaK[c]) * diff[c * d + i] * diff[c * d + j];
          cov[i * d + j] = (this.psi0[i * d + j] + (sk[i * d + j] * total) / k + (b0 / k) * s) / nu;
        }
        break;
      }
      case 'diag': {
        this.nuK = nk.map((v) => this.nu0 + v);
        cov = new Float64Array(k * d);
        for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) {
          const t = diff[c * d + j];
          cov[c * d + j] = (this.psi0[j] + nk[c] * (sk[c * d + j] + (b0 / this.betaK[c]) * t * t)) / this.nuK[c];
        }
        break;
      }
      case 'spherical': {
        this.nuK = nk.map((v) => this.nu0 + v);
        cov = new Float64Array(k);
        for (let c = 0; c < k; c++) {
          let sq = 0;
          for (let j = 0; j < d; j++) sq += diff[c * d + j] ** 2;
          cov[c] = (this.psi0[0] + nk[c] * (sk[c] + ((b0 / this.betaK[c]) * sq) / d)) / this.nuK[c];
        }
        break;
      }
    }
    this.covArr = cov;
    this.precChol = precisionCholeskyFromCovariance(cov, this.covarianceType, k, d, `${this.who}.fit`, this.regCovar);
  }

  /** E_q[log pi_k] [K]. */
  private expectedLogWeights(): Float64Array {
    const k = this.nComponents;
    const out = new Float64Array(k);
    if (this.weightConcentrationPriorType === 'dirichlet_process') {
      const [a, b] = this.conc;
      let acc = 0;
      for (let c = 0; c < k; c++) {
        const dsum = digamma(a[c] + b[c]);
        out[c] = digamma(a[c]) - dsum + acc;
        acc += digamma(b[c]) - dsum;
      }
    } else {
      const [alpha] = this.conc;
      let s = 0;
      for (let c = 0; c < k; c++) s += alpha[c];
      const ds = digamma(s);
      for (let c = 0; c < k; c++) out[c] = digamma(alpha[c]) - ds;
    }
    return out;
  }

  protected componentOffsets(): Float64Array {
    // E[log pi_k] + E[log det Lambda_k] / 2 - D / (2 beta_k) relative to the
    // normalized precision the Gaussian term uses (Bishop 10.64-10.66).
    const k = this.nComponents;
    const d = this.nFeatures || this.m0.length;
    const logW = this.expectedLogWeights();
    const out = new Float64Array(k);
    for (let c = 0; c < k; c++) {
      const nu = this.nuK.length === 1 ? this.nuK[0] : this.nuK[c];
      let logLambda = d * LN2;
      for (let i = 0; i < d; i++) logLambda += digamma(0.5 * (nu - i));
      out[c] = logW[c] - 0.5 * d * Math.log(nu) + 0.5 * (logLambda - d / this.betaK[c]);
    }
    return out;
  }

  protected computeLowerBound(data: Data64, resp: Float64Array, _meanLogNorm: number): number {
    const k = this.nComponents;
    const d = data.d;
    // -sum_n w_n sum_k r_nk log r_nk, with resp holding w_n r_nk.
    let entropy = 0;
    const w = data.weights;
    for (let i = 0; i < data.n; i++) {
      const wi = w ? w[i] : 1;
      if (wi === 0) continue;
      for (let c = 0; c < k; c++) {
        const rw = resp[i * k + c];
        if (rw > 0) entropy -= rw * Math.log(rw / wi);
      }
    }
    const logDet = logDetPrecisionCholesky(this.precChol, this.covarianceType, k, d);
    let logWishart = 0;
    if (this.covarianceType === 'tied') {
      const nu = this.nuK[0];
      logWishart = k * logWishartNorm(nu, logDet[0] - 0.5 * d * Math.log(nu), d);
    } else {
      for (let c = 0; c < k; c++) logWishart += logWishartNorm(this.nuK[c], logDet[c] - 0.5 * d * Math.log(this.nuK[c]), d);
    }
    let logNormWeight = 0;
    if (this.weightConcentrationPriorType === 'dirichlet_process') {
      const [a, b] = this.conc;
      for (let c = 0; c < k; c++) logNormWeight -= lbeta(a[c], b[c]);
    } else {
      const [alpha] = this.conc;
      let s = 0;
      for (let c = 0; c < k; c++) {
        s += alpha[c];
        logNormWeight -= lgammaScalar(alpha[c]);
      }
      logNormWeight += lgammaScalar(s);
    }
    let logBeta = 0;
    for (let c = 0; c < k; c++) logBeta += Math.log(this.betaK[c]);
    return entropy - logWishart - logNormWeight - 0.5 * d * logBeta;
  }

  protected snapshot(): unknown {
    return {
      conc: this.conc.map((a) => Float64Array.from(a)),
      beta: Float64Array.from(this.betaK),
      m: Float64Array.from(this.meansC),
      nu: Float64Array.from(this.nuK),
      cov: Float64Array.from(this.covArr),
      p: Float64Array.from(this.precChol),
    };
  }

  protected restore(state: unknown): void {
    const s = state as { conc: Float64Array[]; beta: Float64Array; m: Float64Array; nu: Float64Array; cov: Float64Array; p: Float64Array };
    this.conc = s.conc;
    this.betaK = s.beta;
    this.meansC = s.m;
    this.nuK = s.nu;
    this.covArr = s.cov;
    this.precChol = s.p;
  }

  private weightsArray(): Float64Array {
    const k = this.nComponents;
    const out = new Float64Array(k);
    if (this.weightConcentrationPriorType === 'dirichlet_process') {
      // E[pi_k] = E[v_k] prod_{j<k} E[1 - v_j] for independent Beta sticks.
      const [a, b] = this.conc;
      let rest = 1;
      for (let c = 0; c < k; c++) {
        out[c] = (a[c] / (a[c] + b[c])) * rest;
        rest *= b[c] / (a[c] + b[c]);
      }
    } else {
      out.set(this.conc[0]);
    }
    let s = 0;
    for (let c = 0; c < k; c++) s += out[c];
    for (let c = 0; c < k; c++) out[c] /= s;
    return out;
  }

  /** The expected mixing weights E_q[pi] [K] (normalized). */
  get weights(): Tensor {
    this.requireFitted('weights');
    return tensor64(this.weightsArray(), [this.nComponents]);
  }

  /** q(pi)'s parameters: [2, K] (the Beta sticks' a and b) for the Dirichlet process, [K] for the Dirichlet distribution. */
  get weightConcentration(): Tensor {
    this.requireFitted('weightConcentration');
    const k = this.nComponents;
    if (this.conc.length === 2) {
      const out = new Float64Array(2 * k);
      out.set(this.conc[0], 0);
      out.set(this.conc[1], k);
      return tensor64(out, [2, k]);
    }
    return tensor64(Float64Array.from(this.conc[0]), [k]);
  }

  /** beta_k, the precision scales of q(mu_k | Lambda_k) [K]. */
  get meanPrecision(): Tensor {
    this.requireFitted('meanPrecision');
    return tensor64(Float64Array.from(this.betaK), [this.nComponents]);
  }

  /** nu_k, the Wishart degrees of freedom [K] ([1] when tied). */
  get degreesOfFreedom(): Tensor {
    this.requireFitted('degreesOfFreedom');
    return tensor64(Float64Array.from(this.nuK), [this.nuK.length]);
  }

  /** The covariances W_k^-1 / nu_k (the inverse of E[Lambda_k]), shaped by the covariance type. */
  get covariances(): Tensor {
    this.requireFitted('covariances');
    return tensor64(Float64Array.from(this.covArr), this.paramShape());
  }

  /** E[Lambda_k] = nu_k W_k, shaped like the covariances. */
  get precisions(): Tensor {
    this.requireFitted('precisions');
    const { precisions } = covariancesFromPrecisionCholesky(this.precChol, this.covarianceType, this.nComponents, this.nFeatures);
    return tensor64(precisions, this.paramShape());
  }

  /** The priors in effect for the last fit (defaults resolved from the data). */
  get priors(): { weightConcentration: number; meanPrecision: number; mean: Tensor; degreesOfFreedom: number; covariance: Tensor } {
    this.requireFitted('priors');
    const d = this.nFeatures;
    const mean = Float64Array.from(this.m0);
    for (let j = 0; j < d; j++) mean[j] += this.centerArray[j];
    const t = this.covarianceType;
    const shape = t === 'full' || t === 'tied' ? [d, d] : t === 'diag' ? [d] : [];
    return { weightConcentration: this.alpha0, meanPrecision: this.beta0, mean: tensor64(mean, [d]), degreesOfFreedom: this.nu0, covariance: tensor64(Float64Array.from(this.psi0), shape) };
  }

  /** Indices of the components whose expected weight exceeds `threshold` (default 1e-3): the ones the data uses. */
  activeComponents(threshold = 1e-3): Int32Array {
    const w = this.weightsArray();
    const out: number[] = [];
    for (let c = 0; c < w.length; c++) if (w[c] > threshold) out.push(c);
    return Int32Array.from(out);
  }

  /**
   * A GaussianMixture of the active components only (weights renormalized;
   * means and covariances the variational point estimates): the pruned model.
   */
  prune(threshold = 1e-3): GaussianMixture {
    this.requireFitted('prune');
    const keep = this.activeComponents(threshold);
    if (keep.length === 0) throw new Error(`${this.who}.prune: no component has weight above ${threshold}`);
    const d = this.nFeatures;
    const w = this.weightsArray();
    const t = this.covarianceType;
    const per = t === 'full' ? d * d : t === 'diag' ? d : t === 'spherical' ? 1 : 0;
    let ws = 0;
    for (const c of keep) ws += w[c];
    const pick = (src: Float64Array, size: number): number[] => {
      const out: number[] = [];
      for (const c of keep) for (let i = 0; i < size; i++) out.push(src[c * size + i]);
      return out;
    };
    const json: GaussianMixtureJSON = {
      format: 'latent.GaussianMixture',
      version: 1,
      options: {
        nComponents: keep.length,
        covarianceType: t,
        tol: this.tol,
        regCovar: this.regCovar,
        maxIter: this.maxIter,
        nInit: this.nInit,
        initParams: this.initParams,
        warmStart: this.warmStart,
        seed: this.seed,
      },
      nFeatures: d,
      center: Array.from(this.centerArray),
      weights: Array.from(keep, (c) => w[c] / ws),
      means: pick(this.meansC, d),
      covariances: t === 'tied' ? Array.from(this.covArr) : pick(this.covArr, per),
      precisionsCholesky: t === 'tied' ? Array.from(this.precChol) : pick(this.precChol, per),
      report: null,
    };
    return GaussianMixture.fromJSON(json);
  }

  /** n draws from the mixture at the variational point estimates (weights, means, covariances). */
  sample(n: number, rng: Generator): { x: Tensor; labels: Int32Array } {
    this.requireFitted('sample');
    if (!Number.isInteger(n) || n < 1) throw new Error(`${this.who}.sample: n must be a positive integer, got ${n}`);
    if (!rng || typeof (rng as Generator).normal01 !== 'function') throw new Error(`${this.who}.sample: pass a Generator as rng, e.g. sample(n, new Generator(0))`);
    return sampleMixture(this.weightsArray(), this.uncenter(this.meansC), this.covArr, this.covarianceType, this.nComponents, this.nFeatures, n, rng, `${this.who}.sample`);
  }

  /** A plain JSON-serializable object with the options, priors, variational parameters and fit report. */
  toJSON(): BayesianGaussianMixtureJSON {
    this.requireFitted('toJSON');
    return {
      format: 'latent.BayesianGaussianMixture',
      version: 1,
      options: {
        nComponents: this.nComponents,
        covarianceType: this.covarianceType,
        tol: this.tol,
        regCovar: this.regCovar,
        maxIter: this.maxIter,
        nInit: this.nInit,
        initParams: this.initParams,
        warmStart: this.warmStart,
        seed: this.seed,
        weightConcentrationPriorType: this.weightConcentrationPriorType,
      },
      priors: { weightConcentration: this.alpha0, meanPrecision: this.beta0, mean: Array.from(this.m0), degreesOfFreedom: this.nu0, covariance: Array.from(this.psi0) },
      nFeatures: this.nFeatures,
      center: Array.from(this.centerArray),
      weightConcentration: this.conc.map((a) => Array.from(a)),
      meanPrecision: Array.from(this.betaK),
      means: Array.from(this.meansC),
      degreesOfFreedom: Array.from(this.nuK),
      covariances: Array.from(this.covArr),
      precisionsCholesky: Array.from(this.precChol),
      report: this.report,
    };
  }

  /** Rebuilds a model saved by `toJSON`. The priors are restored as explicit options. */
  static fromJSON(json: BayesianGaussianMixtureJSON): BayesianGaussianMixture {
    const who = 'BayesianGaussianMixture.fromJSON';
    if (!json || json.format !== 'latent.BayesianGaussianMixture') throw new Error(`${who}: not a serialized BayesianGaussianMixture (format is ${String(json?.format)})`);
    if (json.version !== 1) throw new Error(`${who}: unsupported version ${String(json.version)} (this library reads version 1)`);
    const d = json.nFeatures;
    const center = asArray64(json.center, [d], who, 'center');
    const m0 = asArray64(json.priors.mean, [d], who, 'priors.mean');
    const t = json.options.covarianceType;
    const psi = Float64Array.from(json.priors.covariance);
    const bg = new BayesianGaussianMixture({
      ...json.options,
      weightConcentrationPrior: json.priors.weightConcentration,
      meanPrecisionPrior: json.priors.meanPrecision,
      meanPrior: Array.from(m0, (v, j) => v + center[j]),
      degreesOfFreedomPrior: json.priors.degreesOfFreedom,
      covariancePrior: t === 'spherical' ? psi[0] : t === 'diag' ? Array.from(psi) : Array.from({ length: d }, (_, i) => Array.from(psi.subarray(i * d, (i + 1) * d))),
    });
    const k = bg.nComponents;
    const size = covarianceShape(t, k, d).reduce((a, b) => a * b, 1);
    bg.nFeatures = d;
    bg.center = center;
    bg.alpha0 = json.priors.weightConcentration;
    bg.beta0 = json.priors.meanPrecision;
    bg.m0 = m0;
    bg.nu0 = json.priors.degreesOfFreedom;
    bg.psi0 = psi;
    bg.conc = json.weightConcentration.map((a, i) => asArray64(a, [k], who, `weightConcentration[${i}]`));
    bg.betaK = asArray64(json.meanPrecision, [k], who, 'meanPrecision');
    bg.meansC = asArray64(json.means, [k * d], who, 'means');
    bg.nuK = asArray64(json.degreesOfFreedom, [t === 'tied' ? 1 : k], who, 'degreesOfFreedom');
    bg.covArr = asArray64(json.covariances, [size], who, 'covariances');
    bg.precChol = asArray64(json.precisionsCholesky, [size], who, 'precisionsCholesky');
    bg.report = json.report;
    return bg;
  }
}

/**
 * log B(nu, W) of the Wishart normalizer without its pi terms, from
 * `logDetChol` = log det(W)^(1/2) (scikit-learn's `_log_wishart_norm`).
 */
function logWishartNorm(nu: number, logDetChol: number, d: number): number {
  let s = 0;
  for (let i = 0; i < d; i++) s += lgammaScalar(0.5 * (nu - i));
  return -(nu * logDetChol + nu * d * 0.5 * LN2 + s);
}

/** Checks that a [d, d] prior covariance is symmetric positive definite. */
function checkPriorCovariance(p: Float64Array, d: number, who: string): void {
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) {
    if (Math.abs(p[i * d + j] - p[j * d + i]) > 1e-10 * (Math.abs(p[i * d + j]) + Math.abs(p[j * d + i]) + 1e-300)) {
      throw new Error(`${who}: covariancePrior is not symmetric (entries (${i}, ${j}) and (${j}, ${i}) differ)`);
    }
  }
  const fail = cholesky64(p, 0, d, new Float64Array(d * d), 0, 0);
  if (fail) throw new Error(`${who}: covariancePrior is not positive definite (Cholesky pivot ${fail.index} is ${fail.pivot.toPrecision(3)})`);
}
