// The Gaussian parts shared by GaussianMixture (EM) and
// BayesianGaussianMixture (variational Bayes): the weighted sufficient
// statistics of the M-step, the precision Cholesky factors, and the
// per-component log densities of the E-step. Plain float64 loops, with the
// products over all points ([N, D] x [D, K D] in the E-step, [K D, N] x
// [N, D] in the M-step) in the GEMM kernel, a block of rows at a time.
//
// Parameterization (as scikit-learn's): each component carries a factor P
// of its precision, Lambda = P P^T, so that (x - mu)^T Lambda (x - mu) =
// ||(x - mu) P||^2 and log det Lambda = 2 sum log diag P. From a covariance,
// P = L^-T with Sigma = L L^T (upper triangular); from a given precision,
// P = its lower Cholesky factor. 'diag' and 'spherical' store 1 / sigma.
import { getBackend, kernel } from '../../kernels/registry.js';
import { cholesky64, gemm64, invertLower64, symmetrize64 } from '../linalg64.js';

/** How each component's covariance is parameterized (scikit-learn's `covariance_type`). */
export type CovarianceType = 'full' | 'tied' | 'diag' | 'spherical';

export const COVARIANCE_TYPES: readonly CovarianceType[] = Object.freeze(['full', 'tied', 'diag', 'spherical']);

export const LOG_2PI = Math.log(2 * Math.PI);

/** The shape of the covariance (and precision) parameters for K components in D dimensions. */
export function covarianceShape(type: CovarianceType, k: number, d: number): number[] {
  switch (type) {
    case 'full': return [k, d, d];
    case 'tied': return [d, d];
    case 'diag': return [k, d];
    case 'spherical': return [k];
  }
}

/** Rows per block in the blocked E- and M-steps: the [rows, K D] block stays near 2 MB. */
export function blockRows(k: number, d: number): number {
  return Math.max(64, Math.min(4096, Math.floor(262144 / Math.max(1, k * d))));
}

/** The data of one fit: X [n, d] (row-major float64) and optional per-point weights. */
export interface Data64 {
  x: Float64Array;
  n: number;
  d: number;
  /** Sample weights [n], or null for all ones. */
  weights: Float64Array | null;
  /** X^T diag(weights) X, computed on first use by the tied M-step. */
  gram?: Float64Array;
  /** [X, 1] (n x (d + 1)) for the full E-step, whose GEMM it lets subtract the means: made with the shifted copy by fit, else on first use. */
  xOnes?: Float64Array;
}

/**
 * Whether the elementwise passes should go through the kernels: the native
 * ones are vectorized and several times faster than a fused JavaScript
 * loop, while the TypeScript kernels are slower than one (two passes
 * instead of one), so without the addon the loops stay fused.
 */
function useKernels(): boolean {
  return getBackend() === 'native';
}

/** The weighted statistics of an M-step (scikit-learn's `_estimate_gaussian_parameters`). */
export interface GaussianStats {
  /** Soft counts sum_n r_nk, plus 10 eps so an empty component divides safely (as scikit-learn). */
  nk: Float64Array;
  /** Weighted means [K, D]. */
  means: Float64Array;
  /** Weighted covariances plus regCovar on the diagonal, shaped by the covariance type. */
  covariances: Float64Array;
}

/**
 * Weighted means and covariances from responsibilities `resp` [n, K]
 * (already multiplied by any sample weights). `regCovar` is added to the
 * diagonal of each covariance.
 *
 * Full: with A_k = diag(r_k) (X - 1 mu_k^T), the scatter
 * sum_n r_nk (x_n - mu_k)(x_n - mu_k)^T equals A_k^T X - s_k mu_k^T with
 * s_k = A_k^T 1 = sum_n r_nk x_n - N_k mu_k (zero up to rounding);
 * A = [A_1 ... A_K] for a block of rows makes all K scatters one GEMM
 * [K D, rows] x [rows, D].
 */
