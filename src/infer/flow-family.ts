// A normalizing flow as a variational family for black-box VI: a learned
// diagonal Gaussian pushed through K flow layers (Rezende & Mohamed 2015,
// §4; Kingma et al. 2016), so q can bend where a Gaussian cannot.
import { Tensor, type DType } from '../tensor/tensor.js';
import { full } from '../tensor/create.js';
import { exp } from '../ops/index.js';
import { Generator } from '../random/generator.js';
import type { Distribution } from '../distributions/distribution.js';
import { Independent } from '../distributions/independent.js';
import { Normal } from '../distributions/normal.js';
import { TransformedDistribution } from '../distributions/transformedDistribution.js';
import { Bijector, BijectorTransform, FlowSequence } from '../flows/bijector.js';
import { PlanarFlow } from '../flows/autoregressive/planar.js';
import { RadialFlow } from '../flows/autoregressive/radial.js';
import { InverseAutoregressiveFlow, MaskedAutoregressiveFlow } from '../flows/autoregressive/maf.js';
import { SplineCoupling } from '../flows/layers/spline.js';
import { checkInteger, checkPositive, describe } from './checks.js';
import type { VariationalFamily } from './families.js';

/** The flow layers `FlowFamily` can build by name. */
export type FlowFamilyKind = 'planar' | 'radial' | 'iaf' | 'maf' | 'spline';

/** Options of `FlowFamily`. */
export interface FlowFamilyOptions {
  /** Generator of the layers' initialization. */
  rng: Generator;
  /** Layer kind (default 'planar'); ignored when `bijectors` is given. */
  flow?: FlowFamilyKind;
  /** Number of layers K (default 8). */
  layers?: number;
  /** MADE hidden widths of 'iaf' and 'maf' layers, conditioner widths of 'spline' couplings (default [4 dim]). */
  hidden?: number[];
  /** 'spline': bins of each spline (default 8) and the interval [-tailBound, tailBound] they cover (default 5). */
  bins?: number;
  tailBound?: number;
  /** Your own layers instead (forward = base -> sample; parameters must share `dtype`). */
  bijectors?: Bijector[];
  /** Parameter dtype (default float64, as the Gaussian families). */
  dtype?: DType;
  /** The base Gaussian's initial standard deviation (default 1: the flow does the shaping). */
  initScale?: number;
}

/** N(loc, diag(exp(logScale)^2)) over the last axis: the base of a flow family. */
function baseGaussian(loc: Tensor, logScale: Tensor): Distribution {
  return new Independent(new Normal(loc, exp(logScale), { validateArgs: false }), 1, { validateArgs: false });
}

/**
 * Draws from a flow remember their own log-density: x = f(z) is cached with
 * its log |det J|, so `logProb` of a fresh sample needs no inverse — which
 * planar and radial layers do not have (torch's cache_size=1 does the same).
 * Other points go through the inverse, D passes for IAF.
 */
class CachingBijectorTransform extends BijectorTransform {
  #pair: { x: Tensor; y: Tensor } | null = null;
  override forward(x: Tensor): Tensor {
    const y = super.forward(x);
    this.#pair = { x, y };
    return y;
  }
  override inverse(y: Tensor): Tensor {
    if (this.#pair && this.#pair.y === y) return this.#pair.x;
    return super.inverse(y);
  }
}

/**
 * A normalizing-flow variational family over R^dim:
 * zeta = f_K o ... o f_1(z_0), z_0 ~ N(mu, diag(sigma^2)) with mu, sigma
 * learned, and log q(zeta) = log N(z_0; mu, sigma) - sum_k log |det df_k/dz_{k-1}|.
 * Layers: planar or radial (Rezende & Mohamed 2015), IAF (one pass per draw,
 * Kingma et al. 2016) or MAF (D passes per draw), alternating the
 * autoregressive order between layers, rational-quadratic spline couplings
 * (Durkan et al. 2019) alternating halves; or any `Bijector`s of your own.
 * The invertible kinds built by name also give `detachedDistribution`, so
 * `advi`'s sticking-the-landing gradient works with them.
 * Hand it to `advi` as `family`. `logProb` of the family's own draws uses the
 * cached log-determinants, so flows without an inverse (planar, radial)
 * work; at other points it needs an invertible flow.
 *
 * Paper: Rezende & Mohamed, "Variational Inference with Normalizing Flows",
 * ICML 2015 (§4, the flow-based free energy bound, eq. 15).
 *
 * Shapes: distribution(): batchShape [], eventShape [dim]; rsample(rng, [k]) -> [k, dim].
 *
 * @example
 * const family = new FlowFamily(2, { flow: 'planar', layers: 16, rng: new Generator(0) });
 * const fit = advi({ latents: 2, logJoint, family, rng: new Generator(1), steps: 2000, k: 16 });
 * fit.estimateElbo(new Generator(2), 10000);   // log Z - KL(q || p)
 */
export class FlowFamily implements VariationalFamily {
  readonly dim: number;
  readonly dtype: DType;
  /** The base mean mu [dim]. */
  readonly loc: Tensor;
  /** The base log standard deviation [dim]. */
  readonly logScale: Tensor;
  /** The flow, f_1 first. */
  readonly flow: FlowSequence;
  /**
   * q with the parameters cut from the graph, for `advi`'s sticking-the-landing
   * gradient (Roeder et al. 2017): present for the invertible kinds built by
   * name ('iaf', 'maf', 'spline'), whose log q at a draw can go through the
   * inverse; absent for planar and radial layers and for your own bijectors.
   */
  readonly detachedDistribution?: () => Distribution;

