// Probabilistic PCA (Tipping & Bishop 1999): z ~ N(0, I_q),
// x | z ~ N(W z + mu, sigma^2 I_D). Closed-form maximum likelihood from the
// eigendecomposition of the sample covariance, or EM (also with missing
// entries, NaN in the data).
import { MultivariateNormal } from '../../distributions/multivariateNormal.js';
import { Generator } from '../../random/generator.js';
import { Tensor } from '../../tensor/tensor.js';
import {
  asArray64,
  asMatrix64,
  cholesky64,
  gemm64,
  logDetFromCholesky64,
  solveSpd64,
  symmetricEigen64,
  symmetrize64,
  tensor64,
  type MatrixInput,
} from '../linalg64.js';

const LOG_2PI = Math.log(2 * Math.PI);

/** How `PPCA.fit` estimates the parameters. */
export type PPCAMethod = 'auto' | 'closed-form' | 'em';

/** Options of `PPCA`. */
export interface PPCAOptions {
  /** q, the latent dimension: 1 <= q < D. */
  nComponents: number;
  /** 'closed-form' (eigendecomposition), 'em', or 'auto' (the default): closed form for complete data, EM when X has NaN (missing) entries. */
  method?: PPCAMethod;
  /**
   * The sample covariance divides by N - ddof: 0 (default) is maximum
   * likelihood (Tipping & Bishop); 1 reproduces scikit-learn's PCA, whose
   * `score` is this model's log-likelihood with the unbiased covariance.
   * Complete data only.
   */
  ddof?: number;
  /** EM iterations at most (default 1000). */
  maxIter?: number;
  /** EM stops when the average log-likelihood per point changes by less than this (default 1e-8). */
  tol?: number;
  /** Seed of the generator for EM's random initial W when `fit` gets no `rng` (default 0). */
  seed?: number;
}

/** Options of `PPCA.fit`. */
export interface PPCAFitOptions {
  /** Generator for EM's initial W (default `new Generator(seed)`). */
  rng?: Generator;
  /** Called after every EM iteration. */
  onIteration?: (info: { iteration: number; logLikelihood: number; change: number }) => void;
}

/** What the last fit did. */
export interface PPCAReport {
  method: 'closed-form' | 'em';
  converged: boolean;
  /** EM iterations (0 for the closed form). */
  nIter: number;
  /** Average log-likelihood per point on the training data (over observed entries when some are missing). */
  logLikelihood: number;
  /** EM: the average log-likelihood per point before each iteration's M-step (it never decreases). */
  history: number[];
  /** Fraction of entries of X that were missing (NaN). */
  missingFraction: number;
}

/** The serialized form (`toJSON` / `PPCA.fromJSON`). */
export interface PPCAJSON {
  format: 'latent.PPCA';
  version: 1;
  options: Required<PPCAOptions>;
  nFeatures: number;
  mean: number[];
  /** W [D, q] flattened row-major. */
  loadings: number[];
  noiseVariance: number;
  eigenvalues: number[] | null;
  report: PPCAReport | null;
}

/** Per-row posterior quantities: q(z | x_n) = N(mean_n, cov_n), and log p(x_n). */
interface Inference {
  mean: Float64Array;
  /** sigma^2 M^-1, shared by complete rows. */
  sharedCov: Float64Array;
  /** Per-row covariance [n, q, q], when requested. */
  rowCov: Float64Array | null;
  logp: Float64Array;
  /** Number of observed entries per row. */
  observed: Int32Array;
}

/**
 * Probabilistic principal component analysis: a linear-Gaussian latent
 * variable model z ~ N(0, I_q), x | z ~ N(W z + mu, sigma^2 I_D), so that
 * p(x) = N(mu, W W^T + sigma^2 I) and
 * p(z | x) = N(M^-1 W^T (x - mu), sigma^2 M^-1) with M = W^T W + sigma^2 I.
 *
 * `fit` finds the maximum-likelihood parameters in closed form,
 * W = U_q (L_q - sigma^2 I)^(1/2) (R = I) and sigma^2 = the mean of the
 * D - q discarded eigenvalues of the sample covariance, or by EM; EM also
 * fits data with missing entries (NaN), its E-step using each row's observed
 * dimensions only. `logProb` likewise marginalizes missing entries.
 *
 * Papers: Tipping & Bishop, "Probabilistic principal component analysis",
 * JRSS B 61(3), 1999 (eqs. 7-9, 15-16, 27-30); Roweis, "EM algorithms for
 * PCA and SPCA", NIPS 1998; Ilin & Raiko, "Practical approaches to principal
 * component analysis in the presence of missing values", JMLR 2010.
 *
 * Shapes: X [N, D]; mean [D]; loadings W [D, q]; latent codes [N, q].
 *
 * @example
 * const ppca = new PPCA({ nComponents: 2 }).fit(x);    // x [N, 5]
 * ppca.noiseVariance;                                   // sigma^2
 * ppca.score(x);                                        // average log p(x), e.g. ~-6.1
 * const z = ppca.transform(x);                          // posterior means [N, 2]
 * const xs = ppca.sample(10, new Generator(0));         // [10, 5]
 */
