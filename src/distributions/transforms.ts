// Transforms (bijectors) between constrained and unconstrained spaces,
// each with its inverse and the log |det J| a change of variables needs
// (torch.distributions.transforms), and `bijectTo(constraint)`.
import { Tensor, arrayFor } from '../tensor/tensor.js';
import { broadcastShapes, formatShape } from '../tensor/shape.js';
import { zerosLike } from '../tensor/create.js';
import {
  abs, add, clamp, cholesky, concat, diagEmbed, diagonal, div, exp, expm1, log, log1p, logSigmoid, matmul, mul, neg, slice, softplus,
  sigmoid, sub, sum, tril,
} from '../ops/index.js';
import {
  BooleanConstraint, Constraint, GreaterThan, IndependentConstraint, IntegerInterval, Interval, LessThan, LowerCholesky, OneHot,
  PositiveDefinite, Real, Simplex, constraints,
} from './constraints.js';
import { cumsumLast, expandTo, finfo, sumRightmost, type Param } from './utils.js';

/**
 * A bijection y = f(x) from `domain` to `codomain` with its inverse and the
 * log absolute determinant of its Jacobian, summed over the domain's event
 * dimensions. Transforms never mutate their inputs; gradients flow through
 * forward, inverse and logAbsDetJacobian.
 *
 * @example
 * const t = new ExpTransform();
 * const y = t.forward(tensor([0, 1]));        // [1, e]
 * t.logAbsDetJacobian(tensor([0, 1]), y);     // [0, 1]: log |dy/dx| = x
 */
export abstract class Transform {
  abstract readonly domain: Constraint;
  abstract readonly codomain: Constraint;

  /** y = f(x). */
  abstract forward(x: Tensor): Tensor;
  /** x = f^-1(y). */
  abstract inverse(y: Tensor): Tensor;
  /**
   * log |det df/dx| at x (with y = f(x) given, as torch takes it).
   *
   * Shapes: x [..., *domainEvent] -> [...] (the domain's eventDim rightmost dimensions summed).
   */
  abstract logAbsDetJacobian(x: Tensor, y: Tensor): Tensor;

  /** The shape of f(x) for x of `shape`. */
  forwardShape(shape: readonly number[]): number[] {
    return [...shape];
  }

  /** The shape of f^-1(y) for y of `shape`. */
  inverseShape(shape: readonly number[]): number[] {
    return [...shape];
  }

  /** The inverse transform, f^-1. */
  get inv(): Transform {
    return new InverseTransform(this);
  }

  get name(): string {
    return this.constructor.name;
  }
}

/** y = e^x, from the reals to the positive reals; log |dy/dx| = x. */
export class ExpTransform extends Transform {
  readonly domain = constraints.real;
  readonly codomain = constraints.positive;
  forward(x: Tensor): Tensor {
    return exp(x);
  }
  inverse(y: Tensor): Tensor {
    return log(y);
  }
  logAbsDetJacobian(x: Tensor, _y?: Tensor): Tensor {
    return x;
  }
}

/** y = log(1 + e^x), from the reals to the positive reals; log |dy/dx| = log sigmoid(x) = -softplus(-x). */
export class SoftplusTransform extends Transform {
  readonly domain = constraints.real;
  readonly codomain = constraints.positive;
  forward(x: Tensor): Tensor {
    return softplus(x);
  }
  inverse(y: Tensor): Tensor {
    // x = log(e^y - 1) = y + log(1 - e^-y), stable for large y.
    return add(y, log(neg(expm1(neg(y)))));
  }
  logAbsDetJacobian(x: Tensor, _y?: Tensor): Tensor {
    return neg(softplus(neg(x)));
  }
}

/**
 * y = 1 / (1 + e^-x), from the reals to (0, 1), clipped to [tiny, 1 - eps]
 * of the dtype (as torch does) so the inverse stays finite;
 * log |dy/dx| = -softplus(-x) - softplus(x).
 */
