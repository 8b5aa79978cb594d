import { Tensor } from '../tensor/tensor.js';
import { broadcastShapes, formatShape, sameShape } from '../tensor/shape.js';
import { kernel, type Activation, type BinaryOp, type UnaryOp } from '../kernels/registry.js';
import { record } from '../autograd/tape.js';
import { asTensor, finiteScalar, output, resultDtype, type TensorLike } from './util.js';
import { broadcastTo } from './shape.js';

// ---------------------------------------------------------------------------
// Primitives. Each gradient rule is written in ops, so with createGraph the
// rule is itself recorded and can be differentiated again.

function unaryPrim(op: UnaryOp, x: Tensor, rule: ((g: Tensor, x: Tensor, out: Tensor) => Tensor) | null): Tensor {
  const out = output(x.shape, x.dtype);
  kernel('unary')(op, x.data, out.data);
  if (!rule) return out;
  return record(out, op, [x], (g) => [rule(g, x, out)]);
}

function binaryPrim(
  op: BinaryOp, a: TensorLike, b: TensorLike,
  rule: ((g: Tensor, a: Tensor, b: Tensor, out: Tensor, needs: readonly boolean[]) => (Tensor | null)[]) | null,
): Tensor {
  const dtype = resultDtype(a, b);
  let ta = asTensor(a, dtype, op, 'first argument');
  let tb = asTensor(b, dtype, op, 'second argument');
  if (ta.dtype !== dtype) ta = cast(ta, dtype);
  if (tb.dtype !== dtype) tb = cast(tb, dtype);
  const shape = sameShape(ta.shape, tb.shape) ? ta.shape : broadcastShapes(ta.shape, tb.shape, op);
  const out = output(shape, dtype);
  kernel('binary')(op, ta.data, ta.shape, tb.data, tb.shape, out.data, shape);
  if (!rule) return out;
  return record(out, op, [ta, tb], (g, needs) => rule(g, ta, tb, out, needs));
}

/** Converts to another dtype; gradients convert back. */
export function cast(x: Tensor, dtype: Tensor['dtype']): Tensor {
  if (x.dtype === dtype) return x;
  const out = output(x.shape, dtype);
  out.data.set(x.data);
  const from = x.dtype;
  return record(out, 'cast', [x], (g) => [cast(g, from)]);
}

/** a + b, broadcasting. */
export function add(a: TensorLike, b: TensorLike): Tensor {
  return binaryPrim('add', a, b, (g) => [g, g]);
}

/** a - b, broadcasting. */
export function sub(a: TensorLike, b: TensorLike): Tensor {
  return binaryPrim('sub', a, b, (g, _a, _b, _o, needs) => [g, needs[1] ? neg(g) : null]);
}

/** a * b, broadcasting. */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  return binaryPrim('mul', a, b, (g, ta, tb, _o, needs) => [needs[0] ? mul(g, tb) : null, needs[1] ? mul(g, ta) : null]);
}

/** a / b, broadcasting. */
export function div(a: TensorLike, b: TensorLike): Tensor {
  return binaryPrim('div', a, b, (g, ta, tb, _o, needs) => [
    needs[0] ? div(g, tb) : null,
    needs[1] ? neg(div(mul(g, ta), mul(tb, tb))) : null,
  ]);
}

/**
 * a ** b, broadcasting. The gradient for the exponent, g * a^b * log a, is
 * taken as 0 where a = 0 (as PyTorch does), so pow(0, b) stays finite.
 */
export function pow(a: TensorLike, b: TensorLike): Tensor {
  return binaryPrim('pow', a, b, (g, ta, tb, out, needs) => [
    needs[0] ? mul(g, mul(tb, pow(ta, sub(tb, 1)))) : null,
    needs[1] ? mul(g, where(eq(ta, 0), 0, mul(out, log(ta)))) : null,
  ]);
}

/** Elementwise maximum; ties split the gradient equally. NaN propagates. */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return binaryPrim('maximum', a, b, (g, ta, tb) => {
    const wa = add(gt(ta, tb), mul(eq(ta, tb), 0.5));
    return [mul(g, wa), mul(g, sub(1, wa))];
  });
}

