// Rational-quadratic spline couplings (Durkan, Bekasov, Murray & Papamakarios
// 2019, "Neural Spline Flows"): each transformed coordinate goes through a
// monotone piecewise rational-quadratic map on [-B, B] whose K bin widths,
// K bin heights and K - 1 interior knot derivatives come from a network of
// the kept coordinates; outside [-B, B] the map is the identity (linear
// tails, the derivative at the boundary knots fixed to 1). Unlike an affine
// coupling, one layer can bend a coordinate's density into several modes,
// which is what the rings and the checkerboard ask for.
import { Tensor, type DType } from '../../tensor/tensor.js';
import { ones, tensor, zeros } from '../../tensor/create.js';
import {
  add, cast, clamp, concat, cumsum, div, gather, ge, indexAdd, indexSelect, le, log, mul, maximum, permute, reshape, slice, softmax, softplus, sqrt, square, sub, sum, where,
} from '../../ops/index.js';
import { grad, isGradEnabled } from '../../autograd/index.js';
import { record } from '../../autograd/tape.js';
import { kernel, type SplineShape } from '../../kernels/registry.js';
import { output } from '../../ops/util.js';
import type { Generator } from '../../random/index.js';
import type { ActivationName, Module } from '../../nn/index.js';
import { Bijector, type FlowResult } from '../bijector.js';
import { buildCouplingMask, couplingConditioner, type CouplingMask } from './coupling.js';
import { checkInput, resolveEvent, type Event, type EventShape } from './event.js';

/** Shape constants of a rational-quadratic spline. */
export interface SplineOptions {
  /** Half-width B of the interval [-B, B] the spline covers; the identity outside. Default 3. */
  tailBound?: number;
  /** Smallest bin width, as a fraction of 2B (keeps bins from vanishing). Default 1e-3. */
  minBinWidth?: number;
  /** Smallest bin height, as a fraction of 2B. Default 1e-3. */
  minBinHeight?: number;
  /** Smallest knot derivative. Default 1e-3. */
  minDerivative?: number;
}

function splineConstants(o: SplineOptions, k: number, where: string): Required<SplineOptions> {
  const c = { tailBound: o.tailBound ?? 3, minBinWidth: o.minBinWidth ?? 1e-3, minBinHeight: o.minBinHeight ?? 1e-3, minDerivative: o.minDerivative ?? 1e-3 };
  if (!(Number.isFinite(c.tailBound) && c.tailBound > 0)) throw new Error(`${where}: tailBound must be a positive number, got ${c.tailBound}`);
  for (const key of ['minBinWidth', 'minBinHeight'] as const) {
    if (!(c[key] > 0 && c[key] * k < 1)) throw new Error(`${where}: ${key} must be in (0, 1/bins) = (0, ${1 / k}), got ${c[key]}`);
  }
  if (!(c.minDerivative > 0 && c.minDerivative < 1)) throw new Error(`${where}: minDerivative must be in (0, 1), got ${c.minDerivative}`);
  return c;
}

/** Checks x [...], widths and heights [..., K] (K >= 2) and derivatives [..., K - 1]; returns K. */
function checkSplineShapes(x: Tensor, widths: Tensor, heights: Tensor, derivatives: Tensor): number {
  const all = [x, widths, heights, derivatives];
  if (!all.every((t) => t instanceof Tensor)) throw new Error('rationalQuadraticSpline: x, widths, heights and derivatives must be Tensors');
  const k = widths.shape[widths.rank - 1];
  const same = (t: Tensor, last: number) => t.rank === x.rank + 1 && t.shape[t.rank - 1] === last && x.shape.every((v, i) => t.shape[i] === v);
  if (k < 2 || !same(widths, k) || !same(heights, k) || !same(derivatives, k - 1)) {
    throw new Error(`rationalQuadraticSpline: for x [${x.shape.join(', ')}] expected widths and heights [${[...x.shape, 'K'].join(', ')}] with K >= 2 and derivatives [..., K-1]; got [${widths.shape.join(', ')}], [${heights.shape.join(', ')}], [${derivatives.shape.join(', ')}]`);
  }
  return k;
}

/** Knot positions [..., K+1] on [-B, B] (the ends exact) and bin sizes [..., K] from unnormalized sizes [..., K]. */
function knots(u: Tensor, minSize: number, bound: number): { edges: Tensor; sizes: Tensor } {
  const k = u.shape[u.rank - 1];
  const frac = add(minSize, mul(1 - minSize * k, softmax(u, -1)));
  const end = [...u.shape.slice(0, -1), 1];
  // Cumulative fractions with the last one exactly 1 (rounding would leave it a few ulps off).
  const cum = concat([zeros(end, { dtype: u.dtype }), slice(cumsum(frac, -1), -1, 0, k - 1), ones(end, { dtype: u.dtype })], -1);
  const edges = mul(sub(mul(cum, 2), 1), bound);
  return { edges, sizes: sub(slice(edges, -1, 1, k + 1), slice(edges, -1, 0, k)) };
}

