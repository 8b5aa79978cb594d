// Constraints: the sets parameters and values live in (torch.distributions
// .constraints). Each can `check` a tensor, giving 1 where an event
// satisfies it and 0 where not, and describe its first violation for the
// error messages of argument validation.
import { Tensor, arrayFor, type DType } from '../tensor/tensor.js';
import { formatShape, sizeOf } from '../tensor/shape.js';
import { broadcastTo, choleskyEx, eq, ge, gt, le, lt, mul } from '../ops/index.js';
import { formatIndex, formatValue } from './utils.js';

type Bound = Tensor | number;

const fmt = (v: number, dtype: DType = 'float64'): string => formatValue(v, dtype);

function fmtBound(b: Bound): string {
  if (typeof b === 'number') return fmt(b);
  return b.size === 1 ? fmt(b.data[0], b.dtype) : `the given ${formatShape(b.shape)} bound`;
}

/** 1 where all entries of each trailing block of `k` axes are non-zero: shape `t.shape` without its last k axes. */
function allLast(t: Tensor, k: number): Tensor {
  if (k === 0) return t;
  const outShape = t.shape.slice(0, t.rank - k);
  const block = sizeOf(t.shape.slice(t.rank - k));
  const out = arrayFor(t.dtype, sizeOf(outShape));
  for (let i = 0; i < out.length; i++) {
    let ok = 1;
    for (let j = 0; j < block; j++) if (t.data[i * block + j] === 0) { ok = 0; break; }
    out[i] = ok;
  }
  return new Tensor(out, outShape);
}

function requireEventRank(value: Tensor, k: number, what: string): void {
  if (!(value instanceof Tensor)) throw new Error(`${what}: value must be a Tensor, got ${typeof value}`);
  if (value.rank < k) throw new Error(`${what}: value needs at least ${k} dimension(s) for its events, got shape ${formatShape(value.shape)}`);
}

function describeRow(data: ArrayLike<number>, start: number, len: number, dtype: DType): string {
  const shown = Math.min(len, 8);
  const parts: string[] = [];
  for (let j = 0; j < shown; j++) parts.push(fmt(data[start + j], dtype));
  return `[${parts.join(', ')}${len > shown ? ', ...' : ''}]`;
}

/**
 * A set that parameters or values must lie in. `eventDim` is the number of
 * rightmost dimensions that form one event (0 for elementwise sets, 1 for
 * the simplex, 2 for matrices).
 *
 * @example
 * constraints.positive.check(tensor([1, -1, 0])).toArray();   // [1, 0, 0]
 */
export abstract class Constraint {
  /** Number of rightmost dimensions that make one event. */
  readonly eventDim: number = 0;
  /** Whether the set is discrete (integers, booleans, one-hot vectors). */
  readonly isDiscrete: boolean = false;
  /** What a value must be, completing "x must be ...": "positive", "in [0, 1]". */
  abstract readonly description: string;

  /**
   * 1 where an event satisfies the constraint, 0 where not (no gradient).
   *
   * Shapes: value [..., *event] (eventDim trailing dimensions) -> [...].
   */
  abstract check(value: Tensor): Tensor;

  /** A description of the first event that fails `check` ("got -1 at index 2"), or null when all pass. */
  firstViolation(value: Tensor): string | null {
    const ok = this.check(value);
    const i = ok.data.indexOf(0);
    if (i < 0) return null;
    // A single value or event needs no index.
    if (this.eventDim === 0) {
      const v = ok.size === value.size ? value : broadcastTo(value.detach(), ok.shape);
      return `got ${fmt(v.data[i], v.dtype)}${ok.rank === 0 ? '' : ` at index ${formatIndex(i, ok.shape)}`}`;
    }
    return `got ${this.describeEvent(value, i)}${ok.rank === 0 ? '' : ` at batch index ${formatIndex(i, ok.shape)}`}`;
  }

  /** The values of event `i` for an error message. */
  protected describeEvent(value: Tensor, i: number): string {
    const block = sizeOf(value.shape.slice(value.rank - this.eventDim));
    return describeRow(value.data, i * block, block, value.dtype);
  }

