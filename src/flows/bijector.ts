// The bijector interface of normalizing flows: an invertible map with
// trainable parameters that returns, with each direction, the log absolute
// determinant of that direction's Jacobian. A flow is a composition; its
// density is log p(x) = log p(z) + log |det dz/dx| with z = f^-1(x)
// (Rezende & Mohamed 2015; Papamakarios et al. 2021, "Normalizing Flows for
// Probabilistic Modeling and Inference", eq. 2).
import { Tensor } from '../tensor/tensor.js';
import { zeros } from '../tensor/create.js';
import { add, neg } from '../ops/index.js';
import { Module } from '../nn/module.js';
import { constraints, type Constraint } from '../distributions/constraints.js';
import { Transform } from '../distributions/transforms.js';

/** A value and the log |det J| of the map that produced it, one per batch element. */
export interface FlowResult {
  /**
   * The mapped tensor. Most bijectors keep the shape; one that reshapes the
   * event (Squeeze: [C, H, W] -> [4C, H/2, W/2]) says so through
   * `forwardShape`/`inverseShape`. The size of the event never changes.
   */
  value: Tensor;
  /** log |det J| of the map at the input, summed over the event dimensions: shape = input.shape minus the last `eventDim` dimensions. */
  logDet: Tensor;
}

/**
 * An invertible, differentiable map y = f(x) with trainable parameters (a
 * `Module`), returning log |det J| with each direction:
 *
 * - `forwardAndLogDet(x)`: y = f(x) and log |det df/dx| at x;
 * - `inverseAndLogDet(y)`: x = f^-1(y) and log |det df^-1/dy| at y
 *   (= -log |det df/dx| at x).
 *
 * Inputs are [...batch, ...event] with `eventDim` event dimensions (1 for
 * vectors [N, D], 3 for images [N, C, H, W]); log-determinants have the batch
 * shape. A bijector may reshape the event (same size, same `eventDim`), as
 * Squeeze does; `forwardShape` and `inverseShape` give the shapes (the
 * identity by default). Maps without a closed-form inverse (planar, radial) set `hasInverse`
 * to false and throw from `inverseAndLogDet`.
 *
 * Convention: `forward` goes from the base (noise) side z to the data side x,
 * the direction of sampling, as in torch.distributions and Pyro; density
 * evaluation runs `inverse`.
 *
 * @example
 * const flow = new FlowSequence([new AffineCoupling(...), new ActNorm(2)]);
 * const { value: z, logDet } = flow.inverseAndLogDet(x);   // x [N, 2] -> z [N, 2], logDet [N]
 * const logpx = base.logProb(z).add(logDet);                // log p(x)
 */
export abstract class Bijector extends Module<[Tensor], Tensor> {
  /** Event dimensions of one input (the rightmost ones). */
  readonly eventDim: number = 1;
  /** Whether `inverseAndLogDet` is available in closed form. */
  readonly hasInverse: boolean = true;

  /** y = f(x) and log |det df/dx| at x (shape: the batch dimensions of x). */
  abstract forwardAndLogDet(x: Tensor): FlowResult;
  /** x = f^-1(y) and log |det df^-1/dy| at y (shape: the batch dimensions of y). */
  abstract inverseAndLogDet(y: Tensor): FlowResult;

  /** The shape of f(x) for x of `shape` ([...batch, ...event]); the identity unless the bijector reshapes its event. */
  forwardShape(shape: readonly number[]): number[] {
    return [...shape];
  }
  /** The shape of f^-1(y) for y of `shape`; the identity unless the bijector reshapes its event. */
  inverseShape(shape: readonly number[]): number[] {
    return [...shape];
  }

  /** y = f(x). */
  forward(x: Tensor): Tensor {
    return this.forwardAndLogDet(x).value;
  }
  /** x = f^-1(y). */
  inverse(y: Tensor): Tensor {
    return this.inverseAndLogDet(y).value;
  }

  /** This bijector as a `Transform`, for `TransformedDistribution` (the parameters stay shared). */
  asTransform(): Transform {
    return new BijectorTransform(this);
  }

  /** The inverse map as a bijector sharing these parameters (MAF <-> IAF). */
  get inv(): Bijector {
    return new InverseBijector(this);
  }

  /** Throws a clear error for a bijector without a closed-form inverse. */
  protected noInverse(): never {
    throw new Error(`${this.constructor.name}: the inverse has no closed form; use this bijector where only the forward direction is needed (a flow posterior q(z | x), a VI family) or choose an invertible layer`);
  }
}

/**
 * The composition f_K o ... o f_1 of bijectors (f_1 applied first in the
 * forward direction); log-determinants add. Its layers are its submodules
 * '0', '1', ... as in PyTorch's nn.Sequential.
 *
 * @example
 * const flow = new FlowSequence([layerA, layerB]);
 * flow.forward(z);    // layerB.forward(layerA.forward(z))
 */
export class FlowSequence extends Bijector {
  override readonly eventDim: number;
  override readonly hasInverse: boolean;
  // Private so the module walk registers the layers once, as '0', '1', ...
  readonly #layers: readonly Bijector[];
  /** The layers, first applied first in the forward direction. */
  get layers(): readonly Bijector[] {
    return this.#layers;
  }