/**
 * For each value, the bin of [-B, B] it falls in: the number of interior
 * knots at or below it (values outside are clamped first). Returned as index
 * tensors (the shape of v, which ends in 1) for `gather`: the bin and its right knot.
 */
function binIndex(v: Tensor, edges: Tensor): { at: Tensor; next: Tensor } {
  const kp1 = edges.shape[edges.rank - 1];
  const m = v.size;
  const at = new Array<number>(m);
  const e = edges.data;
  for (let i = 0; i < m; i++) {
    let b = 0;
    const x = v.data[i];
    while (b < kp1 - 2 && x >= e[i * kp1 + b + 1]) b++;
    at[i] = b;
  }
  const shape = v.shape;
  return { at: tensor(at).reshape(shape), next: tensor(at.map((b) => b + 1)).reshape(shape) };
}

/**
 * The spline written in tensor ops (softmax, cumsum, gathers, the rational
 * function): what the fused kernels compute, differentiable to any order. The
 * gradient rule of `rationalQuadraticSpline` goes through it when a graph of
 * the gradient is being built (createGraph), and the tests compare the two.
 */
export function rationalQuadraticSplineOps(
  x: Tensor, widths: Tensor, heights: Tensor, derivatives: Tensor,
  options: SplineOptions & { inverse?: boolean } = {},
): { value: Tensor; logDet: Tensor } {
  const where0 = 'rationalQuadraticSpline';
  const k = checkSplineShapes(x, widths, heights, derivatives);
  const c = splineConstants(options, k, where0);
  const b = c.tailBound;
  const w = knots(widths, c.minBinWidth, b);
  const h = knots(heights, c.minBinHeight, b);
  const one = ones([...x.shape, 1], { dtype: derivatives.dtype });
  const d = concat([one, add(softplus(derivatives), c.minDerivative), one], -1);

  const inside = mul(ge(x, -b), le(x, b));
  const xc = reshape(clamp(x, -b, b), [...x.shape, 1]);
  const inverse = options.inverse ?? false;
  const { at, next } = binIndex(xc, inverse ? h.edges : w.edges);
  const pick = (t: Tensor, idx: Tensor) => gather(t, -1, idx);
  const xk = pick(w.edges, at);
  const wk = pick(w.sizes, at);
  const yk = pick(h.edges, at);
  const hk = pick(h.sizes, at);
  const dk = pick(d, at);
  const dk1 = pick(d, next);
  const s = div(hk, wk);
  const curve = sub(add(dk, dk1), mul(s, 2));

  let theta: Tensor;
  let value: Tensor;
  if (!inverse) {
    theta = div(sub(xc, xk), wk);
    const t1 = mul(theta, sub(1, theta));
    const num = mul(hk, add(mul(s, square(theta)), mul(dk, t1)));
    value = add(yk, div(num, add(s, mul(curve, t1))));
  } else {
    // theta solves a theta^2 + b theta + c = 0 in the bin; the root that stays in [0, 1], written to avoid cancellation.
    const dy = sub(xc, yk);
    const qa = add(mul(hk, sub(s, dk)), mul(dy, curve));
    const qb = sub(mul(hk, dk), mul(dy, curve));
    const qc = mul(mul(s, dy), -1);
    const disc = maximum(sub(square(qb), mul(mul(qa, qc), 4)), 0);
    theta = div(mul(qc, 2), sub(mul(qb, -1), sqrt(disc)));
    value = add(xk, mul(theta, wk));
  }
  const t1 = mul(theta, sub(1, theta));
  const denom = add(s, mul(curve, t1));
  const dnum = mul(square(s), add(add(mul(dk1, square(theta)), mul(mul(s, t1), 2)), mul(dk, square(sub(1, theta)))));
  let logDet = sub(log(dnum), mul(log(denom), 2));
  if (inverse) logDet = mul(logDet, -1);
  value = reshape(value, x.shape);
  logDet = reshape(logDet, x.shape);
  return { value: where(inside, value, x), logDet: where(inside, logDet, 0) };
}