  toString(): string {
    return this.description;
  }
}

/** Any real number (NaN excluded; infinities allowed, as in torch). */
export class Real extends Constraint {
  readonly description = 'a real number (not NaN)';
  check(value: Tensor): Tensor {
    return eq(value, value);
  }
}

/** x > lower (or x >= lower when not strict). */
export class GreaterThan extends Constraint {
  readonly description: string;
  constructor(readonly lowerBound: Bound, readonly strict = true) {
    super();
    const b = fmtBound(lowerBound);
    this.description = b === '0' ? (strict ? 'positive' : 'non-negative') : `${strict ? 'greater than' : 'at least'} ${b}`;
  }
  check(value: Tensor): Tensor {
    return this.strict ? gt(value, this.lowerBound) : ge(value, this.lowerBound);
  }
}

/** x < upper. */
export class LessThan extends Constraint {
  readonly description: string;
  constructor(readonly upperBound: Bound) {
    super();
    this.description = `less than ${fmtBound(upperBound)}`;
  }
  check(value: Tensor): Tensor {
    return lt(value, this.upperBound);
  }
}

/** lower <= x <= upper; bounds may be tensors (a Uniform's support). */
export class Interval extends Constraint {
  readonly description: string;
  constructor(readonly lowerBound: Bound, readonly upperBound: Bound) {
    super();
    this.description = typeof lowerBound === 'number' && typeof upperBound === 'number'
      ? `in [${fmt(lowerBound)}, ${fmt(upperBound)}]`
      : 'in [low, high]';
  }
  check(value: Tensor): Tensor {
    return mul(ge(value, this.lowerBound), le(value, this.upperBound));
  }
}

/** Integers in [lower, upper] (upper may be Infinity). */
export class IntegerInterval extends Constraint {
  override readonly isDiscrete = true;
  readonly description: string;
  constructor(readonly lowerBound: number, readonly upperBound: number) {
    super();
    this.description = upperBound === Infinity ? `an integer >= ${lowerBound}` : `an integer in [${lowerBound}, ${upperBound}]`;
  }
  check(value: Tensor): Tensor {
    const out = arrayFor(value.dtype, value.size);
    for (let i = 0; i < out.length; i++) {
      const v = value.data[i];
      out[i] = Number.isInteger(v) && v >= this.lowerBound && v <= this.upperBound ? 1 : 0;
    }
    return new Tensor(out, value.shape);
  }
}

/** 0 or 1. */
export class BooleanConstraint extends Constraint {
  override readonly isDiscrete = true;
  readonly description = '0 or 1';
  check(value: Tensor): Tensor {
    const out = arrayFor(value.dtype, value.size);
    for (let i = 0; i < out.length; i++) out[i] = value.data[i] === 0 || value.data[i] === 1 ? 1 : 0;
    return new Tensor(out, value.shape);
  }
}

/**
 * Non-negative vectors summing to 1 along the last axis, within 1e-6
 * (torch's tolerance) in float64; float32 allows K * 1.2e-7 (about one
 * rounding per summed entry) when that is larger.
 */
export class Simplex extends Constraint {
  override readonly eventDim = 1;
  readonly description = 'on the simplex (non-negative, summing to 1 along the last axis)';
  private tolerance(value: Tensor): number {
    const k = value.shape[value.rank - 1];
    return value.dtype === 'float64' ? 1e-6 : Math.max(1e-6, k * 1.2e-7);
  }
  check(value: Tensor): Tensor {
    requireEventRank(value, 1, 'simplex');
    const k = value.shape[value.rank - 1];
    const rows = value.size / Math.max(k, 1);
    const out = arrayFor(value.dtype, k === 0 ? 0 : rows);
    const tol = this.tolerance(value);
    for (let r = 0; r < out.length; r++) {
      let s = 0;
      let ok = true;
      for (let j = 0; j < k; j++) {
        const v = value.data[r * k + j];
        if (!(v >= 0)) ok = false;
        s += v;
      }
      out[r] = ok && Math.abs(s - 1) < tol ? 1 : 0;
    }
    return new Tensor(out, value.shape.slice(0, -1));
  }
  protected override describeEvent(value: Tensor, i: number): string {
    const k = value.shape[value.rank - 1];
    let s = 0;
    for (let j = 0; j < k; j++) s += value.data[i * k + j];
    return `${describeRow(value.data, i * k, k, value.dtype)} (sum ${fmt(s, value.dtype)})`;
  }
}

