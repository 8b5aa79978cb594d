// A continuous normalizing flow density model, FFJORD-style (Grathwohl,
// Chen, Bettencourt, Sutskever & Duvenaud 2019, "FFJORD: Free-form
// Continuous Dynamics for Scalable Reversible Generative Models"; Chen et al.
// 2018, Neural ODEs, section 4): data x = z(0) flows along dz/dt = f(z, t)
// to z(T), and
//   log p(x) = log N(z(T); 0, I) + integral_0^T tr(df/dz(t)) dt,
// the integral carried as a second state component of the same solve.
import { Tensor, type DType } from '../../tensor/tensor.js';
import { eye, zeros } from '../../tensor/create.js';
import { add, linear, mul, reshape, sigmoid, softplus, square, sub, sum } from '../../ops/index.js';
import { noGrad } from '../../autograd/index.js';
import { Module } from '../../nn/index.js';
import { kaimingUniform, uniform_ } from '../../nn/init.js';
import { randn, type Generator } from '../../random/index.js';
import {
  odeint, odeintAdjoint, dynamicsWithDivergence, traceNoise, ODE_METHODS, TRACE_METHODS, HUTCHINSON_NOISES,
  type OdeFunc, type OdeMethod, type OdeSolution, type OdeStats, type TraceMethod, type HutchinsonNoise,
} from '../../flows/continuous/index.js';

export type CnfActivation = 'tanh' | 'softplus';

/** Everything needed to rebuild a CNF (stored in a model directory's config.json). */
export interface CnfConfig {
  /** Data dimensions D. */
  dim: number;
  /** Hidden widths of the dynamics network f(z, t). */
  hidden: number[];
  /** Its nonlinearity (smooth, so that f and its divergence are). */
  activation: CnfActivation;
  /** The integration time T. */
  t1: number;
  solver: OdeMethod;
  rtol: number;
  atol: number;
  /** Step of the fixed-step solvers. */
  stepSize: number;
  /** 'exact' (D vector-Jacobian products; the default for small D) or 'hutchinson'. */
  trace: TraceMethod;
  /** Hutchinson's noise, drawn once per solve. */
  noise: HutchinsonNoise;
  /** Gradients by the adjoint method instead of backpropagation through the solver. */
  adjoint: boolean;
  /**
   * How the divergence is differentiated: 'jvp' (default), forward mode
   * through the network (`CnfDynamics.forwardWithTrace`); 'vjp', reverse
   * mode with nested gradients (`dynamicsWithDivergence`), for any dynamics.
   */
  traceBy?: 'jvp' | 'vjp';
}

/** FFJORD's 2-D toy setting (3 x 64 tanh units, T = 0.5, dopri5 at 1e-5), with the exact trace. */
export const defaultCnfConfig: CnfConfig = {
  dim: 2, hidden: [64, 64, 64], activation: 'tanh', t1: 0.5, solver: 'dopri5', rtol: 1e-5, atol: 1e-5, stepSize: 0.05,
  trace: 'exact', noise: 'rademacher', adjoint: false,
};

/**
 * Checks a CNF configuration, naming the first bad field; returns it.
 *
 * @example
 * validateCnfConfig({ ...defaultCnfConfig, rtol: 0 });   // throws: CNF config: rtol must be a positive finite number, got 0
 */