export class SigmoidTransform extends Transform {
  readonly domain = constraints.real;
  readonly codomain = constraints.unitInterval;
  forward(x: Tensor): Tensor {
    const { tiny, eps } = finfo(x.dtype);
    return clamp(sigmoid(x), tiny, 1 - eps);
  }
  inverse(y: Tensor): Tensor {
    const { tiny, eps } = finfo(y.dtype);
    const c = clamp(y, tiny, 1 - eps);
    return sub(log(c), log1p(neg(c)));
  }
  logAbsDetJacobian(x: Tensor, _y?: Tensor): Tensor {
    return sub(neg(softplus(neg(x))), softplus(x));
  }
}

/**
 * y = loc + scale * x, elementwise with broadcasting. With `eventDim` > 0
 * the log |det J| is summed over that many rightmost dimensions.
 *
 * @example
 * new AffineTransform(1, 2).forward(tensor([0, 1])).toArray();   // [1, 3]
 */
export class AffineTransform extends Transform {
  readonly domain: Constraint;
  readonly codomain: Constraint;
  constructor(readonly loc: Param, readonly scale: Param, readonly eventDim = 0) {
    super();
    if (!Number.isInteger(eventDim) || eventDim < 0) throw new Error(`AffineTransform: eventDim must be a non-negative integer, got ${eventDim}`);
    for (const [name, v] of [['loc', loc], ['scale', scale]] as const) {
      if (typeof v !== 'number' && !(v instanceof Tensor)) throw new Error(`AffineTransform: ${name} must be a Tensor or a number, got ${typeof v}`);
    }
    this.domain = eventDim === 0 ? constraints.real : constraints.independent(constraints.real, eventDim);
    this.codomain = this.domain;
  }
  forward(x: Tensor): Tensor {
    return add(this.loc, mul(this.scale, x));
  }
  inverse(y: Tensor): Tensor {
    return div(sub(y, this.loc), this.scale);
  }
  logAbsDetJacobian(x: Tensor, _y?: Tensor): Tensor {
    const s = this.scale;
    const logScale = typeof s === 'number' ? scalarLike(Math.log(Math.abs(s)), x) : log(abs(s));
    const full = expandTo(logScale, broadcastShapes(logScale.shape, x.shape));
    const summed = sumRightmost(full, this.eventDim);
    return expandTo(summed, x.shape.slice(0, x.rank - this.eventDim));
  }
  override forwardShape(shape: readonly number[]): number[] {
    return broadcastShapes(broadcastShapes(shape, shapeOf(this.loc)), shapeOf(this.scale), 'AffineTransform');
  }
  override inverseShape(shape: readonly number[]): number[] {
    return this.forwardShape(shape);
  }
}

function shapeOf(p: Param): readonly number[] {
  return typeof p === 'number' ? [] : p.shape;
}

function scalarLike(v: number, like: Tensor): Tensor {
  const d = arrayFor(like.dtype, 1);
  d[0] = v;
  return new Tensor(d, []);
}

/** log(K - 1 - i) for i = 0 .. K - 2: the offsets that make x = 0 map to the simplex's centre. */
function stickOffsets(km1: number, like: Tensor): Tensor {
  const d = arrayFor(like.dtype, km1);
  for (let i = 0; i < km1; i++) d[i] = Math.log(km1 - i);
  return new Tensor(d, [km1]);
}

/**
 * Stick-breaking from R^(K-1) to the K-simplex: z_i = sigmoid(x_i - log(K - 1 - i)),
 * y_i = z_i prod_{j<i} (1 - z_j), y_K = prod_j (1 - z_j), computed in log
 * space. x = 0 maps to the uniform vector. log |det J| over the first K - 1
 * coordinates is sum_i log(1 - z_i) + log y_i (triangular Jacobian).
 *
 * Shapes: x [..., K-1] -> y [..., K].
 *
 * @example
 * new StickBreakingTransform().forward(zeros([2])).toArray();   // [1/3, 1/3, 1/3]
 */
