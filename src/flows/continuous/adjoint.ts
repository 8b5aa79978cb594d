// Gradients of an ODE solution by the adjoint method (Chen, Rubanova,
// Bettencourt & Duvenaud 2018, Neural Ordinary Differential Equations,
// Algorithm 1; Pontryagin et al. 1962): the forward solve keeps no graph,
// and the backward pass solves the augmented system
//   dz/dt = f(z, t),  da/dt = -a^T df/dz,  da_theta/dt = -a^T df/dtheta
// from the last requested time back to the first, so memory does not grow
// with the number of steps.
import { Tensor } from '../../tensor/tensor.js';
import { zerosLike } from '../../tensor/create.js';
import { add, neg, reshape, slice } from '../../ops/index.js';
import { grad, isGradEnabled, noGrad, record, withGradMode } from '../../autograd/index.js';
import { odeint, type OdeFunc, type OdeintOptions, type OdeSolution, type OdeStats } from './odeint.js';

export interface AdjointOptions extends OdeintOptions {
  /** Solver of the backward (augmented) solve; default: `method`. */
  adjointMethod?: OdeintOptions['method'];
  /** rtol of the backward solve; default: `rtol`. */
  adjointRtol?: number;
  /** atol of the backward solve; default: `atol`. */
  adjointAtol?: number;
  /** stepSize of a fixed-step backward solve; default: `stepSize`. */
  adjointStepSize?: number;
}

export interface AdjointSolution extends OdeSolution {
  /** The backward solves' work, summed; zeros until a gradient has been taken. */
  backwardStats: OdeStats;
}

/**
 * `odeint` whose gradients with respect to y0 and `params` come from the
 * adjoint method instead of backpropagation through the steps. The forward
 * solve runs without recording; the returned states are slices of one op
 * whose parents are y0 and `params` only. Its gradient rule solves, between
 * consecutive requested times (last to first), the augmented ODE for the
 * state (recomputed backwards, then reset to the forward solution at each
 * requested time, as torchdiffeq does), its adjoint a (adding each requested
 * time's incoming gradient) and the parameters' adjoint, with
 * vector-Jacobian products of f at detached copies of the state.
 *
 * `params` must be every tensor f depends on that needs a gradient (a
 * module's `parameters()`): gradients reach only these and y0. First
 * derivatives only (the backward solve is not itself recorded).
 *
 * Gradients agree with direct backpropagation through `odeint` to the
 * solvers' accuracy: the backward solve is a different numerical
 * integration, not the exact transpose of the forward one.
 *
 * Shapes: as `odeint`.
 *
 * @example
 * const net = mlp([2, 16, 2], { activation: 'tanh', rng });
 * const { ys } = odeintAdjoint((t, [z]) => [net.forward(z)], [x], [0, 1], net.parameters(), { rtol: 1e-6, atol: 1e-6 });
 * sum(square(ys[1][0])).backward();   // net's gradients, memory independent of the steps
 */