export function validateCnfConfig(c: CnfConfig): CnfConfig {
  const fail = (msg: string): never => {
    throw new Error(`CNF config: ${msg}`);
  };
  if (!Number.isInteger(c.dim) || c.dim < 1) fail(`dim must be a positive integer, got ${c.dim}`);
  if (!Array.isArray(c.hidden) || c.hidden.length === 0 || c.hidden.some((h) => !Number.isInteger(h) || h < 1)) fail(`hidden must be a non-empty list of positive integers, got ${JSON.stringify(c.hidden)}`);
  if (c.activation !== 'tanh' && c.activation !== 'softplus') fail(`activation must be tanh or softplus, got ${JSON.stringify(c.activation)}`);
  for (const k of ['t1', 'rtol', 'atol', 'stepSize'] as const) if (!(c[k] > 0) || !Number.isFinite(c[k])) fail(`${k} must be a positive finite number, got ${c[k]}`);
  if (!ODE_METHODS.includes(c.solver)) fail(`solver must be one of ${ODE_METHODS.join(', ')}, got ${JSON.stringify(c.solver)}`);
  if (!TRACE_METHODS.includes(c.trace)) fail(`trace must be one of ${TRACE_METHODS.join(', ')}, got ${JSON.stringify(c.trace)}`);
  if (!HUTCHINSON_NOISES.includes(c.noise)) fail(`noise must be one of ${HUTCHINSON_NOISES.join(', ')}, got ${JSON.stringify(c.noise)}`);
  if (c.traceBy !== undefined && c.traceBy !== 'jvp' && c.traceBy !== 'vjp') fail(`traceBy must be jvp or vjp, got ${JSON.stringify(c.traceBy)}`);
  if (typeof c.adjoint !== 'boolean') fail(`adjoint must be true or false, got ${JSON.stringify(c.adjoint)}`);
  return c;
}

/**
 * A linear layer that also sees the time: h W^T + b + t w_t, i.e. a Linear
 * on the concatenation [h, t] (FFJORD's "concat" layer), with t folded into
 * the bias so that the fused GEMM + bias + activation kernel does the rest.
 * Initialized like PyTorch's Linear with fan-in in + 1.
 *
 * Shapes: x [batch, in] at a time t -> [batch, out]; weight [out, in], bias and timeWeight [out].
 *
 * @example
 * const layer = new TimeLinear(2, 64, new Generator(0));
 * layer.forward(0.5, x, 'tanh');   // tanh(x W^T + b + 0.5 w_t): [batch, 64]
 */
export class TimeLinear extends Module<[number, Tensor], Tensor> {
  weight: Tensor;
  bias: Tensor;
  timeWeight: Tensor;

  constructor(readonly inFeatures: number, readonly outFeatures: number, rng: Generator, dtype: DType = 'float32') {
    super();
    this.weight = zeros([outFeatures, inFeatures], { requiresGrad: true, dtype });
    this.bias = zeros([outFeatures], { requiresGrad: true, dtype });
    this.timeWeight = zeros([outFeatures], { requiresGrad: true, dtype });
    // PyTorch's Linear initialization for fan-in in + 1 (the time is one more input).
    const bound = 1 / Math.sqrt(inFeatures + 1);
    kaimingUniform(this.weight, { a: Math.sqrt(5) }, rng);
    uniform_(this.bias, -bound, bound, rng);
    uniform_(this.timeWeight, -bound, bound, rng);
  }

  /** x [batch, in] at time t -> [batch, out]; `act` fused when it is tanh. */
  forward(t: number, x: Tensor, act: 'identity' | 'tanh' = 'identity'): Tensor {
    return linear(x, this.weight, add(this.bias, mul(this.timeWeight, t)), act);
  }
}

/**
 * The dynamics f(z, t) of a CNF: an MLP of `TimeLinear` layers (time an
 * input of every layer), tanh or softplus between them, linear output.
 *
 * Shapes: z [batch, D] at a time t -> [batch, D].
 *
 * @example
 * const f = new CnfDynamics(2, [64, 64], 'tanh', new Generator(0));
 * f.forward(0.25, z);   // [batch, 2]
 */
export class CnfDynamics extends Module<[number, Tensor], Tensor> {
  layers: TimeLinear[];

  constructor(dim: number, hidden: readonly number[], readonly activation: CnfActivation, rng: Generator, dtype: DType = 'float32') {
    super();
    const sizes = [dim, ...hidden, dim];
    this.layers = sizes.slice(0, -1).map((n, i) => new TimeLinear(n, sizes[i + 1], rng, dtype));
  }

