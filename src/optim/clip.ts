import { Tensor } from '../tensor/tensor.js';

/**
 * Rescales the gradients of `params` so that their combined `normType`
 * norm (as if concatenated into one vector) is at most `maxNorm`, and
 * returns the norm before clipping, as `torch.nn.utils.clip_grad_norm_`:
 * every gradient is multiplied by min(1, maxNorm / (total + 1e-6)). The
 * 1e-6 keeps the division finite for zero gradients, so a norm just above
 * maxNorm lands a hair below it. Parameters without a gradient are skipped;
 * with none at all the result is 0. `normType` is a positive number or
 * Infinity (the largest absolute entry).
 *
 * Each scaled gradient is written to a new tensor assigned to `param.grad`
 * (rather than scaled in place), so gradients that share storage with
 * each other or with other tensors are never scaled twice or corrupted.
 *
 * @example
 * loss.backward();
 * const norm = clipGradNorm(model.parameters(), 1.0);   // the norm before clipping
 * opt.step();
 */
export function clipGradNorm(params: readonly Tensor[] | Tensor, maxNorm: number, normType = 2): number {
  if (typeof maxNorm !== 'number' || !Number.isFinite(maxNorm) || maxNorm < 0) {
    throw new Error(`clipGradNorm: maxNorm must be a finite non-negative number, got ${String(maxNorm)}`);
  }
  if (typeof normType !== 'number' || Number.isNaN(normType) || !(normType > 0)) {
    throw new Error(`clipGradNorm: normType must be a positive number or Infinity, got ${String(normType)}`);
  }
  const list = (params instanceof Tensor ? [params] : params).filter((p) => p.grad !== null);
  if (list.length === 0) return 0;
  let total: number;
  if (normType === Infinity) {
    total = 0;
    for (const p of list) {
      const g = p.grad!.data;
      for (let i = 0; i < g.length; i++) {
        const a = Math.abs(g[i]);
        if (a > total || Number.isNaN(a)) total = a;
      }
    }
  } else {
    // The norm of the per-tensor norms, as PyTorch combines them.
    let acc = 0;
    for (const p of list) {
      const norm = pNorm(p.grad!.data, normType);
      acc += normType === 2 ? norm * norm : Math.pow(norm, normType);
    }
    total = normType === 2 ? Math.sqrt(acc) : Math.pow(acc, 1 / normType);
  }
  const coef = Math.min(maxNorm / (total + 1e-6), 1);
  for (const p of list) scaleGrad(p, coef);
  return total;
}

/**
 * Clamps every gradient entry of `params` to [-clipValue, clipValue], as
 * `torch.nn.utils.clip_grad_value_` (writing new gradient tensors, see
 * `clipGradNorm`).
 *
 * @example
 * clipGradValue(model.parameters(), 0.5);
 */
export function clipGradValue(params: readonly Tensor[] | Tensor, clipValue: number): void {
  if (typeof clipValue !== 'number' || !Number.isFinite(clipValue) || clipValue < 0) {
    throw new Error(`clipGradValue: clipValue must be a finite non-negative number, got ${String(clipValue)}`);
  }
  for (const p of params instanceof Tensor ? [params] : params) {
    if (p.grad === null) continue;
    const g = p.grad.data;
    const out = g.slice();
    for (let i = 0; i < out.length; i++) out[i] = g[i] > clipValue ? clipValue : g[i] < -clipValue ? -clipValue : g[i];
    p.grad = new Tensor(out, p.grad.shape);
  }
}

/** The p-norm of one array, scaled by its largest entry for p = 2 so that squares neither overflow nor underflow. */
function pNorm(g: ArrayLike<number>, p: number): number {
  if (p === 2) {
    let scale = 0;
    for (let i = 0; i < g.length; i++) scale = Math.max(scale, Math.abs(g[i]));
    if (scale === 0 || !Number.isFinite(scale)) {
      let s = 0;
      for (let i = 0; i < g.length; i++) s += g[i] * g[i];
      return Math.sqrt(s);
    }
    let s = 0;
    for (let i = 0; i < g.length; i++) {
      const r = g[i] / scale;
      s += r * r;
    }
    return scale * Math.sqrt(s);
  }
  let s = 0;
  for (let i = 0; i < g.length; i++) s += Math.pow(Math.abs(g[i]), p);
  return Math.pow(s, 1 / p);
}

function scaleGrad(p: Tensor, coef: number): void {
  const g = p.grad!;
  const out = g.data.slice();
  for (let i = 0; i < out.length; i++) out[i] = g.data[i] * coef;
  p.grad = new Tensor(out, g.shape);
}