/** One-hot vectors: 0/1 entries with exactly one 1 along the last axis. */
export class OneHot extends Constraint {
  override readonly eventDim = 1;
  override readonly isDiscrete = true;
  readonly description = 'one-hot (0/1 entries with exactly one 1 along the last axis)';
  check(value: Tensor): Tensor {
    requireEventRank(value, 1, 'oneHot');
    const k = value.shape[value.rank - 1];
    const out = arrayFor(value.dtype, k === 0 ? 0 : value.size / k);
    for (let r = 0; r < out.length; r++) {
      let ones = 0;
      let ok = true;
      for (let j = 0; j < k; j++) {
        const v = value.data[r * k + j];
        if (v === 1) ones++;
        else if (v !== 0) ok = false;
      }
      out[r] = ok && ones === 1 ? 1 : 0;
    }
    return new Tensor(out, value.shape.slice(0, -1));
  }
}

/** Lower-triangular matrices with a positive diagonal: Cholesky factors. */
export class LowerCholesky extends Constraint {
  override readonly eventDim = 2;
  readonly description = 'lower triangular with a positive diagonal (a Cholesky factor)';
  check(value: Tensor): Tensor {
    requireEventRank(value, 2, 'lowerCholesky');
    const [n, m] = value.shape.slice(-2);
    const out = arrayFor(value.dtype, sizeOf(value.shape.slice(0, -2)));
    for (let b = 0; b < out.length; b++) {
      let ok = true;
      for (let i = 0; i < n && ok; i++) {
        for (let j = 0; j < m; j++) {
          const v = value.data[b * n * m + i * m + j];
          if ((j > i && v !== 0) || (j === i && !(v > 0))) { ok = false; break; }
        }
      }
      out[b] = ok ? 1 : 0;
    }
    return new Tensor(out, value.shape.slice(0, -2));
  }
  protected override describeEvent(value: Tensor, b: number): string {
    const [n, m] = value.shape.slice(-2);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        const v = value.data[b * n * m + i * m + j];
        if (j > i && v !== 0) return `a matrix with ${fmt(v, value.dtype)} above the diagonal at [${i}, ${j}]`;
        if (j === i && !(v > 0)) return `a matrix with diagonal entry ${fmt(v, value.dtype)} at [${i}, ${i}]`;
      }
    }
    return 'a matrix';
  }
}

/** Symmetric positive-definite matrices: symmetric within torch.isclose (atol 1e-6, rtol 1e-5), and with a Cholesky factor. */
export class PositiveDefinite extends Constraint {
  override readonly eventDim = 2;
  readonly description = 'symmetric positive definite';
  private asymmetry(value: Tensor, b: number): [number, number] | null {
    const n = value.shape[value.rank - 1];
    const d = value.data;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < i; j++) {
        const x = d[b * n * n + i * n + j];
        const y = d[b * n * n + j * n + i];
        if (!(Math.abs(x - y) <= 1e-6 + 1e-5 * Math.abs(y))) return [i, j];
      }
    }
    return null;
  }
  check(value: Tensor): Tensor {
    requireEventRank(value, 2, 'positiveDefinite');
    const n = value.shape[value.rank - 1];
    if (value.shape[value.rank - 2] !== n) return new Tensor(arrayFor(value.dtype, sizeOf(value.shape.slice(0, -2))), value.shape.slice(0, -2));
    const { info } = choleskyEx(value.detach());
    const out = arrayFor(value.dtype, info.length);
    for (let b = 0; b < info.length; b++) out[b] = info[b] === 0 && this.asymmetry(value, b) === null ? 1 : 0;
    return new Tensor(out, value.shape.slice(0, -2));
  }
  protected override describeEvent(value: Tensor, b: number): string {
    const n = value.shape[value.rank - 1];
    if (value.shape[value.rank - 2] !== n) return `a non-square matrix ${formatShape(value.shape.slice(-2))}`;
    const asym = this.asymmetry(value, b);
    if (asym) {
      const [i, j] = asym;
      return `a matrix that is not symmetric ([${i}, ${j}] is ${fmt(value.data[b * n * n + i * n + j], value.dtype)} but [${j}, ${i}] is ${fmt(value.data[b * n * n + j * n + i], value.dtype)})`;
    }
    const single = new Tensor(value.data.slice(b * n * n, (b + 1) * n * n), [n, n]);
    const { info, pivots } = choleskyEx(single);
    return `a matrix that is not positive definite (Cholesky pivot ${info[0] - 1} is ${fmt(pivots[0], value.dtype)}; add jitter to the diagonal if it should be)`;
  }
}