export class StickBreakingTransform extends Transform {
  readonly domain = constraints.realVector;
  readonly codomain = constraints.simplex;
  private logPieces(x: Tensor): { logHead: Tensor; log1mz: Tensor; u: Tensor } {
    const u = sub(x, stickOffsets(x.shape[x.rank - 1], x));
    const log1mz = neg(softplus(u)); // log(1 - sigmoid(u))
    const logHead = add(logSigmoid(u), cumsumLast(log1mz, true));
    return { logHead, log1mz, u };
  }
  forward(x: Tensor): Tensor {
    requireRank(x, 1, 'StickBreakingTransform.forward');
    const { logHead, log1mz } = this.logPieces(x);
    return exp(concat([logHead, sum(log1mz, -1, true)], -1));
  }
  inverse(y: Tensor): Tensor {
    requireRank(y, 1, 'StickBreakingTransform.inverse');
    const k = y.shape[y.rank - 1];
    const head = slice(y, -1, 0, k - 1);
    // The stick left after piece i, summed from the tail (no cancellation, unlike 1 - cumsum).
    const rest = slice(tailSums(y), -1, 0, k - 1);
    const { tiny } = finfo(y.dtype);
    return add(sub(log(head), log(clamp(rest, tiny))), stickOffsets(k - 1, y));
  }
  logAbsDetJacobian(x: Tensor, _y?: Tensor): Tensor {
    const { logHead, log1mz } = this.logPieces(x);
    return sum(add(log1mz, logHead), -1);
  }
  override forwardShape(shape: readonly number[]): number[] {
    if (shape.length < 1) throw new Error('StickBreakingTransform: needs at least one dimension');
    return [...shape.slice(0, -1), shape[shape.length - 1] + 1];
  }
  override inverseShape(shape: readonly number[]): number[] {
    if (shape.length < 1 || shape[shape.length - 1] < 1) throw new Error(`StickBreakingTransform: needs a last dimension of size >= 1, got ${formatShape(shape)}`);
    return [...shape.slice(0, -1), shape[shape.length - 1] - 1];
  }
}

/** sum_{j > i} y_j along the last axis. */
function tailSums(y: Tensor): Tensor {
  const k = y.shape[y.rank - 1];
  const m = arrayFor(y.dtype, k * k);
  for (let j = 0; j < k; j++) for (let i = 0; i < k; i++) m[j * k + i] = j > i ? 1 : 0;
  const rows = y.reshape([-1, k]);
  return matmul(rows, new Tensor(m, [k, k])).reshape(y.shape);
}

function requireRank(x: Tensor, k: number, what: string): void {
  if (!(x instanceof Tensor)) throw new Error(`${what}: expected a Tensor, got ${typeof x}`);
  if (x.rank < k) throw new Error(`${what}: needs at least ${k} dimension(s), got ${formatShape(x.shape)}`);
}

/**
 * From unconstrained square matrices to Cholesky factors: the strictly
 * lower triangle is kept, the diagonal exponentiated, the upper triangle
 * ignored. log |det J| = sum_i x_ii, the Jacobian determinant of the map
 * between the n(n+1)/2 lower-triangular entries (the upper entries do not
 * enter, so the full n^2 Jacobian is singular).
 *
 * Shapes: x [..., n, n] -> [..., n, n]; logAbsDetJacobian -> [...].
 */
export class LowerCholeskyTransform extends Transform {
  readonly domain = constraints.independent(constraints.real, 2);
  readonly codomain = constraints.lowerCholesky;
  forward(x: Tensor): Tensor {
    requireRank(x, 2, 'LowerCholeskyTransform.forward');
    return add(tril(x, -1), diagEmbed(exp(diagonal(x))));
  }
  inverse(y: Tensor): Tensor {
    requireRank(y, 2, 'LowerCholeskyTransform.inverse');
    return add(tril(y, -1), diagEmbed(log(diagonal(y))));
  }
  logAbsDetJacobian(x: Tensor, _y?: Tensor): Tensor {
    return sum(diagonal(x), -1);
  }
}

/**
 * From unconstrained square matrices to symmetric positive-definite ones:
 * L = LowerCholeskyTransform(x), y = L L^T. log |det J| between the
 * lower-triangular entries of x and of y is n log 2 + sum_i (n - i + 1) x_ii
 * (0-based i): 2^n prod_i L_ii^(n-i) for L -> L L^T (Muirhead, Aspects of
 * Multivariate Statistical Theory, Thm 2.1.9), times prod_i L_ii for the exp.
 *
 * Shapes: x [..., n, n] -> [..., n, n]; logAbsDetJacobian -> [...].
 */
