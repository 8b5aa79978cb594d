// What GaussianMixture (EM) and BayesianGaussianMixture (variational Bayes)
// share: options and their checks, the fit loop with n_init restarts, warm
// start and the convergence test on the lower bound, the initial
// responsibilities, and prediction/scoring from the E-step. The loop follows
// scikit-learn's BaseMixture.fit_predict step for step, so that from the
// same initial parameters both reach the same numbers.
import { Generator } from '../../random/generator.js';
import { Tensor } from '../../tensor/tensor.js';
import { asMatrix64, asArray64, tensor64, type MatrixInput } from '../linalg64.js';
import {
  COVARIANCE_TYPES,
  estimateLogGaussianProb,
  normalizeLogProb,
  type CovarianceType,
  type Data64,
} from './gaussian.js';
import { kmeans64, kmeansPlusPlus64, randomDistinct } from './kmeans.js';

/** How the initial responsibilities are made (scikit-learn's `init_params`). */
export type InitParams = 'kmeans' | 'k-means++' | 'random' | 'random_from_data';

export const INIT_PARAMS: readonly InitParams[] = Object.freeze(['kmeans', 'k-means++', 'random', 'random_from_data']);

/** Options shared by both mixtures (scikit-learn's names, in camelCase). */
export interface MixtureOptions {
  /** K, the number of components (default 1). */
  nComponents?: number;
  /** 'full' (default), 'tied', 'diag' or 'spherical'. */
  covarianceType?: CovarianceType;
  /** Stop when the lower bound changes by less than this (default 1e-3). */
  tol?: number;
  /** Added to the diagonal of every covariance (default 1e-6), keeping them positive definite. */
  regCovar?: number;
  /** EM (or VB) iterations per initialization (default 100). */
  maxIter?: number;
  /** Initializations; the one with the highest lower bound is kept (default 1). */
  nInit?: number;
  /** How to initialize (default 'kmeans'). */
  initParams?: InitParams;
  /** Start a new `fit` from the current parameters (one initialization, at the first fit only). */
  warmStart?: boolean;
  /** Seed of the generator used for initialization when `fit` is given no `rng` (default 0). */
  seed?: number;
}

/** Options of `fit`. */
export interface MixtureFitOptions {
  /** Per-point weights [N] (frequency weights: weight 2 counts a point twice). Default all 1. */
  sampleWeight?: Tensor | readonly number[];
  /** Generator for the initialization (default `new Generator(seed)`). */
  rng?: Generator;
  /**
   * Initial responsibilities [N, K], used instead of `initParams`: the first
   * M-step's weights of each point in each component. Rows usually sum to 1;
   * rows of zeros are allowed (as 'random_from_data' makes: one-hot rows at K
   * chosen points, zeros elsewhere).
   */
  responsibilities?: MatrixInput;
  /** Called after every iteration, e.g. to print progress. */
  onIteration?: (info: IterationInfo) => void;
}

/** Progress of one iteration. */
export interface IterationInfo {
  /** Which initialization (0-based). */
  init: number;
  /** Iteration number within it (1-based). */
  iteration: number;
  lowerBound: number;
  /** Change of the lower bound from the previous iteration. */
  change: number;
}

/** The convergence report of the last `fit`. */
export interface FitReport {
  /** Whether an initialization converged (|change| < tol) within maxIter (as scikit-learn's converged_). */
  converged: boolean;
  /** Iterations run by the kept initialization. */
  nIter: number;
  /** The kept initialization's final lower bound. */
  lowerBound: number;
  /** The kept initialization's lower bound after every iteration. */
  history: number[];
  /** Final lower bound of each initialization. */
  initLowerBounds: number[];
}

function checkInt(who: string, name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new Error(`${who}: ${name} must be an integer >= ${min}, got ${String(v)}`);
  return v;
}

function checkNonNeg(who: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) throw new Error(`${who}: ${name} must be a finite number >= 0, got ${String(v)}`);
  return v;
}

