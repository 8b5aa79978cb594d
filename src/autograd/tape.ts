import { Tensor, type FloatArray, type GradNode } from '../tensor/tensor.js';
import { formatShape, sameShape } from '../tensor/shape.js';
import { isGradEnabled, withGradMode } from './mode.js';

/**
 * Hooks the sweep needs from the ops layer (kept as injected functions so
 * that autograd does not import ops, which import autograd).
 */
interface SweepOps {
  add(a: Tensor, b: Tensor): Tensor;
  sumToShape(g: Tensor, shape: readonly number[]): Tensor;
  onesLike(t: Tensor): Tensor;
  zerosLike(t: Tensor): Tensor;
}
let ops: SweepOps | null = null;

export function installSweepOps(o: SweepOps): void {
  ops = o;
}

/**
 * Wraps the result of an op: when recording is on and some parent needs a
 * gradient, the result remembers its parents and gradient rule.
 */
export function record(out: Tensor, op: string, parents: readonly Tensor[], backward: GradNode['backward']): Tensor {
  if (!isGradEnabled()) return out;
  for (const p of parents) {
    if (p.requiresGrad) {
      out.node = { op, parents, backward };
      out.requiresGrad = true;
      return out;
    }
  }
  return out;
}

/** Tensors reachable from `roots` that require gradients, parents before children. Iterative: graphs of ODE solves are deep. */
function topologicalOrder(roots: readonly Tensor[]): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  const stack: [Tensor, number][] = [];
  for (const r of roots) {
    if (!r.requiresGrad || visited.has(r)) continue;
    visited.add(r);
    stack.push([r, 0]);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const [t, i] = top;
      const parents = t.node?.parents ?? [];
      if (i < parents.length) {
        top[1]++;
        const p = parents[i];
        if (p.requiresGrad && !visited.has(p)) {
          visited.add(p);
          stack.push([p, 0]);
        }
      } else {
        stack.pop();
        order.push(t);
      }
    }
  }
  return order;
}

/**
 * The reverse sweep: seeds each output with its gradient, walks the graph
 * children-first and accumulates parents' gradients. Summing a broadcast
 * gradient back to its parent's shape happens here and only here.
 */
function sweep(outputs: readonly Tensor[], seeds: readonly Tensor[], createGraph: boolean, keep?: ReadonlySet<Tensor>): Map<Tensor, Tensor> {
  if (!ops) throw new Error('autograd: ops are not installed (import from the package root)');
  const o = ops;
  return withGradMode(createGraph, () => {
    const grads = new Map<Tensor, Tensor>();
    outputs.forEach((out, i) => {
      const prev = grads.get(out);
      grads.set(out, prev ? o.add(prev, seeds[i]) : seeds[i]);
    });
    const order = topologicalOrder(outputs);
    for (let idx = order.length - 1; idx >= 0; idx--) {
      const t = order[idx];
      const node = t.node;
      const g = grads.get(t);
      if (!node || !g) continue;
      const needs = node.parents.map((p) => p.requiresGrad);
      const pgrads = node.backward(g, needs);
      node.parents.forEach((p, i) => {
        const pg = pgrads[i];
        if (!needs[i] || !pg) return;
        const reduced = sameShape(pg.shape, p.shape) ? pg : o.sumToShape(pg, p.shape);
        const prev = grads.get(p);
        grads.set(p, prev ? o.add(prev, reduced) : reduced);
      });
      // Interior gradients are no longer needed once passed on, unless asked for.
      if (t.node && !keep?.has(t)) grads.delete(t);
    }
    return grads;
  });
}

function seedsFor(outputs: readonly Tensor[], gradOutputs: readonly Tensor[] | undefined, what: string): Tensor[] {
  if (!ops) throw new Error('autograd: ops are not installed (import from the package root)');
  return outputs.map((out, i) => {
    const g = gradOutputs?.[i];
    if (g) {
      if (!sameShape(g.shape, out.shape)) {
        throw new Error(`${what}: gradient for output ${i} has shape ${formatShape(g.shape)}, expected ${formatShape(out.shape)}`);
      }
      return g;
    }
    if (out.size !== 1) {
      throw new Error(`${what}: output ${i} has shape ${formatShape(out.shape)}; pass its gradient or reduce it to a scalar first`);
    }
    return ops!.onesLike(out);
  });
}