export function odeintAdjoint(f: OdeFunc, y0: readonly Tensor[], ts: readonly number[], params: readonly Tensor[], options: AdjointOptions = {}): AdjointSolution {
  if (!Array.isArray(params) || params.some((p) => !(p instanceof Tensor))) throw new Error('odeintAdjoint: params must be an array of Tensors (the parameters f depends on)');
  if (typeof f !== 'function') throw new Error('odeintAdjoint: f must be a function (t, y) => dy/dt');
  const forward = noGrad(() => odeint(f, y0.map((y) => (y instanceof Tensor ? y.detach() : y)), ts, options));
  const backwardStats: OdeStats = { nfe: 0, accepted: 0, rejected: 0 };
  const live = params.filter((p) => p.requiresGrad);
  const y0Live = y0.filter((y) => y.requiresGrad);
  const ys: Tensor[][] = [[...y0], ...forward.ys.slice(1)];
  if (!isGradEnabled() || (y0Live.length === 0 && live.length === 0)) return { ys, stats: forward.stats, backwardStats };

  const k = y0.length;
  const sizes = y0.map((y) => y.size);
  const perTime = sizes.reduce((a, b) => a + b, 0);
  const nOut = ts.length - 1;
  const dtype = y0.some((y) => y.dtype === 'float64') ? 'float64' : 'float32';
  const data = dtype === 'float64' ? new Float64Array(nOut * perTime) : new Float32Array(nOut * perTime);
  for (let i = 1; i <= nOut; i++) {
    let off = (i - 1) * perTime;
    for (const y of forward.ys[i]) {
      data.set(y.data, off);
      off += y.size;
    }
  }
  const packed = new Tensor(data, [nOut * perTime]);
  const backwardOpts: OdeintOptions = {
    ...options,
    method: options.adjointMethod ?? options.method,
    rtol: options.adjointRtol ?? options.rtol,
    atol: options.adjointAtol ?? options.atol,
    stepSize: options.adjointStepSize ?? options.stepSize,
  };

  // The augmented right-hand side: [f, -a^T df/dz, -a^T df/dtheta] at a detached copy of z.
  const augmented: OdeFunc = (t, s) => {
    const z = s.slice(0, k);
    const a = s.slice(k, 2 * k);
    return withGradMode(true, () => {
      const zl = z.map((zj) => zj.detach().requireGrad());
      const fz = f(t, zl);
      const outs: Tensor[] = [];
      const seeds: Tensor[] = [];
      fz.forEach((fj, j) => {
        if (fj.requiresGrad) {
          outs.push(fj);
          seeds.push(a[j].cast(fj.dtype));
        }
      });
      const inputs = [...zl, ...live];
      const vjp = outs.length ? grad(outs, inputs, { gradOutputs: seeds, allowUnused: true }) : inputs.map((x) => zerosLike(x));
      return [...fz.map((fj) => fj.detach()), ...vjp.slice(0, k).map((v) => neg(v)), ...vjp.slice(k).map((v) => neg(v))];
    });
  };

  const parents = [...y0Live, ...live];
  record(packed, 'odeintAdjoint', parents, (g) =>
    noGrad(() => {
      const incoming = (i: number): Tensor[] => {
        let off = (i - 1) * perTime;
        return y0.map((y, j) => {
          const gj = reshape(slice(g, 0, off, off + sizes[j]), y.shape).cast(y.dtype);
          off += sizes[j];
          return gj;
        });
      };
      let z: Tensor[] = forward.ys[nOut].map((y) => y.detach());
      let a: Tensor[] = incoming(nOut);
      let aTheta: Tensor[] = live.map((p) => zerosLike(p));
      for (let i = nOut; i >= 1; i--) {
        const sol = odeint(augmented, [...z, ...a, ...aTheta], [ts[i], ts[i - 1]], backwardOpts);
        backwardStats.nfe += sol.stats.nfe;
        backwardStats.accepted += sol.stats.accepted;
        backwardStats.rejected += sol.stats.rejected;
        const end = sol.ys[1];
        // The recomputed state drifts from the forward one by the solvers' errors: restart from the stored value.
        z = forward.ys[i - 1].map((y) => y.detach());
        a = end.slice(k, 2 * k);
        if (i - 1 >= 1) {
          const gi = incoming(i - 1);
          a = a.map((aj, j) => add(aj, gi[j]));
        }
        aTheta = end.slice(2 * k);
      }
      return [...y0.flatMap((y, j) => (y.requiresGrad ? [a[j]] : [])), ...aTheta];
    }),
  );
  let off = 0;
  for (let i = 1; i <= nOut; i++) {
    ys[i] = y0.map((y, j) => {
      const out = reshape(slice(packed, 0, off, off + sizes[j]), y.shape);
      off += sizes[j];
      return out;
    });
  }
  return { ys, stats: forward.stats, backwardStats };
}