export class PositiveDefiniteTransform extends Transform {
  readonly domain = constraints.independent(constraints.real, 2);
  readonly codomain = constraints.positiveDefinite;
  private readonly chol = new LowerCholeskyTransform();
  forward(x: Tensor): Tensor {
    const l = this.chol.forward(x);
    return matmul(l, l, { transB: true });
  }
  inverse(y: Tensor): Tensor {
    return this.chol.inverse(cholesky(y));
  }
  logAbsDetJacobian(x: Tensor, _y?: Tensor): Tensor {
    const n = x.shape[x.rank - 1];
    const w = arrayFor(x.dtype, n);
    for (let i = 0; i < n; i++) w[i] = n - i + 1;
    return add(sum(mul(diagonal(x), new Tensor(w, [n])), -1), n * Math.LN2);
  }
}

/** The inverse of a transform: forward and inverse swapped, log |det J| negated. */
export class InverseTransform extends Transform {
  readonly domain: Constraint;
  readonly codomain: Constraint;
  constructor(readonly base: Transform) {
    super();
    this.domain = base.codomain;
    this.codomain = base.domain;
  }
  forward(x: Tensor): Tensor {
    return this.base.inverse(x);
  }
  inverse(y: Tensor): Tensor {
    return this.base.forward(y);
  }
  logAbsDetJacobian(x: Tensor, y: Tensor): Tensor {
    return neg(this.base.logAbsDetJacobian(y, x));
  }
  override forwardShape(shape: readonly number[]): number[] {
    return this.base.inverseShape(shape);
  }
  override inverseShape(shape: readonly number[]): number[] {
    return this.base.forwardShape(shape);
  }
  override get inv(): Transform {
    return this.base;
  }
}

/** A transform applied to events of `reinterpretedBatchNdims` more rightmost dimensions: its log |det J| is summed over them. */
export class IndependentTransform extends Transform {
  readonly domain: Constraint;
  readonly codomain: Constraint;
  constructor(readonly base: Transform, readonly reinterpretedBatchNdims: number) {
    super();
    this.domain = constraints.independent(base.domain, reinterpretedBatchNdims);
    this.codomain = constraints.independent(base.codomain, reinterpretedBatchNdims);
  }
  forward(x: Tensor): Tensor {
    return this.base.forward(x);
  }
  inverse(y: Tensor): Tensor {
    return this.base.inverse(y);
  }
  logAbsDetJacobian(x: Tensor, y: Tensor): Tensor {
    return sumRightmost(this.base.logAbsDetJacobian(x, y), this.reinterpretedBatchNdims);
  }
  override forwardShape(shape: readonly number[]): number[] {
    return this.base.forwardShape(shape);
  }
  override inverseShape(shape: readonly number[]): number[] {
    return this.base.inverseShape(shape);
  }
}

/**
 * parts[n-1] o ... o parts[0]: applies the parts in order. Event dimensions
 * are tracked as torch does, so a part with a larger event (stick-breaking
 * after elementwise maps) sums the elementwise log-determinants over it.
 * With no parts it is the identity (log |det J| = 0).
 *
 * @example
 * // Positive reals above 2: x -> 2 + e^x.
 * const t = new ComposeTransform([new ExpTransform(), new AffineTransform(2, 1)]);
 */