export function estimateGaussianStats(data: Data64, resp: Float64Array, k: number, regCovar: number, type: CovarianceType): GaussianStats {
  const { x, n, d } = data;
  const rawNk = new Float64Array(k);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) rawNk[c] += resp[i * k + c];
  const nk = rawNk.map((v) => v + 10 * Number.EPSILON);
  // sum_n r_nk x_n = resp^T X: one GEMM [K, n] x [n, D]; means = that / nk.
  const sumRX = new Float64Array(k * d);
  gemm64(true, false, k, d, n, resp, 0, x, 0, sumRX, 0, false);
  const means = new Float64Array(k * d);
  for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) means[c * d + j] = sumRX[c * d + j] / nk[c];
  let covariances: Float64Array;
  switch (type) {
    case 'full': covariances = fullCovariances(data, resp, k, nk, rawNk, sumRX, means, regCovar); break;
    case 'tied': covariances = tiedCovariance(data, resp, nk, means, k, regCovar); break;
    case 'diag': covariances = diagCovariances(data, resp, k, nk, means, regCovar); break;
    case 'spherical': {
      const diag = diagCovariances(data, resp, k, nk, means, regCovar);
      covariances = new Float64Array(k);
      for (let c = 0; c < k; c++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += diag[c * d + j];
        covariances[c] = s / d;
      }
      break;
    }
  }
  return { nk, means, covariances };
}

function fullCovariances(data: Data64, resp: Float64Array, k: number, nk: Float64Array, rawNk: Float64Array,
  sumRX: Float64Array, means: Float64Array, regCovar: number): Float64Array {
  const { x, n, d } = data;
  const kd = k * d;
  const rows = blockRows(k, d);
  const a = new Float64Array(rows * kd);
  const diff = useKernels() ? new Float64Array(rows * kd) : null;
  const scatterT = new Float64Array(d * kd);
  for (let r0 = 0; r0 < n; r0 += rows) {
    const m = Math.min(rows, n - r0);
    if (diff) {
      // A [m, K, D] = (X_block [m, 1, D] - means [1, K, D]) * resp_block [m, K, 1], in two broadcasting kernels.
      const bin = kernel('binary');
      bin('sub', x.subarray(r0 * d, (r0 + m) * d), [m, 1, d], means, [1, k, d], diff.subarray(0, m * kd), [m, k, d]);
      bin('mul', diff.subarray(0, m * kd), [m, k, d], resp.subarray(r0 * k, (r0 + m) * k), [m, k, 1], a.subarray(0, m * kd), [m, k, d]);
    } else {
      for (let i = 0; i < m; i++) {
        const xo = (r0 + i) * d;
        const ao = i * kd;
        const ro = (r0 + i) * k;
        for (let c = 0; c < k; c++) {
          const r = resp[ro + c];
          const mo = c * d;
          const aoc = ao + mo;
          for (let j = 0; j < d; j++) a[aoc + j] = r * (x[xo + j] - means[mo + j]);
        }
      }
    }
    // scatterT [D, K D] += X_block^T A (the transposed scatters; this orientation runs faster in the GEMM).
    gemm64(true, false, d, kd, m, x, r0 * d, a, 0, scatterT, 0, true);
  }
  const cov = new Float64Array(k * d * d);
  for (let c = 0; c < k; c++) {
    const o = c * d * d;
    const inv = 1 / nk[c];
    for (let i = 0; i < d; i++) {
      // s = sum_n r_nk (x_n - mu_k): zero but for rounding and the 10 eps in nk.
      const si = sumRX[c * d + i] - rawNk[c] * means[c * d + i];
      for (let j = 0; j < d; j++) cov[o + i * d + j] = (scatterT[j * kd + c * d + i] - si * means[c * d + j]) * inv;
    }
    symmetrize64(cov, o, d);
    for (let i = 0; i < d; i++) cov[o + i * d + i] += regCovar;
  }
  return cov;
}

