import { Tensor, arrayFor, type DType } from '../tensor/tensor.js';
import { broadcastShapes, formatShape } from '../tensor/shape.js';
import { noGrad } from '../autograd/mode.js';
import { sqrt } from '../ops/index.js';
import type { Generator } from '../random/generator.js';
import type { Constraint } from './constraints.js';
import { checkRng, checkSampleShape } from './utils.js';

let defaultValidateArgs = true;

/**
 * Sets whether distributions created from now on validate their arguments
 * and the values given to `logProb` when their options do not say
 * (torch's Distribution.set_default_validate_args). On by default; turn it
 * off only in hot loops whose inputs are known to be valid.
 */
export function setDefaultValidateArgs(flag: boolean): void {
  if (typeof flag !== 'boolean') throw new Error(`setDefaultValidateArgs: flag must be a boolean, got ${typeof flag}`);
  defaultValidateArgs = flag;
}

/** Options every distribution takes. */
export interface DistributionOptions {
  /**
   * Check the parameters against `argConstraints` in the constructor, and
   * values given to `logProb` against `support` (default true, or what
   * `setDefaultValidateArgs` set). Shape errors are raised either way.
   */
  validateArgs?: boolean;
}

/**
 * A probability distribution over tensors (torch.distributions.Distribution).
 *
 * Shapes: a draw has shape `[...sampleShape, ...batchShape, ...eventShape]`.
 * `batchShape` indexes independent (not identically distributed)
 * distributions; `eventShape` is the shape of one draw of one of them, so
 * `logProb` of a value `[..., ...batchShape, ...eventShape]` has shape
 * `[..., ...batchShape]` (value and batch dimensions broadcast).
 *
 * Randomness is explicit: `sample(rng)` and `rsample(rng)` take a
 * `Generator`. `rsample` is the reparameterized draw (a differentiable
 * function of the parameters and parameter-free noise) and exists where
 * `hasRsample` is true; `sample` is the same draw without gradient.
 *
 * Validation (`validateArgs`, on by default): invalid parameters throw in
 * the constructor, naming the distribution, the argument and the first bad
 * entry, e.g. `Normal: scale must be positive, got -1 at index 2`. A value
 * outside the support throws in `logProb` (as torch's validate_sample raises
 * ValueError), e.g. `Beta: value must be within the support (in [0, 1]), got
 * 1.5 at index 0`. With validation off no check is made and the density's
 * formula is evaluated as is (Bernoulli's logProb of a grey level 0.3 is then
 * the negative binary cross-entropy, as in torch).
 *
 * @example
 * const q = new Normal(tensor([0, 1]), tensor([1, 2]));   // batchShape [2], eventShape []
 * const z = q.rsample(new Generator(0), [5]);             // [5, 2], differentiable in loc and scale
 * q.logProb(z).shape;                                      // [5, 2]
 */
export abstract class Distribution {
  readonly batchShape: readonly number[];
  readonly eventShape: readonly number[];
  readonly validateArgs: boolean;

  protected constructor(batchShape: readonly number[], eventShape: readonly number[], options: DistributionOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new Error(`${this.constructor.name}: options must be an object, got ${options}`);
    const v = options.validateArgs ?? defaultValidateArgs;
    if (typeof v !== 'boolean') throw new Error(`${this.constructor.name}: validateArgs must be a boolean, got ${typeof v}`);
    this.batchShape = Object.freeze([...batchShape]);
    this.eventShape = Object.freeze([...eventShape]);
    this.validateArgs = v;
  }

  /** The class name, used in error messages. */
  get name(): string {
    return this.constructor.name;
  }

  /** The dtype of draws and of the parameters. */
  abstract get dtype(): DType;

  /** The constraint each parameter must satisfy, by name. */
  abstract get argConstraints(): Readonly<Record<string, Constraint>>;

  /** The set values lie in. */
  abstract get support(): Constraint;

  /** Whether `rsample` (the reparameterized, differentiable draw) is available. */
  get hasRsample(): boolean {
    return false;
  }

  /** Whether `enumerateSupport` is available (finite discrete support). */
  get hasEnumerateSupport(): boolean {
    return false;
  }

  /** The mean. Shapes: [...batchShape, ...eventShape]. */
  get mean(): Tensor {
    throw this.notAvailable('mean');
  }

  /** The variance (elementwise over the event). Shapes: [...batchShape, ...eventShape]. */
  get variance(): Tensor {
    throw this.notAvailable('variance');
  }

  /** The standard deviation, sqrt(variance). */
  get stddev(): Tensor {
    return sqrt(this.variance);
  }

  /** The entropy in nats. Shapes: [...batchShape]. */
  entropy(): Tensor {
    throw this.notAvailable('entropy');
  }

