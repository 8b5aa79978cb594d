// The KL divergence registry (torch.distributions.kl): closed forms
// registered per pair of distribution classes, dispatched to the most
// specific registered pair, with a clear error when none applies.
import { Tensor } from '../tensor/tensor.js';
import { formatShape, sameShape } from '../tensor/shape.js';
import {
  abs, add, div, eq, exp, gt, log, lt, maximum, mul, neg, softplus, square, sub, sum, triangularSolve, where,
} from '../ops/index.js';
import { Distribution } from './distribution.js';
import { Normal } from './normal.js';
import { MultivariateNormal, halfLogDet } from './multivariateNormal.js';
import { LowRankMultivariateNormal } from './lowRankMultivariateNormal.js';
import { Bernoulli } from './bernoulli.js';
import { Categorical } from './categorical.js';
import { OneHotCategorical } from './oneHotCategorical.js';
import { Uniform } from './uniform.js';
import { Laplace } from './laplace.js';
import { Beta } from './beta.js';
import { Gamma } from './gamma.js';
import { Dirichlet } from './dirichlet.js';
import { Independent } from './independent.js';
import { digamma, lgamma } from './special.js';
import { mahalanobisSquared, sumRightmost } from './utils.js';

/** A distribution class (abstract classes allowed), as a key of the registry. */
export type DistributionClass<T extends Distribution = Distribution> = abstract new (...args: any[]) => T;

/** A closed-form KL(p || q): shapes [...batch] with p's and q's batch shapes broadcast. */
export type KLFunction<P extends Distribution = Distribution, Q extends Distribution = Distribution> = (p: P, q: Q) => Tensor;

interface Entry {
  p: DistributionClass;
  q: DistributionClass;
  fn: KLFunction;
}

const entries: Entry[] = [];
const cache = new Map<DistributionClass, Map<DistributionClass, KLFunction | null>>();

function isDistributionClass(c: unknown): c is DistributionClass {
  return typeof c === 'function' && (c === Distribution || c.prototype instanceof Distribution);
}

function isSubclass(a: DistributionClass, b: DistributionClass): boolean {
  return a === b || a.prototype instanceof b;
}

/**
 * Registers the closed form of KL(p || q) for p an instance of `P` and q of
 * `Q` (subclasses included, unless a more specific pair is registered).
 * Registering a pair again replaces its function.
 *
 * @example
 * registerKL(Normal, Normal, (p, q) => ...);   // p and q typed as Normal
 */
export function registerKL<P extends Distribution, Q extends Distribution>(
  P: DistributionClass<P>, Q: DistributionClass<Q>, fn: KLFunction<P, Q>,
): void {
  if (!isDistributionClass(P)) throw new Error(`registerKL: P must be a Distribution class, got ${describeClass(P)}`);
  if (!isDistributionClass(Q)) throw new Error(`registerKL: Q must be a Distribution class, got ${describeClass(Q)}`);
  if (typeof fn !== 'function') throw new Error(`registerKL: fn must be a function (p, q) => Tensor, got ${typeof fn}`);
  const existing = entries.find((e) => e.p === P && e.q === Q);
  if (existing) existing.fn = fn as KLFunction;
  else entries.push({ p: P, q: Q, fn: fn as KLFunction });
  cache.clear();
}

function describeClass(c: unknown): string {
  return typeof c === 'function' ? `the function ${c.name || '(anonymous)'}` : typeof c;
}

/** The registered (P, Q) pairs, in registration order. */
export function registeredKLPairs(): [DistributionClass, DistributionClass][] {
  return entries.map((e) => [e.p, e.q]);
}

/**
 * The most specific registered pair (torch's _dispatch_kl): among pairs
 * (P', Q') with P a subclass of P' and Q of Q', the one that is a subclass
 * pair of every other match. When no match is more specific than all
 * others (say (A, Base) and (Base, B) for KL(A || B)), dispatch is
 * ambiguous and throws.
 */
function dispatch(P: DistributionClass, Q: DistributionClass): KLFunction | null {
  let row = cache.get(P);
  if (row?.has(Q)) return row.get(Q)!;
  const matches = entries.filter((e) => isSubclass(P, e.p) && isSubclass(Q, e.q));
  let fn: KLFunction | null = null;
  if (matches.length > 0) {
    const best = matches.filter((m) => matches.every((o) => isSubclass(m.p, o.p) && isSubclass(m.q, o.q)));
    if (best.length !== 1) {
      const list = matches.map((m) => `(${m.p.name}, ${m.q.name})`).join(', ');
      throw new Error(
        `klDivergence: ambiguous KL(${P.name} || ${Q.name}): the registered pairs ${list} all match and none is more specific ` +
          `than the others; register (${P.name}, ${Q.name}) to resolve`,
      );
    }
    fn = best[0].fn;
  }
  if (!row) cache.set(P, (row = new Map()));
  row.set(Q, fn);
  return fn;
}

