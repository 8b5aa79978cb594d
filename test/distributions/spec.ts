// Builds distributions from the JSON specs of test/fixtures/dist_logprob.json
// (written by scripts/fixtures/dist_logprob.py), so the parameters of the
// table-driven tests are exactly the ones torch evaluated.
import * as L from '../../src/index.js';
import type { Distribution, Tensor, Transform } from '../../src/index.js';
import { fixture } from '../helpers.js';

export interface TensorJson {
  shape: number[];
  data: (number | string)[];
}

export interface TransformSpec {
  type: 'Exp' | 'Sigmoid' | 'Softplus' | 'StickBreaking' | 'Affine';
  loc?: TensorJson;
  scale?: TensorJson;
  eventDim?: number;
}

export interface Spec {
  dist: string;
  params?: Record<string, TensorJson>;
  base?: Spec;
  reinterpretedBatchNdims?: number;
  mixture?: Spec;
  component?: Spec;
  transforms?: TransformSpec[];
}

export interface Example {
  name: string;
  spec: Spec;
  batchShape: number[];
  eventShape: number[];
  value: TensorJson;
  logProb: TensorJson;
  entropy: TensorJson | null;
  mean: TensorJson | null;
  variance: TensorJson | null;
}

export interface KLCase {
  name: string;
  p: Spec;
  q: Spec;
  kl: TensorJson;
}

export interface DistFixture {
  torch: string;
  scipy: string;
  examples: Example[];
  kl: KLCase[];
  special: Record<string, number[]>;
}

export const FIXTURE = fixture<DistFixture>('dist_logprob.json');

/** JSON encodes non-finite numbers as strings. */
export function decodeNumber(v: number | string): number {
  return typeof v === 'number' ? v : Number(v);
}

export function decode(t: TensorJson): Tensor {
  return L.tensor(Float64Array.from(t.data, decodeNumber), { shape: t.shape });
}

/**
 * The leaf parameter tensors of a spec in a fixed traversal order: the
 * inputs of gradient checks, which rebuild the distribution from them.
 */
export function leaves(spec: Spec): Tensor[] {
  const out: Tensor[] = [];
  walk(spec, (t) => {
    out.push(decode(t));
    return out[out.length - 1];
  });
  return out;
}

/**
 * The distribution a spec describes. `supply`, when given, provides the
 * parameter tensors in `leaves` order (e.g. gradcheck's inputs), passed
 * through `shape` so matrix parameters stay valid under finite differences.
 */
export function build(spec: Spec, supply?: Tensor[], options: L.DistributionOptions = {}): Distribution {
  let i = 0;
  const next = (t: TensorJson, name: string): Tensor => {
    const x = supply ? supply[i++] : decode(t);
    return supply ? shapeParam(name, x) : x;
  };
  return walk(spec, next, options);
}

/**
 * Under finite differences a perturbed entry would break a covariance's
 * symmetry or a Cholesky factor's zero upper triangle; symmetrizing and
 * taking the lower triangle keeps them valid, and are the identity at the
 * unperturbed point.
 */
function shapeParam(name: string, x: Tensor): Tensor {
  if (name === 'covarianceMatrix' || name === 'precisionMatrix') return L.mul(L.add(x, L.transpose(x)), 0.5);
  if (name === 'scaleTril') return L.tril(x);
  return x;
}

function walk(spec: Spec, param: (t: TensorJson, name: string) => Tensor, options: L.DistributionOptions = {}): Distribution {
  const p = (name: string): Tensor => param(spec.params![name], name);
  const has = (name: string): boolean => spec.params?.[name] !== undefined;
  switch (spec.dist) {
    case 'Normal': return new L.Normal(p('loc'), p('scale'), options);
    case 'MultivariateNormal': {
      const loc = p('loc');
      if (has('covarianceMatrix')) return new L.MultivariateNormal(loc, { covarianceMatrix: p('covarianceMatrix'), ...options });
      if (has('precisionMatrix')) return new L.MultivariateNormal(loc, { precisionMatrix: p('precisionMatrix'), ...options });
      return new L.MultivariateNormal(loc, { scaleTril: p('scaleTril'), ...options });
    }
    case 'LowRankMultivariateNormal': return new L.LowRankMultivariateNormal(p('loc'), p('covFactor'), p('covDiag'), options);
    case 'Bernoulli': return has('probs') ? new L.Bernoulli({ probs: p('probs'), ...options }) : new L.Bernoulli({ logits: p('logits'), ...options });
    case 'Categorical': return has('probs') ? new L.Categorical({ probs: p('probs'), ...options }) : new L.Categorical({ logits: p('logits'), ...options });
    case 'OneHotCategorical':
      return has('probs') ? new L.OneHotCategorical({ probs: p('probs'), ...options }) : new L.OneHotCategorical({ logits: p('logits'), ...options });
    case 'RelaxedOneHotCategorical': {
      const t = p('temperature');
      return has('probs')
        ? new L.RelaxedOneHotCategorical(t, { probs: p('probs'), ...options })
        : new L.RelaxedOneHotCategorical(t, { logits: p('logits'), ...options });
    }
    case 'Uniform': return new L.Uniform(p('low'), p('high'), options);
    case 'Laplace': return new L.Laplace(p('loc'), p('scale'), options);
    case 'Beta': return new L.Beta(p('concentration1'), p('concentration0'), options);
    case 'Gamma': return new L.Gamma(p('concentration'), p('rate'), options);
    case 'Dirichlet': return new L.Dirichlet(p('concentration'), options);
    case 'Independent': return new L.Independent(walk(spec.base!, param, options), spec.reinterpretedBatchNdims!, options);
    case 'MixtureSameFamily': {
      const mixture = walk(spec.mixture!, param, options);
      return new L.MixtureSameFamily(mixture as L.Categorical, walk(spec.component!, param, options), options);
    }
    case 'TransformedDistribution': {
      const base = walk(spec.base!, param, options);
      const ts: Transform[] = spec.transforms!.map((t) => {
        switch (t.type) {
          case 'Exp': return new L.ExpTransform();
          case 'Sigmoid': return new L.SigmoidTransform();
          case 'Softplus': return new L.SoftplusTransform();
          case 'StickBreaking': return new L.StickBreakingTransform();
          case 'Affine': return new L.AffineTransform(param(t.loc!, 'loc'), param(t.scale!, 'scale'), t.eventDim ?? 0);
        }
      });
      return new L.TransformedDistribution(base, ts, options);
    }
    default:
      throw new Error(`spec: unknown distribution ${spec.dist}`);
  }
}