function tiedCovariance(data: Data64, resp: Float64Array, nk: Float64Array, means: Float64Array, k: number, regCovar: number): Float64Array {
  // (sum_n s_n x_n x_n^T - sum_k nk mu_k mu_k^T) / sum nk with s_n = sum_k r_nk
  // (the sample weight when rows of responsibilities sum to 1; scikit-learn
  // uses X^T X, which differs when they do not, e.g. after 'random_from_data').
  const { n, d } = data;
  const rowSums = new Float64Array(n);
  let usual = true;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < k; c++) s += resp[i * k + c];
    rowSums[i] = s;
    const w = data.weights ? data.weights[i] : 1;
    if (Math.abs(s - w) > 1e-12 * w) usual = false;
  }
  let gram: Float64Array;
  if (usual) gram = data.gram ??= weightedGram(data, data.weights);
  else gram = weightedGram(data, rowSums);
  const cov = Float64Array.from(gram);
  let total = 0;
  for (let c = 0; c < k; c++) total += nk[c];
  for (let c = 0; c < k; c++) {
    const w = nk[c];
    for (let i = 0; i < d; i++) {
      const mi = w * means[c * d + i];
      for (let j = 0; j < d; j++) cov[i * d + j] -= mi * means[c * d + j];
    }
  }
  for (let i = 0; i < d * d; i++) cov[i] /= total;
  symmetrize64(cov, 0, d);
  for (let i = 0; i < d; i++) cov[i * d + i] += regCovar;
  return cov;
}

/** X^T diag(w) X for the data (w = 1 when null). */
export function weightedGram(data: Data64, w: Float64Array | null): Float64Array {
  const { x, n, d } = data;
  const g = new Float64Array(d * d);
  if (w === null) {
    gemm64(true, false, d, d, n, x, 0, x, 0, g, 0, false);
  } else {
    const rows = blockRows(1, d);
    const b = new Float64Array(rows * d);
    for (let r0 = 0; r0 < n; r0 += rows) {
      const m = Math.min(rows, n - r0);
      for (let i = 0; i < m; i++) for (let j = 0; j < d; j++) b[i * d + j] = w[r0 + i] * x[(r0 + i) * d + j];
      gemm64(true, false, d, d, m, b, 0, x, r0 * d, g, 0, true);
    }
  }
  symmetrize64(g, 0, d);
  return g;
}

function diagCovariances(data: Data64, resp: Float64Array, k: number, nk: Float64Array, means: Float64Array, regCovar: number): Float64Array {
  // E_r[x^2] - 2 mu E_r[x] + mu^2 with E_r[x] = mu (scikit-learn's form), the
  // second moments resp^T (X * X) from one GEMM per block.
  const { x, n, d } = data;
  const rows = blockRows(1, d);
  const sq = new Float64Array(rows * d);
  const second = new Float64Array(k * d);
  for (let r0 = 0; r0 < n; r0 += rows) {
    const m = Math.min(rows, n - r0);
    for (let i = 0; i < m * d; i++) {
      const v = x[r0 * d + i];
      sq[i] = v * v;
    }
    gemm64(true, false, k, d, m, resp, r0 * k, sq, 0, second, 0, true);
  }
  const cov = new Float64Array(k * d);
  for (let c = 0; c < k; c++) {
    for (let j = 0; j < d; j++) {
      const mu = means[c * d + j];
      const avgX2 = second[c * d + j] / nk[c];
      cov[c * d + j] = avgX2 - 2 * mu * mu + mu * mu + regCovar;
    }
  }
  return cov;
}

/** Thrown when a component's covariance cannot be factored: names the component and suggests regCovar. */
export class IllConditionedCovarianceError extends Error {
  readonly component: number;
  constructor(message: string, component: number) {
    super(message);
    this.name = 'IllConditionedCovarianceError';
    this.component = component;
  }
}

