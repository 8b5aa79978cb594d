// The divergence tr(df/dz) that drives a continuous flow's log-density
// (Chen et al. 2018, Neural ODEs, Theorem 1: d log p(z(t))/dt = -tr(df/dz)):
// exactly, with one vector-Jacobian product per dimension, or unbiasedly with
// Hutchinson's estimator eps^T (df/dz) eps, one product per noise draw
// (Grathwohl et al. 2019, FFJORD, section 3.1).
import { Tensor } from '../../tensor/tensor.js';
import { zeros } from '../../tensor/create.js';
import { formatShape, sameShape } from '../../tensor/shape.js';
import { add, mul, reshape, slice, sum } from '../../ops/index.js';
import { grad, isGradEnabled, record, withGradMode } from '../../autograd/index.js';
import { randn, type Generator } from '../../random/index.js';

export type TraceMethod = 'exact' | 'hutchinson';
export type HutchinsonNoise = 'gaussian' | 'rademacher';

export const TRACE_METHODS: readonly TraceMethod[] = ['exact', 'hutchinson'];
export const HUTCHINSON_NOISES: readonly HutchinsonNoise[] = ['gaussian', 'rademacher'];

function checkPair(fz: Tensor, z: Tensor, fn: string): [number, number] {
  if (!(fz instanceof Tensor) || !(z instanceof Tensor)) throw new Error(`${fn}: fz and z must be Tensors`);
  if (z.rank !== 2) throw new Error(`${fn}: z must have shape [batch, D], got ${formatShape(z.shape)}`);
  if (!sameShape(fz.shape, z.shape)) throw new Error(`${fn}: fz ${formatShape(fz.shape)} must have the shape of z ${formatShape(z.shape)}`);
  return [z.shape[0], z.shape[1]];
}

/**
 * The exact divergence tr(df/dz) of each row, for fz = f(z) computed row by
 * row from z: D vector-Jacobian products with the unit vectors, the i-th
 * contributing the diagonal entry (df_i/dz_i) of every row at once. Affordable
 * for small D (the 2-D toys: two products).
 *
 * With `createGraph` the result is differentiable (for training). The products
 * sweep the whole graph behind fz; call it on a leaf z (or through
 * `dynamicsWithDivergence`) inside a solver.
 *
 * Shapes: fz, z [batch, D] -> [batch].
 *
 * @example
 * const z = randn([8, 2], rng).requireGrad();
 * const div = exactTrace(net.forward(z), z);   // [8]
 */
export function exactTrace(fz: Tensor, z: Tensor, options: { createGraph?: boolean } = {}): Tensor {
  const [b, d] = checkPair(fz, z, 'exactTrace');
  if (!fz.requiresGrad) return zeros([b], { dtype: fz.dtype });
  let total: Tensor | null = null;
  for (let i = 0; i < d; i++) {
    const e = zeros([b, d], { dtype: fz.dtype });
    for (let r = 0; r < b; r++) e.data[r * d + i] = 1;
    const [v] = grad([fz], [z], { gradOutputs: [e], createGraph: options.createGraph ?? false, allowUnused: true });
    const diag = reshape(slice(v, 1, i, i + 1), [b]);
    total = total ? add(total, diag) : diag;
  }
  return total!;
}

/**
 * Hutchinson's estimate of tr(df/dz) per row: eps^T (df/dz) eps, from one
 * vector-Jacobian product eps^T (df/dz). Unbiased when E[eps eps^T] = I
 * (standard Gaussian or Rademacher noise); with A = df/dz, its variance is
 * 2 ||(A + A^T)/2||_F^2 for Gaussian noise and that minus 2 sum_i A_ii^2 for
 * Rademacher noise, never more. In a solve the noise is drawn once and held
 * fixed (FFJORD), so the integrated log-density is one smooth ODE.
 *
 * Shapes: fz, z, eps [batch, D] -> [batch].
 *
 * @example
 * const eps = traceNoise([8, 2], 'rademacher', rng);
 * const est = hutchinsonTrace(net.forward(z), z, eps);   // [8], E[est] = tr(df/dz)
 */
export function hutchinsonTrace(fz: Tensor, z: Tensor, eps: Tensor, options: { createGraph?: boolean } = {}): Tensor {
  const [b] = checkPair(fz, z, 'hutchinsonTrace');
  if (!(eps instanceof Tensor) || !sameShape(eps.shape, z.shape)) {
    throw new Error(`hutchinsonTrace: eps must have the shape of z ${formatShape(z.shape)}, got ${eps instanceof Tensor ? formatShape(eps.shape) : typeof eps}`);
  }
  if (!fz.requiresGrad) return zeros([b], { dtype: fz.dtype });
  const [v] = grad([fz], [z], { gradOutputs: [eps.cast(fz.dtype)], createGraph: options.createGraph ?? false, allowUnused: true });
  return sum(mul(v, eps.cast(fz.dtype)), 1);
}

