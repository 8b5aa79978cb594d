import { Tensor } from '../tensor/tensor.js';
import { formatShape } from '../tensor/shape.js';
import { grad } from './tape.js';

export interface GradcheckOptions {
  /** Central-difference step. */
  eps?: number;
  atol?: number;
  rtol?: number;
}

export interface GradcheckResult {
  ok: boolean;
  maxAbsError: number;
  /** A description of the worst entry, for failure messages. */
  worst: string;
}

/**
 * Compares the analytic gradient of the scalar function `f` at `inputs`
 * with central finite differences, (f(x + eps) - f(x - eps)) / (2 eps),
 * entry by entry. Inputs must be float64 (float32 rounding swamps the
 * O(eps^2) truncation error). A non-scalar output is reduced by a fixed
 * random-like weighting so every output entry's gradient is exercised.
 */
export function gradcheck(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], options: GradcheckOptions = {}): GradcheckResult {
  const eps = options.eps ?? 1e-6;
  const atol = options.atol ?? 1e-5;
  const rtol = options.rtol ?? 1e-4;
  inputs.forEach((x, i) => {
    if (x.dtype !== 'float64') throw new Error(`gradcheck: input ${i} is ${x.dtype}; gradient checks need float64`);
  });
  const xs = inputs.map((x) => new Tensor(x.data.slice(), x.shape, true));
  let weights: Tensor | null = null;
  const scalarOf = (out: Tensor): Tensor => {
    if (out.size === 1) return out.reshape([]);
    if (!weights) {
      const w = new Float64Array(out.size);
      // Distinct, non-trivial weights: 0.3, 0.7, 1.1, ... wrapped.
      for (let i = 0; i < w.length; i++) w[i] = 0.3 + ((i * 0.4) % 1.7);
      weights = new Tensor(w, out.shape);
    }
    return out.mul(weights).sum();
  };
  const out0 = scalarOf(f(...xs));
  // A function that does not depend on its inputs has a zero gradient.
  const analytic = out0.requiresGrad
    ? grad([out0], xs, { allowUnused: true })
    : xs.map((x) => new Tensor(new Float64Array(x.size), x.shape));
  let maxAbsError = 0;
  let worst = '';
  let ok = true;
  // Evaluated with recording on: `f` may itself take gradients (second-order checks).
  {
    xs.forEach((x, i) => {
      for (let j = 0; j < x.size; j++) {
        const orig = x.data[j];
        x.data[j] = orig + eps;
        const fp = scalarOf(f(...xs)).item();
        x.data[j] = orig - eps;
        const fm = scalarOf(f(...xs)).item();
        x.data[j] = orig;
        const numeric = (fp - fm) / (2 * eps);
        const a = analytic[i].data[j];
        const err = Math.abs(a - numeric);
        const bad = !(err <= atol + rtol * Math.abs(numeric));
        if (bad) ok = false;
        if (err > maxAbsError || (bad && !worst) || Number.isNaN(err)) {
          maxAbsError = Number.isNaN(err) ? NaN : Math.max(maxAbsError, err);
          worst = `input ${i} ${formatShape(x.shape)} entry ${j}: analytic ${a}, numeric ${numeric}`;
        }
      }
    });
  }
  return { ok, maxAbsError, worst };
}