export class PPCA {
  readonly nComponents: number;
  readonly method: PPCAMethod;
  readonly ddof: number;
  readonly maxIter: number;
  readonly tol: number;
  readonly seed: number;

  nFeatures = 0;
  report: PPCAReport | null = null;

  private mu: Float64Array = new Float64Array(0);
  private w: Float64Array = new Float64Array(0);
  private s2 = 0;
  private eig: Float64Array | null = null;

  constructor(options: PPCAOptions) {
    const who = 'PPCA';
    if (typeof options !== 'object' || options === null) throw new Error(`${who}: options must be an object, e.g. { nComponents: 2 }`);
    const q = options.nComponents;
    if (typeof q !== 'number' || !Number.isInteger(q) || q < 1) throw new Error(`${who}: nComponents must be an integer >= 1, got ${String(q)}`);
    this.nComponents = q;
    this.method = options.method ?? 'auto';
    if (!['auto', 'closed-form', 'em'].includes(this.method)) throw new Error(`${who}: method must be 'auto', 'closed-form' or 'em', got ${String(options.method)}`);
    this.ddof = options.ddof ?? 0;
    if (typeof this.ddof !== 'number' || !(this.ddof >= 0) || !Number.isFinite(this.ddof)) throw new Error(`${who}: ddof must be a number >= 0, got ${String(options.ddof)}`);
    this.maxIter = options.maxIter ?? 1000;
    if (!Number.isInteger(this.maxIter) || this.maxIter < 1) throw new Error(`${who}: maxIter must be an integer >= 1, got ${String(options.maxIter)}`);
    this.tol = options.tol ?? 1e-8;
    if (typeof this.tol !== 'number' || !(this.tol >= 0)) throw new Error(`${who}: tol must be a number >= 0, got ${String(options.tol)}`);
    this.seed = options.seed ?? 0;
    if (!Number.isSafeInteger(this.seed) || this.seed < 0) throw new Error(`${who}: seed must be a non-negative integer, got ${String(options.seed)}`);
  }

  get fitted(): boolean {
    return this.nFeatures > 0;
  }

  private requireFitted(what: string): void {
    if (!this.fitted) throw new Error(`PPCA: ${what} is not available before fit() (or fromJSON())`);
  }

  /** mu [D]. */
  get mean(): Tensor {
    this.requireFitted('mean');
    return tensor64(Float64Array.from(this.mu), [this.nFeatures]);
  }

  /** W [D, q], columns orthogonal and ordered by decreasing norm (the principal axes scaled by sqrt(lambda_i - sigma^2)). */
  get loadings(): Tensor {
    this.requireFitted('loadings');
    return tensor64(Float64Array.from(this.w), [this.nFeatures, this.nComponents]);
  }

  /** sigma^2, the isotropic noise variance. */
  get noiseVariance(): number {
    this.requireFitted('noiseVariance');
    return this.s2;
  }

  /** Closed form: all D eigenvalues of the sample covariance, descending; null after EM. */
  get eigenvalues(): Tensor | null {
    this.requireFitted('eigenvalues');
    return this.eig ? tensor64(Float64Array.from(this.eig), [this.eig.length]) : null;
  }

  /** The marginal covariance C = W W^T + sigma^2 I [D, D]. */
  covariance(): Tensor {
    this.requireFitted('covariance');
    const d = this.nFeatures;
    const q = this.nComponents;
    const c = new Float64Array(d * d);
    gemm64(false, true, d, d, q, this.w, 0, this.w, 0, c, 0, false);
    for (let i = 0; i < d; i++) c[i * d + i] += this.s2;
    symmetrize64(c, 0, d);
    return tensor64(c, [d, d]);
  }

  /**
   * Fits X [N, D] (NaN entries are missing values) and returns this. With
   * missing entries the method must be 'em' (or 'auto').
   */
  fit(x: MatrixInput, options: PPCAFitOptions = {}): this {
    const who = 'PPCA.fit';
    const m = asMatrix64(x, who, 'X', { allowNaN: true, minRows: 2 });
    const { rows: n, cols: d } = m;
    const q = this.nComponents;
    if (q >= d) throw new Error(`${who}: nComponents (${q}) must be below the number of features D = ${d} (the noise variance is the mean of the D - q discarded eigenvalues)`);
    let missing = 0;
    for (let i = 0; i < m.data.length; i++) if (m.data[i] !== m.data[i]) missing++;
    const method = this.method === 'auto' ? (missing > 0 ? 'em' : 'closed-form') : this.method;
    if (missing > 0) {
      if (method === 'closed-form') {
        throw new Error(`${who}: X has ${missing} missing (NaN) entries; the closed form needs complete data: use method 'em' (or 'auto'), which marginalizes them`);
      }
      if (this.ddof !== 0) throw new Error(`${who}: ddof applies to complete data only; X has missing (NaN) entries`);
      // Every column needs an observed value for its mean.
      for (let j = 0; j < d; j++) {
        let seen = false;
        for (let i = 0; i < n && !seen; i++) seen = m.data[i * d + j] === m.data[i * d + j];
        if (!seen) throw new Error(`${who}: column ${j} of X has no observed value (all NaN)`);
      }
    }
    if (!(n - this.ddof > 0)) throw new Error(`${who}: N - ddof must be positive (N = ${n}, ddof = ${this.ddof})`);
    this.nFeatures = d;
    try {
      if (missing > 0) this.fitMissingEm(m.data, n, d, options);
      else {
        const { mean, cov } = meanAndCovariance(m.data, n, d, this.ddof);
        this.mu = mean;
        if (method === 'closed-form') this.fitClosedForm(cov, d);
        else this.fitCompleteEm(cov, n, d, options);
      }
    } catch (e) {
      this.nFeatures = 0;
      this.report = null;
      throw e;
    }
    const ll = this.infer(m.data, n, false).logp;
    let avg = 0;
    for (let i = 0; i < n; i++) avg += ll[i];
    this.report!.logLikelihood = avg / n;
    this.report!.missingFraction = missing / (n * d);
    return this;
  }

