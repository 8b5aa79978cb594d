import { Tensor, arrayFor, type DType } from '../tensor/tensor.js';
import { broadcastShapes, formatShape, sizeOf } from '../tensor/shape.js';
import { broadcastTo, clamp, div, eq, exp, gather, log, logsumexp, mul, neg, reshape, sub, sum, where } from '../ops/index.js';
import { categorical } from '../random/sample.js';
import type { Generator } from '../random/generator.js';
import { constraints, IntegerInterval, type Constraint } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { asParam, checkExpand, expandTo, finfo, formatIndex, formatValue, paramDtype, type Param } from './utils.js';

/** Categorical's parameters: exactly one of `probs` (non-negative, normalized along the last axis) and `logits` (unnormalized log-probabilities). */
export type CategoricalParams = DistributionOptions & ({ probs: Param; logits?: undefined } | { logits: Param; probs?: undefined });

/**
 * Reads { probs } or { logits } [..., K] for the distribution `dist`
 * (shared with OneHotCategorical and RelaxedOneHotCategorical).
 */
export function categoricalParams(dist: string, params: CategoricalParams): { which: 'probs' | 'logits'; raw: Tensor } {
  if (typeof params !== 'object' || params === null) throw new Error(`${dist}: pass { probs } or { logits }`);
  const hasP = params.probs !== undefined;
  const hasL = params.logits !== undefined;
  if (hasP === hasL) throw new Error(`${dist}: pass exactly one of probs and logits; got ${hasP ? 'both' : 'neither'}`);
  const which = hasP ? 'probs' : 'logits';
  const given = (hasP ? params.probs : params.logits) as Param;
  const raw = asParam(given, paramDtype([given]), dist, which);
  if (raw.rank < 1 || raw.shape[raw.rank - 1] < 1) {
    throw new Error(`${dist}: ${which} must have shape [..., K] with K >= 1 categories, got ${formatShape(raw.shape)}`);
  }
  return { which, raw };
}

/** Throws, naming the first bad entry or row, unless `raw` holds valid probs or logits. */
export function checkCategoricalParams(dist: string, which: 'probs' | 'logits', raw: Tensor): void {
  const k = raw.shape[raw.rank - 1];
  const d = raw.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    const bad = which === 'probs' ? !(v >= 0 && v < Infinity) : Number.isNaN(v) || v === Infinity;
    if (bad) {
      const what = which === 'probs' ? 'non-negative and finite' : 'real numbers or -Infinity (not NaN or +Infinity)';
      throw new Error(`${dist}: ${which} must be ${what}, got ${formatValue(v, raw.dtype)} at index ${formatIndex(i, raw.shape)}`);
    }
  }
  for (let r = 0; r < d.length / k; r++) {
    let ok = false;
    let s = 0;
    for (let j = 0; j < k; j++) {
      const v = d[r * k + j];
      if (which === 'logits' ? v > -Infinity : v > 0) ok = true;
      s += v;
    }
    if (!ok || (which === 'probs' && !(s < Infinity))) {
      const row = formatIndex(r, raw.shape.slice(0, -1));
      throw new Error(
        which === 'probs'
          ? `${dist}: probs must have a positive finite sum along the last axis, got sum ${formatValue(s, raw.dtype)} at batch index ${row}`
          : `${dist}: logits must have at least one entry above -Infinity along the last axis (row at batch index ${row} has none)`,
      );
    }
  }
}

/** Normalized log-probabilities and probabilities from probs or logits [..., K]. */
export function normalizeCategorical(which: 'probs' | 'logits', raw: Tensor): { logits: Tensor; probs: Tensor } {
  if (which === 'logits') {
    const logits = sub(raw, logsumexp(raw, -1, true));
    return { logits, probs: exp(logits) };
  }
  const probs = div(raw, sum(raw, -1, true));
  // log 0 = -Infinity with a zero (not NaN) gradient: the log never sees the zeros.
  const zero = eq(probs, 0);
  const logits = where(zero, -Infinity, log(where(zero, 1, probs)));
  return { logits, probs };
}