  /**
   * f(z, t) and its divergence in one pass, by forward-mode differentiation
   * through the layers: Jacobian-vector products J v carried next to the
   * activations (tangent of a layer: v W^T, times the activation's slope).
   * 'exact' carries the D unit vectors at once ([D, batch, width] tangents)
   * and sums the diagonal entries (J e_i)_i; 'hutchinson' carries eps and
   * returns eps^T J eps. The same numbers as the vector-Jacobian products of
   * `exactTrace` / `hutchinsonTrace`, with plain ops instead of a nested
   * gradient, so backpropagation through it is first order (about 2-3x
   * cheaper here).
   *
   * Shapes: z [batch, D] (eps [batch, D]) -> { dz [batch, D], div [batch] }.
   */
  forwardWithTrace(t: number, z: Tensor, trace: TraceMethod, noise?: Tensor): { dz: Tensor; div: Tensor } {
    const d = z.shape[1];
    let h = z;
    let v: Tensor;
    if (trace === 'exact') {
      // Unit tangents e_i for i < D, as [D, 1, D]: broadcast over the batch at the first layer.
      v = reshape(eye(d, { dtype: z.dtype }), [d, 1, d]);
    } else {
      if (!noise) throw new Error("CnfDynamics.forwardWithTrace: trace 'hutchinson' needs the noise eps [batch, D]");
      v = noise;
    }
    this.layers.forEach((layer, i) => {
      const last = i === this.layers.length - 1;
      v = linear(v, layer.weight);
      if (last) {
        h = layer.forward(t, h);
      } else if (this.activation === 'tanh') {
        h = layer.forward(t, h, 'tanh');
        v = mul(v, sub(1, square(h)));
      } else {
        const a = layer.forward(t, h);
        h = softplus(a);
        v = mul(v, sigmoid(a));
      }
    });
    // exact: v [D, batch, D] holds J e_i in slice i; its diagonal entries summed. hutchinson: eps^T (J eps).
    const div = trace === 'exact' ? sum(mul(v, reshape(eye(d, { dtype: z.dtype }), [d, 1, d])), [0, 2]) : sum(mul(v, noise!), 1);
    return { dz: h, div };
  }

  forward(t: number, z: Tensor): Tensor {
    let h = z;
    this.layers.forEach((layer, i) => {
      const last = i === this.layers.length - 1;
      if (last) h = layer.forward(t, h);
      else if (this.activation === 'tanh') h = layer.forward(t, h, 'tanh');
      else h = softplus(layer.forward(t, h));
    });
    return h;
  }
}

/** What one density evaluation did. */
export interface CnfLogProb {
  /** log p(x) per row, nats: [batch]. */
  logp: Tensor;
  /** z(T), the points in the base space: [batch, D]. */
  z: Tensor;
  /** The forward solve's work. */
  stats: OdeStats;
  /** With the adjoint: the backward solve's work, filled in once a gradient is taken. */
  backwardStats?: OdeStats;
}

/**
 * A continuous normalizing flow with a standard normal base: the density
 * by one ODE solve of [z, integral of tr(df/dz)] from 0 to T, gradients by
 * backpropagation through the solver or by the adjoint method, samples by
 * solving dz/dt = f backwards from T to 0.
 *
 * Paper: Grathwohl et al. 2019, FFJORD (https://arxiv.org/abs/1810.01367);
 * Chen et al. 2018, Neural Ordinary Differential Equations
 * (https://arxiv.org/abs/1806.07366).
 *
 * Shapes: x [batch, D] -> log p(x) [batch].
 *
 * @example
 * const cnf = new CNF({ ...defaultCnfConfig, hidden: [32, 32] }, new Generator(0));
 * const nll = neg(mean(cnf.logProb(x)));     // x: [batch, 2]
 * nll.backward();                            // through the solver (or the adjoint, config.adjoint)
 * const xs = cnf.sample(500, rng);            // [500, 2]
 */
