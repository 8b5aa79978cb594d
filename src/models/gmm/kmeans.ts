// k-means (Lloyd's algorithm) with greedy k-means++ seeding: the default
// initialization of the mixtures, and usable on its own.
import type { Generator } from '../../random/generator.js';
import { asMatrix64, gemm64, tensor64, type MatrixInput } from '../linalg64.js';
import { Tensor } from '../../tensor/tensor.js';
import { blockRows, type Data64 } from './gaussian.js';

/** Options of `kmeans`. */
export interface KMeansOptions {
  /** The generator for the seeding. */
  rng: Generator;
  /** Lloyd iterations at most (default 300, as scikit-learn). */
  maxIter?: number;
  /** Stop when the centers move by less than tol times the mean feature variance, in squared norm (default 1e-4, as scikit-learn). */
  tol?: number;
  /** Seeding: greedy k-means++ (default) or k distinct random points. */
  init?: 'k-means++' | 'random';
  /** Per-point weights [N] (default all 1). */
  sampleWeight?: Tensor | readonly number[];
}

/** What `kmeans` returns. */
export interface KMeansResult {
  /** Cluster centers [K, D]. */
  centers: Tensor;
  /** The nearest center of each point [N]. */
  labels: Int32Array;
  /** Weighted sum of squared distances of points to their centers. */
  inertia: number;
  /** Lloyd iterations run. */
  nIter: number;
  converged: boolean;
}

/**
 * k-means clustering: k-means++ seeding, then Lloyd iterations (assign each
 * point to its nearest center, move each center to the mean of its points)
 * until the centers stop moving. Squared distances come from one GEMM per
 * block of rows: ||x||^2 - 2 x.c + ||c||^2. An emptied cluster is moved to
 * the point farthest from its center.
 *
 * Papers: Lloyd, "Least squares quantization in PCM", 1982; Arthur &
 * Vassilvitskii, "k-means++: the advantages of careful seeding", SODA 2007.
 *
 * @example
 * const { centers, labels } = kmeans(x, 3, { rng: new Generator(0) });  // x [N, D] -> centers [3, D]
 */
export function kmeans(x: MatrixInput, k: number, options: KMeansOptions): KMeansResult {
  const who = 'kmeans';
  const m = asMatrix64(x, who, 'X');
  if (!Number.isInteger(k) || k < 1) throw new Error(`${who}: k must be a positive integer, got ${k}`);
  if (m.rows < k) throw new Error(`${who}: X has ${m.rows} points but k is ${k}: need at least as many points as clusters`);
  let weights: Float64Array | null = null;
  if (options.sampleWeight !== undefined) {
    const w = options.sampleWeight instanceof Tensor ? options.sampleWeight.data : options.sampleWeight;
    if (w.length !== m.rows) throw new Error(`${who}: sampleWeight has ${w.length} entries for ${m.rows} points`);
    weights = Float64Array.from(w as ArrayLike<number>);
    for (let i = 0; i < weights.length; i++) if (!(weights[i] >= 0) || !Number.isFinite(weights[i])) throw new Error(`${who}: sampleWeight[${i}] is ${weights[i]}: expected finite non-negative weights`);
  }
  const r = kmeans64({ x: m.data, n: m.rows, d: m.cols, weights }, k, options);
  return { centers: tensor64(r.centers, [k, m.cols]), labels: r.labels, inertia: r.inertia, nIter: r.nIter, converged: r.converged };
}

/**
 * Greedy k-means++ seeding (Arthur & Vassilvitskii 2007, with several
 * candidates per step as scikit-learn's `kmeans_plusplus`): returns the
 * chosen centers [K, D] and their row indices.
 *
 * @example
 * const { indices } = kmeansPlusPlus(x, 5, new Generator(1));
 */
export function kmeansPlusPlus(x: MatrixInput, k: number, rng: Generator): { centers: Tensor; indices: Int32Array } {
  const m = asMatrix64(x, 'kmeansPlusPlus', 'X');
  if (!Number.isInteger(k) || k < 1 || k > m.rows) throw new Error(`kmeansPlusPlus: k must be an integer in 1..${m.rows} (the number of points), got ${k}`);
  const indices = kmeansPlusPlus64({ x: m.data, n: m.rows, d: m.cols, weights: null }, k, rng);
  const centers = new Float64Array(k * m.cols);
  for (let c = 0; c < k; c++) centers.set(m.data.subarray(indices[c] * m.cols, (indices[c] + 1) * m.cols), c * m.cols);
  return { centers: tensor64(centers, [k, m.cols]), indices };
}

function squaredNorms(x: Float64Array, n: number, d: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += x[i * d + j] * x[i * d + j];
    out[i] = s;
  }
  return out;
}

/** Squared distance from every point to point `p`, into out [n]. */
function distancesTo(data: Data64, p: number, out: Float64Array): void {
  const { x, n, d } = data;
  const po = p * d;
  for (let i = 0; i < n; i++) {
    let s = 0;
    const o = i * d;
    for (let j = 0; j < d; j++) {
      const t = x[o + j] - x[po + j];
      s += t * t;
    }
    out[i] = s;
  }
}

/** An index drawn with probability proportional to `w` (cumulative search), or uniformly when w is all zero. */
function drawProportional(w: Float64Array, total: number, rng: Generator): number {
  if (!(total > 0)) return rng.uniformInt(w.length);
  const u = rng.uniform01() * total;
  let acc = 0;
  for (let i = 0; i < w.length; i++) {
    acc += w[i];
    if (u < acc) return i;
  }
  for (let i = w.length - 1; i >= 0; i--) if (w[i] > 0) return i;
  return w.length - 1;
}