/**
 * A monotone rational-quadratic spline applied elementwise, with its log
 * derivative (Durkan et al. 2019, eqs. 4-6 and appendix A for the inverse).
 *
 * - `x` [...]: the inputs (forward) or outputs (inverse);
 * - `widths`, `heights` [..., K]: unnormalized bin sizes (softmax-normalized
 *   over the last axis, scaled to 2B, each at least `minBinWidth` / `minBinHeight` of it);
 * - `derivatives` [..., K-1]: unnormalized interior knot derivatives (through
 *   softplus, at least `minDerivative`); the two end knots have derivative 1,
 *   so the map joins the identity tails smoothly.
 *
 * Returns the mapped values and log |d value / d input| elementwise, both
 * the shape of x; 0 outside [-B, B]. Unnormalized parameters of zero give
 * uniform bins and knot derivatives softplus(0) + minDerivative (the layer
 * adds an offset to make them 1 when it wants the identity).
 *
 * @example
 * const { value: y, logDet } = rationalQuadraticSpline(x, w, h, d, { tailBound: 3 });
 */
export function rationalQuadraticSpline(
  x: Tensor, widths: Tensor, heights: Tensor, derivatives: Tensor,
  options: SplineOptions & { inverse?: boolean } = {},
): { value: Tensor; logDet: Tensor } {
  const k = checkSplineShapes(x, widths, heights, derivatives);
  const c = splineConstants(options, k, 'rationalQuadraticSpline');
  const inverse = options.inverse ?? false;
  const dtype = [x, widths, heights, derivatives].some((t) => t.dtype === 'float64') ? 'float64' : 'float32';
  const [tx, tw, th, td] = [x, widths, heights, derivatives].map((t) => (t.dtype === dtype ? t : cast(t, dtype)));
  const m = x.size;
  const shape: SplineShape = { count: m, bins: k, ...c, inverse };
  // Value and log-derivative side by side in one recorded output [2, M], split by slices.
  const both = output([2, m], dtype);
  kernel('rqSpline')(tx.data, tw.data, th.data, td.data, shape, both.data.subarray(0, m), both.data.subarray(m));
  const out = record(both, 'rqSpline', [tx, tw, th, td], (g, needs) => {
    const parents = [tx, tw, th, td];
    if (isGradEnabled()) {
      // A graph of the gradient is wanted (createGraph): differentiate the op-by-op spline instead.
      const r = rationalQuadraticSplineOps(tx, tw, th, td, { ...c, inverse });
      const wanted = parents.filter((_, i) => needs[i]);
      const gs = grad([r.value, r.logDet], wanted, {
        gradOutputs: [reshape(slice(g, 0, 0, 1), x.shape), reshape(slice(g, 0, 1, 2), x.shape)], createGraph: true, allowUnused: true,
      });
      let j = 0;
      return parents.map((_, i) => (needs[i] ? gs[j++] : null));
    }
    // The kernel writes every entry of the four gradients.
    const [gx, gw, gh, gd] = parents.map((t) => output(t.shape, dtype));
    kernel('rqSplineGrad')(tx.data, tw.data, th.data, td.data, shape, g.data.subarray(0, m), g.data.subarray(m), gx.data, gw.data, gh.data, gd.data);
    return [needs[0] ? gx : null, needs[1] ? gw : null, needs[2] ? gh : null, needs[3] ? gd : null];
  });
  return { value: reshape(slice(out, 0, 0, 1), x.shape), logDet: reshape(slice(out, 0, 1, 2), x.shape) };
}

export interface SplineCouplingOptions extends SplineOptions {
  /** The mask, as for AffineCoupling: vectors `alternate` (default), `half`; images `checkerboard` (default), `channel`; or an explicit 0/1 array. */
  mask?: CouplingMask;
  /** Swap the roles of the two halves (mask -> 1 - mask). Default false. */
  invertMask?: boolean;
  /** Bins K of each spline. Default 8. */
  bins?: number;
  /** Hidden sizes of the conditioner (MLP widths, or conv channels for images). Default [64, 64]. */
  hidden?: readonly number[];
  /** The conditioner's nonlinearity (default relu). */
  activation?: ActivationName;
  rng: Generator;
  dtype?: DType;
}

