// A normalizing-flow density model: a standard Normal base and a stack of
// bijectors, log p(x) = log N(f^-1(x); 0, I) + log |det df^-1/dx|
// (Papamakarios et al. 2021, "Normalizing Flows for Probabilistic Modeling
// and Inference", eq. 2), trained by maximum likelihood.
import { Tensor, type DType } from '../../tensor/tensor.js';
import { add, mul, square, sub, sum } from '../../ops/index.js';
import { noGrad } from '../../autograd/index.js';
import { Module } from '../../nn/index.js';
import { Generator, randn } from '../../random/index.js';
import { FlowSequence, type Bijector } from '../../flows/bijector.js';
import { ActNorm, AffineCoupling, BatchNormFlow, Invertible1x1, LogitTransform, MultiScaleFlow, SplineCoupling } from '../../flows/layers/index.js';
import { MaskedAutoregressiveFlow } from '../../flows/autoregressive/index.js';

/** The layer stacks the builders know. */
export const FLOW_KINDS = ['realnvp', 'glow', 'maf', 'spline'] as const;
export type FlowKind = (typeof FLOW_KINDS)[number];

/** Everything needed to rebuild a flow model (saved as config.json's `model`). */
export interface FlowConfig {
  /** One example: [D] for vectors, [C, H, W] for images (conv couplings). */
  eventShape: number[];
  /**
   * `realnvp`: affine couplings with alternating masks, a batch-norm flow
   * between them (Dinh et al. 2017); `glow`: steps of ActNorm, invertible
   * 1x1 (LU) mixing and an affine coupling (Kingma & Dhariwal 2018);
   * `maf`: MADE-based autoregressive layers with alternating orders and a
   * batch-norm flow between them (Papamakarios et al. 2017), vectors only;
   * `spline`: rational-quadratic spline couplings (Durkan et al. 2019):
   * alternating masks on vectors; on images Glow's steps (ActNorm, 1x1
   * mixing) with a spline coupling in place of the affine one.
   *
   * On long flat vectors (784 pixels) Glow's D x D mixing wants a smaller
   * learning rate: with Adam at 1e-3 every one of its D^2 LU entries moves by
   * about 1e-3 per step and training diverged within 10 steps on the digits;
   * 1e-4 trained. Its conv form mixes only C channels.
   */
  flow: FlowKind;
  /** Coupling layers (RealNVP) or steps (Glow); with `levels`, per level. */
  layers: number;
  /**
   * Image flows (realnvp, glow on [C, H, W]): the multi-scale architecture
   * (RealNVP §3.6, Glow §3) with this many levels, each a squeeze, `layers`
   * steps and half the channels factored out (`MultiScaleFlow`); H and W
   * must be divisible by 2^levels. Absent: every layer at full resolution.
   */
  levels?: number;
  /** Hidden sizes of each coupling's conditioner (MLP widths, or conv channels for images). */
  hidden: number[];
  /** The conditioners' nonlinearity. */
  activation: 'relu' | 'tanh';
  /** RealNVP and MAF: a batch-norm flow between layers (default true). */
  batchNorm?: boolean;
  /** Spline flows: bins of each spline (default 8). */
  bins?: number;
  /** Spline flows: the splines cover [-tailBound, tailBound], the identity outside (default 5). */
  tailBound?: number;
  /** Model logit(lambda + (1 - 2 lambda) x) of data in [0, 1] (RealNVP/MAF preprocessing); null or absent: none. */
  logitLambda?: number | null;
}

