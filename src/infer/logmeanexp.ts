import { Tensor } from '../tensor/tensor.js';
import { formatShape, normalizeAxis } from '../tensor/shape.js';
import { logsumexp, sub } from '../ops/index.js';
import { describe } from './checks.js';

/**
 * log(mean(exp(x))) along `axis`, computed stably as
 * logsumexp(x, axis) - log n (the max is subtracted inside logsumexp, so no
 * exp overflows or underflows to a wrong answer). When every entry along the
 * axis is -Infinity the result is -Infinity (never NaN) and the gradient is 0.
 * Differentiable: the gradient with respect to x_i is the normalized weight
 * exp(x_i) / sum_j exp(x_j), the self-normalized importance weight that
 * makes `iwaeBound`'s gradient (Burda et al. 2016, eq. 14).
 *
 * Shapes: x [..., n, ...] (n at `axis`, default 0: samples first) -> x's shape without `axis` (kept as 1 with `keepDims`).
 *
 * @example
 * logmeanexp(tensor([0, Math.log(3)])).item();          // log 2 = ~0.693
 * logmeanexp(tensor([-Infinity, -Infinity])).item();    // -Infinity
 * logmeanexp(logWeights, 0).shape;                      // [batch] for logWeights [k, batch]
 */
export function logmeanexp(x: Tensor, axis = 0, keepDims = false): Tensor {
  if (!(x instanceof Tensor)) throw new Error(`logmeanexp: x must be a Tensor, got ${describe(x)}`);
  if (x.rank === 0) throw new Error('logmeanexp: x must have at least one dimension (the one to average over), got a scalar');
  if (typeof axis !== 'number' || !Number.isInteger(axis)) throw new Error(`logmeanexp: axis must be an integer, got ${describe(axis)}`);
  const a = normalizeAxis(axis, x.rank, 'logmeanexp');
  const n = x.shape[a];
  if (n === 0) throw new Error(`logmeanexp: axis ${axis} of x ${formatShape(x.shape)} is empty (the mean of no values is undefined)`);
  return sub(logsumexp(x, a, keepDims), Math.log(n));
}

/**
 * Per example, log(mean over k samples of exp(log w)), with the log-weights
 * drawn in chunks: `draw(c)` returns c x b log-weights (sample-major, [c, b]
 * flattened) and chunks of at most `chunk` samples are drawn until k. A
 * running maximum and a rescaled sum per example stand in for the [k, b]
 * matrix, so k = 5000 importance samples never need it. An example whose
 * weights are all -Infinity gets -Infinity.
 *
 * @example
 * const logpx = streamingLogMeanExp(b, 5000, 100, (c) => logImportanceWeights(model, x, rng, c).data);
 */
export function streamingLogMeanExp(b: number, k: number, chunk: number, draw: (c: number) => ArrayLike<number>): Float64Array {
  const m = new Float64Array(b).fill(-Infinity);
  const s = new Float64Array(b);
  for (let done = 0; done < k; done += chunk) {
    const c = Math.min(chunk, k - done);
    const logw = draw(c);
    for (let i = 0; i < c; i++) {
      for (let j = 0; j < b; j++) {
        const v = logw[i * b + j];
        if (v > m[j]) {
          s[j] = s[j] * Math.exp(m[j] - v) + 1;
          m[j] = v;
        } else if (v > -Infinity) {
          s[j] += Math.exp(v - m[j]);
        }
      }
    }
  }
  const out = new Float64Array(b);
  for (let j = 0; j < b; j++) out[j] = m[j] === -Infinity ? -Infinity : m[j] + Math.log(s[j]) - Math.log(k);
  return out;
}
