// The multi-scale architecture of RealNVP (Dinh et al. 2017, §3.6) and Glow
// (Kingma & Dhariwal 2018, §3, Figure 2b): at each level the image is
// squeezed (2x2 blocks into channels), transformed by K flow steps, and half
// of its channels are factored out: they go straight to the base and later
// levels work on the other half at half the resolution. With a N(0, I)
// prior on every factored-out part (RealNVP's choice; Glow learns a
// conditional prior, which this does not), that is one bijector onto a
// tensor of the input's shape with a standard Normal over all of it.
import { Tensor, type DType } from '../../tensor/tensor.js';
import { add, concat, slice } from '../../ops/index.js';
import type { Generator } from '../../random/index.js';
import type { ActivationName } from '../../nn/index.js';
import { Bijector, FlowSequence, type FlowResult } from '../bijector.js';
import { ActNorm } from './actnorm.js';
import { AffineCoupling, type CouplingMask } from './coupling.js';
import { SplineCoupling } from './spline.js';
import { BatchNormFlow } from './batchnorm.js';
import { Invertible1x1 } from './invertible1x1.js';
import { squeeze2d, unsqueeze2d } from './squeeze.js';
import { checkInput, resolveEvent, type Event, type EventShape } from './event.js';

export interface MultiScaleOptions {
  /** Levels L >= 1: squeezes; H and W must be divisible by 2^L. */
  levels: number;
  /** Flow steps K per level (Glow: ActNorm, 1x1 mixing, coupling; RealNVP: one coupling). */
  steps: number;
  /** `glow` (default), `realnvp`, or `spline` (Glow's steps with a rational-quadratic spline coupling, Durkan et al. 2019 §5.2). */
  flow?: 'glow' | 'realnvp' | 'spline';
  /** Spline steps: bins per spline (default 8) and the interval [-tailBound, tailBound] (default 5). */
  bins?: number;
  tailBound?: number;
  /** Conv channels of each coupling's conditioner (default [64, 64]). */
  hidden?: readonly number[];
  activation?: ActivationName;
  /** RealNVP: a batch-norm flow between couplings within a level (default true). */
  batchNorm?: boolean;
  rng: Generator;
  dtype?: DType;
}

/**
 * RealNVP's coupling masks within a level, in a cycle of four: checkerboard,
 * its complement, channel, its complement (channel only at 1x1 resolution,
 * where a checkerboard would keep everything).
 */
function realnvpMask(i: number, pixels: number): { mask: CouplingMask; invertMask: boolean } {
  return { mask: i % 4 < 2 && pixels >= 2 ? 'checkerboard' : 'channel', invertMask: i % 2 === 1 };
}

/**
 * A multi-scale image flow as one bijector on [N, C, H, W], keeping the shape.
 *
 * In the density direction (`inverseAndLogDet`, data -> base), level l
 * (l = 1..L) takes h_l [C_l, H_l, W_l] (h_1 = x, C_l = 2^(l-1) C,
 * H_l = H / 2^(l-1)):
 *
 *   v = steps_l^-1(squeeze(h_l))                    [4 C_l, H_l / 2, W_l / 2]
 *   h_{l+1} = v[:2 C_l],  b_l = v[2 C_l:]           (b_l is factored out)
 *
 * and after level L the remaining h_{L+1} is also left as it is (splitting
 * at the last level and giving both halves the N(0, I) prior is the same as
 * not splitting). The output z has the input's shape, in this fixed layout,
 * from the deepest level outwards:
 *
 *   z_{L+1} = h_{L+1},   z_l = unsqueeze(concat(z_{l+1}, b_l)),   z = z_1,
 *
 * i.e. at every level the continuing channels come first, the factored-out
 * ones second, and the pair is unsqueezed back to that level's resolution
 * (`unsqueeze2d`, the inverse of `squeeze2d`'s channel order c * 4 + 2di + dj).
 * Squeezes and splits are permutations, so log |det| is the sum of the
 * levels' steps. `forwardAndLogDet` (sampling) runs all of this backwards.
 *
 * Steps, data -> base, as in the papers: Glow: ActNorm, invertible 1x1
 * (LU) mixing, affine coupling with a `channel` mask and a conv
 * conditioner (alternating halves); RealNVP: affine couplings with masks
 * checkerboard, inverted checkerboard, channel, inverted channel, ...
 * (only channel masks at 1x1 resolution), with batch-norm flows between
 * them unless `batchNorm` is false.
 *
 * State dict: `level0.*`, `level1.*`, ...: each level's steps as a
 * `FlowSequence` (base -> data order, like `FlowModel.flow`).
 *
 * Papers: Dinh et al. 2017, https://arxiv.org/abs/1605.08803;
 * Kingma & Dhariwal 2018, https://arxiv.org/abs/1807.03039
 *
 * @example
 * const flow = new MultiScaleFlow([1, 28, 28], { levels: 2, steps: 8, hidden: [64, 64], rng: new Generator(0) });
 * const { value: z, logDet } = flow.inverseAndLogDet(x);   // x [N, 1, 28, 28] -> z [N, 1, 28, 28], logDet [N]
 */
