// GaussianMixture: maximum likelihood by EM, with scikit-learn's semantics.
import type { Generator } from '../../random/generator.js';
import { Tensor } from '../../tensor/tensor.js';
import { asArray64, cholesky64, tensor64, type MatrixInput } from '../linalg64.js';
import {
  covarianceShape,
  covariancesFromPrecisionCholesky,
  estimateGaussianStats,
  precisionCholeskyFromCovariance,
  precisionCholeskyFromPrecision,
  type CovarianceType,
  type Data64,
} from './gaussian.js';
import { MixtureBase, type FitReport, type MixtureOptions } from './mixture.js';

/** Options of `GaussianMixture`: the shared ones plus given initial parameters. */
export interface GaussianMixtureOptions extends MixtureOptions {
  /** Initial weights [K] (non-negative, summing to 1); replaces the weights from `initParams`. */
  weightsInit?: Tensor | readonly number[];
  /** Initial means [K, D]; replaces the means from `initParams`. */
  meansInit?: Tensor | readonly (readonly number[])[];
  /**
   * Initial precision matrices (inverse covariances), shaped by the
   * covariance type: [K, D, D] full, [D, D] tied, [K, D] diag, [K] spherical.
   */
  precisionsInit?: Tensor | readonly unknown[];
}

/** The serialized form of a GaussianMixture (`toJSON` / `GaussianMixture.fromJSON`). */
export interface GaussianMixtureJSON {
  format: 'latent.GaussianMixture';
  version: 1;
  options: Required<Omit<MixtureOptions, never>>;
  nFeatures: number;
  center: number[];
  weights: number[];
  /** [K, D] flattened, relative to `center`. */
  means: number[];
  /** Flattened, shaped by the covariance type. */
  covariances: number[];
  precisionsCholesky: number[];
  report: FitReport | null;
}

/**
 * A mixture of K Gaussians fitted by expectation-maximization:
 * z ~ Categorical(pi), x | z = k ~ N(mu_k, Sigma_k). The E-step computes the
 * responsibilities p(z | x) in log space; the M-step the weighted maximum
 * likelihood weights, means and covariances (plus `regCovar` on the
 * diagonal). Precisions are carried as Cholesky factors, as in scikit-learn,
 * whose option names this follows (camelCase) and whose numbers it matches
 * from the same initial parameters (see test/models/gmm-parity.test.ts).
 *
 * A covariance that is singular to working precision raises an
 * `IllConditionedCovarianceError` naming the component and suggesting
 * `regCovar`; no NaN is ever returned.
 *
 * Paper: Dempster, Laird & Rubin, "Maximum likelihood from incomplete data
 * via the EM algorithm", JRSS B 1977; Bishop, "Pattern Recognition and
 * Machine Learning", 2006, section 9.2.
 *
 * Shapes: X [N, D]; weights [K]; means [K, D]; covariances [K, D, D]
 * (full), [D, D] (tied), [K, D] (diag), [K] (spherical).
 *
 * @example
 * const gmm = new GaussianMixture({ nComponents: 3, covarianceType: 'full' }).fit(x);
 * gmm.converged;           // true
 * gmm.predict(x);          // Int32Array of component indices
 * gmm.score(x);            // average log-likelihood per point, e.g. ~-2.9
 * gmm.bic(x);              // lower is better
 * const { x: draws } = gmm.sample(100, new Generator(0));
 */
export class GaussianMixture extends MixtureBase {
  protected override readonly who: string = 'GaussianMixture';
  readonly weightsInit?: Tensor | readonly number[];
  readonly meansInit?: Tensor | readonly (readonly number[])[];
  readonly precisionsInit?: Tensor | readonly unknown[];

  private weightsArr: Float64Array = new Float64Array(0);
  private covArr: Float64Array = new Float64Array(0);
  /** The given initial parameters, checked and converted at fit time (when D is known). */
  private given: { weights?: Float64Array; meansC?: Float64Array; precChol?: Float64Array } = {};

  constructor(options: GaussianMixtureOptions = {}) {
    super(options, 'GaussianMixture');
    this.weightsInit = options.weightsInit;
    this.meansInit = options.meansInit;
    this.precisionsInit = options.precisionsInit;
  }