/** Shared machinery; see GaussianMixture and BayesianGaussianMixture. */
export abstract class MixtureBase {
  readonly nComponents: number;
  readonly covarianceType: CovarianceType;
  readonly tol: number;
  readonly regCovar: number;
  readonly maxIter: number;
  readonly nInit: number;
  readonly initParams: InitParams;
  readonly warmStart: boolean;
  readonly seed: number;

  /** D, set by fit. */
  nFeatures = 0;
  /** The report of the last fit. */
  report: FitReport | null = null;

  /**
   * The origin of the internal coordinates: the training data's column
   * means. Data and means are shifted by it inside the E- and M-steps, which
   * keeps the expansions of squares in them accurate for data far from 0.
   */
  protected center: Float64Array | null = null;
  /** Means [K, D] relative to `center`. */
  protected meansC: Float64Array = new Float64Array(0);
  /** Precision factors (see gaussian.ts), shaped by the covariance type. */
  protected precChol: Float64Array = new Float64Array(0);

  protected abstract readonly who: string;

  constructor(options: MixtureOptions, who: string) {
    if (typeof options !== 'object' || options === null) throw new Error(`${who}: options must be an object, e.g. { nComponents: 3 }`);
    this.nComponents = checkInt(who, 'nComponents', options.nComponents ?? 1, 1);
    this.covarianceType = options.covarianceType ?? 'full';
    if (!COVARIANCE_TYPES.includes(this.covarianceType)) {
      throw new Error(`${who}: covarianceType must be one of ${COVARIANCE_TYPES.join(', ')}, got ${String(options.covarianceType)}`);
    }
    this.tol = checkNonNeg(who, 'tol', options.tol ?? 1e-3);
    this.regCovar = checkNonNeg(who, 'regCovar', options.regCovar ?? 1e-6);
    this.maxIter = checkInt(who, 'maxIter', options.maxIter ?? 100, 0);
    this.nInit = checkInt(who, 'nInit', options.nInit ?? 1, 1);
    this.initParams = options.initParams ?? 'kmeans';
    if (!INIT_PARAMS.includes(this.initParams)) throw new Error(`${who}: initParams must be one of ${INIT_PARAMS.join(', ')}, got ${String(options.initParams)}`);
    this.warmStart = options.warmStart ?? false;
    this.seed = checkInt(who, 'seed', options.seed ?? 0, 0);
  }

  /** Whether `fit` has run (or parameters were loaded). */
  get fitted(): boolean {
    return this.center !== null;
  }

  /** Whether the last fit converged. */
  get converged(): boolean {
    return this.report?.converged ?? false;
  }

  /** Iterations of the last fit (of the kept initialization). */
  get nIter(): number {
    return this.report?.nIter ?? 0;
  }

  /** The final lower bound of the last fit: the mean log-likelihood per point for EM, the evidence lower bound (up to a constant) for VB. */
  get lowerBound(): number {
    return this.report?.lowerBound ?? -Infinity;
  }

  /** Component means [K, D]. */
  get means(): Tensor {
    this.requireFitted('means');
    return tensor64(this.uncenter(this.meansC), [this.nComponents, this.nFeatures]);
  }

  /** The precision factors P (precision = P P^T), scikit-learn's `precisions_cholesky_`; shape by covariance type. */
  get precisionsCholesky(): Tensor {
    this.requireFitted('precisionsCholesky');
    return tensor64(Float64Array.from(this.precChol), this.paramShape());
  }

  /** [K, D, D] full, [D, D] tied, [K, D] diag, [K] spherical. */
  protected paramShape(): number[] {
    const k = this.nComponents;
    const d = this.nFeatures;
    switch (this.covarianceType) {
      case 'full': return [k, d, d];
      case 'tied': return [d, d];
      case 'diag': return [k, d];
      case 'spherical': return [k];
    }
  }

