// Affine coupling (RealNVP): half of the coordinates, picked by a binary
// mask, pass through unchanged and parameterize an elementwise affine map of
// the other half, so the Jacobian is triangular and both directions cost one
// network evaluation (Dinh, Sohl-Dickstein & Bengio 2017, "Density estimation
// using Real NVP", eqs. 4-9).
import { Tensor, type DType } from '../../tensor/tensor.js';
import { ones, tensor } from '../../tensor/create.js';
import { exp, mul, neg, add, sub, slice, tanh } from '../../ops/index.js';
import type { Generator } from '../../random/index.js';
import { Conv2d, Linear, Sequential, activation, mlp, type ActivationName, type Module } from '../../nn/index.js';
import { Bijector, type FlowResult } from '../bijector.js';
import { checkInput, resolveEvent, sumEvent, type Event, type EventShape } from './event.js';

/**
 * Which coordinates a coupling keeps (mask 1) and conditions on:
 * - vectors: `alternate` (even indices), `half` (the first ceil(D/2));
 * - images: `checkerboard` (pixels with (h + w) even, every channel), `channel` (the first ceil(C/2) channels);
 * - or an explicit 0/1 array over the event, row-major.
 */
export type CouplingMask = 'alternate' | 'half' | 'checkerboard' | 'channel' | readonly number[];

export interface AffineCouplingOptions {
  /** The mask (default `alternate` for vectors, `checkerboard` for images). */
  mask?: CouplingMask;
  /** Swap the roles of the two halves (mask -> 1 - mask), to alternate layers. Default false. */
  invertMask?: boolean;
  /** Hidden sizes of the conditioner: MLP widths for vectors, conv channels for images. Default [64, 64]. */
  hidden?: readonly number[];
  /** The conditioner's nonlinearity (default relu). */
  activation?: ActivationName;
  rng: Generator;
  dtype?: DType;
}

/** The 0/1 mask tensor [...event] of a coupling layer (errors name `where`, the layer). */
export function buildCouplingMask(ev: Event, spec: CouplingMask, invert: boolean, dtype: DType, where = 'AffineCoupling'): Tensor {
  const size = ev.shape.reduce((a, b) => a * b, 1);
  const m = new Array<number>(size).fill(0);
  if (Array.isArray(spec)) {
    if (spec.length !== size || spec.some((v) => v !== 0 && v !== 1)) {
      throw new Error(`${where}: an explicit mask must hold ${size} values, each 0 or 1 (row-major over the event [${ev.shape.join(', ')}])`);
    }
    spec.forEach((v, i) => (m[i] = v));
  } else if (ev.dim === 1 && (spec === 'alternate' || spec === 'half')) {
    const d = ev.shape[0];
    for (let i = 0; i < d; i++) m[i] = spec === 'alternate' ? (i % 2 === 0 ? 1 : 0) : i < Math.ceil(d / 2) ? 1 : 0;
  } else if (ev.dim === 3 && (spec === 'checkerboard' || spec === 'channel')) {
    const [c, h, w] = ev.shape;
    for (let k = 0; k < c; k++) {
      for (let i = 0; i < h; i++) {
        for (let j = 0; j < w; j++) m[(k * h + i) * w + j] = spec === 'checkerboard' ? ((i + j) % 2 === 0 ? 1 : 0) : k < Math.ceil(c / 2) ? 1 : 0;
      }
    }
  } else {
    const allowed = ev.dim === 1 ? "'alternate' or 'half'" : "'checkerboard' or 'channel'";
    throw new Error(`${where}: mask '${String(spec)}' does not apply to the event [${ev.shape.join(', ')}]; expected ${allowed} or an explicit 0/1 array`);
  }
  const mask = invert ? m.map((v) => 1 - v) : m;
  const kept = mask.reduce((a, b) => a + b, 0);
  if (kept === 0 || kept === size) {
    throw new Error(`${where}: the mask keeps ${kept} of ${size} coordinates; it must keep some and transform the others (a ${ev.dim === 3 ? 'channel mask needs C >= 2' : 'coupling needs D >= 2'})`);
  }
  return tensor(mask, { dtype }).reshape(ev.shape);
}

/**
 * A coupling layer's conditioner, its last layer zeroed (so the coupling
 * starts as the identity): an MLP D -> hidden -> `outputs` for vectors; for
 * images [C, H, W] a small conv net (3x3, 1x1s, 3x3, same padding) from C to
 * `outputs` channels.
 */
