// Black-box variational inference for a user's differentiable log joint:
// named (or flat) latents, each mapped from unconstrained space onto its
// support by bijectTo(constraint) with the log-det Jacobian added, a
// Gaussian (or any VariationalFamily) guide over the unconstrained vector,
// and Adam on the reparameterization gradient of the ELBO.
import { Tensor, type DType } from '../tensor/tensor.js';
import { formatShape, sizeOf } from '../tensor/shape.js';
import { add, mean, neg, reshape, slice, sub, sum } from '../ops/index.js';
import { noGrad } from '../autograd/mode.js';
import type { Generator } from '../random/generator.js';
import { Adam } from '../optim/adam.js';
import type { Distribution } from '../distributions/distribution.js';
import { Constraint, IndependentConstraint, LowerCholesky, PositiveDefinite, Real, constraints } from '../distributions/constraints.js';
import { bijectTo, type Transform } from '../distributions/transforms.js';
import { checkFunction, checkInteger, checkLogDensity, checkOptions, checkPositive, checkRng, describe } from './checks.js';
import { FullRankGaussian, MeanFieldGaussian, type VariationalFamily } from './families.js';

/** One named latent of `advi`: its shape (default [], a scalar) and support (default real). */
export interface LatentSite {
  shape?: readonly number[];
  constraint?: Constraint;
}

/** Where a latent lives in the flat unconstrained vector zeta, and how it is mapped onto its support. */
export interface LatentLayout {
  readonly name: string;
  /** The latent's (constrained) shape. */
  readonly shape: readonly number[];
  readonly constraint: Constraint;
  /** bijectTo(constraint): unconstrained -> constrained. */
  readonly transform: Transform;
  /** The shape in unconstrained space (differs for the simplex: [K] <- [K - 1]). */
  readonly unconstrainedShape: readonly number[];
  /** Its first column in zeta, and how many it takes. */
  readonly offset: number;
  readonly size: number;
}

/** Options of `advi` with named latents (K their names). */
export interface AdviOptions<K extends string = string> extends AdviSettings {
  /** The latents by name, with their shapes and constraints. */
  latents: Record<K, LatentSite>;
  /**
   * log p(x, theta) for k joint draws, each latent [k, ...shape] -> [k].
   * Must be differentiable in the latents (written in the library's ops).
   */
  logJoint: (latents: Record<K, Tensor>) => Tensor;
}

/** Options of `advi` over one flat, unconstrained real vector. */
export interface AdviFlatOptions extends AdviSettings {
  /** The dimension of the latent vector. */
  latents: number;
  /** log p(x, z) for z [k, dim] -> [k]. */
  logJoint: (z: Tensor) => Tensor;
}

/** The settings `advi` shares between its two forms. */
export interface AdviSettings {
  /** The guide family over unconstrained space: 'meanField' (default), 'fullRank', or any VariationalFamily (e.g. a flow). */
  family?: 'meanField' | 'fullRank' | VariationalFamily;
  /** The generator of the draws (the run is reproducible bit for bit from its state). */
  rng: Generator;
  /** Optimization steps, a positive integer. */
  steps: number;
  /** Adam's learning rate, finite and > 0 (default 0.05). */
  lr?: number;
  /**
   * Multiply the learning rate by this factor over the run, geometrically
   * (lr_t = lr * finalLrFactor^(t / steps)); in (0, 1], default 1 (constant).
   * A decaying step size lets the stochastic iterates settle (Robbins and Monro 1951).
   */
  finalLrFactor?: number;
  /** Draws per step, a positive integer (default 1, as in the ADVI paper). */
  k?: number;
  /**
   * 'reparameterization' (default): the pathwise gradient of the k-draw ELBO.
   * 'stickingTheLanding': the same with log q's direct dependence on phi
   * dropped (Roeder, Wu and Duvenaud, "Sticking the landing", NeurIPS 2017):
   * still unbiased, and of zero variance when q equals the posterior. Needs
   * the family's `detachedDistribution`.
   */
  gradient?: 'reparameterization' | 'stickingTheLanding';
  /** Parameter dtype of a family built from a name (default float64). */
  dtype?: DType;
  /** Initial mean in unconstrained space (dim numbers) for a family built from a name; default zeros. */
  initLoc?: ArrayLike<number>;
  /** Initial standard deviation for a family built from a name (default 0.1). */
  initScale?: number;
  /** Called after each step with the step number (from 0) and its ELBO estimate; return false to stop early. */
  onStep?: (step: number, elbo: number) => boolean | void;
}