  constructor(dim: number, options: FlowFamilyOptions) {
    const fn = 'FlowFamily';
    checkInteger(fn, 'dim', dim, 1);
    if (typeof options !== 'object' || options === null) throw new Error(`${fn}: options must be an object with rng, got ${describe(options)}`);
    const dtype = options.dtype ?? 'float64';
    if (dtype !== 'float32' && dtype !== 'float64') throw new Error(`${fn}: dtype must be 'float32' or 'float64', got ${describe(dtype)}`);
    const scale = options.initScale === undefined ? 1 : checkPositive(fn, 'initScale', options.initScale);
    this.dim = dim;
    this.dtype = dtype;
    this.loc = full([dim], 0, { dtype, requiresGrad: true });
    this.logScale = full([dim], Math.log(scale), { dtype, requiresGrad: true });
    let layers: Bijector[];
    if (options.bijectors !== undefined) {
      if (!Array.isArray(options.bijectors)) throw new Error(`${fn}: bijectors must be an array of Bijector, got ${describe(options.bijectors)}`);
      layers = options.bijectors;
    } else {
      if (!options.rng) throw new Error(`${fn}: options.rng (a Generator) is required to initialize the layers`);
      const k = options.layers === undefined ? 8 : checkInteger(fn, 'layers', options.layers, 1);
      const kind = options.flow ?? 'planar';
      const rng = options.rng;
      if (kind === 'spline' && dim < 2) throw new Error(`${fn}: spline couplings need dim >= 2 (one half conditions the other), got ${dim}`);
      const make = (i: number, r: Generator): Bijector => {
        const order = i % 2 === 0 ? 'natural' : 'reversed';
        switch (kind) {
          case 'planar': return new PlanarFlow(dim, { rng: r, dtype });
          case 'radial': return new RadialFlow(dim, { rng: r, dtype });
          case 'iaf': return new InverseAutoregressiveFlow(dim, { rng: r, dtype, hidden: options.hidden, order, activation: 'tanh', gateBias: 2 });
          case 'maf': return new MaskedAutoregressiveFlow(dim, { rng: r, dtype, hidden: options.hidden, order, activation: 'tanh', zeroInit: true });
          case 'spline': return new SplineCoupling(dim, {
            rng: r, dtype, hidden: options.hidden ?? [4 * dim], activation: 'tanh', invertMask: i % 2 === 1, bins: options.bins ?? 8, tailBound: options.tailBound ?? 5,
          });
          default: throw new Error(`${fn}: flow must be 'planar', 'radial', 'iaf', 'maf' or 'spline', got ${describe(kind)}`);
        }
      };
      layers = Array.from({ length: k }, (_, i) => make(i, rng));
      if (kind === 'iaf' || kind === 'maf' || kind === 'spline') {
        // The same layers again, for q with the parameters cut from the graph (sticking the landing): its
        // parameters take the live ones' values at each call, and log q of a draw goes through its inverse.
        const twin = new FlowSequence(Array.from({ length: k }, (_, i) => make(i, new Generator(0))));
        this.detachedDistribution = () => {
          twin.loadStateDict(this.flow.stateDict());
          return new TransformedDistribution(baseGaussian(this.loc.detach(), this.logScale.detach()), [twin.asTransform()], { validateArgs: false });
        };
      }
    }
    this.flow = new FlowSequence(layers);
    for (const p of this.flow.parameters()) {
      if (p.dtype !== dtype) throw new Error(`${fn}: the flow's parameters must be ${dtype}, got a ${p.dtype} parameter`);
    }
  }

  parameters(): Tensor[] {
    return [this.loc, this.logScale, ...this.flow.parameters()];
  }

  /** The base Gaussian q_0(z_0), eventShape [dim]. */
  base(): Distribution {
    return baseGaussian(this.loc, this.logScale);
  }

  distribution(): Distribution {
    return new TransformedDistribution(this.base(), [new CachingBijectorTransform(this.flow)], { validateArgs: false });
  }
}
