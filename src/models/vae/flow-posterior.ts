// Flow posteriors for the VAE: q(z | x) = a diagonal Gaussian from the
// encoder pushed through K flow layers conditioned on x — amortized planar
// layers whose parameters the encoder outputs (Rezende & Mohamed 2015, §4.2)
// or IAF layers reading a context h from the encoder (Kingma et al. 2016, §4).
import { Tensor, type DType } from '../../tensor/tensor.js';
import { add, slice, sub } from '../../ops/index.js';
import { noGrad } from '../../autograd/mode.js';
import type { Generator } from '../../random/generator.js';
import { Module } from '../../nn/module.js';
import { Linear } from '../../nn/linear.js';
import { Distribution } from '../../distributions/distribution.js';
import { constraints, type Constraint } from '../../distributions/constraints.js';
import type { FlowResult } from '../../flows/bijector.js';
import { planarMap } from '../../flows/autoregressive/planar.js';
import { InverseAutoregressiveFlow } from '../../flows/autoregressive/maf.js';

/**
 * The flow of a VAE's posterior, as `VaeConfig.posterior` stores it.
 * - `flow` 'planar': K planar layers, their u, w, b computed from the encoder's features;
 * - `flow` 'iaf': K IAF layers (sigmoid-gated update) whose MADEs read the encoder's features as the context h,
 *   the autoregressive order reversed between layers; `hidden` is the MADE width (default 4 x latent).
 */
export interface PosteriorFlowConfig {
  flow: 'planar' | 'iaf';
  layers: number;
  hidden?: number;
}

/** The initial bias of IAF's gate s: sigmoid(2) = 0.88, "sufficiently positive, such as close to +1 or +2" (Kingma et al. 2016, §4). */
export const IAF_GATE_BIAS = 2;

/** Checks `VaeConfig.posterior`, naming the field at fault. */
export function validatePosteriorFlow(p: unknown, where = 'VAE'): PosteriorFlowConfig {
  if (typeof p !== 'object' || p === null || Array.isArray(p)) {
    throw new Error(`${where}: posterior must be { flow: 'planar' | 'iaf', layers: K }, got ${JSON.stringify(p)}`);
  }
  const c = p as Record<string, unknown>;
  if (c.flow !== 'planar' && c.flow !== 'iaf') throw new Error(`${where}: posterior.flow must be 'planar' or 'iaf', got ${JSON.stringify(c.flow)}`);
  if (!Number.isInteger(c.layers) || (c.layers as number) < 1) throw new Error(`${where}: posterior.layers must be a positive integer, got ${JSON.stringify(c.layers)}`);
  if (c.hidden !== undefined && (!Number.isInteger(c.hidden) || (c.hidden as number) < 1)) {
    throw new Error(`${where}: posterior.hidden must be a positive integer, got ${JSON.stringify(c.hidden)}`);
  }
  if (c.hidden !== undefined && c.flow !== 'iaf') throw new Error(`${where}: posterior.hidden is the IAF layers' MADE width; it does not apply to flow '${c.flow}'`);
  for (const k of Object.keys(c)) {
    if (!['flow', 'layers', 'hidden'].includes(k)) throw new Error(`${where}: posterior has an unknown field '${k}'; expected flow, layers, hidden`);
  }
  return c as unknown as PosteriorFlowConfig;
}

/** A flow conditioned on the encoder's features h [B, F]: z_0 [..., B, D] -> z_K and sum log |det|, [..., B]. */
export abstract class PosteriorFlow extends Module<[Tensor, Tensor], Tensor> {
  abstract readonly hasInverse: boolean;
  abstract transform(z0: Tensor, h: Tensor): FlowResult;
  /** z_0 and log |det dz_0/dz_K| from z_K (IAF: D passes per layer). */
  abstract inverse(zK: Tensor, h: Tensor): FlowResult;
  forward(z0: Tensor, h: Tensor): Tensor {
    return this.transform(z0, h).value;
  }
}

