// Fused ops: chains that the hot paths of the VAE family run at every step,
// each one pass of a fused kernel (src/kernels/cpu/fused.ts, native when
// built) instead of one pass and one fresh array per primitive. Each is an
// op with its own gradient rule, written in ops (the rules call the other
// fused ops or primitives), so with `createGraph` the rules are recorded and
// can be differentiated again, like every primitive's.
import { Tensor } from '../tensor/tensor.js';
import { broadcastShapes, formatShape, sameShape, sizeOf } from '../tensor/shape.js';
import { kernel, type Activation } from '../kernels/registry.js';
import { isGradEnabled } from '../autograd/mode.js';
import { record } from '../autograd/tape.js';
import { output, resultDtype } from './util.js';
import { FUSED_ACTIVATIONS, activationGrad, cast, expm1, mul, neg, sigmoid, sub } from './elementwise.js';
import { sum } from './reduce.js';
import { matmul } from './matmul.js';
import { broadcastTo, reshape, unsqueeze } from './shape.js';

export type { Activation } from '../kernels/registry.js';

function checkTensor(t: unknown, op: string, name: string): asserts t is Tensor {
  if (!(t instanceof Tensor)) throw new Error(`${op}: ${name} must be a Tensor, got ${typeof t}`);
}

function toDtype(t: Tensor, dtype: Tensor['dtype']): Tensor {
  return t.dtype === dtype ? t : cast(t, dtype);
}

/**
 * An affine map followed by an activation, y = act(x W^T + b), as
 * torch.nn.functional.linear then the activation: one GEMM, then bias and
 * activation in one pass over its output (PyTorch's layout: `weight`
 * [out, in], `bias` [out]). The gradient goes through the activation's
 * derivative written from y (`activationGrad`), then two GEMMs and a column
 * sum; the same values as matmul, add and the activation op by op (the bias
 * is added to the rounded product, as `add` would), without their
 * intermediate arrays.
 *
 * Shapes: x [..., in], weight [out, in], bias [out] or null -> [..., out].
 * `activation` is 'identity' (default), 'relu', 'tanh' or 'sigmoid'.
 *
 * @example
 * const h = linear(x, layer.weight, layer.bias, 'relu');   // relu(x W^T + b): [batch, 400] for x [batch, 784], W [400, 784]
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null, activation: Activation = 'identity'): Tensor {
  const op = 'linear';
  checkTensor(x, op, 'x');
  checkTensor(weight, op, 'weight');
  if (!FUSED_ACTIVATIONS.includes(activation)) {
    throw new Error(`${op}: activation must be one of ${FUSED_ACTIVATIONS.join(', ')}, got ${JSON.stringify(activation)}`);
  }
  if (weight.rank !== 2) throw new Error(`${op}: weight must have shape [out, in], got ${formatShape(weight.shape)}`);
  const [n, k] = weight.shape;
  if (x.rank === 0 || x.shape[x.rank - 1] !== k) {
    throw new Error(`${op}: x of shape ${formatShape(x.shape)} must end in in = ${k} (weight ${formatShape(weight.shape)})`);
  }
  if (bias !== null && bias !== undefined) {
    checkTensor(bias, op, 'bias');
    if (bias.rank !== 1 || bias.shape[0] !== n) {
      throw new Error(`${op}: bias must have shape [${n}] (one per output of weight ${formatShape(weight.shape)}), got ${formatShape(bias.shape)}`);
    }
  }
  const dtype = x.dtype === 'float64' || weight.dtype === 'float64' || bias?.dtype === 'float64' ? 'float64' : 'float32';
  const tx = toDtype(x, dtype);
  const tw = toDtype(weight, dtype);
  const tb = bias ? toDtype(bias, dtype) : null;
  const m = sizeOf(x.shape.slice(0, -1));
  const out = output([...x.shape.slice(0, -1), n], dtype);
  kernel('gemm')(false, true, m, n, k, tx.data, 0, tw.data, 0, out.data, 0, false);
  if (tb || activation !== 'identity') kernel('biasActivation')(activation, out.data, tb ? tb.data : null, m, n, 1, out.data);
  const parents = tb ? [tx, tw, tb] : [tx, tw];
  return record(out, op, parents, (g, needs) => {
    const gp = activation === 'identity' ? g : activationGrad(activation, g, out);
    const g2 = gp.rank === 2 ? gp : reshape(gp, [m, n]);
    return [
      needs[0] ? reshape(matmul(g2, tw), tx.shape) : null,
      needs[1] ? matmul(g2, tx.rank === 2 ? tx : reshape(tx, [m, k]), { transA: true }) : null,
      tb && needs[2] ? sum(g2, 0) : null,
    ];
  });
}

/** Rows and columns of a [..., D] tensor: the product of the leading dimensions, and D. */
function rowsCols(shape: readonly number[]): [number, number] {
  return [sizeOf(shape.slice(0, -1)), shape[shape.length - 1]];
}

/** True when x, without leading ones, is one row [D] of `shape` (then it repeats over the rows). */
function isRepeatedRow(x: readonly number[], shape: readonly number[]): boolean {
  let start = 0;
  while (start < x.length && x[start] === 1) start++;
  return x.length - start === 1 && x[x.length - 1] === shape[shape.length - 1];
}