function illConditioned(who: string, type: CovarianceType, component: number, k: number, detail: string, regCovar: number): IllConditionedCovarianceError {
  const what = type === 'tied' ? 'the shared (tied) covariance' : `the covariance of component ${component} (of ${k})`;
  return new IllConditionedCovarianceError(
    `${who}: ${what} is singular or ill-conditioned to working precision (${detail}): ` +
      'a component collapsed onto too few points, or the data has a constant or duplicated column. ' +
      `Increase regCovar (now ${regCovar}; scikit-learn's default is 1e-6), use fewer components, or remove the degenerate columns`,
    component,
  );
}

/**
 * The precision factors P (Lambda = P P^T) from covariances, shaped like
 * them: full/tied P = L^-T (upper triangular) with Sigma = L L^T;
 * diag/spherical 1 / sqrt(sigma^2). Throws `IllConditionedCovarianceError`
 * naming the component when a covariance is not positive definite or its
 * condition number is beyond about 1 / eps.
 */
export function precisionCholeskyFromCovariance(cov: Float64Array, type: CovarianceType, k: number, d: number, who: string, regCovar: number): Float64Array {
  const out = new Float64Array(cov.length);
  if (type === 'full' || type === 'tied') {
    const count = type === 'full' ? k : 1;
    const l = new Float64Array(d * d);
    const li = new Float64Array(d * d);
    for (let c = 0; c < count; c++) {
      const o = c * d * d;
      const fail = cholesky64(cov, o, d, l, 0);
      if (fail) {
        throw illConditioned(who, type, c, k, `Cholesky pivot ${fail.index} is ${fail.pivot.toPrecision(3)} against a largest variance of ${fail.scale.toPrecision(3)}`, regCovar);
      }
      invertLower64(l, 0, d, li, 0);
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) out[o + i * d + j] = li[j * d + i];
    }
    return out;
  }
  const per = type === 'diag' ? d : 1;
  for (let c = 0; c < k; c++) {
    let scale = 0;
    for (let j = 0; j < per; j++) scale = Math.max(scale, cov[c * per + j]);
    for (let j = 0; j < per; j++) {
      const v = cov[c * per + j];
      if (!(v > Number.EPSILON * scale) || !Number.isFinite(v)) {
        const detail = type === 'diag' ? `variance of feature ${j} is ${v.toPrecision(3)} against a largest variance of ${scale.toPrecision(3)}` : `variance ${v.toPrecision(3)}`;
        throw illConditioned(who, type, c, k, detail, regCovar);
      }
      out[c * per + j] = 1 / Math.sqrt(v);
    }
  }
  return out;
}

/**
 * Precision factors from given precision matrices (scikit-learn's
 * `precisions_init`): the lower Cholesky factor for full/tied, sqrt for
 * diag/spherical. Throws naming the component when one is not positive definite.
 */
export function precisionCholeskyFromPrecision(prec: Float64Array, type: CovarianceType, k: number, d: number, who: string, name: string): Float64Array {
  const out = new Float64Array(prec.length);
  if (type === 'full' || type === 'tied') {
    const count = type === 'full' ? k : 1;
    for (let c = 0; c < count; c++) {
      const o = c * d * d;
      for (let i = 0; i < d; i++) {
        for (let j = 0; j < i; j++) {
          if (Math.abs(prec[o + i * d + j] - prec[o + j * d + i]) > 1e-10 * (Math.abs(prec[o + i * d + j]) + Math.abs(prec[o + j * d + i]) + 1e-300)) {
            throw new Error(`${who}: ${name}${type === 'full' ? `[${c}]` : ''} is not symmetric (entries (${i}, ${j}) and (${j}, ${i}) differ)`);
          }
        }
      }
      const fail = cholesky64(prec, o, d, out, o, 0);
      if (fail) throw new Error(`${who}: ${name}${type === 'full' ? `[${c}]` : ''} is not positive definite (Cholesky pivot ${fail.index} is ${fail.pivot.toPrecision(3)})`);
    }
    return out;
  }
  for (let i = 0; i < prec.length; i++) {
    if (!(prec[i] > 0)) throw new Error(`${who}: ${name} must be positive, entry ${i} is ${prec[i]}`);
    out[i] = Math.sqrt(prec[i]);
  }
  return out;
}