  /** Mixing weights pi [K]. */
  get weights(): Tensor {
    this.requireFitted('weights');
    return tensor64(Float64Array.from(this.weightsArr), [this.nComponents]);
  }

  /** Covariances, shaped by the covariance type (see the class shapes). */
  get covariances(): Tensor {
    this.requireFitted('covariances');
    return tensor64(Float64Array.from(this.covArr), this.paramShape());
  }

  /** Precision matrices (inverse covariances), shaped like the covariances. */
  get precisions(): Tensor {
    this.requireFitted('precisions');
    const { precisions } = covariancesFromPrecisionCholesky(this.precChol, this.covarianceType, this.nComponents, this.nFeatures);
    return tensor64(precisions, this.paramShape());
  }

  protected componentOffsets(): Float64Array {
    return this.weightsArr.map(Math.log);
  }

  protected prepare(data: Data64, doInit: boolean, center: Float64Array): void {
    if (!doInit) return;
    const who = `${this.who}.fit`;
    const k = this.nComponents;
    const d = data.d;
    this.given = {};
    if (this.weightsInit !== undefined) {
      const w = asArray64(this.weightsInit, [k], who, 'weightsInit');
      let s = 0;
      for (let c = 0; c < k; c++) {
        if (w[c] < 0 || w[c] > 1) throw new Error(`${who}: weightsInit[${c}] is ${w[c]}: weights must lie in [0, 1]`);
        s += w[c];
      }
      if (Math.abs(s - 1) > 1e-8) throw new Error(`${who}: weightsInit sums to ${s}; the weights must sum to 1`);
      this.given.weights = w;
    }
    if (this.meansInit !== undefined) {
      const m = asArray64(this.meansInit, [k, d], who, 'meansInit');
      for (let i = 0; i < m.length; i++) m[i] -= center[i % d];
      this.given.meansC = m;
    }
    if (this.precisionsInit !== undefined) {
      const p = asArray64(this.precisionsInit, covarianceShape(this.covarianceType, k, d), who, 'precisionsInit');
      this.given.precChol = precisionCholeskyFromPrecision(p, this.covarianceType, k, d, who, 'precisionsInit');
    }
  }

  protected override needsInitialResponsibilities(): boolean {
    return !(this.given.weights && this.given.meansC && this.given.precChol);
  }

  protected initialize(data: Data64, resp: Float64Array | null): void {
    const k = this.nComponents;
    const d = data.d;
    if (resp) {
      const stats = estimateGaussianStats(data, resp, k, this.regCovar, this.covarianceType);
      let total = data.n;
      if (data.weights) {
        total = 0;
        for (let i = 0; i < data.n; i++) total += data.weights[i];
      }
      this.weightsArr = stats.nk.map((v) => v / total);
      this.meansC = stats.means;
      this.covArr = stats.covariances;
      if (!this.given.precChol) this.precChol = precisionCholeskyFromCovariance(stats.covariances, this.covarianceType, k, d, `${this.who}.fit (initialization)`, this.regCovar);
    }
    if (this.given.weights) this.weightsArr = Float64Array.from(this.given.weights);
    if (this.given.meansC) this.meansC = Float64Array.from(this.given.meansC);
    if (this.given.precChol) {
      this.precChol = Float64Array.from(this.given.precChol);
      this.covArr = covariancesFromPrecisionCholesky(this.precChol, this.covarianceType, k, d).covariances;
    }
  }

  protected mStep(data: Data64, resp: Float64Array): void {
    const k = this.nComponents;
    const stats = estimateGaussianStats(data, resp, k, this.regCovar, this.covarianceType);
    let total = 0;
    for (let c = 0; c < k; c++) total += stats.nk[c];
    this.weightsArr = stats.nk.map((v) => v / total);
    this.meansC = stats.means;
    this.covArr = stats.covariances;
    this.precChol = precisionCholeskyFromCovariance(stats.covariances, this.covarianceType, k, data.d, `${this.who}.fit`, this.regCovar);
  }

  protected computeLowerBound(_data: Data64, _resp: Float64Array, meanLogNorm: number): number {
    // The average log-likelihood of the parameters the E-step used (as scikit-learn's lower_bound_).
    return meanLogNorm;
  }