/**
 * A coupling layer whose transformed coordinates each go through a
 * rational-quadratic spline (`rationalQuadraticSpline`) with parameters from
 * a network of the kept coordinates (mask 1): forward maps base -> data, and
 * log |det J| is the sum of the splines' log derivatives. The network's last
 * layer starts at zero and the derivatives are offset so that the layer
 * starts as the identity.
 *
 * Vectors [N, D]: an MLP giving the parameters of the transformed
 * coordinates only; masks `alternate` (default), `half` or explicit.
 * Images [N, C, H, W]: the conv conditioner of AffineCoupling (3x3, 1x1s,
 * 3x3) giving 3K - 1 parameters per channel and pixel; masks `checkerboard`
 * (default) or `channel` (the spline step of a Glow-style flow, Durkan et
 * al. 2019 §5.2).
 *
 * State dict: `mask` (buffer), `net.*`.
 *
 * Paper: Durkan et al. 2019, https://arxiv.org/abs/1906.04032
 *
 * @example
 * const layer = new SplineCoupling(2, { bins: 8, tailBound: 5, hidden: [128, 128], rng: new Generator(0) });
 * const { value: z, logDet } = layer.inverseAndLogDet(x);   // x [N, 2] -> z [N, 2], logDet [N]
 */
export class SplineCoupling extends Bijector {
  override readonly eventDim: number;
  readonly net: Module;
  readonly bins: number;
  readonly #ev: Event;
  readonly #mask: Tensor;
  /** Vectors: the transformed coordinates (mask 0), in order: the network's outputs are their spline parameters. */
  readonly #free: Int32Array;
  readonly #spline: Required<SplineOptions>;
  /** softplus(offset) + minDerivative = 1: zero network outputs give knot derivatives of 1. */
  readonly #derivOffset: number;

  constructor(eventShape: EventShape, options: SplineCouplingOptions) {
    super();
    const ev = resolveEvent(eventShape, 'SplineCoupling');
    if (!options || !options.rng) throw new Error('SplineCoupling: options.rng (a Generator) is required for the initialization');
    const bins = options.bins ?? 8;
    if (!Number.isInteger(bins) || bins < 2) throw new Error(`SplineCoupling: bins must be an integer >= 2, got ${JSON.stringify(bins)}`);
    const dtype = options.dtype ?? 'float32';
    this.#ev = ev;
    this.eventDim = ev.dim;
    this.bins = bins;
    this.#spline = splineConstants(options, bins, 'SplineCoupling');
    this.#derivOffset = Math.log(Math.expm1(1 - this.#spline.minDerivative));
    this.#mask = buildCouplingMask(ev, options.mask ?? (ev.dim === 1 ? 'alternate' : 'checkerboard'), options.invertMask ?? false, dtype, 'SplineCoupling');
    this.registerBuffer('mask', this.#mask);
    this.#free = ev.dim === 1 ? Int32Array.from(Array.from(this.#mask.data).flatMap((m, i) => (m === 0 ? [i] : []))) : new Int32Array(0);
    const outputs = (ev.dim === 1 ? this.#free.length : ev.features) * (3 * bins - 1);
    this.net = couplingConditioner(ev, options.hidden ?? [64, 64], outputs, options.activation ?? 'relu', options.rng, dtype, 'SplineCoupling');
  }

  /** The mask over the event, 1 where coordinates are kept. */
  get mask(): Tensor {
    return this.#mask;
  }

  #apply(v: Tensor, inverse: boolean): FlowResult {
    checkInput(v, this.#ev, inverse ? 'SplineCoupling.inverse' : 'SplineCoupling.forward');
    const n = v.shape[0];
    const k = this.bins;
    const h = this.net.forward(mul(v, this.#mask));
    const spline = (x: Tensor, p: Tensor) => rationalQuadraticSpline(
      x, slice(p, -1, 0, k), slice(p, -1, k, 2 * k), add(slice(p, -1, 2 * k, 3 * k - 1), this.#derivOffset), { ...this.#spline, inverse },
    );
    if (this.#ev.dim === 1) {
      // Splines only for the transformed coordinates; the kept ones pass through (mask * v).
      const free = this.#free;
      const { value, logDet } = spline(indexSelect(v, 1, free), reshape(h, [n, free.length, 3 * k - 1]));
      return { value: indexAdd(mul(v, this.#mask), 1, free, value), logDet: sum(logDet, 1) };
    }
    // Images: [N, C (3K - 1), H, W] -> [N, C, H, W, 3K - 1], a spline for every value, the kept ones masked back.
    const [c, hh, ww] = this.#ev.shape;
    const p = permute(reshape(h, [n, c, 3 * k - 1, hh, ww]), [0, 1, 3, 4, 2]);
    const { value, logDet } = spline(v, p);
    const free = sub(1, this.#mask);
    return { value: add(mul(v, this.#mask), mul(value, free)), logDet: sum(mul(logDet, free), [1, 2, 3]) };
  }

  forwardAndLogDet(x: Tensor): FlowResult {
    return this.#apply(x, false);
  }

  inverseAndLogDet(y: Tensor): FlowResult {
    return this.#apply(y, true);
  }
}