  /**
   * The log density (or log mass) of `value`.
   *
   * Shapes: value [..., ...batchShape, ...eventShape] (batch dims broadcasting) -> [..., ...batchShape].
   */
  abstract logProb(value: Tensor | number): Tensor;

  /**
   * A draw without gradient. Shapes: -> [...sampleShape, ...batchShape, ...eventShape].
   * The default takes `rsample` under `noGrad`.
   */
  sample(rng: Generator, sampleShape: readonly number[] = []): Tensor {
    if (!this.hasRsample) throw new Error(`${this.name}: sample is not implemented`);
    return noGrad(() => this.rsample(rng, sampleShape));
  }

  /**
   * A reparameterized draw: a differentiable function of the parameters and
   * of noise from `rng`, for pathwise (reparameterization) gradients.
   * Shapes: -> [...sampleShape, ...batchShape, ...eventShape].
   */
  rsample(rng: Generator, sampleShape: readonly number[] = []): Tensor {
    void rng;
    void sampleShape;
    throw new Error(
      `${this.name}: rsample is not available: the distribution is not reparameterizable (hasRsample is false); ` +
        'use sample() and a score-function estimator for gradients',
    );
  }

  /**
   * Every value of a finite discrete support, along a new leading axis.
   * Shapes: -> [n, ...batchShape, ...eventShape] (or [n, 1, ..., 1, ...eventShape] when `expand` is false).
   */
  enumerateSupport(expand = true): Tensor {
    void expand;
    throw new Error(`${this.name}: enumerateSupport is not available (the support is not finite)`);
  }

  /** A distribution of the same family with parameters broadcast to `batchShape`. */
  abstract expand(batchShape: readonly number[]): Distribution;

  /** [...sampleShape, ...batchShape, ...eventShape]. */
  extendedShape(sampleShape: readonly number[] = []): number[] {
    return [...sampleShape, ...this.batchShape, ...this.eventShape];
  }

  toString(): string {
    return `${this.name}(batchShape ${formatShape(this.batchShape)}, eventShape ${formatShape(this.eventShape)})`;
  }

  /** Checks the rng and sample shape of a draw and returns the draw's shape. */
  protected drawShape(rng: Generator, sampleShape: readonly number[]): number[] {
    checkRng(this.name, rng);
    return this.extendedShape(checkSampleShape(this.name, sampleShape));
  }

  /**
   * Throws, naming the argument and its first bad entry, when a parameter
   * fails its constraint. Pass the parameters as the user gave them (before
   * broadcasting) so the reported index is theirs.
   */
  protected checkParams(params: Readonly<Record<string, Tensor | undefined>>): void {
    const cons = this.argConstraints;
    for (const [name, value] of Object.entries(params)) {
      const c = cons[name];
      if (!value || !c) continue;
      const bad = c.firstViolation(value);
      if (bad !== null) throw new Error(`${this.name}: ${name} must be ${c.description}, ${bad}`);
    }
  }

  /**
   * A value for `logProb`: numbers become scalars; the shape must end with
   * the event shape and broadcast with the batch shape; with validation,
   * every entry must lie in the support.
   */
  protected checkSample(value: Tensor | number): Tensor {
    let v: Tensor;
    if (typeof value === 'number') {
      const d = arrayFor(this.dtype, 1);
      d[0] = value;
      v = new Tensor(d, []);
    } else if (value instanceof Tensor) {
      v = value;
    } else {
      throw new Error(`${this.name}: value must be a Tensor or a number, got ${value === null ? 'null' : typeof value}`);
    }
    const ev = this.eventShape.length;
    const tail = v.shape.slice(v.rank - ev);
    if (v.rank < ev || tail.some((d, i) => d !== this.eventShape[i])) {
      throw new Error(`${this.name}: value of shape ${formatShape(v.shape)} must end with the event shape ${formatShape(this.eventShape)}`);
    }
    try {
      broadcastShapes(v.shape.slice(0, v.rank - ev), this.batchShape);
    } catch {
      throw new Error(
        `${this.name}: value of shape ${formatShape(v.shape)} does not broadcast with the batch shape ${formatShape(this.batchShape)}` +
          (ev > 0 ? ` (before the event shape ${formatShape(this.eventShape)})` : ''),
      );
    }
    if (this.validateArgs) {
      const s = this.support;
      const bad = s.firstViolation(v);
      if (bad !== null) throw new Error(`${this.name}: value must be within the support (${s.description}), ${bad}`);
    }
    return v;
  }

  protected notAvailable(what: string): Error {
    return new Error(`${this.name}: ${what} has no closed form here (estimate it from samples)`);
  }
}