  protected requireFitted(what: string): void {
    if (!this.fitted) throw new Error(`${this.who}: ${what} is not available before fit() (or fromJSON())`);
  }

  protected uncenter(meansC: Float64Array): Float64Array {
    const out = Float64Array.from(meansC);
    const c = this.center!;
    const d = this.nFeatures;
    for (let i = 0; i < out.length; i++) out[i] += c[i % d];
    return out;
  }

  /** The data of a fit: checked, shifted by its column means. */
  protected prepareFitData(x: MatrixInput, sampleWeight: Tensor | readonly number[] | undefined): { data: Data64; center: Float64Array } {
    const who = `${this.who}.fit`;
    const m = asMatrix64(x, who, 'X', { minRows: 2 });
    const { rows: n, cols: d } = m;
    const k = this.nComponents;
    let weights: Float64Array | null = null;
    let positive = n;
    if (sampleWeight !== undefined) {
      weights = asArray64(sampleWeight, [n], who, 'sampleWeight');
      positive = 0;
      for (let i = 0; i < n; i++) {
        if (weights[i] < 0) throw new Error(`${who}: sampleWeight[${i}] is ${weights[i]}: weights must be >= 0`);
        if (weights[i] > 0) positive++;
      }
    }
    if (positive < k) {
      const what = weights ? `${positive} points with positive weight` : `${n} points`;
      throw new Error(`${who}: X has ${what} but nComponents is ${k}: need at least as many points as components (lower nComponents)`);
    }
    if (this.warmStart && this.fitted && d !== this.nFeatures) {
      throw new Error(`${who}: warm start from a model of ${this.nFeatures} features, but X has ${d} columns`);
    }
    // Shift by the (weighted) column means.
    const src = m.data;
    const center = new Float64Array(d);
    let wsum = 0;
    for (let i = 0, o = 0; i < n; i++, o += d) {
      const wi = weights ? weights[i] : 1;
      if (wi === 0) continue;
      wsum += wi;
      for (let j = 0; j < d; j++) center[j] += wi * src[o + j];
    }
    for (let j = 0; j < d; j++) center[j] /= wsum;
    if (this.regCovar === 0 && this.covarianceType !== 'spherical') this.checkConstantColumns(src, n, d, weights, who);
    // The shifted copy, and for full covariances [X, 1] for the E-step's GEMM, in one pass.
    const xc = src === (x as Tensor).data ? new Float64Array(n * d) : src;
    const xOnes = this.covarianceType === 'full' ? new Float64Array(n * (d + 1)) : undefined;
    for (let i = 0, o = 0, p = 0; i < n; i++, o += d) {
      if (xOnes) {
        for (let j = 0; j < d; j++) xOnes[p++] = xc[o + j] = src[o + j] - center[j];
        xOnes[p++] = 1;
      } else {
        for (let j = 0; j < d; j++) xc[o + j] = src[o + j] - center[j];
      }
    }
    return { data: { x: xc, n, d, weights, xOnes }, center };
  }

  /** With regCovar = 0 a constant column makes every covariance singular: say which. */
  private checkConstantColumns(src: Float64Array, n: number, d: number, weights: Float64Array | null, who: string): void {
    const first = new Float64Array(d).fill(NaN);
    const constant = new Uint8Array(d).fill(1);
    for (let i = 0, o = 0; i < n; i++, o += d) {
      if (weights && weights[i] === 0) continue;
      for (let j = 0; j < d; j++) {
        if (first[j] !== first[j]) first[j] = src[o + j];
        else if (src[o + j] !== first[j]) constant[j] = 0;
      }
    }
    for (let j = 0; j < d; j++) {
      if (constant[j]) {
        throw new Error(
          `${who}: column ${j} of X is constant (every value is ${first[j]}), so its variance is 0 in every component and the covariances ` +
            'are singular with regCovar = 0; set regCovar > 0 (scikit-learn\'s default 1e-6 works) or drop the column',
        );
      }
    }
  }