/**
 * The Bernoulli log-likelihood of x given logits, summed over the last
 * axis: sum_j x_j l_j - softplus(l_j), softplus(l) = max(l, 0) +
 * log1p(e^-|l|), stable for every l (the negative of binary cross-entropy
 * with logits, `-F.binary_cross_entropy_with_logits(l, x, reduction='none').sum(-1)`).
 * One pass: the terms (in double, or natively in float32 for float32 data,
 * as precise as the unfused float32 ops) summed in double and rounded once;
 * while recording, the same pass keeps sigmoid(l) for the gradient
 * g (x - sigmoid(l)), one more pass (`bernoulliLogitsGrad`).
 *
 * Shapes: logits [..., D], x broadcastable to it (typically the same shape,
 * or one row [D] repeated over the batch) -> [...] (the broadcast shape
 * without its last axis).
 *
 * @example
 * bernoulliLogProbFromLogits(x, decoder(z));   // log p(x | z) of a Bernoulli decoder: [batch] for x, logits [batch, 784]
 */
export function bernoulliLogProbFromLogits(x: Tensor, logits: Tensor): Tensor {
  const op = 'bernoulliLogProbFromLogits';
  checkTensor(x, op, 'x');
  checkTensor(logits, op, 'logits');
  if (logits.rank === 0) throw new Error(`${op}: logits must have rank >= 1 (the last axis is summed), got a scalar`);
  const dtype = resultDtype(x, logits);
  let tx = toDtype(x, dtype);
  let tl = toDtype(logits, dtype);
  const shape = broadcastShapes(tx.shape, tl.shape, op);
  if (!sameShape(tl.shape, shape)) tl = broadcastTo(tl, shape);
  if (!sameShape(tx.shape, shape) && !isRepeatedRow(tx.shape, shape)) tx = broadcastTo(tx, shape);
  const [rows, cols] = rowsCols(shape);
  const out = output(shape.slice(0, -1), dtype);
  const keep = isGradEnabled() && tl.requiresGrad;
  const sig = keep ? output(shape, dtype) : null;
  kernel('bernoulliLogits')(tx.data, tl.data, rows, cols, out.data, sig ? sig.data : null);
  return record(out, op, [tx, tl], (g, needs) => [
    needs[0] ? mul(unsqueeze(g, -1), tl) : null,
    needs[1] ? bernoulliLogitsGrad(g, tx, tl, sig) : null,
  ]);
}

/**
 * The gradient of `bernoulliLogProbFromLogits` in the logits:
 * g[..., None] (x - sigmoid(l)) in one pass (from the saved sigmoid when
 * given). Differentiable in g, x and l for second order.
 */
function bernoulliLogitsGrad(g: Tensor, x: Tensor, logits: Tensor, saved: Tensor | null): Tensor {
  const [rows, cols] = rowsCols(logits.shape);
  const out = output(logits.shape, logits.dtype);
  kernel('bernoulliLogitsGrad')(g.data, x.data, logits.data, saved ? saved.data : null, rows, cols, out.data);
  return record(out, 'bernoulliLogitsGrad', [g, x, logits], (gg, needs) => {
    const s = sigmoid(logits);
    const gr = unsqueeze(g, -1);
    return [
      needs[0] ? sum(mul(gg, sub(x, s)), -1) : null,
      needs[1] ? mul(gg, gr) : null,
      // d sigmoid(l) / dl = s (1 - s).
      needs[2] ? neg(mul(mul(gg, gr), mul(s, sub(1, s)))) : null,
    ];
  });
}

/**
 * KL(N(mu, diag(e^logvar)) || N(0, I)), summed over the last axis: the
 * closed form -1/2 sum_j (1 + logvar_j - mu_j^2 - e^logvar_j) of a VAE's
 * Gaussian encoder against its standard normal prior (Kingma & Welling
 * 2014, appendix B), in one pass (terms and sum in double). Gradients
 * g mu and g (e^logvar - 1) / 2.
 *
 * Shapes: mu and logvar [..., D] (broadcast to one shape) -> [...].
 *
 * Paper: Kingma & Welling, "Auto-encoding variational Bayes", ICLR 2014.
 *
 * @example
 * const kl = gaussianKLStandard(mu, logvar);   // [batch] for mu, logvar [batch, latent]
 */
export function gaussianKLStandard(mu: Tensor, logvar: Tensor): Tensor {
  const op = 'gaussianKLStandard';
  checkTensor(mu, op, 'mu');
  checkTensor(logvar, op, 'logvar');
  const dtype = resultDtype(mu, logvar);
  let tm = toDtype(mu, dtype);
  let tv = toDtype(logvar, dtype);
  const shape = broadcastShapes(tm.shape, tv.shape, op);
  if (shape.length === 0) throw new Error(`${op}: mu and logvar must have rank >= 1 (the last axis is summed), got scalars`);
  if (!sameShape(tm.shape, shape)) tm = broadcastTo(tm, shape);
  if (!sameShape(tv.shape, shape)) tv = broadcastTo(tv, shape);
  const [rows, cols] = rowsCols(shape);
  const out = output(shape.slice(0, -1), dtype);
  kernel('gaussianKL')(tm.data, tv.data, rows, cols, out.data);
  return record(out, op, [tm, tv], (g, needs) => {
    const gr = unsqueeze(g, -1);
    return [needs[0] ? mul(gr, tm) : null, needs[1] ? mul(gr, mul(expm1(tv), 0.5)) : null];
  });
}