/** Checks a config (from a file or the command line), with errors naming `where`. */
export function validateFlowConfig(c: FlowConfig, where = 'flow config'): FlowConfig {
  if (typeof c !== 'object' || c === null) throw new Error(`${where}: expected an object`);
  const es = c.eventShape;
  if (!Array.isArray(es) || (es.length !== 1 && es.length !== 3) || es.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new Error(`${where}: eventShape must be [D] or [C, H, W] of positive integers, got ${JSON.stringify(es)}`);
  }
  if (es.length === 1 && es[0] < 2) throw new Error(`${where}: a coupling flow needs at least 2 dimensions, got eventShape [${es[0]}]`);
  if (c.flow === 'maf' && es.length !== 1) throw new Error(`${where}: a maf flow works on vectors; use eventShape [D] (flattened images), got ${JSON.stringify(es)}`);
  if (!(FLOW_KINDS as readonly string[]).includes(c.flow)) throw new Error(`${where}: flow must be one of ${FLOW_KINDS.join(', ')}, got ${JSON.stringify(c.flow)}`);
  if (!Number.isInteger(c.layers) || c.layers < 1) throw new Error(`${where}: layers must be a positive integer, got ${JSON.stringify(c.layers)}`);
  if (!Array.isArray(c.hidden) || c.hidden.length === 0 || c.hidden.some((h) => !Number.isInteger(h) || h < 1)) {
    throw new Error(`${where}: hidden must be a non-empty list of positive integers, got ${JSON.stringify(c.hidden)}`);
  }
  if (c.activation !== 'relu' && c.activation !== 'tanh') throw new Error(`${where}: activation must be relu or tanh, got ${JSON.stringify(c.activation)}`);
  if (c.batchNorm !== undefined && typeof c.batchNorm !== 'boolean') throw new Error(`${where}: batchNorm must be true or false`);
  if (c.levels !== undefined) {
    if (!Number.isInteger(c.levels) || c.levels < 1) throw new Error(`${where}: levels must be a positive integer, got ${JSON.stringify(c.levels)}`);
    if (es.length !== 3 || c.flow === 'maf') {
      throw new Error(`${where}: levels (the multi-scale architecture) applies to realnvp, glow and spline flows on images, eventShape [C, H, W]; got a ${c.flow} flow on ${JSON.stringify(es)}`);
    }
    const k = 2 ** c.levels;
    if (es[1] % k !== 0 || es[2] % k !== 0) {
      throw new Error(`${where}: ${c.levels} level(s) halve the image ${c.levels} time(s), so its height and width must be divisible by 2^${c.levels} = ${k}; got eventShape ${JSON.stringify(es)}`);
    }
  }
  if (c.bins !== undefined && !(Number.isInteger(c.bins) && c.bins >= 2)) throw new Error(`${where}: bins must be an integer >= 2, got ${JSON.stringify(c.bins)}`);
  if (c.tailBound !== undefined && !(typeof c.tailBound === 'number' && Number.isFinite(c.tailBound) && c.tailBound > 0)) {
    throw new Error(`${where}: tailBound must be a positive number, got ${JSON.stringify(c.tailBound)}`);
  }
  const lam = c.logitLambda;
  if (lam !== undefined && lam !== null && !(typeof lam === 'number' && lam >= 0 && lam < 0.5)) {
    throw new Error(`${where}: logitLambda must be null or a number in [0, 0.5), got ${JSON.stringify(lam)}`);
  }
  return {
    eventShape: [...es], flow: c.flow, layers: c.layers, hidden: [...c.hidden], activation: c.activation,
    ...(c.batchNorm !== undefined ? { batchNorm: c.batchNorm } : {}), ...(c.levels !== undefined ? { levels: c.levels } : {}),
    ...(c.bins !== undefined ? { bins: c.bins } : {}), ...(c.tailBound !== undefined ? { tailBound: c.tailBound } : {}), ...(lam !== undefined ? { logitLambda: lam } : {}),
  };
}

/** The layers from the data side to the base side, as the papers list them. */
function dataToBaseLayers(c: FlowConfig, rng: Generator, dtype: DType): Bijector[] {
  const ev = c.eventShape;
  const image = ev.length === 3;
  const out: Bijector[] = [];
  if (c.logitLambda !== undefined && c.logitLambda !== null) out.push(new LogitTransform(ev, { lambda: c.logitLambda }));
  const opts = { hidden: c.hidden, activation: c.activation, rng, dtype };
  if (c.levels !== undefined) {
    out.push(new MultiScaleFlow(ev, {
      ...opts, levels: c.levels, steps: c.layers, flow: c.flow as 'glow' | 'realnvp' | 'spline', batchNorm: c.batchNorm, bins: c.bins, tailBound: c.tailBound,
    }));
    return out;
  }
  for (let i = 0; i < c.layers; i++) {
    const flip = i % 2 === 1;
    if (c.flow === 'spline' && !image) {
      out.push(new SplineCoupling(ev, { ...opts, mask: 'alternate', invertMask: flip, bins: c.bins ?? 8, tailBound: c.tailBound ?? 5 }));
    } else if (c.flow === 'realnvp' || c.flow === 'maf') {
      out.push(c.flow === 'realnvp'
        ? new AffineCoupling(ev, { ...opts, mask: image ? 'checkerboard' : 'alternate', invertMask: flip })
        : new MaskedAutoregressiveFlow(ev[0], { hidden: c.hidden, activation: c.activation, order: flip ? 'reversed' : 'natural', zeroInit: true, rng, dtype }));
      if ((c.batchNorm ?? true) && i + 1 < c.layers) out.push(new BatchNormFlow(ev, { dtype }));
    } else {
      // Glow steps; spline flows on images take the same steps with a spline coupling (Durkan et al. 2019 §5.2).
      out.push(new ActNorm(ev, { dtype }), new Invertible1x1(ev, { rng, dtype }));
      const mask = image ? (ev[0] >= 2 ? 'channel' : 'checkerboard') : 'half';
      out.push(c.flow === 'spline'
        ? new SplineCoupling(ev, { ...opts, mask, invertMask: flip, bins: c.bins ?? 8, tailBound: c.tailBound ?? 5 })
        : new AffineCoupling(ev, { ...opts, mask, invertMask: flip }));
    }
  }
  return out;
}