/**
 * Computes gradients of `output` with respect to every leaf that requires
 * them, adding into each leaf's `.grad` (as PyTorch does).
 */
export function backward(output: Tensor, gradOutput?: Tensor, options: { createGraph?: boolean } = {}): void {
  if (!output.requiresGrad) {
    throw new Error('backward: the output does not require gradients (no input had requiresGrad, or it was computed under noGrad)');
  }
  const seeds = seedsFor([output], gradOutput ? [gradOutput] : undefined, 'backward');
  const grads = sweep([output], seeds, options.createGraph ?? false);
  const createGraph = options.createGraph ?? false;
  // A gradient's storage may be shared: add's rule passes one tensor to both
  // parents, reshape's shares its storage, and the seed is the caller's. Each
  // leaf gets storage of its own, so that in-place edits of .grad (clipping,
  // scaling) touch only that leaf; storage that no other leaf and no seed
  // holds is the leaf's already (interior gradients are dropped by the
  // sweep), and is kept without a copy.
  const holders = new Map<FloatArray, number>();
  for (const s of seeds) holders.set(s.data, 2);
  for (const [t, g] of grads) if (t.isLeaf && !t.grad) holders.set(g.data, (holders.get(g.data) ?? 0) + 1);
  for (const [t, g] of grads) {
    if (!t.isLeaf) continue;
    if (t.grad) t.grad = withGradMode(createGraph, () => ops!.add(t.grad!, g));
    else if (createGraph || holders.get(g.data) === 1) t.grad = g;
    else t.grad = new Tensor(g.data.slice(), g.shape);
  }
}

export interface GradOptions {
  /** Gradients of the outputs (vector-Jacobian product); default ones for scalar outputs. */
  gradOutputs?: readonly Tensor[];
  /** Record the sweep itself, so the returned gradients can be differentiated again. */
  createGraph?: boolean;
  /** Return zeros, instead of throwing, for inputs the outputs do not depend on. */
  allowUnused?: boolean;
}

/**
 * Gradients of `outputs` with respect to `inputs`, returned rather than
 * accumulated. With `createGraph`, the gradients are themselves
 * differentiable: a vector-Jacobian product that can be backpropagated
 * (continuous flows' trace estimators need this).
 *
 * @example
 * const x = tensor([3], { requiresGrad: true });
 * const [dy] = grad([x.pow(3).sum()], [x], { createGraph: true });  // 3x^2 = 27
 * const [d2y] = grad([dy.sum()], [x]);                              // 6x = 18
 */
export function grad(outputs: Tensor | readonly Tensor[], inputs: readonly Tensor[], options: GradOptions = {}): Tensor[] {
  const outs = Array.isArray(outputs) ? (outputs as readonly Tensor[]) : [outputs as Tensor];
  outs.forEach((o, i) => {
    if (!o.requiresGrad) throw new Error(`grad: output ${i} does not require gradients`);
  });
  inputs.forEach((x, i) => {
    if (!x.requiresGrad) throw new Error(`grad: input ${i} does not require gradients (set requiresGrad on it)`);
  });
  // Inputs may be interior tensors: the sweep keeps their gradients.
  const seeds = seedsFor(outs, options.gradOutputs, 'grad');
  const grads = sweep(outs, seeds, options.createGraph ?? false, new Set(inputs));
  return inputs.map((x, i) => {
    const g = grads.get(x);
    if (g) return g;
    if (options.allowUnused) return ops!.zerosLike(x);
    throw new Error(`grad: input ${i} (${formatShape(x.shape)}) is not used by the outputs; pass allowUnused to get zeros`);
  });
}