export class CNF extends Module<[Tensor], Tensor> {
  readonly config: CnfConfig;
  dynamics: CnfDynamics;

  /** `dtype` of the parameters: float32 (default) or float64 (for checks). */
  constructor(config: CnfConfig, rng: Generator, options: { dtype?: DType } = {}) {
    super();
    this.config = validateCnfConfig({ ...config, hidden: [...config.hidden] });
    this.dynamics = new CnfDynamics(config.dim, config.hidden, config.activation, rng, options.dtype);
  }

  #solverOptions() {
    const c = this.config;
    return { method: c.solver, rtol: c.rtol, atol: c.atol, stepSize: c.stepSize };
  }

  /**
   * log p(x) with the solve's statistics. Hutchinson's trace draws its noise
   * from `rng` once for the whole solve (required then).
   */
  logProbWithStats(x: Tensor, options: { rng?: Generator } = {}): CnfLogProb {
    const c = this.config;
    if (!(x instanceof Tensor) || x.rank !== 2 || x.shape[1] !== c.dim) {
      throw new Error(`CNF.logProb: x must have shape [batch, ${c.dim}], got ${x instanceof Tensor ? `[${x.shape.join(', ')}]` : typeof x}`);
    }
    const b = x.shape[0];
    const dtype = this.dynamics.layers[0].weight.dtype;
    const xt = x.dtype === dtype ? x : x.cast(dtype);
    let noise: Tensor | undefined;
    if (c.trace === 'hutchinson') {
      if (!options.rng) throw new Error("CNF.logProb: trace 'hutchinson' needs options.rng for its noise");
      noise = traceNoise([b, c.dim], c.noise, options.rng, { dtype });
    }
    const params = this.parameters();
    const f: OdeFunc = (t, [z]) => {
      const { dz, div } = c.traceBy === 'vjp'
        ? dynamicsWithDivergence((zz) => this.dynamics.forward(t, zz), z, params, { trace: c.trace, noise })
        : this.dynamics.forwardWithTrace(t, z, c.trace, noise);
      return [dz, div];
    };
    const y0 = [xt, zeros([b], { dtype })];
    const sol: OdeSolution & { backwardStats?: OdeStats } = c.adjoint ? odeintAdjoint(f, y0, [0, c.t1], params, this.#solverOptions()) : odeint(f, y0, [0, c.t1], this.#solverOptions());
    const [z1, divIntegral] = sol.ys[1];
    const logBase = sub(mul(sum(square(z1), 1), -0.5), (c.dim / 2) * Math.log(2 * Math.PI));
    return { logp: add(logBase, divIntegral), z: z1, stats: sol.stats, backwardStats: sol.backwardStats };
  }

  /** log p(x) per row in nats: [batch, D] -> [batch]. */
  logProb(x: Tensor, options: { rng?: Generator } = {}): Tensor {
    return this.logProbWithStats(x, options).logp;
  }

  forward(x: Tensor): Tensor {
    return this.logProb(x);
  }

  /** Base points z(T) [n, D] carried back to t = 0 along dz/dt = f: the data-space points [n, D] (no recording). */
  fromBase(z: Tensor): Tensor {
    if (!(z instanceof Tensor) || z.rank !== 2 || z.shape[1] !== this.config.dim) throw new Error(`CNF.fromBase: z must have shape [n, ${this.config.dim}]`);
    return noGrad(() => odeint((t, [y]) => [this.dynamics.forward(t, y)], [z], [this.config.t1, 0], this.#solverOptions()).ys[1][0]);
  }

  /** n draws: z(T) ~ N(0, I) carried back to t = 0 along dz/dt = f. [n, D]. */
  sample(n: number, rng: Generator): Tensor {
    if (!Number.isInteger(n) || n < 1) throw new Error(`CNF.sample: n must be a positive integer, got ${n}`);
    return this.fromBase(randn([n, this.config.dim], rng, { dtype: this.dynamics.layers[0].weight.dtype }));
  }
}