/**
 * KL(p || q) = E_p[log p(x) - log q(x)] in nats, by the registered closed
 * form for the classes of p and q (most specific pair).
 *
 * Shapes: -> the broadcast of p's and q's batch shapes. The event shapes must agree.
 *
 * @example
 * klDivergence(new Normal(0, 1), new Normal(1, 1)).item();   // 0.5
 * klDivergence(new Gamma(2, 1), new Normal(0, 1));          // throws: no closed form registered for KL(Gamma || Normal); use a Monte Carlo estimate
 */
export function klDivergence(p: Distribution, q: Distribution): Tensor {
  if (!(p instanceof Distribution)) throw new Error(`klDivergence: p must be a Distribution, got ${typeof p}`);
  if (!(q instanceof Distribution)) throw new Error(`klDivergence: q must be a Distribution, got ${typeof q}`);
  const fn = dispatch(p.constructor as DistributionClass, q.constructor as DistributionClass);
  if (!fn) throw new Error(`klDivergence: no closed form registered for KL(${p.name} || ${q.name}); use a Monte Carlo estimate`);
  if (!sameShape(p.eventShape, q.eventShape)) {
    throw new Error(`klDivergence: KL(${p.name} || ${q.name}) needs equal event shapes, got ${formatShape(p.eventShape)} and ${formatShape(q.eventShape)}`);
  }
  return fn(p, q);
}

/**
 * KL(N(mu, diag(exp(logvar))) || N(0, I)) summed over the last axis: the
 * VAE's analytic KL term, -1/2 sum_j (1 + log sigma_j^2 - mu_j^2 - sigma_j^2).
 *
 * Paper: Kingma and Welling, "Auto-encoding variational Bayes", ICLR 2014, appendix B.
 *
 * Shapes: mu [..., d], logvar [..., d] (broadcasting) -> [...].
 *
 * @example
 * klStandardNormal(zeros([2, 3]), zeros([2, 3])).toArray();   // [0, 0]
 */
export function klStandardNormal(mu: Tensor, logvar: Tensor): Tensor {
  for (const [name, t] of [['mu', mu], ['logvar', logvar]] as const) {
    if (!(t instanceof Tensor) || t.rank < 1) {
      throw new Error(`klStandardNormal: ${name} must be a Tensor of shape [..., d], got ${t instanceof Tensor ? 'a scalar' : typeof t}`);
    }
  }
  if (mu.shape[mu.rank - 1] !== logvar.shape[logvar.rank - 1]) {
    throw new Error(`klStandardNormal: mu ${formatShape(mu.shape)} and logvar ${formatShape(logvar.shape)} must have the same last (latent) dimension`);
  }
  return mul(sum(sub(add(logvar, 1), add(square(mu), exp(logvar))), -1), -0.5);
}

// ---------------------------------------------------------------------------
// Closed forms. Each cites the formula it evaluates.

registerKL(Normal, Normal, (p, q) => {
  // log(sq/sp) + (sp^2 + (mp - mq)^2) / (2 sq^2) - 1/2, as 1/2 (r + t - 1 - log r) with r = (sp/sq)^2.
  const r = square(div(p.scale, q.scale));
  const t = square(div(sub(p.loc, q.loc), q.scale));
  return mul(sub(sub(add(r, t), 1), log(r)), 0.5);
});

/** The Gaussian KL from Cholesky factors: log det Lq - log det Lp + (|Lq^-1 Lp|_F^2 + |Lq^-1 (mq - mp)|^2 - n) / 2. */
function gaussianKL(pLoc: Tensor, pL: Tensor, qLoc: Tensor, qL: Tensor): Tensor {
  const n = pLoc.shape[pLoc.rank - 1];
  const halfLogDetRatio = sub(halfLogDet(qL), halfLogDet(pL));
  const trace = sum(square(triangularSolve(qL, pL)), [-2, -1]);
  const maha = mahalanobisSquared(qL, sub(qLoc, pLoc));
  return add(halfLogDetRatio, mul(sub(add(trace, maha), n), 0.5));
}

type Gaussian = MultivariateNormal | LowRankMultivariateNormal;
const choleskyOf = (d: Gaussian): Tensor => (d instanceof MultivariateNormal ? d.unbroadcastedScaleTril : d.scaleTril);
const gaussianPair = (p: Gaussian, q: Gaussian): Tensor => gaussianKL(p.loc, choleskyOf(p), q.loc, choleskyOf(q));
registerKL(MultivariateNormal, MultivariateNormal, gaussianPair);
registerKL(LowRankMultivariateNormal, LowRankMultivariateNormal, gaussianPair);
registerKL(MultivariateNormal, LowRankMultivariateNormal, gaussianPair);
registerKL(LowRankMultivariateNormal, MultivariateNormal, gaussianPair);