/** Covariances (Sigma = (P P^T)^-1) and precisions (P P^T) from precision factors. */
export function covariancesFromPrecisionCholesky(pc: Float64Array, type: CovarianceType, k: number, d: number): { covariances: Float64Array; precisions: Float64Array } {
  if (type === 'diag' || type === 'spherical') {
    const precisions = new Float64Array(pc.length);
    const covariances = new Float64Array(pc.length);
    for (let i = 0; i < pc.length; i++) {
      precisions[i] = pc[i] * pc[i];
      covariances[i] = 1 / precisions[i];
    }
    return { covariances, precisions };
  }
  const count = type === 'full' ? k : 1;
  const precisions = new Float64Array(count * d * d);
  const covariances = new Float64Array(count * d * d);
  const pinv = new Float64Array(d * d);
  const lower = new Float64Array(d * d);
  for (let c = 0; c < count; c++) {
    const o = c * d * d;
    gemm64(false, true, d, d, d, pc, o, pc, o, precisions, o, false);
    symmetrize64(precisions, o, d);
    // Sigma = P^-T P^-1. P is triangular (upper from a covariance, lower
    // from a given precision); invert it as a lower-triangular matrix after
    // transposing when it is upper.
    const upper = isUpper(pc, o, d);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) lower[i * d + j] = upper ? pc[o + j * d + i] : pc[o + i * d + j];
    invertLower64(lower, 0, d, pinv, 0);
    // With T = lower: P = T^T (upper case) so Sigma = T^-1 T^-T; P = T (lower case) so Sigma = T^-T T^-1.
    if (upper) gemm64(false, true, d, d, d, pinv, 0, pinv, 0, covariances, o, false);
    else gemm64(true, false, d, d, d, pinv, 0, pinv, 0, covariances, o, false);
    symmetrize64(covariances, o, d);
  }
  return { covariances, precisions };
}

function isUpper(a: Float64Array, o: number, d: number): boolean {
  for (let i = 1; i < d; i++) for (let j = 0; j < i; j++) if (a[o + i * d + j] !== 0) return false;
  return true;
}

/** sum log diag(P) per component (half the log determinant of the precision); length K (1 for tied). */
export function logDetPrecisionCholesky(pc: Float64Array, type: CovarianceType, k: number, d: number): Float64Array {
  const out = new Float64Array(type === 'tied' ? 1 : k);
  switch (type) {
    case 'full':
    case 'tied':
      for (let c = 0; c < out.length; c++) {
        let s = 0;
        for (let i = 0; i < d; i++) s += Math.log(pc[c * d * d + i * d + i]);
        out[c] = s;
      }
      break;
    case 'diag':
      for (let c = 0; c < k; c++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += Math.log(pc[c * d + j]);
        out[c] = s;
      }
      break;
    case 'spherical':
      for (let c = 0; c < k; c++) out[c] = d * Math.log(pc[c]);
      break;
  }
  return out;
}

/**
 * log N(x_n | mu_k, Lambda_k^-1) for every point and component into
 * out [n, K]: -D/2 log 2 pi - ||(x_n - mu_k) P_k||^2 / 2 + sum log diag P_k.
 *
 * Full: for a block of rows, Y = [X_block, 1] [P_1 ... P_K; -b_1 ... -b_K]
 * with b_k = mu_k P_k is one GEMM [rows, D + 1] x [D + 1, K D] (the
 * dominant cost: 2 N D^2 K flops) giving every (x_n - mu_k) P_k; then
 * squares summed over D. Tied: one [rows, D] x [D, D] product, then
 * ||y - b_k||^2. Diag/spherical expand the square into products with the
 * means ([rows, D] x [D, K] GEMMs), as scikit-learn does.
 */