  protected snapshot(): unknown {
    return { w: Float64Array.from(this.weightsArr), m: Float64Array.from(this.meansC), c: Float64Array.from(this.covArr), p: Float64Array.from(this.precChol) };
  }

  protected restore(state: unknown): void {
    const s = state as { w: Float64Array; m: Float64Array; c: Float64Array; p: Float64Array };
    this.weightsArr = s.w;
    this.meansC = s.m;
    this.covArr = s.c;
    this.precChol = s.p;
  }

  /** The number of free parameters: K D means, the covariance entries, K - 1 weights. */
  nParameters(): number {
    this.requireFitted('nParameters');
    const k = this.nComponents;
    const d = this.nFeatures;
    const cov = { full: (k * d * (d + 1)) / 2, diag: k * d, tied: (d * (d + 1)) / 2, spherical: k }[this.covarianceType];
    return cov + k * d + k - 1;
  }

  /** Bayesian information criterion on X: -2 log L + p log N (lower is better). */
  bic(x: MatrixInput): number {
    const s = this.scoreSamples(x).data;
    let t = 0;
    for (let i = 0; i < s.length; i++) t += s[i];
    return -2 * t + this.nParameters() * Math.log(s.length);
  }

  /** Akaike information criterion on X: -2 log L + 2 p (lower is better). */
  aic(x: MatrixInput): number {
    const s = this.scoreSamples(x).data;
    let t = 0;
    for (let i = 0; i < s.length; i++) t += s[i];
    return -2 * t + 2 * this.nParameters();
  }

  /**
   * n draws from the fitted mixture, grouped by component as scikit-learn
   * returns them: x [n, D] and the component of each row.
   *
   * @example
   * const { x, labels } = gmm.sample(500, new Generator(7));
   */
  sample(n: number, rng: Generator): { x: Tensor; labels: Int32Array } {
    this.requireFitted('sample');
    if (!Number.isInteger(n) || n < 1) throw new Error(`${this.who}.sample: n must be a positive integer, got ${n}`);
    if (!rng || typeof (rng as Generator).normal01 !== 'function') throw new Error(`${this.who}.sample: pass a Generator as rng, e.g. sample(n, new Generator(0))`);
    return sampleMixture(this.weightsArr, this.uncenter(this.meansC), this.covArr, this.covarianceType, this.nComponents, this.nFeatures, n, rng, `${this.who}.sample`);
  }

  /** A plain JSON-serializable object with the options, parameters and fit report. */
  toJSON(): GaussianMixtureJSON {
    this.requireFitted('toJSON');
    return {
      format: 'latent.GaussianMixture',
      version: 1,
      options: this.optionsJSON(),
      nFeatures: this.nFeatures,
      center: Array.from(this.centerArray),
      weights: Array.from(this.weightsArr),
      means: Array.from(this.meansC),
      covariances: Array.from(this.covArr),
      precisionsCholesky: Array.from(this.precChol),
      report: this.report,
    };
  }

  protected optionsJSON(): Required<MixtureOptions> {
    return {
      nComponents: this.nComponents,
      covarianceType: this.covarianceType,
      tol: this.tol,
      regCovar: this.regCovar,
      maxIter: this.maxIter,
      nInit: this.nInit,
      initParams: this.initParams,
      warmStart: this.warmStart,
      seed: this.seed,
    };
  }