  /** Data for prediction: checked against the fitted shape, shifted by the training center. */
  protected prepareEvalData(x: MatrixInput, what: string): Data64 {
    this.requireFitted(what);
    const m = asMatrix64(x, `${this.who}.${what}`, 'X', { cols: this.nFeatures });
    const d = this.nFeatures;
    const c = this.center!;
    const xc = m.data === (x as Tensor).data ? new Float64Array(m.data.length) : m.data;
    for (let i = 0; i < m.rows; i++) for (let j = 0; j < d; j++) xc[i * d + j] = m.data[i * d + j] - c[j];
    return { x: xc, n: m.rows, d, weights: null };
  }

  /** Per-component additive terms of the weighted log-probability (log weights for EM; E[log pi] and Wishart terms for VB). */
  protected abstract componentOffsets(): Float64Array;
  /** Sets the parameters from (weighted) initial responsibilities. `resp` may be null when the subclass needs none (all parameters given). */
  protected abstract initialize(data: Data64, resp: Float64Array | null): void;
  /** Whether `initialize` needs responsibilities (false when the user gave every parameter). */
  protected needsInitialResponsibilities(): boolean {
    return true;
  }
  /** Called once per fit, after `center` is set and before the initializations (priors from the data, checks of given parameters). */
  protected abstract prepare(data: Data64, doInit: boolean, center: Float64Array): void;
  /** The M-step from weighted responsibilities. */
  protected abstract mStep(data: Data64, resp: Float64Array): void;
  /** The lower bound after an E-step (with `meanLogNorm` the weighted mean of log p(x_n)) and M-step. */
  protected abstract computeLowerBound(data: Data64, resp: Float64Array, meanLogNorm: number): number;
  protected abstract snapshot(): unknown;
  protected abstract restore(state: unknown): void;

  /** log p(x_n | z = k) + offsets_k into out [n, K]. */
  protected weightedLogProb(data: Data64): Float64Array {
    const k = this.nComponents;
    const out = new Float64Array(data.n * k);
    estimateLogGaussianProb(data, this.meansC, this.precChol, this.covarianceType, k, out);
    const off = this.componentOffsets();
    for (let i = 0; i < data.n; i++) for (let c = 0; c < k; c++) out[i * k + c] += off[c];
    return out;
  }

  /** E-step: log p(x_n) [n] and responsibilities [n, K]. */
  protected eStep(data: Data64): { logNorm: Float64Array; resp: Float64Array } {
    const k = this.nComponents;
    const wlp = new Float64Array(data.n * k);
    estimateLogGaussianProb(data, this.meansC, this.precChol, this.covarianceType, k, wlp);
    const logNorm = new Float64Array(data.n);
    const resp = new Float64Array(data.n * k);
    normalizeLogProb(wlp, this.componentOffsets(), data.n, k, logNorm, resp);
    return { logNorm, resp };
  }

  private initialResponsibilities(data: Data64, rng: Generator, given: MatrixInput | undefined): Float64Array {
    const { n } = data;
    const k = this.nComponents;
    const resp = new Float64Array(n * k);
    if (given !== undefined) {
      const who = `${this.who}.fit`;
      const g = asMatrix64(given, who, 'responsibilities', { cols: k, colsWhat: 'nComponents' });
      if (g.rows !== n) throw new Error(`${who}: responsibilities has ${g.rows} rows for ${n} points (expected [${n}, ${k}])`);
      for (let i = 0; i < n * k; i++) {
        if (g.data[i] < 0) throw new Error(`${who}: responsibilities[${Math.floor(i / k)}][${i % k}] is ${g.data[i]}: expected non-negative weights`);
      }
      resp.set(g.data);
      return resp;
    }
    switch (this.initParams) {
      case 'kmeans': {
        const { labels } = kmeans64(data, k, { rng });
        for (let i = 0; i < n; i++) resp[i * k + labels[i]] = 1;
        break;
      }
      case 'random':
        for (let i = 0; i < n; i++) {
          let s = 0;
          for (let c = 0; c < k; c++) s += resp[i * k + c] = rng.uniform01();
          for (let c = 0; c < k; c++) resp[i * k + c] /= s;
        }
        break;
      case 'random_from_data':
      case 'k-means++': {
        let idx: Int32Array;
        if (this.initParams === 'k-means++') idx = kmeansPlusPlus64(data, k, rng);
        else if (data.weights) {
          // Draw among points with positive weight only.
          const pos: number[] = [];
          for (let i = 0; i < n; i++) if (data.weights[i] > 0) pos.push(i);
          idx = Int32Array.from(randomDistinct(pos.length, k, rng), (j) => pos[j]);
        } else idx = randomDistinct(n, k, rng);
        for (let c = 0; c < k; c++) resp[idx[c] * k + c] = 1;
        break;
      }
    }
    return resp;
  }