/** Greedy k-means++ on raw data: 2 + floor(ln k) candidates per step, keeping the one that lowers the potential most. */
export function kmeansPlusPlus64(data: Data64, k: number, rng: Generator): Int32Array {
  const { n, weights } = data;
  const w = weights ?? new Float64Array(n).fill(1);
  const trials = 2 + Math.floor(Math.log(k));
  const indices = new Int32Array(k);
  let wsum = 0;
  for (let i = 0; i < n; i++) wsum += w[i];
  indices[0] = drawProportional(w, wsum, rng);
  const closest = new Float64Array(n);
  distancesTo(data, indices[0], closest);
  const weighted = new Float64Array(n);
  const cand = new Float64Array(n);
  const best = new Float64Array(n);
  for (let c = 1; c < k; c++) {
    let pot = 0;
    for (let i = 0; i < n; i++) {
      weighted[i] = w[i] * closest[i];
      pot += weighted[i];
    }
    let bestPot = Infinity;
    let bestIdx = -1;
    for (let t = 0; t < trials; t++) {
      const idx = drawProportional(weighted, pot, rng);
      distancesTo(data, idx, cand);
      let p = 0;
      for (let i = 0; i < n; i++) {
        const v = Math.min(closest[i], cand[i]);
        cand[i] = v;
        p += w[i] * v;
      }
      if (p < bestPot) {
        bestPot = p;
        bestIdx = idx;
        best.set(cand);
      }
    }
    indices[c] = bestIdx;
    closest.set(best);
  }
  return indices;
}

/** Lloyd's algorithm on raw data (see `kmeans`). */
export function kmeans64(data: Data64, k: number, options: KMeansOptions): { centers: Float64Array; labels: Int32Array; inertia: number; nIter: number; converged: boolean } {
  const { x, n, d, weights } = data;
  const maxIter = options.maxIter ?? 300;
  const tolRel = options.tol ?? 1e-4;
  const w = weights ?? new Float64Array(n).fill(1);
  // tol in squared center movement, relative to the mean feature variance.
  let varMean = 0;
  for (let j = 0; j < d; j++) {
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) s += x[i * d + j];
    const mu = s / n;
    for (let i = 0; i < n; i++) s2 += (x[i * d + j] - mu) ** 2;
    varMean += s2 / n;
  }
  const tol = (tolRel * varMean) / d;
  const seeds = options.init === 'random' ? randomDistinct(n, k, options.rng) : kmeansPlusPlus64(data, k, options.rng);
  let centers = new Float64Array(k * d);
  for (let c = 0; c < k; c++) centers.set(x.subarray(seeds[c] * d, (seeds[c] + 1) * d), c * d);
  const xnorm = squaredNorms(x, n, d);
  const labels = new Int32Array(n);
  const dist = new Float64Array(n);
  const rows = blockRows(k, 1);
  const cross = new Float64Array(rows * k);
  let nIter = 0;
  let converged = false;
  const assign = (): number => {
    const cnorm = squaredNorms(centers, k, d);
    let inertia = 0;
    for (let r0 = 0; r0 < n; r0 += rows) {
      const m = Math.min(rows, n - r0);
      gemm64(false, true, m, k, d, x, r0 * d, centers, 0, cross, 0, false);
      for (let i = 0; i < m; i++) {
        let bestD = Infinity;
        let bestC = 0;
        for (let c = 0; c < k; c++) {
          const v = xnorm[r0 + i] - 2 * cross[i * k + c] + cnorm[c];
          if (v < bestD) {
            bestD = v;
            bestC = c;
          }
        }
        labels[r0 + i] = bestC;
        dist[r0 + i] = Math.max(bestD, 0);
        inertia += w[r0 + i] * dist[r0 + i];
      }
    }
    return inertia;
  };
  let inertia = assign();
  for (nIter = 1; nIter <= maxIter; nIter++) {
    const next = new Float64Array(k * d);
    const count = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      const c = labels[i];
      count[c] += w[i];
      for (let j = 0; j < d; j++) next[c * d + j] += w[i] * x[i * d + j];
    }
    for (let c = 0; c < k; c++) {
      if (count[c] > 0) {
        for (let j = 0; j < d; j++) next[c * d + j] /= count[c];
      } else {
        // An empty cluster takes the point farthest from its center.
        let far = 0;
        for (let i = 1; i < n; i++) if (w[i] * dist[i] > w[far] * dist[far]) far = i;
        next.set(x.subarray(far * d, (far + 1) * d), c * d);
        dist[far] = 0;
      }
    }
    let shift = 0;
    for (let i = 0; i < k * d; i++) shift += (next[i] - centers[i]) ** 2;
    centers = next;
    const before = Int32Array.from(labels);
    inertia = assign();
    let same = true;
    for (let i = 0; i < n && same; i++) same = before[i] === labels[i];
    if (same || shift <= tol) {
      converged = true;
      break;
    }
  }
  return { centers, labels, inertia, nIter: Math.min(nIter, maxIter), converged };
}

/** k distinct indices out of n, uniformly (a partial Fisher-Yates shuffle). */
export function randomDistinct(n: number, k: number, rng: Generator): Int32Array {
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  for (let i = 0; i < k; i++) {
    const j = i + rng.uniformInt(n - i);
    const t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  return perm.slice(0, k);
}