/**
 * The categorical distribution over {0, ..., K-1}, from `probs` (normalized
 * along the last axis) or `logits` (log-probabilities up to a constant).
 * Values are category indices stored as floats; logProb gathers the
 * normalized log-probability of each. Not reparameterizable (see
 * RelaxedOneHotCategorical for a relaxation). `mean` and `variance` are not
 * defined for labels and throw; use `probs`.
 *
 * Shapes: probs or logits [..., K]; batchShape [...]; eventShape [].
 *
 * @example
 * const c = new Categorical({ probs: tensor([0.2, 0.3, 0.5]) });
 * c.logProb(tensor([2, 0])).toArray();   // [log 0.5, log 0.2]
 * c.sample(new Generator(0), [4]).shape;  // [4]
 */
export class Categorical extends Distribution {
  /** Normalized log-probabilities [...batchShape, K]. */
  readonly logits: Tensor;
  /** Normalized probabilities [...batchShape, K]. */
  readonly probs: Tensor;
  private readonly param: 'probs' | 'logits';
  private readonly raw: Tensor;

  constructor(params: CategoricalParams) {
    const p = categoricalParams('Categorical', params);
    super(p.raw.shape.slice(0, -1), [], params);
    if (this.validateArgs) checkCategoricalParams(this.name, p.which, p.raw);
    this.param = p.which;
    this.raw = p.raw;
    const { logits, probs } = normalizeCategorical(p.which, p.raw);
    this.logits = logits;
    this.probs = probs;
  }

  /** The number of categories K. */
  get numEvents(): number {
    return this.logits.shape[this.logits.rank - 1];
  }
  get dtype(): DType {
    return this.logits.dtype;
  }
  get argConstraints(): Record<string, Constraint> {
    return { probs: constraints.simplex, logits: constraints.realVector };
  }
  get support(): Constraint {
    return new IntegerInterval(0, this.numEvents - 1);
  }
  override get hasEnumerateSupport(): boolean {
    return true;
  }
  override get mean(): Tensor {
    throw new Error(`${this.name}: mean is not defined for category labels; use probs`);
  }
  override get variance(): Tensor {
    throw new Error(`${this.name}: variance is not defined for category labels; use probs`);
  }

  /** Category indices [...sampleShape, ...batchShape], by inverse CDF on each row. */
  override sample(rng: Generator, sampleShape: readonly number[] = []): Tensor {
    const shape = this.drawShape(rng, sampleShape);
    const s = sizeOf(shape.slice(0, shape.length - this.batchShape.length));
    const rows = sizeOf(this.batchShape);
    const { indices } = categorical(this.logits.detach(), rng, { logits: true, numSamples: s });
    // categorical gives [...batch, s]; draws come sample-major.
    const out = arrayFor(this.dtype, s * rows);
    for (let r = 0; r < rows; r++) for (let j = 0; j < s; j++) out[j * rows + r] = indices[r * s + j];
    return new Tensor(out, shape);
  }

  logProb(value: Tensor | number): Tensor {
    const x = this.checkSample(value);
    const shape = broadcastShapes(x.shape, this.batchShape);
    const k = this.numEvents;
    const lp = expandTo(this.logits, [...shape, k]);
    const idx = reshape(expandTo(x.detach(), shape), [...shape, 1]);
    return reshape(gather(lp, -1, idx), shape);
  }

  override entropy(): Tensor {
    // -sum p log p, with log 0 clamped to the most negative finite number so 0 log 0 = 0 (as torch does).
    const logp = clamp(this.logits, -finfo(this.dtype).max);
    return neg(sum(mul(this.probs, logp), -1));
  }

  /** 0, ..., K-1 along a new leading axis: [K, ...batchShape] (or [K, 1, ..., 1]). */
  override enumerateSupport(expand = true): Tensor {
    const k = this.numEvents;
    const v = arrayFor(this.dtype, k);
    for (let i = 0; i < k; i++) v[i] = i;
    const t = new Tensor(v, [k, ...this.batchShape.map(() => 1)]);
    return expand ? broadcastTo(t, [k, ...this.batchShape]) : t;
  }

  expand(batchShape: readonly number[]): Categorical {
    const shape = checkExpand(this.name, this.batchShape, batchShape);
    const v = broadcastTo(this.raw, [...shape, this.numEvents]);
    return new Categorical(this.param === 'probs' ? { probs: v, validateArgs: false } : { logits: v, validateArgs: false });
  }
}