  private fitClosedForm(cov: Float64Array, d: number): void {
    const q = this.nComponents;
    const { values, vectors } = symmetricEigen64(cov, d);
    // Descending eigenvalues; tiny negative ones (rounding of a singular covariance) count as 0.
    const lambda = Float64Array.from(values).reverse().map((v) => Math.max(v, 0));
    let s2 = 0;
    for (let i = q; i < d; i++) s2 += lambda[i];
    s2 /= d - q;
    checkNoise(s2, lambda[0], q, 'PPCA.fit');
    const w = new Float64Array(d * q);
    for (let c = 0; c < q; c++) {
      const src = d - 1 - c; // column of the c-th largest eigenvalue
      const scale = Math.sqrt(Math.max(lambda[c] - s2, 0));
      for (let i = 0; i < d; i++) w[i * q + c] = vectors[i * d + src] * scale;
    }
    this.w = w;
    this.s2 = s2;
    this.eig = lambda;
    fixSigns(this.w, d, q);
    this.report = { method: 'closed-form', converged: true, nIter: 0, logLikelihood: NaN, history: [], missingFraction: 0 };
  }

  /** Random initial W with column scale from the data's variance. */
  private initialW(d: number, totalVar: number, rng: Generator): Float64Array {
    const q = this.nComponents;
    const w = new Float64Array(d * q);
    const scale = Math.sqrt(totalVar / d);
    for (let i = 0; i < d * q; i++) w[i] = rng.normal01() * scale;
    return w;
  }

  /**
   * EM on complete data in its covariance form (Tipping & Bishop eqs. 29-30):
   * W' = S W (sigma^2 I + M^-1 W^T S W)^-1,
   * sigma'^2 = tr(S - S W M^-1 W'^T) / D; O(D^2 q) per iteration after S.
   */
  private fitCompleteEm(cov: Float64Array, n: number, d: number, options: PPCAFitOptions): void {
    const q = this.nComponents;
    let trS = 0;
    for (let i = 0; i < d; i++) trS += cov[i * d + i];
    const rng = options.rng ?? new Generator(this.seed);
    let w = this.initialW(d, trS, rng);
    let s2 = trS / d;
    const history: number[] = [];
    let prev = -Infinity;
    let converged = false;
    let iter = 0;
    const sw = new Float64Array(d * q);
    const wsw = new Float64Array(q * q);
    for (iter = 1; iter <= this.maxIter; iter++) {
      // M = W^T W + sigma^2 I.
      const mm = new Float64Array(q * q);
      gemm64(true, false, q, q, d, w, 0, w, 0, mm, 0, false);
      for (let i = 0; i < q; i++) mm[i * q + i] += s2;
      symmetrize64(mm, 0, q);
      const lm = new Float64Array(q * q);
      if (cholesky64(mm, 0, q, lm, 0, 0)) throw new Error('PPCA.fit: W^T W + sigma^2 I lost positive definiteness during EM');
      gemm64(false, false, d, q, d, cov, 0, w, 0, sw, 0, false);
      gemm64(true, false, q, q, d, w, 0, sw, 0, wsw, 0, false);
      symmetrize64(wsw, 0, q);
      // The objective at the current parameters: -1/2 (D log 2 pi + log det C + tr(C^-1 S)),
      // log det C = (D - q) log sigma^2 + log det M, tr(C^-1 S) = (tr S - tr(M^-1 W^T S W)) / sigma^2.
      const minvWsw = solveSpd64(mm, q, wsw, q)!;
      let tr = 0;
      for (let i = 0; i < q; i++) tr += minvWsw[i * q + i];
      const ll = -0.5 * (d * LOG_2PI + (d - q) * Math.log(s2) + logDetFromCholesky64(lm, 0, q) + (trS - tr) / s2);
      history.push(ll);
      const change = ll - prev;
      options.onIteration?.({ iteration: iter, logLikelihood: ll, change });
      if (Math.abs(change) < this.tol) {
        converged = true;
        break;
      }
      prev = ll;
      // W' = S W (sigma^2 I + M^-1 W^T S W)^-1: solve (sigma^2 I + M^-1 W^T S W)^T W'^T = (S W)^T.
      const inner = Float64Array.from(minvWsw);
      for (let i = 0; i < q; i++) inner[i * q + i] += s2;
      const wNew = solveGeneral(transpose(inner, q, q), q, transpose(sw, d, q), d);
      const wNewT = wNew; // [q, d]
      const wOut = transpose(wNewT, q, d);
      // sigma'^2 = (tr S - tr(S W M^-1 W'^T)) / D.
      const minvWnT = solveSpd64(mm, q, wNewT, d)!; // M^-1 W'^T [q, d]
      let t2 = 0;
      for (let i = 0; i < d; i++) for (let c = 0; c < q; c++) t2 += sw[i * q + c] * minvWnT[c * d + i];
      s2 = (trS - t2) / d;
      checkNoise(s2, trS, q, 'PPCA.fit (EM)');
      w = wOut;
    }
    this.w = w;
    this.s2 = s2;
    this.eig = null;
    orthogonalize(this.w, d, q);
    this.report = { method: 'em', converged, nIter: Math.min(iter, this.maxIter), logLikelihood: NaN, history, missingFraction: 0 };
    void n;
  }