/**
 * Noise for Hutchinson's estimator: standard Gaussian, or Rademacher (+-1
 * with probability 1/2 each), of the given shape.
 *
 * @example
 * traceNoise([100, 2], 'rademacher', new Generator(0));   // entries +-1
 */
export function traceNoise(shape: readonly number[], kind: HutchinsonNoise, rng: Generator, options: { dtype?: Tensor['dtype'] } = {}): Tensor {
  if (!HUTCHINSON_NOISES.includes(kind)) throw new Error(`traceNoise: kind must be one of ${HUTCHINSON_NOISES.join(', ')}, got ${JSON.stringify(kind)}`);
  if (!rng) throw new Error('traceNoise: pass rng (a Generator)');
  const dtype = options.dtype ?? 'float32';
  if (kind === 'gaussian') return randn(shape, rng, { dtype });
  const t = zeros(shape, { dtype });
  for (let i = 0; i < t.data.length; i++) t.data[i] = rng.uniform01() < 0.5 ? -1 : 1;
  return t;
}

export interface DivergenceOptions {
  /** 'exact' (default; D products) or 'hutchinson' (one product; needs `noise`). */
  trace?: TraceMethod;
  /** Hutchinson's eps [batch, D], drawn once per solve. */
  noise?: Tensor;
}

/**
 * f(z) and its divergence tr(df/dz) per row, as the right-hand side of a
 * continuous flow needs them, connected to z and `params` through one
 * recorded operation.
 *
 * Why not call `exactTrace` on the solver's z directly: each
 * vector-Jacobian product would sweep the whole graph of the solve so far
 * (every earlier step), making backpropagation through the solver quadratic
 * in the number of steps. Here f and the trace are computed on a detached
 * copy of z, and one op stands for the pair, with the gradient rule
 * "vector-Jacobian product of (f, trace) at that copy" (with `createGraph`
 * when recording, so it can be differentiated again).
 *
 * `params` are the tensors f depends on (a module's `parameters()`); their
 * gradients flow through this op. Without recording (under `noGrad`) the
 * results carry no graph.
 *
 * Shapes: z [batch, D] -> { dz [batch, D], div [batch] }.
 *
 * @example
 * const { dz, div } = dynamicsWithDivergence((z) => net.forward(z), z, net.parameters(), { trace: 'exact' });
 */
export function dynamicsWithDivergence(fn: (z: Tensor) => Tensor, z: Tensor, params: readonly Tensor[], options: DivergenceOptions = {}): { dz: Tensor; div: Tensor } {
  const trace = options.trace ?? 'exact';
  if (!TRACE_METHODS.includes(trace)) throw new Error(`dynamicsWithDivergence: trace must be one of ${TRACE_METHODS.join(', ')}, got ${JSON.stringify(trace)}`);
  if (trace === 'hutchinson' && !options.noise) throw new Error("dynamicsWithDivergence: trace 'hutchinson' needs options.noise (eps [batch, D], drawn once per solve)");
  const live = params.filter((p) => p.requiresGrad);
  const recording = isGradEnabled() && (z.requiresGrad || live.length > 0);
  const zl = z.detach().requireGrad();
  const { fz, div } = withGradMode(true, () => {
    const out = fn(zl);
    if (!(out instanceof Tensor) || !sameShape(out.shape, z.shape)) {
      throw new Error(`dynamicsWithDivergence: f(z) must have the shape of z ${formatShape(z.shape)}, got ${out instanceof Tensor ? formatShape(out.shape) : typeof out}`);
    }
    const d = trace === 'exact' ? exactTrace(out, zl, { createGraph: recording }) : hutchinsonTrace(out, zl, options.noise!, { createGraph: recording });
    return { fz: out, div: d };
  });
  if (!recording) return { dz: fz.detach(), div: div.detach() };
  const n = fz.size;
  const m = div.size;
  const data = fz.dtype === 'float64' ? new Float64Array(n + m) : new Float32Array(n + m);
  data.set(fz.data, 0);
  data.set(div.data, n);
  const packed = new Tensor(data, [n + m]);
  const parents = z.requiresGrad ? [z, ...live] : live;
  record(packed, 'dynamicsWithDivergence', parents, (g) => {
    const outs: Tensor[] = [];
    const seeds: Tensor[] = [];
    if (fz.requiresGrad) {
      outs.push(fz);
      seeds.push(reshape(slice(g, 0, 0, n), fz.shape));
    }
    if (div.requiresGrad) {
      outs.push(div);
      seeds.push(reshape(slice(g, 0, n, n + m), div.shape));
    }
    const inputs = [zl, ...live];
    const grads = outs.length ? grad(outs, inputs, { gradOutputs: seeds, createGraph: isGradEnabled(), allowUnused: true }) : inputs.map(() => null);
    return z.requiresGrad ? grads : grads.slice(1);
  });
  return { dz: reshape(slice(packed, 0, 0, n), fz.shape), div: reshape(slice(packed, 0, n, n + m), div.shape) };
}