/**
 * A flow density model: z ~ N(0, I) on the event shape, x = f(z) with f a
 * `FlowSequence` built from a `FlowConfig`.
 *
 * - `logProb(x)`: log p(x) per example, [N], nats;
 * - `sample(n, rng)`: n draws, [n, ...eventShape];
 * - `forward(x)` is `logProb(x)`.
 *
 * Training maximizes the mean of `logProb` over data (the negative is the
 * loss); call `eval()` before evaluating or sampling (batch-norm layers then
 * use their running averages).
 *
 * Papers: Dinh et al. 2017 (RealNVP), https://arxiv.org/abs/1605.08803;
 * Kingma & Dhariwal 2018 (Glow), https://arxiv.org/abs/1807.03039;
 * Papamakarios et al. 2017 (MAF), https://arxiv.org/abs/1705.07057.
 *
 * @example
 * const model = new FlowModel({ eventShape: [2], flow: 'realnvp', layers: 8, hidden: [64, 64], activation: 'relu' }, new Generator(0));
 * const loss = neg(mean(model.logProb(x)));   // x [N, 2]
 * model.eval();
 * model.sample(1000, new Generator(1));       // [1000, 2]
 */
export class FlowModel extends Module {
  readonly config: FlowConfig;
  readonly flow: FlowSequence;
  readonly dtype: DType;

  constructor(config: FlowConfig, rng: Generator, options: { dtype?: DType } = {}) {
    super();
    this.config = validateFlowConfig(config);
    this.dtype = options.dtype ?? 'float32';
    // Built data -> base; forward (sampling) runs base -> data, so the sequence is reversed.
    this.flow = new FlowSequence(dataToBaseLayers(this.config, rng, this.dtype).reverse());
  }

  /** Dimensions of one example. */
  get dim(): number {
    return this.config.eventShape.reduce((a, b) => a * b, 1);
  }

  #checkData(x: Tensor, where: string): void {
    const es = this.config.eventShape;
    if (!(x instanceof Tensor) || x.rank !== es.length + 1 || es.some((v, i) => x.shape[i + 1] !== v)) {
      throw new Error(`${where}: expected data [N, ${es.join(', ')}], got ${x instanceof Tensor ? `[${x.shape.join(', ')}]` : typeof x}`);
    }
  }

  /** log p(x) for each example of x [N, ...eventShape], nats, shape [N]. */
  logProb(x: Tensor): Tensor {
    this.#checkData(x, 'FlowModel.logProb');
    const { value: z, logDet } = this.flow.inverseAndLogDet(x);
    const axes = this.config.eventShape.map((_, i) => i + 1);
    const logBase = sub(mul(sum(square(z), axes), -0.5), (this.dim / 2) * Math.log(2 * Math.PI));
    return add(logBase, logDet);
  }

  forward(x: Tensor): Tensor {
    return this.logProb(x);
  }

  /** n draws x = f(z), z ~ N(0, I), without gradients: [n, ...eventShape]. */
  sample(n: number, rng: Generator): Tensor {
    if (!Number.isInteger(n) || n < 1) throw new Error(`FlowModel.sample: n must be a positive integer, got ${n}`);
    return noGrad(() => this.flow.forward(randn([n, ...this.config.eventShape], rng, { dtype: this.dtype })));
  }
}

/**
 * The mean test log-likelihood (nats per example) of x [N, ...eventShape]
 * and its standard error, in eval mode and in batches, without gradients.
 * The model's mode is restored afterwards.
 *
 * @example
 * const { mean, stderr } = meanLogProb(model, testX);
 */
export function meanLogProb(model: FlowModel, x: Tensor, options: { batchSize?: number } = {}): { mean: number; stderr: number; values: Float64Array } {
  const bs = options.batchSize ?? 1000;
  const n = x.shape[0];
  const was = model.training;
  model.eval();
  const values = new Float64Array(n);
  try {
    noGrad(() => {
      for (let s = 0; s < n; s += bs) {
        const lp = model.logProb(sliceRows(x, s, Math.min(n, s + bs)));
        values.set(lp.data, s);
      }
    });
  } finally {
    model.train(was);
  }
  let m = 0;
  for (const v of values) m += v / n;
  let v2 = 0;
  for (const v of values) v2 += (v - m) ** 2;
  return { mean: m, stderr: n > 1 ? Math.sqrt(v2 / (n - 1) / n) : NaN, values };
}

function sliceRows(x: Tensor, start: number, end: number): Tensor {
  const per = x.size / x.shape[0];
  return new Tensor(x.data.slice(start * per, end * per), [end - start, ...x.shape.slice(1)]);
}