export function estimateLogGaussianProb(data: Data64, means: Float64Array, pc: Float64Array, type: CovarianceType, k: number, out: Float64Array): void {
  const { x, n, d } = data;
  const logDet = logDetPrecisionCholesky(pc, type, k, d);
  const half = 0.5 * d * LOG_2PI;
  if (type === 'full') {
    // B = [P_1 ... P_K; -b_1 ... -b_K], a [D + 1, K D] matrix with
    // b_k = mu_k P_k, so that [x, 1] B = [(x - mu_1) P_1, ..., (x - mu_K) P_K].
    const kd = k * d;
    const bmat = new Float64Array((d + 1) * kd);
    for (let c = 0; c < k; c++) {
      const po = c * d * d;
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) bmat[i * kd + c * d + j] = pc[po + i * d + j];
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let i = 0; i < d; i++) s += means[c * d + i] * pc[po + i * d + j];
        bmat[d * kd + c * d + j] = -s;
      }
    }
    const xo = data.xOnes ??= withOnes(x, n, d);
    const rows = blockRows(k, d);
    const y = new Float64Array(rows * kd);
    const sq = useKernels() ? new Float64Array(rows * kd) : null;
    const norms = new Float64Array(rows * k);
    for (let r0 = 0; r0 < n; r0 += rows) {
      const m = Math.min(rows, n - r0);
      gemm64(false, false, m, kd, d + 1, xo, r0 * (d + 1), bmat, 0, y, 0, false);
      if (sq) {
        kernel('unary')('square', y.subarray(0, m * kd), sq.subarray(0, m * kd));
        kernel('reduce')('sum', sq.subarray(0, m * kd), m * k, d, 1, norms.subarray(0, m * k));
      } else {
        for (let t = 0; t < m * k; t++) {
          let s = 0;
          for (let j = t * d, e = j + d; j < e; j++) s += y[j] * y[j];
          norms[t] = s;
        }
      }
      for (let i = 0; i < m; i++) for (let c = 0; c < k; c++) out[(r0 + i) * k + c] = -half - 0.5 * norms[i * k + c] + logDet[c];
    }
    return;
  }
  if (type === 'tied') {
    // Y = X P once; then ||Y - b_k||^2 for each k, b_k = mu_k P.
    const bias = new Float64Array(k * d);
    for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) {
      let s = 0;
      for (let i = 0; i < d; i++) s += means[c * d + i] * pc[i * d + j];
      bias[c * d + j] = s;
    }
    const rows = blockRows(k, d);
    const y = new Float64Array(rows * d);
    const kd = k * d;
    const diff = useKernels() ? new Float64Array(rows * kd) : null;
    const sq = useKernels() ? new Float64Array(rows * kd) : null;
    const norms = new Float64Array(rows * k);
    for (let r0 = 0; r0 < n; r0 += rows) {
      const m = Math.min(rows, n - r0);
      gemm64(false, false, m, d, d, x, r0 * d, pc, 0, y, 0, false);
      if (diff && sq) {
        kernel('binary')('sub', y.subarray(0, m * d), [m, 1, d], bias, [1, k, d], diff.subarray(0, m * kd), [m, k, d]);
        kernel('unary')('square', diff.subarray(0, m * kd), sq.subarray(0, m * kd));
        kernel('reduce')('sum', sq.subarray(0, m * kd), m * k, d, 1, norms.subarray(0, m * k));
      } else {
        for (let i = 0; i < m; i++) for (let c = 0; c < k; c++) {
          let s = 0;
          for (let j = 0; j < d; j++) {
            const t = y[i * d + j] - bias[c * d + j];
            s += t * t;
          }
          norms[i * k + c] = s;
        }
      }
      for (let i = 0; i < m; i++) for (let c = 0; c < k; c++) out[(r0 + i) * k + c] = -half - 0.5 * norms[i * k + c] + logDet[0];
    }
    return;
  }
  // diag / spherical: sum_j prec_kj (x_j^2 - 2 x_j mu_kj + mu_kj^2).
  const prec = new Float64Array(k * d);
  for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) {
    const p = type === 'diag' ? pc[c * d + j] : pc[c];
    prec[c * d + j] = p * p;
  }
  const muPrec = new Float64Array(k * d);
  const constant = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    let s = 0;
    for (let j = 0; j < d; j++) {
      const mp = means[c * d + j] * prec[c * d + j];
      muPrec[c * d + j] = mp;
      s += means[c * d + j] * mp;
    }
    constant[c] = s;
  }
  const rows = blockRows(1, d);
  const sq = new Float64Array(rows * d);
  const cross = new Float64Array(rows * k);
  const quad = new Float64Array(rows * k);
  for (let r0 = 0; r0 < n; r0 += rows) {
    const m = Math.min(rows, n - r0);
    for (let i = 0; i < m * d; i++) {
      const v = x[r0 * d + i];
      sq[i] = v * v;
    }
    gemm64(false, true, m, k, d, x, r0 * d, muPrec, 0, cross, 0, false);
    gemm64(false, true, m, k, d, sq, 0, prec, 0, quad, 0, false);
    for (let i = 0; i < m; i++) {
      for (let c = 0; c < k; c++) {
        const s = constant[c] - 2 * cross[i * k + c] + quad[i * k + c];
        out[(r0 + i) * k + c] = -half - 0.5 * s + logDet[c];
      }
    }
  }
}