/** A base constraint applied to events of `reinterpretedBatchNdims` more rightmost dimensions: all must pass. */
export class IndependentConstraint extends Constraint {
  override readonly eventDim: number;
  override readonly isDiscrete: boolean;
  readonly description: string;
  constructor(readonly base: Constraint, readonly reinterpretedBatchNdims: number) {
    super();
    if (!Number.isInteger(reinterpretedBatchNdims) || reinterpretedBatchNdims < 0) {
      throw new Error(`constraints.independent: reinterpretedBatchNdims must be a non-negative integer, got ${reinterpretedBatchNdims}`);
    }
    this.eventDim = base.eventDim + reinterpretedBatchNdims;
    this.isDiscrete = base.isDiscrete;
    this.description = base.description;
  }
  check(value: Tensor): Tensor {
    requireEventRank(value, this.eventDim, 'independent');
    return allLast(this.base.check(value), this.reinterpretedBatchNdims);
  }
  override firstViolation(value: Tensor): string | null {
    const ok = this.check(value);
    const i = ok.data.indexOf(0);
    if (i < 0) return null;
    // Report the offending entry inside the event, as the base constraint sees it.
    const inner = this.base.firstViolation(value);
    return inner ?? `got a failing event${ok.rank === 0 ? '' : ` at batch index ${formatIndex(i, ok.shape)}`}`;
  }
}

/**
 * The constraints of torch.distributions.constraints, by name.
 *
 * @example
 * constraints.simplex.check(tensor([[0.2, 0.8], [0.5, 0.6]])).toArray();   // [1, 0]
 * constraints.interval(0, 2).description;                                  // 'in [0, 2]'
 */
export const constraints = {
  real: new Real() as Constraint,
  realVector: new IndependentConstraint(new Real(), 1) as Constraint,
  positive: new GreaterThan(0) as Constraint,
  nonnegative: new GreaterThan(0, false) as Constraint,
  unitInterval: new Interval(0, 1) as Constraint,
  simplex: new Simplex() as Constraint,
  oneHot: new OneHot() as Constraint,
  boolean: new BooleanConstraint() as Constraint,
  nonnegativeInteger: new IntegerInterval(0, Infinity) as Constraint,
  lowerCholesky: new LowerCholesky() as Constraint,
  positiveDefinite: new PositiveDefinite() as Constraint,
  interval: (lower: Bound, upper: Bound): Constraint => new Interval(lower, upper),
  greaterThan: (lower: Bound): Constraint => new GreaterThan(lower),
  greaterThanEq: (lower: Bound): Constraint => new GreaterThan(lower, false),
  lessThan: (upper: Bound): Constraint => new LessThan(upper),
  integerInterval: (lower: number, upper: number): Constraint => new IntegerInterval(lower, upper),
  independent: (base: Constraint, reinterpretedBatchNdims: number): Constraint => new IndependentConstraint(base, reinterpretedBatchNdims),
};