registerKL(Bernoulli, Bernoulli, (p, q) => {
  // p log(p/q) + (1-p) log((1-p)/(1-q)), with log p = -softplus(-l) and log(1-p) = -softplus(l);
  // 0 log 0 = 0, and +Infinity where q puts 0 on an outcome p allows.
  const pp = p.probs;
  const qp = q.probs;
  let t1 = mul(pp, sub(softplus(neg(q.logits)), softplus(neg(p.logits))));
  t1 = where(eq(pp, 0), 0, where(eq(qp, 0), Infinity, t1));
  let t2 = mul(sub(1, pp), sub(softplus(q.logits), softplus(p.logits)));
  t2 = where(eq(pp, 1), 0, where(eq(qp, 1), Infinity, t2));
  return add(t1, t2);
});

function categoricalKL(p: Categorical, q: Categorical): Tensor {
  if (p.numEvents !== q.numEvents) {
    throw new Error(`klDivergence: KL(${p.name} || ${q.name}) needs the same number of categories, got ${p.numEvents} and ${q.numEvents}`);
  }
  // sum_k p_k (log p_k - log q_k), 0 where p_k = 0, +Infinity where q_k = 0 < p_k.
  let t = mul(p.probs, sub(p.logits, q.logits));
  t = where(eq(p.probs, 0), 0, where(eq(q.probs, 0), Infinity, t));
  return sum(t, -1);
}
registerKL(Categorical, Categorical, categoricalKL);
registerKL(OneHotCategorical, OneHotCategorical, (p, q) => categoricalKL(p.categorical, q.categorical));

registerKL(Beta, Beta, (p, q) => {
  // log B(qa, qb) - log B(pa, pb) + (pa - qa) psi(pa) + (pb - qb) psi(pb) + (qa + qb - pa - pb) psi(pa + pb)
  const [pa, pb, qa, qb] = [p.concentration1, p.concentration0, q.concentration1, q.concentration0];
  const ps = add(pa, pb);
  const qs = add(qa, qb);
  const t1 = add(add(lgamma(qa), lgamma(qb)), lgamma(ps));
  const t2 = add(add(lgamma(pa), lgamma(pb)), lgamma(qs));
  const t3 = mul(sub(pa, qa), digamma(pa));
  const t4 = mul(sub(pb, qb), digamma(pb));
  const t5 = mul(sub(qs, ps), digamma(ps));
  return add(add(add(sub(t1, t2), t3), t4), t5);
});

registerKL(Gamma, Gamma, (p, q) => {
  // qa log(pb/qb) + lgamma(qa) - lgamma(pa) + (pa - qa) psi(pa) + (qb - pb) pa / pb
  const [pa, pb, qa, qb] = [p.concentration, p.rate, q.concentration, q.rate];
  const t1 = mul(qa, log(div(pb, qb)));
  const t2 = sub(lgamma(qa), lgamma(pa));
  const t3 = mul(sub(pa, qa), digamma(pa));
  const t4 = mul(sub(qb, pb), div(pa, pb));
  return add(add(add(t1, t2), t3), t4);
});

registerKL(Dirichlet, Dirichlet, (p, q) => {
  // lgamma(sum p) - lgamma(sum q) - sum (lgamma(p) - lgamma(q)) + sum (p - q)(psi(p) - psi(sum p))
  const a = p.concentration;
  const b = q.concentration;
  const a0 = sum(a, -1, true);
  const t1 = sub(lgamma(sum(a, -1)), lgamma(sum(b, -1)));
  const t2 = sum(sub(lgamma(a), lgamma(b)), -1);
  const t3 = sum(mul(sub(a, b), sub(digamma(a), digamma(a0))), -1);
  return add(sub(t1, t2), t3);
});

registerKL(Laplace, Laplace, (p, q) => {
  // -log(bp/bq) + |mp - mq| / bq + (bp/bq) exp(-|mp - mq| / bp) - 1
  const ratio = div(p.scale, q.scale);
  const d = abs(sub(p.loc, q.loc));
  return sub(add(add(neg(log(ratio)), div(d, q.scale)), mul(ratio, exp(neg(div(d, p.scale))))), 1);
});

registerKL(Uniform, Uniform, (p, q) => {
  // log((qh - ql) / (ph - pl)) when [pl, ph] lies inside [ql, qh], else +Infinity.
  const result = log(div(sub(q.high, q.low), sub(p.high, p.low)));
  const outside = maximum(gt(q.low, p.low), lt(q.high, p.high));
  return where(outside, Infinity, result);
});

registerKL(Independent, Independent, (p, q) => {
  if (p.reinterpretedBatchNdims !== q.reinterpretedBatchNdims) {
    throw new Error(
      `klDivergence: KL(Independent || Independent) needs the same reinterpretedBatchNdims, got ${p.reinterpretedBatchNdims} and ${q.reinterpretedBatchNdims}`,
    );
  }
  return sumRightmost(klDivergence(p.baseDist, q.baseDist), p.reinterpretedBatchNdims);
});