  /**
   * EM with missing entries. E-step: q(z_n) = N(m_n, Sigma_n) from the
   * observed dimensions O_n only (M_n = W_O^T W_O + sigma^2 I). M-step, for
   * each dimension d, over the rows where it is observed: [w_d; mu_d] solves
   * sum (E[z~ z~^T]) [w_d; mu_d] = sum x_nd E[z~] with z~ = [z; 1]; then
   * sigma^2 = the mean over observed entries of
   * (x_nd - w_d^T m_n - mu_d)^2 + w_d^T Sigma_n w_d. This is exact EM for the
   * marginal likelihood of the observed entries (Ilin & Raiko 2010, section 3.2).
   */
  private fitMissingEm(x: Float64Array, n: number, d: number, options: PPCAFitOptions): void {
    const q = this.nComponents;
    const q1 = q + 1;
    // Observed column means and variances for the start.
    const mean = new Float64Array(d);
    const count = new Float64Array(d);
    let nObs = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) {
      const v = x[i * d + j];
      if (v === v) {
        mean[j] += v;
        count[j]++;
        nObs++;
      }
    }
    for (let j = 0; j < d; j++) mean[j] /= count[j];
    let totalVar = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) {
      const v = x[i * d + j];
      if (v === v) totalVar += (v - mean[j]) ** 2 / count[j];
    }
    const rng = options.rng ?? new Generator(this.seed);
    this.mu = mean;
    this.w = this.initialW(d, totalVar, rng);
    this.s2 = totalVar / d;
    checkNoise(this.s2, totalVar, q, 'PPCA.fit (EM)');
    // X with missing entries as 0, for the GEMMs.
    const x0 = new Float64Array(n * d);
    const missingRows: number[] = [];
    for (let i = 0; i < n; i++) {
      let any = false;
      for (let j = 0; j < d; j++) {
        const v = x[i * d + j];
        if (v === v) x0[i * d + j] = v;
        else any = true;
      }
      if (any) missingRows.push(i);
    }
    const history: number[] = [];
    let prev = -Infinity;
    let converged = false;
    let iter = 0;
    const zt = new Float64Array(n * q1);
    const b = new Float64Array(d * q1);
    const pred = new Float64Array(n * d);
    for (iter = 1; iter <= this.maxIter; iter++) {
      const inf = this.infer(x, n, true);
      let ll = 0;
      for (let i = 0; i < n; i++) ll += inf.logp[i];
      ll /= n;
      history.push(ll);
      const change = ll - prev;
      options.onIteration?.({ iteration: iter, logLikelihood: ll, change });
      if (Math.abs(change) < this.tol) {
        converged = true;
        break;
      }
      prev = ll;
      // Sufficient statistics: A_all = sum_n E[z~ z~^T], then per dimension
      // subtract the rows where it is missing.
      const aAll = new Float64Array(q1 * q1);
      for (let i = 0; i < n; i++) {
        zt.set(inf.mean.subarray(i * q, (i + 1) * q), i * q1);
        zt[i * q1 + q] = 1;
      }
      gemm64(true, false, q1, q1, n, zt, 0, zt, 0, aAll, 0, false);
      const rowCov = inf.rowCov!;
      for (let i = 0; i < n; i++) for (let a = 0; a < q; a++) for (let c = 0; c < q; c++) aAll[a * q1 + c] += rowCov[i * q * q + a * q + c];
      const aDim = new Float64Array(d * q1 * q1);
      for (let j = 0; j < d; j++) aDim.set(aAll, j * q1 * q1);
      for (const i of missingRows) {
        for (let j = 0; j < d; j++) {
          if (x[i * d + j] === x[i * d + j]) continue;
          const o = j * q1 * q1;
          for (let a = 0; a < q1; a++) for (let c = 0; c < q1; c++) {
            aDim[o + a * q1 + c] -= zt[i * q1 + a] * zt[i * q1 + c] + (a < q && c < q ? rowCov[i * q * q + a * q + c] : 0);
          }
        }
      }
      // b_d = sum_{n observed} x_nd z~_n: X0^T Z~ [d, q + 1].
      gemm64(true, false, d, q1, n, x0, 0, zt, 0, b, 0, false);
      const theta = new Float64Array(d * q1); // rows [w_d, mu_d]
      for (let j = 0; j < d; j++) {
        const sol = solveSpd64(aDim.subarray(j * q1 * q1, (j + 1) * q1 * q1), q1, b.subarray(j * q1, (j + 1) * q1), 1);
        if (!sol) throw new Error(`PPCA.fit (EM): the M-step system of feature ${j} is singular (too few observed values in that column for ${q} components)`);
        theta.set(sol, j * q1);
      }
      const w = new Float64Array(d * q);
      const mu = new Float64Array(d);
      for (let j = 0; j < d; j++) {
        for (let c = 0; c < q; c++) w[j * q + c] = theta[j * q1 + c];
        mu[j] = theta[j * q1 + q];
      }
      // sigma^2 from the residuals of the observed entries and the posterior spread.
      gemm64(false, true, n, d, q1, zt, 0, theta, 0, pred, 0, false);
      let sse = 0;
      for (let i = 0; i < n * d; i++) {
        const v = x[i];
        if (v === v) sse += (v - pred[i]) ** 2;
      }
      // sum_n sum_{d in O_n} w_d^T Sigma_n w_d = sum_n tr(Sigma_n (G - sum_{d missing} w_d w_d^T)), G = W^T W.
      const g = new Float64Array(q * q);
      gemm64(true, false, q, q, d, w, 0, w, 0, g, 0, false);
      let spread = 0;
      for (let i = 0; i < n; i++) {
        const o = i * q * q;
        for (let a = 0; a < q; a++) for (let c = 0; c < q; c++) spread += rowCov[o + a * q + c] * g[c * q + a];
      }
      for (const i of missingRows) {
        const o = i * q * q;
        for (let j = 0; j < d; j++) {
          if (x[i * d + j] === x[i * d + j]) continue;
          for (let a = 0; a < q; a++) for (let c = 0; c < q; c++) spread -= rowCov[o + a * q + c] * w[j * q + a] * w[j * q + c];
        }
      }
      this.w = w;
      this.mu = mu;
      this.s2 = (sse + spread) / nObs;
      checkNoise(this.s2, totalVar, q, 'PPCA.fit (EM)');
    }
    this.eig = null;
    orthogonalize(this.w, d, q);
    this.report = { method: 'em', converged, nIter: Math.min(iter, this.maxIter), logLikelihood: NaN, history, missingFraction: 0 };
  }

  /**
   * The posterior of every row and its marginal log-likelihood, NaN entries
   * marginalized: complete rows share M = W^T W + sigma^2 I; a row missing
   * the dimensions in m gets M_n = M - sum_{d in m} w_d w_d^T.
   */
  private infer(x: Float64Array, n: number, rowCovs: boolean): Inference {
    const d = this.nFeatures;
    const q = this.nComponents;
    const s2 = this.s2;
    const w = this.w;
    const mm = new Float64Array(q * q);
    gemm64(true, false, q, q, d, w, 0, w, 0, mm, 0, false);
    for (let i = 0; i < q; i++) mm[i * q + i] += s2;
    symmetrize64(mm, 0, q);
    const lm = new Float64Array(q * q);
    if (cholesky64(mm, 0, q, lm, 0, 0)) throw new Error('PPCA: W^T W + sigma^2 I is not positive definite');
    const logDetM = logDetFromCholesky64(lm, 0, q);
    const sharedCov = solveSpd64(mm, q, identity(q), q)!;
    for (let i = 0; i < q * q; i++) sharedCov[i] *= s2;
    symmetrize64(sharedCov, 0, q);
    // E0 = X - mu with missing entries 0; T = E0 W [n, q] = W_O^T e_O per row.
    const e0 = new Float64Array(n * d);
    const observed = new Int32Array(n);
    const norm2 = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let c = 0;
      let s = 0;
      for (let j = 0; j < d; j++) {
        const v = x[i * d + j];
        if (v === v) {
          const e = v - this.mu[j];
          e0[i * d + j] = e;
          s += e * e;
          c++;
        }
      }
      observed[i] = c;
      norm2[i] = s;
    }
    const t = new Float64Array(n * q);
    gemm64(false, false, n, q, d, e0, 0, w, 0, t, 0, false);
    const mean = new Float64Array(n * q);
    const logp = new Float64Array(n);
    const rowCov = rowCovs ? new Float64Array(n * q * q) : null;
    const mRow = new Float64Array(q * q);
    const lRow = new Float64Array(q * q);
    const v = new Float64Array(q);
    const logS2 = Math.log(s2);
    for (let i = 0; i < n; i++) {
      let l = lm;
      let ld = logDetM;
      const complete = observed[i] === d;
      if (!complete) {
        mRow.set(mm);
        for (let j = 0; j < d; j++) {
          if (x[i * d + j] === x[i * d + j]) continue;
          for (let a = 0; a < q; a++) for (let c = 0; c < q; c++) mRow[a * q + c] -= w[j * q + a] * w[j * q + c];
        }
        symmetrize64(mRow, 0, q);
        for (let a = 0; a < q; a++) mRow[a * q + a] = Math.max(mRow[a * q + a], s2); // rounding guard: M_n >= sigma^2 I
        if (cholesky64(mRow, 0, q, lRow, 0, 0)) throw new Error(`PPCA: the posterior precision of row ${i} is not positive definite`);
        l = lRow;
        ld = logDetFromCholesky64(lRow, 0, q);
      }
      // v = L^-1 t; mean = L^-T v; t^T M^-1 t = ||v||^2.
      let vv = 0;
      for (let a = 0; a < q; a++) {
        let s = t[i * q + a];
        for (let c = 0; c < a; c++) s -= l[a * q + c] * v[c];
        v[a] = s / l[a * q + a];
        vv += v[a] * v[a];
      }
      for (let a = q - 1; a >= 0; a--) {
        let s = v[a];
        for (let c = a + 1; c < q; c++) s -= l[c * q + a] * mean[i * q + c];
        mean[i * q + a] = s / l[a * q + a];
      }
      const o = observed[i];
      logp[i] = -0.5 * (o * LOG_2PI + (o - q) * logS2 + ld + (norm2[i] - vv) / s2);
      if (rowCov) {
        if (complete) rowCov.set(sharedCov, i * q * q);
        else {
          const inv = solveLowerCholInverse(lRow, q);
          for (let a = 0; a < q * q; a++) rowCov[i * q * q + a] = s2 * inv[a];
        }
      }
    }
    return { mean, sharedCov, rowCov, logp, observed };
  }

  private evalData(x: MatrixInput, what: string): { data: Float64Array; n: number; hasMissing: boolean } {
    this.requireFitted(what);
    const m = asMatrix64(x, `PPCA.${what}`, 'X', { allowNaN: true, cols: this.nFeatures });
    let hasMissing = false;
    for (let i = 0; i < m.data.length && !hasMissing; i++) hasMissing = m.data[i] !== m.data[i];
    return { data: m.data, n: m.rows, hasMissing };
  }

  /** log p(x_n) = log N(x_n; mu, W W^T + sigma^2 I) for each row [N]; NaN entries are marginalized out. */
  logProb(x: MatrixInput): Tensor {
    const { data, n } = this.evalData(x, 'logProb');
    return tensor64(this.infer(data, n, false).logp, [n]);
  }

  /** The average log-likelihood per point (scikit-learn's PCA.score, for ddof = 1). */
  score(x: MatrixInput): number {
    const lp = this.logProb(x).data;
    let s = 0;
    for (let i = 0; i < lp.length; i++) s += lp[i];
    return s / lp.length;
  }

  /**
   * The posterior p(z | x_n) = N(M^-1 W^T (x_n - mu), sigma^2 M^-1) of each
   * row: mean [N, q]; covariance [q, q] (shared) when X is complete, else
   * [N, q, q] (each row's from its observed dimensions).
   */
  posterior(x: MatrixInput): { mean: Tensor; covariance: Tensor } {
    const { data, n, hasMissing } = this.evalData(x, 'posterior');
    const q = this.nComponents;
    const inf = this.infer(data, n, hasMissing);
    return {
      mean: tensor64(inf.mean, [n, q]),
      covariance: hasMissing ? tensor64(inf.rowCov!, [n, q, q]) : tensor64(inf.sharedCov, [q, q]),
    };
  }

  /** The posterior as a MultivariateNormal with batch shape [N] and event shape [q]. */
  posteriorDistribution(x: MatrixInput): MultivariateNormal {
    const { mean, covariance } = this.posterior(x);
    return new MultivariateNormal(mean, { covarianceMatrix: covariance });
  }

  /** The posterior means E[z | x_n] [N, q]: the latent codes. */
  transform(x: MatrixInput): Tensor {
    return this.posterior(x).mean;
  }

  /** The means of x given codes z [N, q]: z W^T + mu [N, D]. */
  inverseTransform(z: MatrixInput): Tensor {
    this.requireFitted('inverseTransform');
    const q = this.nComponents;
    const d = this.nFeatures;
    const m = asMatrix64(z, 'PPCA.inverseTransform', 'Z', { cols: q, colsWhat: 'the latent dimension nComponents' });
    const out = new Float64Array(m.rows * d);
    gemm64(false, true, m.rows, d, q, m.data, 0, this.w, 0, out, 0, false);
    for (let i = 0; i < m.rows; i++) for (let j = 0; j < d; j++) out[i * d + j] += this.mu[j];
    return tensor64(out, [m.rows, d]);
  }

  /**
   * The evidence lower bound of each row under a Gaussian q(z | x_n) =
   * N(m_n, S_n), in closed form:
   * E_q[log p(x | z)] - KL(q || N(0, I)) with
   * E_q[log p(x | z)] = -D/2 log(2 pi sigma^2) - (||x - mu - W m||^2 + tr(W^T W S)) / (2 sigma^2).
   * log p(x_n) - elbo_n = KL(q || p(z | x_n)) >= 0, zero at the posterior.
   * NaN entries of X are left out (the ELBO of the observed part).
   *
   * Shapes: X [N, D], q.mean [N, q], q.covariance [q, q] or [N, q, q] -> [N].
   */
  elbo(x: MatrixInput, qz: { mean: Tensor | MatrixInput; covariance: Tensor }): Tensor {
    const { data, n } = this.evalData(x, 'elbo');
    const d = this.nFeatures;
    const q = this.nComponents;
    const mean = asMatrix64(qz.mean, 'PPCA.elbo', 'q.mean', { cols: q, colsWhat: 'the latent dimension nComponents' });
    if (mean.rows !== n) throw new Error(`PPCA.elbo: q.mean has ${mean.rows} rows for ${n} points`);
    const cov = qz.covariance;
    if (!(cov instanceof Tensor) || !((cov.rank === 2 && cov.shape[0] === q && cov.shape[1] === q) || (cov.rank === 3 && cov.shape[0] === n && cov.shape[1] === q && cov.shape[2] === q))) {
      throw new Error(`PPCA.elbo: q.covariance must be a Tensor [${q}, ${q}] or [${n}, ${q}, ${q}]`);
    }
    const covData = Float64Array.from(cov.data);
    const shared = cov.rank === 2;
    const recon = new Float64Array(n * d);
    gemm64(false, true, n, d, q, mean.data, 0, this.w, 0, recon, 0, false);
    const out = new Float64Array(n);
    const l = new Float64Array(q * q);
    const s2 = this.s2;
    for (let i = 0; i < n; i++) {
      const so = shared ? 0 : i * q * q;
      if (cholesky64(covData, so, q, l, 0, 0)) throw new Error(`PPCA.elbo: q.covariance${shared ? '' : `[${i}]`} is not positive definite`);
      const logDetS = logDetFromCholesky64(l, 0, q);
      // W_O^T W_O over the observed dimensions of this row.
      let o = 0;
      let sq = 0;
      let trWSW = 0;
      for (let j = 0; j < d; j++) {
        const v = data[i * d + j];
        if (v !== v) continue;
        o++;
        sq += (v - this.mu[j] - recon[i * d + j]) ** 2;
        // w_j^T S w_j
        for (let a = 0; a < q; a++) {
          let s = 0;
          for (let c = 0; c < q; c++) s += covData[so + a * q + c] * this.w[j * q + c];
          trWSW += this.w[j * q + a] * s;
        }
      }
      let mm = 0;
      let trS = 0;
      for (let a = 0; a < q; a++) {
        mm += mean.data[i * q + a] ** 2;
        trS += covData[so + a * q + a];
      }
      const expectedLogLik = -0.5 * o * (LOG_2PI + Math.log(s2)) - (sq + trWSW) / (2 * s2);
      const kl = 0.5 * (trS + mm - q - logDetS);
      out[i] = expectedLogLik - kl;
    }
    return tensor64(out, [n]);
  }

  /** n draws x = W z + mu + sigma eps with z, eps standard normal: [n, D]. */
  sample(n: number, rng: Generator): Tensor {
    this.requireFitted('sample');
    if (!Number.isInteger(n) || n < 1) throw new Error(`PPCA.sample: n must be a positive integer, got ${n}`);
    if (!rng || typeof (rng as Generator).normal01 !== 'function') throw new Error('PPCA.sample: pass a Generator as rng, e.g. sample(n, new Generator(0))');
    const d = this.nFeatures;
    const q = this.nComponents;
    const z = new Float64Array(n * q);
    for (let i = 0; i < n * q; i++) z[i] = rng.normal01();
    const out = new Float64Array(n * d);
    gemm64(false, true, n, d, q, z, 0, this.w, 0, out, 0, false);
    const sigma = Math.sqrt(this.s2);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) out[i * d + j] += this.mu[j] + sigma * rng.normal01();
    return tensor64(out, [n, d]);
  }

  toJSON(): PPCAJSON {
    this.requireFitted('toJSON');
    return {
      format: 'latent.PPCA',
      version: 1,
      options: { nComponents: this.nComponents, method: this.method, ddof: this.ddof, maxIter: this.maxIter, tol: this.tol, seed: this.seed },
      nFeatures: this.nFeatures,
      mean: Array.from(this.mu),
      loadings: Array.from(this.w),
      noiseVariance: this.s2,
      eigenvalues: this.eig ? Array.from(this.eig) : null,
      report: this.report,
    };
  }

  static fromJSON(json: PPCAJSON): PPCA {
    const who = 'PPCA.fromJSON';
    if (!json || json.format !== 'latent.PPCA') throw new Error(`${who}: not a serialized PPCA (format is ${String(json?.format)})`);
    if (json.version !== 1) throw new Error(`${who}: unsupported version ${String(json.version)} (this library reads version 1)`);
    const p = new PPCA(json.options);
    const d = json.nFeatures;
    if (!Number.isInteger(d) || d <= p.nComponents) throw new Error(`${who}: nFeatures ${String(d)} must be an integer above nComponents ${p.nComponents}`);
    p.mu = asArray64(json.mean, [d], who, 'mean');
    p.w = asArray64(json.loadings, [d * p.nComponents], who, 'loadings');
    if (!(json.noiseVariance > 0)) throw new Error(`${who}: noiseVariance must be positive, got ${String(json.noiseVariance)}`);
    p.s2 = json.noiseVariance;
    p.eig = json.eigenvalues ? asArray64(json.eigenvalues, [d], who, 'eigenvalues') : null;
    p.report = json.report;
    p.nFeatures = d;
    return p;
  }
}