export class MultiScaleFlow extends Bijector {
  override readonly eventDim = 3;
  readonly #ev: Event;
  // Private so the module walk registers them once, as level0, level1, ...
  readonly #levels: FlowSequence[];

  constructor(eventShape: EventShape, options: MultiScaleOptions) {
    super();
    const ev = resolveEvent(eventShape, 'MultiScaleFlow');
    if (ev.dim !== 3) throw new Error(`MultiScaleFlow: works on images; eventShape must be [C, H, W], got ${JSON.stringify(eventShape)}`);
    if (!options || !options.rng) throw new Error('MultiScaleFlow: options.rng (a Generator) is required for the initialization');
    const { levels, steps } = options;
    if (!Number.isInteger(levels) || levels < 1) throw new Error(`MultiScaleFlow: levels must be a positive integer, got ${JSON.stringify(levels)}`);
    if (!Number.isInteger(steps) || steps < 1) throw new Error(`MultiScaleFlow: steps must be a positive integer, got ${JSON.stringify(steps)}`);
    const [c, h, w] = ev.shape;
    const k = 2 ** levels;
    if (h % k !== 0 || w % k !== 0) {
      throw new Error(`MultiScaleFlow: ${levels} level(s) halve the height and width ${levels} time(s), so H and W must be divisible by 2^${levels} = ${k}; got [${c}, ${h}, ${w}]`);
    }
    const flow = options.flow ?? 'glow';
    if (flow !== 'glow' && flow !== 'realnvp' && flow !== 'spline') throw new Error(`MultiScaleFlow: flow must be glow, realnvp or spline, got ${JSON.stringify(flow)}`);
    const dtype = options.dtype ?? 'float32';
    const opts = { hidden: options.hidden ?? [64, 64], activation: options.activation ?? 'relu', rng: options.rng, dtype };
    this.#ev = ev;
    this.#levels = [];
    for (let l = 0; l < levels; l++) {
      const shape = [4 * c * 2 ** l, h / 2 ** (l + 1), w / 2 ** (l + 1)];
      const layers: Bijector[] = [];
      for (let i = 0; i < steps; i++) {
        if (flow === 'glow' || flow === 'spline') {
          layers.push(new ActNorm(shape, { dtype }), new Invertible1x1(shape, { rng: options.rng, dtype }));
          layers.push(flow === 'glow'
            ? new AffineCoupling(shape, { ...opts, mask: 'channel', invertMask: i % 2 === 1 })
            : new SplineCoupling(shape, { ...opts, mask: 'channel', invertMask: i % 2 === 1, bins: options.bins ?? 8, tailBound: options.tailBound ?? 5 }));
        } else {
          layers.push(new AffineCoupling(shape, { ...opts, ...realnvpMask(i, shape[1] * shape[2]) }));
          if ((options.batchNorm ?? true) && i + 1 < steps) layers.push(new BatchNormFlow(shape, { dtype }));
        }
      }
      // Built data -> base; a FlowSequence runs base -> data forwards.
      const seq = new FlowSequence(layers.reverse());
      this.#levels.push(seq);
      this.registerModule(`level${l}`, seq);
    }
  }

  /** The levels' steps, level 0 (full resolution) first. */
  get levels(): readonly FlowSequence[] {
    return this.#levels;
  }

  /** data -> base: x [N, C, H, W] -> z of the same shape, log |det dz/dx|. */
  inverseAndLogDet(x: Tensor): FlowResult {
    checkInput(x, this.#ev, 'MultiScaleFlow.inverse');
    let h = x;
    let logDet: Tensor | null = null;
    const out: Tensor[] = [];
    for (const level of this.#levels) {
      const r = level.inverseAndLogDet(squeeze2d(h, 'MultiScaleFlow'));
      logDet = logDet ? add(logDet, r.logDet) : r.logDet;
      const half = r.value.shape[1] / 2;
      out.push(slice(r.value, 1, half, 2 * half));
      h = slice(r.value, 1, 0, half);
    }
    let z = h;
    for (let l = out.length - 1; l >= 0; l--) z = unsqueeze2d(concat([z, out[l]], 1), 'MultiScaleFlow');
    return { value: z, logDet: logDet! };
  }

  /** base -> data (sampling): the inverse of `inverseAndLogDet`, log |det dx/dz|. */
  forwardAndLogDet(z: Tensor): FlowResult {
    checkInput(z, this.#ev, 'MultiScaleFlow.forward');
    const factored: Tensor[] = [];
    let h = z;
    for (let l = 0; l < this.#levels.length; l++) {
      const s = squeeze2d(h, 'MultiScaleFlow');
      const half = s.shape[1] / 2;
      factored.push(slice(s, 1, half, 2 * half));
      h = slice(s, 1, 0, half);
    }
    let logDet: Tensor | null = null;
    for (let l = this.#levels.length - 1; l >= 0; l--) {
      const r = this.#levels[l].forwardAndLogDet(concat([h, factored[l]], 1));
      logDet = logDet ? add(logDet, r.logDet) : r.logDet;
      h = unsqueeze2d(r.value, 'MultiScaleFlow');
    }
    return { value: h, logDet: logDet! };
  }
}