/** The fitted approximation (K: the latents' names; 'z' for a flat vector). */
export interface AdviResult<K extends string = string> {
  /** The family, its parameters at their final values. */
  family: VariationalFamily;
  /** q(zeta) over unconstrained space at the final parameters, cut from the graph. */
  guide: Distribution;
  /** The ELBO estimate of every step taken (nats; noisy, from k draws each). */
  elboTrace: Float64Array;
  /** The latents' places in zeta. */
  layout: readonly LatentLayout[];
  /**
   * Maps unconstrained draws zeta [k, dim] to each latent [k, ...shape] on its support, with
   * sum log |det J| [k] of the map (what turns q(zeta) into a density over the latents).
   */
  constrain(zeta: Tensor): { latents: Record<K, Tensor>; logAbsDetJacobian: Tensor };
  /** n draws of each latent from the fitted approximation, on the latents' supports: [n, ...shape] each. */
  sample(rng: Generator, n: number): Record<K, Tensor>;
  /** A fresh k-draw estimate of the ELBO at the final parameters (no gradient). */
  estimateElbo(rng: Generator, k: number): number;
}

/** Lays the latents out in zeta, refusing supports whose bijection is not onto a space of matching dimension. */
export function latentLayout(fn: string, latents: Record<string, LatentSite> | number): LatentLayout[] {
  if (typeof latents === 'number') {
    checkInteger(fn, 'latents', latents, 1);
    return [{
      name: 'z', shape: [latents], constraint: constraints.realVector, transform: bijectTo(constraints.real),
      unconstrainedShape: [latents], offset: 0, size: latents,
    }];
  }
  if (typeof latents !== 'object' || latents === null || Array.isArray(latents)) {
    throw new Error(`${fn}: latents must be a record { name: { shape?, constraint? } } or a dimension (a positive integer), got ${describe(latents)}`);
  }
  const names = Object.keys(latents);
  if (names.length === 0) throw new Error(`${fn}: latents is empty; name at least one latent`);
  const out: LatentLayout[] = [];
  let offset = 0;
  for (const name of names) {
    const site = latents[name];
    if (typeof site !== 'object' || site === null) throw new Error(`${fn}: latents.${name} must be { shape?, constraint? }, got ${describe(site)}`);
    const shape = site.shape ?? [];
    if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new Error(`${fn}: latents.${name}.shape must be an array of positive integers, got ${describe(site.shape)}`);
    }
    const constraint = site.constraint ?? constraints.real;
    if (!(constraint instanceof Constraint)) throw new Error(`${fn}: latents.${name}.constraint must be a Constraint, got ${describe(constraint)}`);
    let base = constraint;
    while (base instanceof IndependentConstraint) base = base.base;
    if (base instanceof LowerCholesky || base instanceof PositiveDefinite) {
      // bijectTo maps from full n x n matrices whose upper triangle the log joint never sees: q would put
      // an unbounded entropy there. A packed-triangle transform is needed first.
      throw new Error(`${fn}: latents.${name} has constraint ${constraint.description}, whose bijectTo uses a redundant n x n unconstrained space; not supported`);
    }
    if (constraint.isDiscrete) throw new Error(`${fn}: latents.${name} is discrete (${constraint.description}); ADVI needs continuous latents (marginalize it out)`);
    if (constraint.eventDim > shape.length) {
      throw new Error(`${fn}: latents.${name} has shape ${formatShape(shape)}, too few dimensions for constraint ${constraint.description}`);
    }
    let transform: Transform;
    try {
      transform = bijectTo(constraint);
    } catch (e) {
      throw new Error(`${fn}: latents.${name}: ${(e as Error).message}`);
    }
    const unconstrainedShape = transform.inverseShape(shape);
    const size = sizeOf(unconstrainedShape);
    out.push({ name, shape: [...shape], constraint, transform, unconstrainedShape, offset, size });
    offset += size;
  }
  return out;
}

