import type { FloatArray } from '../../tensor/tensor.js';
import type { Activation, Kernels } from '../registry.js';

// Fused kernels: one pass over memory where the unfused ops take several.
// Where a fused kernel stands for a chain of ops whose every intermediate
// is rounded to the array's dtype (bias + activation, the activations'
// backward), it rounds the same intermediates, so it gives the bits of the
// unfused chain. The reductions (Bernoulli log-likelihood, Gaussian KL)
// keep each term in double and round once: more accurate than the chain.
//
// Loops are generated per (activation, dtype) so that V8 compiles one
// monomorphic loop for each (see elementwise.ts); `R(v)` rounds v to the
// dtype: Math.fround for float32, nothing for float64.

const activationExpr: Record<Activation, string> = {
  identity: 'v',
  relu: '(v > 0 ? v : 0)',
  tanh: 'Math.tanh(v)',
  // The expression of the unary sigmoid kernel: both branches avoid exp overflow.
  sigmoid: '(v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)))',
};

// The derivative from the activation's output y, rounded like the unfused
// gradient rules in ops/elementwise.ts: relu g * step(x) (y > 0 iff x > 0),
// tanh g * (1 - y y), sigmoid g * (y (1 - y)).
const activationGradExpr: Record<Activation, string> = {
  identity: 'g',
  relu: 'g * (y > 0 ? 1 : 0)',
  tanh: 'g * R(1 - R(y * y))',
  sigmoid: 'g * R(y * R(1 - y))',
};

type BiasActFn = (x: FloatArray, bias: FloatArray | null, outer: number, channels: number, inner: number, out: FloatArray) => void;
type ActGradFn = (g: FloatArray, y: FloatArray, out: FloatArray) => void;
type Dt = 'f32' | 'f64';

const roundFn: Record<Dt, (v: number) => number> = { f32: Math.fround, f64: (v) => v };

function makeBiasAct(expr: string): BiasActFn {
  return new Function('x', 'bias', 'outer', 'channels', 'inner', 'out', `
    if (bias === null) {
      const n = outer * channels * inner;
      for (let k = 0; k < n; k++) { const v = x[k]; out[k] = ${expr}; }
      return;
    }
    for (let o = 0, p = 0; o < outer; o++) {
      for (let c = 0; c < channels; c++) {
        const b = bias[c];
        for (let i = 0; i < inner; i++, p++) {
          // Stored, then read back: the sum is rounded to the dtype before the activation, as add then act would.
          out[p] = x[p] + b;
          const v = out[p];
          out[p] = ${expr};
        }
      }
    }
  `) as BiasActFn;
}

function makeActGrad(expr: string, dt: Dt): ActGradFn {
  return new Function('R', `return function (gs, ys, out) {
    const n = out.length;
    for (let i = 0; i < n; i++) { const g = gs[i], y = ys[i]; out[i] = ${expr}; }
  };`)(roundFn[dt]) as ActGradFn;
}

const activations = Object.keys(activationExpr) as Activation[];
const biasActFns = Object.fromEntries(activations.map((a) => [a, makeBiasAct(activationExpr[a])])) as Record<Activation, BiasActFn>;
const actGradFns = Object.fromEntries((['f32', 'f64'] as const).map((dt) => [
  dt, Object.fromEntries(activations.map((a) => [a, makeActGrad(activationGradExpr[a], dt)])),
])) as Record<Dt, Record<Activation, ActGradFn>>;

export const biasActivation: Kernels['biasActivation'] = (act, x, bias, outer, channels, inner, out) => {
  biasActFns[act](x, bias, outer, channels, inner, out);
};

export const activationGrad: Kernels['activationGrad'] = (act, g, y, out) => {
  actGradFns[out instanceof Float32Array ? 'f32' : 'f64'][act](g, y, out);
};

/**
 * Row sums of x l - softplus(l), softplus(l) = max(l, 0) + log1p(e^-|l|),
 * each term and the sum in double; optionally the sigmoid of every logit
 * (for the gradient), from the same e^-|l|.
 */
export const bernoulliLogits: Kernels['bernoulliLogits'] = (x, logits, rows, cols, out, sigmoid) => {
  const xRepeats = x.length !== rows * cols;
  for (let r = 0, o = 0; r < rows; r++, o += cols) {
    const xo = xRepeats ? 0 : o;
    let s = 0;
    for (let j = 0; j < cols; j++) {
      const l = logits[o + j];
      const e = Math.exp(-Math.abs(l));
      s += x[xo + j] * l - ((l > 0 ? l : 0) + Math.log1p(e));
      if (sigmoid !== null) sigmoid[o + j] = (l >= 0 ? 1 : e) / (1 + e);
    }
    out[r] = s;
  }
};

/** out[r, j] = g[r] (x[r, j] - sigmoid(l[r, j])), in double, rounded once; sigmoid from `sigmoid` when given. */
export const bernoulliLogitsGrad: Kernels['bernoulliLogitsGrad'] = (g, x, logits, sigmoid, rows, cols, out) => {
  const xRepeats = x.length !== rows * cols;
  for (let r = 0, o = 0; r < rows; r++, o += cols) {
    const xo = xRepeats ? 0 : o;
    const gr = g[r];
    if (sigmoid !== null) {
      for (let j = 0; j < cols; j++) out[o + j] = gr * (x[xo + j] - sigmoid[o + j]);
    } else {
      for (let j = 0; j < cols; j++) {
        const l = logits[o + j];
        const e = Math.exp(-Math.abs(l));
        out[o + j] = gr * (x[xo + j] - (l >= 0 ? 1 : e) / (1 + e));
      }
    }
  }
};

/** Row sums of -(1 + lv - mu^2 - e^lv) / 2: KL(N(mu, e^lv) || N(0, 1)) summed over the last axis, in double. */
export const gaussianKL: Kernels['gaussianKL'] = (mu, logvar, rows, cols, out) => {
  for (let r = 0, o = 0; r < rows; r++, o += cols) {
    let s = 0;
    for (let j = 0; j < cols; j++) {
      const m = mu[o + j], lv = logvar[o + j];
      s += 1 + lv - m * m - Math.exp(lv);
    }
    out[r] = -0.5 * s;
  }
};

/**
 * One Adam/AdamW step in place, in torch.optim.Adam's order of operations,
 * each in double and stored to the arrays' dtype where PyTorch's in-place
 * ops store (m, v, vmax, p); see optim/adam.ts for the rule.
 */
export const adamStep: Kernels['adamStep'] = (p, g, m, v, vmax, stepSize, beta1, beta2, bc2Sqrt, eps, l2, shrink, maximize) => {
  const a1 = 1 - beta1;
  const a2 = 1 - beta2;
  const sign = maximize ? -1 : 1;
  const n = p.length;
  for (let i = 0; i < n; i++) {
    let gi = sign * g[i];
    if (l2 !== 0) gi = gi + l2 * p[i];
    const pi = shrink !== 1 ? p[i] * shrink : p[i];
    m[i] = m[i] * beta1 + a1 * gi;
    v[i] = v[i] * beta2 + a2 * gi * gi;
    let vi = v[i];
    if (vmax !== null) {
      if (vmax[i] > vi) vi = vmax[i];
      else vmax[i] = vi;
    }
    const denom = Math.sqrt(vi) / bc2Sqrt + eps;
    p[i] = pi + (-stepSize * m[i]) / denom;
  }
};