  /**
   * Fits the mixture to X [N, D]: `nInit` initializations (one with warm
   * start after the first fit), each iterating E- and M-steps until the lower
   * bound changes by less than `tol` or `maxIter` is reached; keeps the best.
   * Returns this.
   */
  fit(x: MatrixInput, options: MixtureFitOptions = {}): this {
    // A fit that throws leaves the model as it was.
    const saved = this.fitted ? { center: this.center, nFeatures: this.nFeatures, state: this.snapshot(), report: this.report } : null;
    try {
      return this.fitUnchecked(x, options);
    } catch (e) {
      if (saved) {
        this.center = saved.center;
        this.nFeatures = saved.nFeatures;
        this.restore(saved.state);
        this.report = saved.report;
      } else {
        this.center = null;
        this.report = null;
      }
      throw e;
    }
  }

  private fitUnchecked(x: MatrixInput, options: MixtureFitOptions): this {
    const { data, center } = this.prepareFitData(x, options.sampleWeight);
    const k = this.nComponents;
    const doInit = !(this.warmStart && this.fitted);
    if (!doInit) {
      // Warm start: re-express the current means relative to the new center.
      const prev = this.center!;
      for (let i = 0; i < this.meansC.length; i++) this.meansC[i] += prev[i % data.d] - center[i % data.d];
    }
    this.prepare(data, doInit, center);
    this.center = center;
    this.nFeatures = data.d;
    const nInit = doInit ? this.nInit : 1;
    const rng = options.rng ?? new Generator(this.seed);
    const w = data.weights;
    let wsum = data.n;
    if (w) {
      wsum = 0;
      for (let i = 0; i < data.n; i++) wsum += w[i];
    }
    let best: unknown = null;
    let bestBound = -Infinity;
    let bestIter = 0;
    let bestHistory: number[] = [];
    let converged = false;
    const initBounds: number[] = [];
    for (let init = 0; init < nInit; init++) {
      if (doInit) {
        let resp: Float64Array | null = null;
        if (options.responsibilities !== undefined || this.needsInitialResponsibilities()) {
          resp = this.initialResponsibilities(data, rng, options.responsibilities);
          if (w) for (let i = 0; i < data.n; i++) for (let c = 0; c < k; c++) resp[i * k + c] *= w[i];
        }
        this.initialize(data, resp);
      }
      let bound = doInit ? -Infinity : this.lowerBound;
      const history: number[] = [];
      let iter = 0;
      for (iter = 1; iter <= this.maxIter; iter++) {
        const prev = bound;
        const { logNorm, resp } = this.eStep(data);
        let mean = 0;
        for (let i = 0; i < data.n; i++) {
          const wi = w ? w[i] : 1;
          if (wi !== 0) mean += wi * logNorm[i];
        }
        mean /= wsum;
        if (!Number.isFinite(mean)) {
          throw new Error(
            `${this.who}.fit: the log-likelihood became ${mean} at iteration ${iter}: some point has zero density under every component ` +
              '(check weightsInit for zeros and the scale of the data; increasing regCovar helps)',
          );
        }
        if (w) for (let i = 0; i < data.n; i++) for (let c = 0; c < k; c++) resp[i * k + c] *= w[i];
        this.mStep(data, resp);
        bound = this.computeLowerBound(data, resp, mean);
        history.push(bound);
        const change = bound - prev;
        options.onIteration?.({ init, iteration: iter, lowerBound: bound, change });
        if (Math.abs(change) < this.tol) {
          converged = true;
          break;
        }
      }
      iter = Math.min(iter, this.maxIter);
      initBounds.push(bound);
      if (bound > bestBound || bestBound === -Infinity) {
        bestBound = bound;
        best = this.snapshot();
        bestIter = iter;
        bestHistory = history;
      }
    }
    this.restore(best);
    this.report = { converged, nIter: bestIter, lowerBound: bestBound, history: bestHistory, initLowerBounds: initBounds };
    return this;
  }