/** zeta [k, dim] -> each latent [k, ...shape] and sum log |det J| [k]. */
export function constrainLatents(layout: readonly LatentLayout[], zeta: Tensor): { latents: Record<string, Tensor>; logAbsDetJacobian: Tensor | null } {
  const k = zeta.shape[0];
  const latents: Record<string, Tensor> = {};
  let ladj: Tensor | null = null;
  for (const l of layout) {
    const part = layout.length === 1 ? zeta : slice(zeta, 1, l.offset, l.offset + l.size);
    const u = reshape(part, [k, ...l.unconstrainedShape]);
    if (l.constraint instanceof Real || (l.constraint instanceof IndependentConstraint && l.constraint.base instanceof Real)) {
      latents[l.name] = u;
      continue;
    }
    const y = l.transform.forward(u);
    let j = l.transform.logAbsDetJacobian(u, y);
    if (j.rank > 1) j = sum(j, Array.from({ length: j.rank - 1 }, (_, i) => i + 1));
    latents[l.name] = y;
    ladj = ladj ? add(ladj, j) : j;
  }
  return { latents, logAbsDetJacobian: ladj };
}

/**
 * Automatic differentiation variational inference: fits q(zeta) to the
 * posterior of a model given only its differentiable log joint. Each latent
 * theta with a constrained support is written theta = T(zeta) with
 * T = bijectTo(constraint), so the objective over unconstrained zeta is
 *   ELBO(phi) = E_{q_phi(zeta)}[log p(x, T(zeta)) + log |det J_T(zeta)|] + H[q_phi],
 * estimated from k reparameterized draws per step and maximized with Adam.
 * KL(q || p) is invariant under T, so the fit can be judged in either space.
 *
 * Paper: Kucukelbir, Tran, Ranganath, Gelman and Blei, "Automatic
 * differentiation variational inference", JMLR 18(14), 2017 (eqs. 5-8);
 * Ranganath, Gerrish and Blei, "Black box variational inference", AISTATS 2014;
 * Titsias and Lazaro-Gredilla, ICML 2014 (the reparameterization gradient for this setting).
 *
 * Shapes: named latents arrive as [k, ...shape] (or one [k, dim] tensor when
 * `latents` is a number); logJoint returns [k].
 *
 * @example
 * // theta ~ Beta(1, 1), x_i ~ Bernoulli(theta): theta lives in (0, 1), reached through a sigmoid.
 * const fit = advi({
 *   latents: { theta: { constraint: constraints.unitInterval } },
 *   logJoint: ({ theta }) => add(new Beta(1, 1).logProb(theta), sum(new Bernoulli({ probs: theta.reshape([-1, 1]) }).logProb(x), 1)),
 *   family: 'meanField', rng: new Generator(0), steps: 2000, lr: 0.05, k: 8,
 * });
 * fit.sample(new Generator(1), 1000).theta;   // [1000] draws of theta from q
 */