  constructor(layers: readonly Bijector[]) {
    super();
    if (!Array.isArray(layers)) throw new Error(`FlowSequence: layers must be an array of bijectors, got ${typeof layers}`);
    layers.forEach((l, i) => {
      if (!(l instanceof Bijector)) throw new Error(`FlowSequence: layers[${i}] must be a Bijector, got ${l?.constructor?.name ?? typeof l}`);
      if (l.eventDim !== layers[0].eventDim) {
        throw new Error(`FlowSequence: layers[${i}] has eventDim ${l.eventDim}, but layers[0] has ${layers[0].eventDim}; all layers must act on the same event shape`);
      }
    });
    this.#layers = [...layers];
    this.eventDim = layers.length ? layers[0].eventDim : 1;
    this.hasInverse = layers.every((l) => l.hasInverse);
    layers.forEach((l, i) => this.registerModule(String(i), l));
  }

  forwardAndLogDet(x: Tensor): FlowResult {
    let value = x;
    let logDet: Tensor | null = null;
    for (const layer of this.layers) {
      const r = layer.forwardAndLogDet(value);
      value = r.value;
      logDet = logDet ? add(logDet, r.logDet) : r.logDet;
    }
    return { value, logDet: logDet ?? zerosOfBatch(x, this.eventDim) };
  }

  inverseAndLogDet(y: Tensor): FlowResult {
    let value = y;
    let logDet: Tensor | null = null;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const r = this.layers[i].inverseAndLogDet(value);
      value = r.value;
      logDet = logDet ? add(logDet, r.logDet) : r.logDet;
    }
    return { value, logDet: logDet ?? zerosOfBatch(y, this.eventDim) };
  }

  override forwardShape(shape: readonly number[]): number[] {
    return this.layers.reduce((s, l) => l.forwardShape(s), [...shape]);
  }
  override inverseShape(shape: readonly number[]): number[] {
    return this.layers.reduceRight((s, l) => l.inverseShape(s), [...shape]);
  }
}

/** f^-1 as a bijector: forward and inverse swapped, sharing the parameters of f. */
export class InverseBijector extends Bijector {
  override readonly eventDim: number;
  readonly base: Bijector;
  constructor(base: Bijector) {
    super();
    this.base = base;
    this.eventDim = base.eventDim;
  }
  forwardAndLogDet(x: Tensor): FlowResult {
    return this.base.inverseAndLogDet(x);
  }
  inverseAndLogDet(y: Tensor): FlowResult {
    return this.base.forwardAndLogDet(y);
  }
  override forwardShape(shape: readonly number[]): number[] {
    return this.base.inverseShape(shape);
  }
  override inverseShape(shape: readonly number[]): number[] {
    return this.base.forwardShape(shape);
  }
  override get inv(): Bijector {
    return this.base;
  }
}

function zerosOfBatch(x: Tensor, eventDim: number): Tensor {
  if (x.shape.length < eventDim) throw new Error(`flow: input of shape [${x.shape.join(', ')}] has fewer than ${eventDim} event dimension(s)`);
  return zeros(x.shape.slice(0, x.shape.length - eventDim), { dtype: x.dtype });
}

/**
 * A bijector seen as a `Transform` (domain and codomain: the reals with
 * `eventDim` event dimensions). Like torch's cache_size=1, it remembers the
 * last pair it mapped, so `TransformedDistribution.logProb` (inverse, then
 * log |det J|) runs the flow once.
 */
export class BijectorTransform extends Transform {
  readonly domain: Constraint;
  readonly codomain: Constraint;
  readonly bijector: Bijector;
  #last: { x: Tensor; y: Tensor; logDet: Tensor } | null = null;

  constructor(bijector: Bijector) {
    super();
    this.bijector = bijector;
    this.domain = bijector.eventDim > 0 ? constraints.independent(constraints.real, bijector.eventDim) : constraints.real;
    this.codomain = this.domain;
  }
  forward(x: Tensor): Tensor {
    const r = this.bijector.forwardAndLogDet(x);
    this.#last = { x, y: r.value, logDet: r.logDet };
    return r.value;
  }
  inverse(y: Tensor): Tensor {
    const r = this.bijector.inverseAndLogDet(y);
    this.#last = { x: r.value, y, logDet: neg(r.logDet) };
    return r.value;
  }
  logAbsDetJacobian(x: Tensor, y: Tensor): Tensor {
    const last = this.#last;
    if (last && last.x === x && last.y === y) return last.logDet;
    return this.bijector.forwardAndLogDet(x).logDet;
  }
  // TransformedDistribution takes its event shape from these (a Squeeze changes it).
  override forwardShape(shape: readonly number[]): number[] {
    return this.bijector.forwardShape(shape);
  }
  override inverseShape(shape: readonly number[]): number[] {
    return this.bijector.inverseShape(shape);
  }
  override get name(): string {
    return `BijectorTransform(${this.bijector.constructor.name})`;
  }
}