  /** Fits, then returns the component of highest posterior probability of each point of X (from a final E-step). */
  fitPredict(x: MatrixInput, options: MixtureFitOptions = {}): Int32Array {
    this.fit(x, options);
    return this.predict(x);
  }

  /**
   * The weighted log-probabilities log p(x_n | z = k) + log pi_k [N, K]
   * (for VB, the expected log weights and the Wishart terms of the
   * variational E-step).
   */
  weightedLogProbabilities(x: MatrixInput): Tensor {
    const data = this.prepareEvalData(x, 'weightedLogProbabilities');
    return tensor64(this.weightedLogProb(data), [data.n, this.nComponents]);
  }

  /** log p(x_n) for each row of X [N, D]: Tensor [N] (logsumexp over components). */
  scoreSamples(x: MatrixInput): Tensor {
    const data = this.prepareEvalData(x, 'scoreSamples');
    const k = this.nComponents;
    const wlp = new Float64Array(data.n * k);
    estimateLogGaussianProb(data, this.meansC, this.precChol, this.covarianceType, k, wlp);
    const norm = new Float64Array(data.n);
    normalizeLogProb(wlp, this.componentOffsets(), data.n, k, norm, null);
    return tensor64(norm, [data.n]);
  }

  /** The mean of `scoreSamples` (weighted by `sampleWeight` if given): the average log-likelihood per point. */
  score(x: MatrixInput, options: { sampleWeight?: Tensor | readonly number[] } = {}): number {
    const s = this.scoreSamples(x).data;
    if (options.sampleWeight === undefined) {
      let t = 0;
      for (let i = 0; i < s.length; i++) t += s[i];
      return t / s.length;
    }
    const w = asArray64(options.sampleWeight, [s.length], `${this.who}.score`, 'sampleWeight');
    let t = 0;
    let ws = 0;
    for (let i = 0; i < s.length; i++) {
      if (w[i] === 0) continue;
      t += w[i] * s[i];
      ws += w[i];
    }
    return t / ws;
  }

  /** The most probable component of each point [N]. */
  predict(x: MatrixInput): Int32Array {
    const data = this.prepareEvalData(x, 'predict');
    const k = this.nComponents;
    const wlp = this.weightedLogProb(data);
    const labels = new Int32Array(data.n);
    for (let i = 0; i < data.n; i++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (wlp[i * k + c] > wlp[i * k + best]) best = c;
      labels[i] = best;
    }
    return labels;
  }

  /** The responsibilities p(z = k | x_n) [N, K]. */
  predictProba(x: MatrixInput): Tensor {
    const data = this.prepareEvalData(x, 'predictProba');
    const { resp } = this.eStep(data);
    return tensor64(resp, [data.n, this.nComponents]);
  }

  /** The center internal coordinates are relative to (for serialization). */
  protected get centerArray(): Float64Array {
    return this.center!;
  }
}