function checkNoise(s2: number, scale: number, q: number, who: string): void {
  if (!(s2 > 1e-13 * Math.max(scale, Number.MIN_VALUE)) || !Number.isFinite(s2)) {
    throw new Error(
      `${who}: the noise variance is ${s2} (against a largest variance of ${scale}): the data lie (numerically) in a ` +
        `${q}-dimensional subspace, where PPCA's likelihood is unbounded; use fewer components or data with noise in every direction`,
    );
  }
}

/** Column mean and covariance (divided by n - ddof) of complete data, the scatter from one GEMM. */
function meanAndCovariance(x: Float64Array, n: number, d: number, ddof: number): { mean: Float64Array; cov: Float64Array } {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  const c = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) c[i * d + j] = x[i * d + j] - mean[j];
  const cov = new Float64Array(d * d);
  gemm64(true, false, d, d, n, c, 0, c, 0, cov, 0, false);
  for (let i = 0; i < d * d; i++) cov[i] /= n - ddof;
  symmetrize64(cov, 0, d);
  return { mean, cov };
}

function identity(q: number): Float64Array {
  const out = new Float64Array(q * q);
  for (let i = 0; i < q; i++) out[i * q + i] = 1;
  return out;
}

function transpose(a: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j];
  return out;
}

/** (L L^T)^-1 from the lower Cholesky factor L (q x q). */
function solveLowerCholInverse(l: Float64Array, q: number): Float64Array {
  const inv = new Float64Array(q * q);
  for (let c = 0; c < q; c++) {
    const col = new Float64Array(q);
    col[c] = 1;
    for (let i = 0; i < q; i++) {
      let s = col[i];
      for (let k = 0; k < i; k++) s -= l[i * q + k] * col[k];
      col[i] = s / l[i * q + i];
    }
    for (let i = q - 1; i >= 0; i--) {
      let s = col[i];
      for (let k = i + 1; k < q; k++) s -= l[k * q + i] * col[k];
      col[i] = s / l[i * q + i];
    }
    for (let i = 0; i < q; i++) inv[i * q + c] = col[i];
  }
  symmetrize64(inv, 0, q);
  return inv;
}