/** Elementwise minimum; ties split the gradient equally. NaN propagates. */
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return binaryPrim('minimum', a, b, (g, ta, tb) => {
    const wa = add(lt(ta, tb), mul(eq(ta, tb), 0.5));
    return [mul(g, wa), mul(g, sub(1, wa))];
  });
}

// Comparisons give 0/1 tensors and carry no gradient.
export const eq = (a: TensorLike, b: TensorLike): Tensor => binaryPrim('eq', a, b, null);
export const ne = (a: TensorLike, b: TensorLike): Tensor => binaryPrim('ne', a, b, null);
export const gt = (a: TensorLike, b: TensorLike): Tensor => binaryPrim('gt', a, b, null);
export const ge = (a: TensorLike, b: TensorLike): Tensor => binaryPrim('ge', a, b, null);
export const lt = (a: TensorLike, b: TensorLike): Tensor => binaryPrim('lt', a, b, null);
export const le = (a: TensorLike, b: TensorLike): Tensor => binaryPrim('le', a, b, null);

export const neg = (x: Tensor): Tensor => unaryPrim('neg', x, (g) => neg(g));
export const exp = (x: Tensor): Tensor => unaryPrim('exp', x, (g, _x, out) => mul(g, out));
export const log = (x: Tensor): Tensor => unaryPrim('log', x, (g, tx) => div(g, tx));
export const log1p = (x: Tensor): Tensor => unaryPrim('log1p', x, (g, tx) => div(g, add(tx, 1)));
export const expm1 = (x: Tensor): Tensor => unaryPrim('expm1', x, (g, _x, out) => mul(g, add(out, 1)));
export const sqrt = (x: Tensor): Tensor => unaryPrim('sqrt', x, (g, _x, out) => div(mul(g, 0.5), out));
export const abs = (x: Tensor): Tensor => unaryPrim('abs', x, (g, tx) => mul(g, sign(tx)));
export const sign = (x: Tensor): Tensor => unaryPrim('sign', x, null);
export const square = (x: Tensor): Tensor => unaryPrim('square', x, (g, tx) => mul(g, mul(tx, 2)));
export const reciprocal = (x: Tensor): Tensor => unaryPrim('reciprocal', x, (g, _x, out) => neg(mul(g, mul(out, out))));
// The activations' rules are one pass of the activationGrad kernel from the output: g (1 - y^2),
// g y (1 - y), g (y > 0); the bits of the chains of mul and sub they stand for.
export const tanh = (x: Tensor): Tensor => unaryPrim('tanh', x, (g, _x, out) => activationGrad('tanh', g, out));
/** 1 / (1 + e^-x), computed without overflow for large |x|. */
export const sigmoid = (x: Tensor): Tensor => unaryPrim('sigmoid', x, (g, _x, out) => activationGrad('sigmoid', g, out));
/** log(1 + e^x), computed as max(x, 0) + log1p(e^-|x|): exact for large |x|; its derivative is sigmoid(x). */
export const softplus = (x: Tensor): Tensor => unaryPrim('softplus', x, (g, tx) => mul(g, sigmoid(tx)));
export const relu = (x: Tensor): Tensor => unaryPrim('relu', x, (g, _x, out) => activationGrad('relu', g, out));
/** 1 where x > 0, else 0 (no gradient). */
export const step = (x: Tensor): Tensor => unaryPrim('step', x, null);

/** log sigmoid(x) = -softplus(-x): stable for large |x|. */
export function logSigmoid(x: Tensor): Tensor {
  return neg(softplus(neg(x)));
}

/** x for x > 0, slope * x otherwise. */
export function leakyRelu(x: Tensor, slope = 0.01): Tensor {
  finiteScalar(slope, 'leakyRelu', 'slope');
  return where(gt(x, 0), x, mul(x, slope));
}

/** x for x > 0, alpha * (e^x - 1) otherwise. */
export function elu(x: Tensor, alpha = 1): Tensor {
  finiteScalar(alpha, 'elu', 'alpha');
  // expm1 of min(x, 0): the unused branch must not overflow, or 0 * inf gives NaN gradients.
  return where(gt(x, 0), x, mul(expm1(minimum(x, 0)), alpha));
}

