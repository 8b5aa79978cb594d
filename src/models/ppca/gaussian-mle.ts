// The Gaussian maximum-likelihood estimate, and the symmetric
// eigendecomposition PPCA is built on, as public functions.
import { Tensor } from '../../tensor/tensor.js';
import { asArray64, asMatrix64, gemm64, symmetricEigen64, symmetrize64, tensor64, type MatrixInput } from '../linalg64.js';

/** Options of `gaussianMle`. */
export interface GaussianMleOptions {
  /** Per-point (frequency) weights [N]; default all 1. */
  sampleWeight?: Tensor | readonly number[];
  /**
   * The covariance divides the scatter by (sum of weights) - ddof: 0 (the
   * default) is the maximum-likelihood estimate, 1 the unbiased one
   * (numpy.cov's default).
   */
  ddof?: number;
}

/**
 * The maximum-likelihood Gaussian of data X [N, D] in closed form:
 * mean = sum_n w_n x_n / W, covariance = sum_n w_n (x_n - mean)(x_n - mean)^T / (W - ddof)
 * with W = sum_n w_n. Float64; the scatter is one GEMM on the centered data.
 *
 * Shapes: X [N, D] -> mean [D], covariance [D, D].
 *
 * @example
 * const { mean, covariance } = gaussianMle([[0, 0], [2, 0], [0, 2], [2, 2]]);
 * mean.toArray();        // [1, 1]
 * covariance.toArray();  // [[1, 0], [0, 1]]
 */
export function gaussianMle(x: MatrixInput, options: GaussianMleOptions = {}): { mean: Tensor; covariance: Tensor } {
  const who = 'gaussianMle';
  const m = asMatrix64(x, who, 'X');
  const { rows: n, cols: d } = m;
  const ddof = options.ddof ?? 0;
  if (typeof ddof !== 'number' || !(ddof >= 0) || !Number.isFinite(ddof)) throw new Error(`${who}: ddof must be a number >= 0, got ${String(ddof)}`);
  const w = options.sampleWeight === undefined ? null : asArray64(options.sampleWeight, [n], who, 'sampleWeight');
  let total = n;
  if (w) {
    total = 0;
    for (let i = 0; i < n; i++) {
      if (w[i] < 0) throw new Error(`${who}: sampleWeight[${i}] is ${w[i]}: weights must be >= 0`);
      total += w[i];
    }
  }
  if (!(total - ddof > 0)) throw new Error(`${who}: the total weight ${total} must exceed ddof = ${ddof}`);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const wi = w ? w[i] : 1;
    for (let j = 0; j < d; j++) mean[j] += wi * m.data[i * d + j];
  }
  for (let j = 0; j < d; j++) mean[j] /= total;
  const centered = new Float64Array(n * d);
  const weighted = w ? new Float64Array(n * d) : centered;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) {
    const v = m.data[i * d + j] - mean[j];
    centered[i * d + j] = v;
    if (w) weighted[i * d + j] = w[i] * v;
  }
  const cov = new Float64Array(d * d);
  gemm64(true, false, d, d, n, weighted, 0, centered, 0, cov, 0, false);
  for (let i = 0; i < d * d; i++) cov[i] /= total - ddof;
  symmetrize64(cov, 0, d);
  return { mean: tensor64(mean, [d]), covariance: tensor64(cov, [d, d]) };
}

/**
 * The eigendecomposition of a symmetric matrix A [n, n] = V diag(values) V^T,
 * in float64: eigenvalues ascending (as numpy.linalg.eigh), orthonormal
 * eigenvectors in the columns of V. Only the lower triangle of A is read.
 *
 * Method: Householder tridiagonalization and the implicit QL algorithm
 * (EISPACK tred2/tql2; Wilkinson & Reinsch 1971), about 9 n^3 flops.
 *
 * Shapes: A [n, n] -> values [n], vectors [n, n].
 *
 * @example
 * const { values, vectors } = symmetricEigen([[2, 1], [1, 2]]);
 * values.toArray();   // [1, 3]
 */
export function symmetricEigen(a: MatrixInput): { values: Tensor; vectors: Tensor } {
  const m = asMatrix64(a, 'symmetricEigen', 'A');
  if (m.rows !== m.cols) throw new Error(`symmetricEigen: A must be square, got shape [${m.rows}, ${m.cols}]`);
  const { values, vectors } = symmetricEigen64(m.data, m.rows);
  return { values: tensor64(values, [m.rows]), vectors: tensor64(vectors, [m.rows, m.rows]) };
}