/** Solves A X = B for a general square A (n x n) and B (n x m) by Gaussian elimination with partial pivoting. */
function solveGeneral(a: Float64Array, n: number, b: Float64Array, m: number): Float64Array {
  const lu = Float64Array.from(a);
  const x = Float64Array.from(b);
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(lu[i * n + k]) > Math.abs(lu[p * n + k])) p = i;
    if (lu[p * n + k] === 0) throw new Error('PPCA.fit (EM): singular update matrix');
    if (p !== k) {
      for (let j = 0; j < n; j++) [lu[k * n + j], lu[p * n + j]] = [lu[p * n + j], lu[k * n + j]];
      for (let j = 0; j < m; j++) [x[k * m + j], x[p * m + j]] = [x[p * m + j], x[k * m + j]];
    }
    for (let i = k + 1; i < n; i++) {
      const f = lu[i * n + k] / lu[k * n + k];
      if (f === 0) continue;
      for (let j = k; j < n; j++) lu[i * n + j] -= f * lu[k * n + j];
      for (let j = 0; j < m; j++) x[i * m + j] -= f * x[k * m + j];
    }
  }
  for (let k = n - 1; k >= 0; k--) {
    for (let j = 0; j < m; j++) {
      let s = x[k * m + j];
      for (let i = k + 1; i < n; i++) s -= lu[k * n + i] * x[i * m + j];
      x[k * m + j] = s / lu[k * n + k];
    }
  }
  return x;
}