/**
 * Limits values to [min, max]; the gradient passes where min <= x <= max.
 * Either bound may be omitted (pass undefined or -Infinity/Infinity).
 */
export function clamp(x: Tensor, min = -Infinity, max = Infinity): Tensor {
  if (Number.isNaN(min) || Number.isNaN(max)) throw new Error(`clamp: bounds must not be NaN, got min=${min}, max=${max}`);
  if (min > max) throw new Error(`clamp: min (${min}) is greater than max (${max})`);
  const out = output(x.shape, x.dtype);
  kernel('clamp')(x.data, min, max, out.data);
  return record(out, 'clamp', [x], (g) => [mul(g, mul(ge(x, min), le(x, max)))]);
}

/**
 * Picks a where cond is non-zero, b elsewhere, broadcasting all three.
 * Gradients flow to the branch that was picked.
 */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const dtype = resultDtype(a, b);
  let ta = asTensor(a, dtype, 'where', 'a');
  let tb = asTensor(b, dtype, 'where', 'b');
  if (ta.dtype !== dtype) ta = cast(ta, dtype);
  if (tb.dtype !== dtype) tb = cast(tb, dtype);
  const shape = broadcastShapes(broadcastShapes(cond.shape, ta.shape, 'where'), tb.shape, 'where');
  const bc = (t: Tensor) => (sameShape(t.shape, shape) ? t : broadcastTo(t.detach(), shape));
  const out = output(shape, dtype);
  kernel('where')(bc(cond).data, bc(ta).data, bc(tb).data, out.data);
  return record(out, 'where', [ta, tb], (g, needs) => [
    needs[0] ? where(cond, g, 0) : null,
    needs[1] ? where(cond, 0, g) : null,
  ]);
}

/** Activations the fused kernels apply and differentiate from their output. */
export const FUSED_ACTIVATIONS: readonly Activation[] = ['identity', 'relu', 'tanh', 'sigmoid'];

/**
 * g * act'(x), written from the activation's output y = act(x): relu
 * g (y > 0), tanh g (1 - y^2), sigmoid g y (1 - y), identity g. The
 * backward of an activation in one pass, with the same bits as the unfused
 * gradient rules; itself differentiable (in g, and in y for tanh and
 * sigmoid), for higher-order gradients through `linear`.
 *
 * Shapes: g and y of one shape -> that shape.
 *
 * @example
 * activationGrad('tanh', g, y);   // g * (1 - y * y)
 */
export function activationGrad(activation: Activation, g: Tensor, y: Tensor): Tensor {
  const op = 'activationGrad';
  if (!(g instanceof Tensor) || !(y instanceof Tensor)) throw new Error(`${op}: g and y must be Tensors`);
  if (!FUSED_ACTIVATIONS.includes(activation)) {
    throw new Error(`${op}: activation must be one of ${FUSED_ACTIVATIONS.join(', ')}, got ${JSON.stringify(activation)}`);
  }
  if (!sameShape(g.shape, y.shape)) throw new Error(`${op}: g ${formatShape(g.shape)} and y ${formatShape(y.shape)} must have one shape`);
  const dtype = resultDtype(g, y);
  const tg = g.dtype === dtype ? g : cast(g, dtype);
  const ty = y.dtype === dtype ? y : cast(y, dtype);
  const out = output(g.shape, dtype);
  kernel('activationGrad')(activation, tg.data, ty.data, out.data);
  return record(out, op, [tg, ty], (gg, needs) => {
    let dy: Tensor | null = null;
    if (needs[1]) {
      // d/dy of g (1 - y^2) is -2 g y; of g y (1 - y) it is g (1 - 2y); relu's and identity's are 0.
      if (activation === 'tanh') dy = mul(mul(gg, tg), mul(ty, -2));
      else if (activation === 'sigmoid') dy = mul(mul(gg, tg), sub(1, mul(ty, 2)));
    }
    return [needs[0] ? activationGrad(activation, gg, ty) : null, dy];
  });
}