export class ComposeTransform extends Transform {
  readonly domain: Constraint;
  readonly codomain: Constraint;
  readonly parts: readonly Transform[];
  constructor(parts: readonly Transform[]) {
    super();
    parts.forEach((p, i) => {
      if (!(p instanceof Transform)) throw new Error(`ComposeTransform: part ${i} must be a Transform, got ${typeof p}`);
    });
    this.parts = [...parts];
    if (parts.length === 0) {
      this.domain = constraints.real;
      this.codomain = constraints.real;
      return;
    }
    let eventDim = parts[parts.length - 1].codomain.eventDim;
    for (let i = parts.length - 1; i >= 0; i--) {
      eventDim += parts[i].domain.eventDim - parts[i].codomain.eventDim;
      eventDim = Math.max(eventDim, parts[i].domain.eventDim);
    }
    const d = parts[0].domain;
    this.domain = eventDim > d.eventDim ? constraints.independent(d, eventDim - d.eventDim) : d;
    eventDim = parts[0].domain.eventDim;
    for (const p of parts) {
      eventDim += p.codomain.eventDim - p.domain.eventDim;
      eventDim = Math.max(eventDim, p.codomain.eventDim);
    }
    const c = parts[parts.length - 1].codomain;
    this.codomain = eventDim > c.eventDim ? constraints.independent(c, eventDim - c.eventDim) : c;
  }
  forward(x: Tensor): Tensor {
    return this.parts.reduce((v, p) => p.forward(v), x);
  }
  inverse(y: Tensor): Tensor {
    return this.parts.reduceRight((v, p) => p.inverse(v), y);
  }
  logAbsDetJacobian(x: Tensor, y: Tensor): Tensor {
    if (this.parts.length === 0) return zerosLike(x);
    const xs = [x];
    for (let i = 0; i < this.parts.length - 1; i++) xs.push(this.parts[i].forward(xs[i]));
    xs.push(y);
    let eventDim = this.domain.eventDim;
    let total: Tensor | null = null;
    this.parts.forEach((p, i) => {
      const term = sumRightmost(p.logAbsDetJacobian(xs[i], xs[i + 1]), eventDim - p.domain.eventDim);
      total = total ? add(total, term) : term;
      eventDim += p.codomain.eventDim - p.domain.eventDim;
    });
    return total!;
  }
  override forwardShape(shape: readonly number[]): number[] {
    return this.parts.reduce((s, p) => p.forwardShape(s), [...shape]);
  }
  override inverseShape(shape: readonly number[]): number[] {
    return this.parts.reduceRight((s, p) => p.inverseShape(s), [...shape]);
  }
}

/**
 * The bijection from unconstrained space onto `constraint` (torch's
 * biject_to): real -> identity, positive -> exp, greaterThan(a) -> a + e^x,
 * lessThan(b) -> b - e^x, interval(a, b) -> a + (b - a) sigmoid(x),
 * simplex -> stick-breaking (R^(K-1)), lowerCholesky -> LowerCholeskyTransform,
 * positiveDefinite -> PositiveDefiniteTransform, independent(c, n) -> the
 * bijection of c with its log |det J| summed over n more dimensions.
 * For variational inference on constrained parameters.
 *
 * @example
 * const t = bijectTo(constraints.positive);   // ExpTransform
 * const scale = t.forward(unconstrained);      // > 0 for any real input
 */
export function bijectTo(constraint: Constraint): Transform {
  if (constraint instanceof IndependentConstraint) {
    return new IndependentTransform(bijectTo(constraint.base), constraint.reinterpretedBatchNdims);
  }
  if (constraint instanceof Real) return new ComposeTransform([]);
  if (constraint instanceof GreaterThan) {
    if (typeof constraint.lowerBound === 'number' && constraint.lowerBound === 0) return new ExpTransform();
    return new ComposeTransform([new ExpTransform(), new AffineTransform(constraint.lowerBound, 1)]);
  }
  if (constraint instanceof LessThan) return new ComposeTransform([new ExpTransform(), new AffineTransform(constraint.upperBound, -1)]);
  if (constraint instanceof Interval) {
    const { lowerBound: lo, upperBound: hi } = constraint;
    if (lo === 0 && hi === 1) return new SigmoidTransform();
    const width = typeof lo === 'number' && typeof hi === 'number' ? hi - lo : sub(hi, lo);
    return new ComposeTransform([new SigmoidTransform(), new AffineTransform(lo, width)]);
  }
  if (constraint instanceof Simplex) return new StickBreakingTransform();
  if (constraint instanceof LowerCholesky) return new LowerCholeskyTransform();
  if (constraint instanceof PositiveDefinite) return new PositiveDefiniteTransform();
  const discrete = constraint instanceof BooleanConstraint || constraint instanceof IntegerInterval || constraint instanceof OneHot;
  throw new Error(
    `bijectTo: no bijection from unconstrained space onto ${constraint.description}` +
      (discrete ? ' (a discrete set has none)' : ''),
  );
}