/**
 * Rotates W [d, q] in place to W R with W^T W diagonal, columns by
 * decreasing norm (the likelihood is invariant under rotations of the
 * latent space; this picks the principal-axes representative, as the
 * closed form gives), then fixes signs.
 */
function orthogonalize(w: Float64Array, d: number, q: number): void {
  const g = new Float64Array(q * q);
  gemm64(true, false, q, q, d, w, 0, w, 0, g, 0, false);
  symmetrize64(g, 0, q);
  const { vectors } = symmetricEigen64(g, q);
  // Columns of R in order of decreasing eigenvalue (symmetricEigen64 is ascending).
  const r = new Float64Array(q * q);
  for (let i = 0; i < q; i++) for (let c = 0; c < q; c++) r[i * q + c] = vectors[i * q + (q - 1 - c)];
  const out = new Float64Array(d * q);
  gemm64(false, false, d, q, q, w, 0, r, 0, out, 0, false);
  w.set(out);
  fixSigns(w, d, q);
}

/** Makes the entry of largest magnitude of each column of W positive (a deterministic sign for each axis). */
function fixSigns(w: Float64Array, d: number, q: number): void {
  for (let c = 0; c < q; c++) {
    let best = 0;
    for (let i = 1; i < d; i++) if (Math.abs(w[i * q + c]) > Math.abs(w[best * q + c])) best = i;
    if (w[best * q + c] < 0) for (let i = 0; i < d; i++) w[i * q + c] = -w[i * q + c];
  }
}