  /**
   * A mixture with the given parameters, without fitting (to sample from or
   * score with). Shapes as the class's: weights [K], means [K, D],
   * covariances by `covarianceType` (default 'full').
   *
   * @example
   * const gm = GaussianMixture.fromParameters({ weights: [0.5, 0.5], means: [[0, 0], [3, 3]], covariances: [[[1, 0], [0, 1]], [[2, 0], [0, 1]]] });
   * gm.sample(10, new Generator(0));
   */
  static fromParameters(params: {
    weights: Tensor | readonly number[];
    means: Tensor | readonly (readonly number[])[];
    covariances: Tensor | readonly unknown[];
    covarianceType?: CovarianceType;
  }): GaussianMixture {
    const who = 'GaussianMixture.fromParameters';
    const means = params.means instanceof Tensor ? params.means : null;
    const k = means ? means.shape[0] : (params.means as readonly (readonly number[])[]).length;
    const d = means ? means.shape[1] : (params.means as readonly (readonly number[])[])[0]?.length ?? 0;
    const gm = new GaussianMixture({ nComponents: k, covarianceType: params.covarianceType ?? 'full' });
    const w = asArray64(params.weights, [k], who, 'weights');
    let s = 0;
    for (let c = 0; c < k; c++) {
      if (!(w[c] >= 0)) throw new Error(`${who}: weights[${c}] is ${w[c]}: weights must be >= 0`);
      s += w[c];
    }
    if (Math.abs(s - 1) > 1e-8) throw new Error(`${who}: weights sum to ${s}; they must sum to 1`);
    const m = asArray64(params.means, [k, d], who, 'means');
    const cov = asArray64(params.covariances, covarianceShape(gm.covarianceType, k, d), who, 'covariances');
    gm.nFeatures = d;
    gm.center = new Float64Array(d);
    gm.weightsArr = w;
    gm.meansC = m;
    gm.covArr = cov;
    gm.precChol = precisionCholeskyFromCovariance(cov, gm.covarianceType, k, d, who, gm.regCovar);
    return gm;
  }

  /** Rebuilds a model saved by `toJSON` (after JSON.parse). */
  static fromJSON(json: GaussianMixtureJSON): GaussianMixture {
    const who = 'GaussianMixture.fromJSON';
    if (!json || json.format !== 'latent.GaussianMixture') throw new Error(`${who}: not a serialized GaussianMixture (format is ${String(json?.format)})`);
    if (json.version !== 1) throw new Error(`${who}: unsupported version ${String(json.version)} (this library reads version 1)`);
    const gm = new GaussianMixture(json.options);
    const k = gm.nComponents;
    const d = json.nFeatures;
    const shape = covarianceShape(gm.covarianceType, k, d);
    gm.nFeatures = d;
    gm.center = asArray64(json.center, [d], who, 'center');
    gm.weightsArr = asArray64(json.weights, [k], who, 'weights');
    gm.meansC = asArray64(json.means, [k * d], who, 'means');
    gm.covArr = asArray64(json.covariances, [shape.reduce((a, b) => a * b, 1)], who, 'covariances');
    gm.precChol = asArray64(json.precisionsCholesky, [gm.covArr.length], who, 'precisionsCholesky');
    gm.report = json.report;
    return gm;
  }
}

/** Draws from a Gaussian mixture given in public coordinates (shared with the Bayesian mixture). */
export function sampleMixture(weights: Float64Array, means: Float64Array, cov: Float64Array, type: CovarianceType, k: number, d: number, n: number, rng: Generator, who: string): { x: Tensor; labels: Int32Array } {
  // Component counts: n categorical draws (a multinomial), then points grouped by component.
  const counts = new Int32Array(k);
  let total = 0;
  for (let c = 0; c < k; c++) total += weights[c];
  for (let i = 0; i < n; i++) {
    const u = rng.uniform01() * total;
    let acc = 0;
    let c = 0;
    for (; c < k - 1; c++) {
      acc += weights[c];
      if (u < acc) break;
    }
    counts[c]++;
  }
  const x = new Float64Array(n * d);
  const labels = new Int32Array(n);
  const l = new Float64Array(d * d);
  const z = new Float64Array(d);
  let row = 0;
  for (let c = 0; c < k; c++) {
    if (counts[c] === 0) continue;
    if (type === 'full' || type === 'tied') {
      const fail = cholesky64(cov, type === 'full' ? c * d * d : 0, d, l, 0, 0);
      if (fail) throw new Error(`${who}: the covariance of component ${c} is not positive definite`);
    }
    for (let s = 0; s < counts[c]; s++, row++) {
      labels[row] = c;
      for (let j = 0; j < d; j++) z[j] = rng.normal01();
      for (let i = 0; i < d; i++) {
        let v = means[c * d + i];
        if (type === 'full' || type === 'tied') {
          for (let j = 0; j <= i; j++) v += l[i * d + j] * z[j];
        } else {
          v += Math.sqrt(type === 'diag' ? cov[c * d + i] : cov[c]) * z[i];
        }
        x[row * d + i] = v;
      }
    }
  }
  return { x: tensor64(x, [n, d]), labels };
}