/**
 * K planar layers whose parameters are a linear function of the encoder's
 * features, one set per example: [u_k, w_k, b_k] = W_k h + c_k (Rezende &
 * Mohamed 2015, §4.2: "the parameters of the flow are output by the
 * inference network"). The rows giving u start at zero, so an untrained
 * flow is the identity and q(z | x) starts as the Gaussian posterior.
 *
 * Shapes: h [B, F]; z [..., B, D]; head outputs [B, K (2D + 1)].
 */
export class AmortizedPlanarFlow extends PosteriorFlow {
  readonly hasInverse = false;
  readonly latent: number;
  readonly layers: number;
  head: Linear;

  constructor(features: number, latent: number, layers: number, rng: Generator, dtype: DType = 'float32') {
    super();
    this.latent = latent;
    this.layers = layers;
    this.head = new Linear(features, layers * (2 * latent + 1), { rng, dtype });
    const per = 2 * latent + 1;
    for (let k = 0; k < layers; k++) {
      for (let i = 0; i < latent; i++) {
        const row = k * per + i;
        this.head.weight.data.fill(0, row * features, (row + 1) * features);
        this.head.bias!.data[row] = 0;
      }
    }
  }

  transform(z0: Tensor, h: Tensor): FlowResult {
    const d = this.latent;
    const per = 2 * d + 1;
    const params = this.head.forward(h);
    let z = z0;
    let logDet: Tensor | null = null;
    for (let k = 0; k < this.layers; k++) {
      const o = k * per;
      const r = planarMap(z, slice(params, 1, o, o + d), slice(params, 1, o + d, o + 2 * d), slice(params, 1, o + 2 * d, o + per));
      z = r.value;
      logDet = logDet ? add(logDet, r.logDet) : r.logDet;
    }
    return { value: z, logDet: logDet! };
  }

  inverse(_zK: Tensor, _h: Tensor): FlowResult {
    throw new Error('AmortizedPlanarFlow: planar layers have no closed-form inverse, so log q(z | x) is known only for z drawn from q itself (rsample, then logProb of that draw)');
  }
}

/**
 * K IAF layers with the encoder's features as the context h (Kingma et al.
 * 2016, §4 and Algorithm 1): z_k = m_k + sigma_k (z_{k-1} - m_k),
 * sigma_k = sigmoid(s_k), [m_k, s_k] = MADE_k(z_{k-1}, h), the order
 * reversed after each layer. The MADEs' output layers start at zero with
 * the gate's bias at +2, so each untrained layer only scales z by sigmoid(2).
 *
 * Shapes: h [B, F]; z [..., B, D].
 */
export class ContextIAF extends PosteriorFlow {
  readonly hasInverse = true;
  steps: InverseAutoregressiveFlow[];

  constructor(features: number, latent: number, layers: number, hidden: number, rng: Generator, dtype: DType = 'float32') {
    super();
    this.steps = Array.from({ length: layers }, (_, k) => new InverseAutoregressiveFlow(latent, {
      rng, dtype, hidden: [Math.max(hidden, latent)], contextDim: features, order: k % 2 === 0 ? 'natural' : 'reversed',
      activation: 'elu', zeroInit: true, gateBias: IAF_GATE_BIAS,
    }));
  }

  transform(z0: Tensor, h: Tensor): FlowResult {
    let z = z0;
    let logDet: Tensor | null = null;
    for (const s of this.steps) {
      const r = s.forwardAndLogDet(z, h);
      z = r.value;
      logDet = logDet ? add(logDet, r.logDet) : r.logDet;
    }
    return { value: z, logDet: logDet! };
  }

  inverse(zK: Tensor, h: Tensor): FlowResult {
    let z = zK;
    let logDet: Tensor | null = null;
    for (let i = this.steps.length - 1; i >= 0; i--) {
      const r = this.steps[i].inverseAndLogDet(z, h);
      z = r.value;
      logDet = logDet ? add(logDet, r.logDet) : r.logDet;
    }
    return { value: z, logDet: logDet! };
  }
}