export function couplingConditioner(ev: Event, hidden: readonly number[], outputs: number, act: ActivationName, rng: Generator, dtype: DType, where: string): Module {
  if (!Array.isArray(hidden) || hidden.length === 0 || hidden.some((h) => !Number.isInteger(h) || h < 1)) {
    throw new Error(`${where}: hidden must be a non-empty list of positive integers, got ${JSON.stringify(hidden)}`);
  }
  let net: Sequential;
  let last: Linear | Conv2d;
  if (ev.dim === 1) {
    net = mlp([ev.features, ...hidden, outputs], { activation: act, rng, dtype });
    last = net.children()[net.children().length - 1] as Linear;
  } else {
    net = new Sequential(new Conv2d(ev.features, hidden[0], 3, { padding: 1, rng, dtype }), activation(act));
    for (let i = 1; i < hidden.length; i++) net.append(new Conv2d(hidden[i - 1], hidden[i], 1, { rng, dtype })).append(activation(act));
    last = new Conv2d(hidden[hidden.length - 1], outputs, 3, { padding: 1, rng, dtype });
    net.append(last);
  }
  last.weight.data.fill(0);
  last.bias?.data.fill(0);
  return net;
}

/**
 * An affine coupling layer: with mask m (1 = kept),
 *
 *   forward  y = x * exp(s) + t,         inverse  x = (y - t) * exp(-s),
 *   s = (1 - m) * scale * tanh(a),  t = (1 - m) * b,  [a, b] = net(m * x),
 *
 * where the network sees only the kept coordinates (m * x = m * y), so
 * log |det dy/dx| = sum(s). The tanh with a learned per-feature `scale`
 * bounds the log-scale (RealNVP §4.1 uses the same device), and the
 * network's last layer starts at zero, so the layer starts as the identity.
 *
 * The conditioner is an MLP for vectors [N, D] and a small conv net (3x3,
 * 1x1s, 3x3, same padding) for images [N, C, H, W].
 *
 * State dict: `scale`, `mask` (buffer), `net.*`.
 *
 * Paper: Dinh et al. 2017, https://arxiv.org/abs/1605.08803
 *
 * @example
 * const layer = new AffineCoupling(2, { mask: 'alternate', hidden: [64, 64], rng: new Generator(0) });
 * const { value: z, logDet } = layer.inverseAndLogDet(x);   // x [N, 2] -> z [N, 2], logDet [N]
 */
export class AffineCoupling extends Bijector {
  override readonly eventDim: number;
  /** The learned bound of the log-scale, per feature ([D] or [C, 1, 1]); starts at 1. */
  scale: Tensor;
  readonly net: Module;
  readonly #ev: Event;
  readonly #mask: Tensor;

  constructor(eventShape: EventShape, options: AffineCouplingOptions) {
    super();
    const ev = resolveEvent(eventShape, 'AffineCoupling');
    if (!options || !options.rng) throw new Error('AffineCoupling: options.rng (a Generator) is required for the initialization');
    const dtype = options.dtype ?? 'float32';
    const act = options.activation ?? 'relu';
    this.#ev = ev;
    this.eventDim = ev.dim;
    this.scale = ones(ev.paramShape, { dtype, requiresGrad: true });
    this.#mask = buildCouplingMask(ev, options.mask ?? (ev.dim === 1 ? 'alternate' : 'checkerboard'), options.invertMask ?? false, dtype);
    this.registerBuffer('mask', this.#mask);
    // Zero output layer: s = t = 0, the identity map, at the start (Glow §3.3 does the same for its couplings).
    this.net = couplingConditioner(ev, options.hidden ?? [64, 64], 2 * ev.features, act, options.rng, dtype, 'AffineCoupling');
  }

  /** The mask over the event, 1 where coordinates are kept (loading a state dict copies into it in place). */
  get mask(): Tensor {
    return this.#mask;
  }

  /** s and t from the kept coordinates of v (x or y: they agree there). */
  #shiftAndLogScale(v: Tensor): { s: Tensor; t: Tensor } {
    const mask = this.mask;
    const h = this.net.forward(mul(v, mask));
    const f = this.#ev.features;
    const free = sub(1, mask);
    const s = mul(mul(this.scale, tanh(slice(h, 1, 0, f))), free);
    const t = mul(slice(h, 1, f, 2 * f), free);
    return { s, t };
  }

  forwardAndLogDet(x: Tensor): FlowResult {
    checkInput(x, this.#ev, 'AffineCoupling.forward');
    const { s, t } = this.#shiftAndLogScale(x);
    return { value: add(mul(x, exp(s)), t), logDet: sumEvent(s, this.#ev) };
  }

  inverseAndLogDet(y: Tensor): FlowResult {
    checkInput(y, this.#ev, 'AffineCoupling.inverse');
    const { s, t } = this.#shiftAndLogScale(y);
    return { value: mul(sub(y, t), exp(neg(s))), logDet: neg(sumEvent(s, this.#ev)) };
  }
}
