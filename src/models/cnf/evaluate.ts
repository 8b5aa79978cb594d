// Training loss and held-out log-likelihood of a CNF, and pictures of 2-D densities.
import { Tensor } from '../../tensor/tensor.js';
import { linspace } from '../../tensor/create.js';
import { mean, neg, slice } from '../../ops/index.js';
import { noGrad } from '../../autograd/index.js';
import type { Generator } from '../../random/index.js';
import { savePng, imageGrid } from '../../io/index.js';
import type { CNF } from './cnf.js';

/**
 * The training loss of a CNF on a batch: the mean negative log-likelihood
 * in nats, with the solve's function evaluations as stats (forward; and
 * backward for the adjoint, known only after `backward()`).
 *
 * @example
 * const { loss, stats } = cnfLoss(cnf, x, rng);   // loss: scalar; stats.nfe
 * loss.backward();
 */
export function cnfLoss(model: CNF, x: Tensor, rng: Generator): { loss: Tensor; stats: { nll: number; nfe: number } } {
  const r = model.logProbWithStats(x, { rng });
  const loss = neg(mean(r.logp));
  return { loss, stats: { nll: loss.item(), nfe: r.stats.nfe } };
}

export interface CnfEvaluation {
  /** Mean log p(x) over the points, nats. */
  logLik: number;
  /** Its standard error over the points. */
  stderr: number;
  /** Function evaluations per batch, averaged. */
  nfe: number;
  /** Points evaluated. */
  n: number;
}

/**
 * Held-out log-likelihood of a CNF in nats (mean over the rows of x, with
 * its standard error), without recording, in batches of `batch` rows. With
 * Hutchinson's trace the estimate is unbiased for log p(x) only in
 * expectation; for numbers to report use a model whose config.trace is
 * 'exact' (same weights).
 *
 * @example
 * evaluateCnf(cnf, xTest, { rng }).logLik;   // e.g. -2.45 on two moons, against -H(p) = -2.396
 */
export function evaluateCnf(model: CNF, x: Tensor, options: { batch?: number; rng?: Generator } = {}): CnfEvaluation {
  const batch = options.batch ?? 1000;
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`evaluateCnf: batch must be a positive integer, got ${batch}`);
  const n = x.shape[0];
  const lp: number[] = [];
  let nfe = 0;
  let batches = 0;
  noGrad(() => {
    for (let s = 0; s < n; s += batch) {
      const r = model.logProbWithStats(slice(x, 0, s, Math.min(n, s + batch)), { rng: options.rng });
      for (const v of r.logp.data) lp.push(v);
      nfe += r.stats.nfe;
      batches++;
    }
  });
  const m = lp.reduce((a, b) => a + b, 0) / n;
  const v = lp.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, n - 1);
  return { logLik: m, stderr: Math.sqrt(v / n), nfe: nfe / batches, n };
}

/**
 * The centres of a size x size grid over [-range, range]^2, row-major from
 * the top (y = +range) down, so that row r of an image is y = range - r * step.
 *
 * Shapes: -> [size^2, 2].
 *
 * @example
 * const pts = densityGridPoints(4, 100);              // [10000, 2]
 * const target = densityImage(toy2dLogDensity('rings', pts), 100);
 */
export function densityGridPoints(range: number, size: number): Tensor {
  const xs = linspace(-range, range, size).data;
  const data = new Float32Array(2 * size * size);
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      data[2 * (r * size + c)] = xs[c];
      data[2 * (r * size + c) + 1] = xs[size - 1 - r];
    }
  }
  return new Tensor(data, [size * size, 2]);
}

/**
 * exp(log-density) on the grid of `densityGridPoints`, scaled so that the
 * largest value is 1 (all -infinity gives a black image).
 *
 * Shapes: size^2 log-densities -> an image [1, 1, size, size].
 *
 * @example
 * densityImage(cnfLogDensityGrid(cnf, 4, 100), 100);   // [1, 1, 100, 100]
 */
export function densityImage(logDensity: ArrayLike<number>, size: number): Tensor {
  let max = -Infinity;
  for (let i = 0; i < logDensity.length; i++) if (logDensity[i] > max) max = logDensity[i];
  const img = new Float32Array(size * size);
  for (let i = 0; i < img.length; i++) img[i] = Number.isFinite(max) ? Math.exp(logDensity[i] - max) : 0;
  return new Tensor(img, [1, 1, size, size]);
}

/**
 * A 2-D histogram of points on the grid of `densityGridPoints`, scaled so
 * that the fullest cell is 1 (points outside the square are dropped): the
 * picture of a data set whose density is unknown.
 *
 * Shapes: x [n, 2] -> an image [1, 1, size, size].
 *
 * @example
 * histogramImage(points, 4, 100);   // [1, 1, 100, 100]
 */
export function histogramImage(x: Tensor, range: number, size: number): Tensor {
  const counts = new Float32Array(size * size);
  const d = x.data;
  for (let i = 0; i < x.shape[0]; i++) {
    const c = Math.floor(((d[2 * i] + range) / (2 * range)) * size);
    const r = size - 1 - Math.floor(((d[2 * i + 1] + range) / (2 * range)) * size);
    if (c >= 0 && c < size && r >= 0 && r < size) counts[r * size + c]++;
  }
  let max = 0;
  for (const v of counts) max = Math.max(max, v);
  if (max > 0) for (let i = 0; i < counts.length; i++) counts[i] /= max;
  return new Tensor(counts, [1, 1, size, size]);
}

/**
 * A CNF's log-density at the points of `densityGridPoints(range, size)`,
 * without recording, in chunks of 2,048 points (`rng` only for a model whose
 * trace is Hutchinson's).
 *
 * Shapes: -> Float64Array of size^2, row-major from the top.
 *
 * @example
 * const lp = cnfLogDensityGrid(cnf, 4.5, 100);   // 10,000 values
 */
export function cnfLogDensityGrid(model: CNF, range: number, size: number, rng?: Generator): Float64Array {
  const pts = densityGridPoints(range, size);
  const out = new Float64Array(size * size);
  noGrad(() => {
    const step = 2048;
    for (let s = 0; s < size * size; s += step) {
      const lp = model.logProb(slice(pts, 0, s, Math.min(size * size, s + step)), { rng }).data;
      out.set(lp, s);
    }
  });
  return out;
}

/**
 * Writes images side by side (each [1, 1, size, size], values in [0, 1])
 * to a PNG, atomically, upscaled by `scale`: the target next to the learned
 * density.
 *
 * @example
 * saveDensityPanels('density.png', [target, learned]);   // 612 x 308 pixels for size 100
 */
export function saveDensityPanels(path: string, panels: readonly Tensor[], scale = 3): void {
  const size = panels[0].shape[2];
  const all = new Float32Array(panels.length * size * size);
  panels.forEach((p, i) => all.set(p.data, i * size * size));
  savePng(path, imageGrid(new Tensor(all, [panels.length, 1, size, size]), { cols: panels.length, scale, pad: 4 }));
}