export function advi<K extends string>(options: AdviOptions<K>): AdviResult<K>;
export function advi(options: AdviFlatOptions): AdviResult<'z'>;
export function advi(options: AdviOptions | AdviFlatOptions): AdviResult {
  const fn = 'advi';
  checkOptions(fn, options);
  checkFunction(fn, 'logJoint', options.logJoint);
  const layout = latentLayout(fn, options.latents);
  const flat = typeof options.latents === 'number';
  const dim = layout.reduce((n, l) => n + l.size, 0);
  const rng = checkRng(fn, options.rng);
  const steps = checkInteger(fn, 'steps', options.steps, 1);
  const lr = options.lr === undefined ? 0.05 : checkPositive(fn, 'lr', options.lr);
  const finalLrFactor = options.finalLrFactor === undefined ? 1 : checkPositive(fn, 'finalLrFactor', options.finalLrFactor);
  if (finalLrFactor > 1) throw new Error(`${fn}: finalLrFactor must be in (0, 1], got ${finalLrFactor}`);
  const k = options.k === undefined ? 1 : checkInteger(fn, 'k', options.k, 1);
  const gradient = options.gradient ?? 'reparameterization';
  if (gradient !== 'reparameterization' && gradient !== 'stickingTheLanding') {
    throw new Error(`${fn}: gradient must be 'reparameterization' or 'stickingTheLanding', got ${describe(gradient)}`);
  }
  if (options.onStep !== undefined) checkFunction(fn, 'onStep', options.onStep);
  const family = makeFamily(fn, options, dim);
  if (gradient === 'stickingTheLanding' && typeof family.detachedDistribution !== 'function') {
    throw new Error(`${fn}: gradient 'stickingTheLanding' needs a family with detachedDistribution()`);
  }

  const userLogJoint = options.logJoint as (a: Tensor | Record<string, Tensor>) => Tensor;
  const elboDraws = (q: Distribution, qLog: Distribution, count: number, r: Generator): Tensor => {
    const zeta = q.rsample(r, [count]);
    const { latents, logAbsDetJacobian } = constrainLatents(layout, zeta);
    const lj = checkLogDensity(fn, 'logJoint', userLogJoint(flat ? latents.z : latents), [count], 'one value per joint draw: [k]');
    const withJac = logAbsDetJacobian ? add(lj, logAbsDetJacobian) : lj;
    return sub(withJac, qLog.logProb(zeta));
  };

  const checkGuide = (q: Distribution): void => {
    if (q.batchShape.length !== 0 || q.eventShape.length !== 1 || q.eventShape[0] !== dim || !q.hasRsample) {
      throw new Error(`${fn}: the family's distribution must be reparameterizable with batch shape [] and event shape [${dim}], got ${q.toString()}`);
    }
  };
  checkGuide(family.distribution());

  const opt = new Adam(family.parameters(), { lr });
  const trace: number[] = [];
  for (let t = 0; t < steps; t++) {
    if (finalLrFactor !== 1) opt.paramGroups[0].lr = lr * finalLrFactor ** (t / steps);
    opt.zeroGrad();
    const q = family.distribution();
    const qLog = gradient === 'stickingTheLanding' ? family.detachedDistribution!() : q;
    const objective = mean(elboDraws(q, qLog, k, rng));
    neg(objective).backward();
    opt.step();
    const value = objective.item();
    trace.push(value);
    if (options.onStep && options.onStep(t, value) === false) break;
  }

  const guide = noGrad(() => (family.detachedDistribution ? family.detachedDistribution() : family.distribution()));
  return {
    family,
    guide,
    elboTrace: Float64Array.from(trace),
    layout,
    constrain(zeta: Tensor) {
      if (!(zeta instanceof Tensor) || zeta.rank !== 2 || zeta.shape[1] !== dim) {
        throw new Error(`advi constrain: zeta must have shape [k, ${dim}], got ${describe(zeta)}`);
      }
      const { latents, logAbsDetJacobian } = constrainLatents(layout, zeta);
      return { latents, logAbsDetJacobian: logAbsDetJacobian ?? zerosK(zeta) };
    },
    sample(r: Generator, n: number) {
      checkRng('advi sample', r);
      checkInteger('advi sample', 'n', n, 1);
      return noGrad(() => constrainLatents(layout, guide.sample(r, [n])).latents);
    },
    estimateElbo(r: Generator, count: number) {
      checkRng('advi estimateElbo', r);
      checkInteger('advi estimateElbo', 'k', count, 1);
      return noGrad(() => mean(elboDraws(guide, guide, count, r)).item());
    },
  };
}

function zerosK(zeta: Tensor): Tensor {
  return new Tensor(zeta.dtype === 'float64' ? new Float64Array(zeta.shape[0]) : new Float32Array(zeta.shape[0]), [zeta.shape[0]]);
}

function makeFamily(fn: string, options: AdviSettings, dim: number): VariationalFamily {
  const f = options.family ?? 'meanField';
  if (f === 'meanField' || f === 'fullRank') {
    const o = { dtype: options.dtype, initLoc: options.initLoc, initScale: options.initScale };
    return f === 'meanField' ? new MeanFieldGaussian(dim, o) : new FullRankGaussian(dim, o);
  }
  const fam = f as Partial<VariationalFamily>;
  if (typeof fam !== 'object' || fam === null || typeof fam.distribution !== 'function' || typeof fam.parameters !== 'function') {
    throw new Error(`${fn}: family must be 'meanField', 'fullRank' or a VariationalFamily (with parameters() and distribution()), got ${describe(f)}`);
  }
  if (fam.dim !== dim) throw new Error(`${fn}: the family has dim ${fam.dim}, but the latents need ${dim} unconstrained coordinates`);
  for (const key of ['dtype', 'initLoc', 'initScale'] as const) {
    if (options[key] !== undefined) throw new Error(`${fn}: ${key} applies to a family built from a name; set it on the VariationalFamily you pass`);
  }
  return fam as VariationalFamily;
}