/** Builds the posterior flow a config asks for, reading encoder features of size `features`. */
export function makePosteriorFlow(config: PosteriorFlowConfig, features: number, latent: number, rng: Generator): PosteriorFlow {
  return config.flow === 'planar'
    ? new AmortizedPlanarFlow(features, latent, config.layers, rng)
    : new ContextIAF(features, latent, config.layers, config.hidden ?? 4 * latent, rng);
}

/**
 * q(z_K | x) for z_K = f_K o ... o f_1(z_0), z_0 ~ q_0(z_0 | x):
 * log q(z_K | x) = log q_0(z_0 | x) - sum_k log |det df_k/dz_{k-1}|
 * (Rezende & Mohamed 2015, eq. 13). A draw remembers its log-density, so
 * `logProb` of the last `rsample`/`sample` output costs nothing and needs no
 * inverse; at other points it inverts the flow (IAF) or throws (planar).
 * The ELBO's KL term is then estimated from the draw: log q(z | x) - log p(z).
 *
 * Shapes: batch [B], event [D]; rsample(rng, [k]) -> [k, B, D]; logProb -> [k, B].
 *
 * @example
 * const q = vae.posterior(x).dist;       // a FlowPosteriorDistribution when config.posterior is set
 * const z = q.rsample(rng, [5]);          // [5, B, latent]
 * const logq = q.logProb(z);              // [5, B], from the cached log-determinants
 */
export class FlowPosteriorDistribution extends Distribution {
  /** q_0(z_0 | x): Independent(Normal(mu, sigma), 1), batch [B], event [D]. */
  readonly base: Distribution;
  readonly flow: PosteriorFlow;
  /** The encoder's features h [B, F]. */
  readonly context: Tensor;
  #last: { z: Tensor; logProb: Tensor } | null = null;

  constructor(base: Distribution, flow: PosteriorFlow, context: Tensor) {
    super(base.batchShape, base.eventShape, { validateArgs: false });
    this.base = base;
    this.flow = flow;
    this.context = context;
  }

  get dtype(): DType {
    return this.base.dtype;
  }
  get argConstraints(): Record<string, Constraint> {
    return {};
  }
  get support(): Constraint {
    return constraints.realVector;
  }
  override get hasRsample(): boolean {
    return true;
  }

  override rsample(rng: Generator, sampleShape: readonly number[] = []): Tensor {
    return this.rsampleWithLogDet(rng, sampleShape).z;
  }

  /**
   * A draw z_K with the base draw z_0 and the flow's sum of
   * log-determinants [..., B], so that an objective can split the KL as
   * KL(q_0 || p) + E[log p(z_0) - log p(z_K) - sum_k log |det J_k|] with the
   * first term in closed form (see `objectives.ts`).
   */
  rsampleWithLogDet(rng: Generator, sampleShape: readonly number[] = []): { z: Tensor; z0: Tensor; logDet: Tensor } {
    const z0 = this.base.rsample(rng, sampleShape);
    const { value, logDet } = this.flow.transform(z0, this.context);
    this.#last = { z: value, logProb: sub(this.base.logProb(z0), logDet) };
    return { z: value, z0, logDet };
  }

  override sample(rng: Generator, sampleShape: readonly number[] = []): Tensor {
    return noGrad(() => this.rsample(rng, sampleShape));
  }

  logProb(value: Tensor | number): Tensor {
    if (this.#last && this.#last.z === value) return this.#last.logProb;
    const z = this.checkSample(value);
    if (!this.flow.hasInverse) return this.flow.inverse(z, this.context).logDet; // throws with the reason
    const { value: z0, logDet } = this.flow.inverse(z, this.context);
    return add(this.base.logProb(z0), logDet);
  }

  expand(_batchShape: readonly number[]): Distribution {
    throw new Error('FlowPosteriorDistribution: expand is not supported (the flow is conditioned on one batch of inputs)');
  }
}