/** [X, 1]: X [n, d] with a column of ones appended. */
function withOnes(x: Float64Array, n: number, d: number): Float64Array {
  const out = new Float64Array(n * (d + 1));
  let o = 0;
  let src = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) out[o++] = x[src++];
    out[o++] = 1;
  }
  return out;
}

/**
 * Adds `offsets` [K] to each row of `wlp` [n, K], then writes
 * log p(x_n) = logsumexp_k into `norm` [n] and the responsibilities
 * exp(wlp - norm) into `resp` [n, K] (log-space throughout: a row of
 * all -Infinity gives -Infinity and zero responsibilities, never NaN).
 */
export function normalizeLogProb(wlp: Float64Array, offsets: Float64Array, n: number, k: number, norm: Float64Array, resp: Float64Array | null): void {
  // Row maxima; then exp(wlp - max) for all entries at once (one vectorized
  // kernel pass when native), row sums, and log p(x_n) = max + log(sum).
  const shifted = resp ?? new Float64Array(n * k);
  const max = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * k;
    let m = -Infinity;
    for (let c = 0; c < k; c++) {
      const v = wlp[o + c] + offsets[c];
      wlp[o + c] = v;
      if (v > m) m = v;
    }
    // A row of all -Infinity (or NaN) gets zero responsibilities below.
    const finite = m > -Infinity && m === m;
    max[i] = m;
    for (let c = 0; c < k; c++) shifted[o + c] = finite ? wlp[o + c] - m : -Infinity;
  }
  const e = useKernels() ? new Float64Array(n * k) : shifted;
  if (useKernels()) kernel('unary')('exp', shifted, e);
  else for (let i = 0; i < n * k; i++) e[i] = Math.exp(e[i]);
  for (let i = 0; i < n; i++) {
    const o = i * k;
    const m = max[i];
    if (!(m > -Infinity)) {
      norm[i] = m;
      if (resp) for (let c = 0; c < k; c++) resp[o + c] = 0;
      continue;
    }
    let s = 0;
    for (let c = 0; c < k; c++) s += e[o + c];
    norm[i] = m + Math.log(s);
    if (resp) {
      const inv = 1 / s;
      for (let c = 0; c < k; c++) resp[o + c] = e[o + c] * inv;
    }
  }
}
