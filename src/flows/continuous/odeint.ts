// Initial-value problems dy/dt = f(t, y) for a state made of several
// tensors (a continuous flow integrates [z, log-density change] jointly):
// explicit Euler, classical RK4, and Dormand-Prince 5(4) with step-size
// control (Hairer, Norsett & Wanner, Solving Ordinary Differential Equations I,
// 2nd ed., II.4-II.5). Every stage is written in differentiable ops, so a
// loss of the solution backpropagates through the steps ("direct"
// backpropagation); the step-size controller works on plain numbers and is
// not differentiated, as in torchdiffeq.
import { Tensor } from '../../tensor/tensor.js';
import { add, mul } from '../../ops/index.js';
import { noGrad } from '../../autograd/index.js';

/** The right-hand side f(t, y): one tensor per state component, each of the component's shape. */
export type OdeFunc = (t: number, y: readonly Tensor[]) => Tensor[];

export type OdeMethod = 'euler' | 'rk4' | 'dopri5';

export const ODE_METHODS: readonly OdeMethod[] = ['euler', 'rk4', 'dopri5'];

export interface OdeintOptions {
  /** 'dopri5' (default, adaptive), 'rk4' or 'euler' (fixed steps). */
  method?: OdeMethod;
  /** Fixed-step methods: the largest step; each interval between requested times is cut into equal steps no longer than this (default 0.1). */
  stepSize?: number;
  /** dopri5: relative tolerance (default 1e-5). */
  rtol?: number;
  /** dopri5: absolute tolerance (default 1e-5). */
  atol?: number;
  /** Give up after this many steps, accepted and rejected (default 10,000). */
  maxSteps?: number;
  /** dopri5: the first step's size; by default chosen by HNW's algorithm (II.4, p. 169). */
  firstStep?: number;
}

/** Work done by one solve. */
export interface OdeStats {
  /** Evaluations of f. */
  nfe: number;
  /** Steps taken (for fixed-step methods every step is accepted). */
  accepted: number;
  /** dopri5: steps whose error estimate exceeded the tolerance and were retried smaller. */
  rejected: number;
}

export interface OdeSolution {
  /** ys[i] is the state at ts[i]; ys[0] is y0 itself. */
  ys: Tensor[][];
  stats: OdeStats;
}

// Dormand & Prince (1980), the RK5(4)7M pair: nodes c, matrix a, 5th-order
// weights b (the last row of a: the FSAL property, k7 of one step is k1 of
// the next) and e = b - b*, the difference with the embedded 4th-order weights.
const DP_C = [0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1, 1];
const DP_A: number[][] = [
  [],
  [1 / 5],
  [3 / 40, 9 / 40],
  [44 / 45, -56 / 15, 32 / 9],
  [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
  [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
  [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
];
const DP_E = [71 / 57600, 0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40];
// Step-size controller (HNW II.4, eq. 4.13 with the usual safety factor and bounds).
const SAFETY = 0.9;
const MIN_FACTOR = 0.2;
const MAX_FACTOR = 10;

function checkOptions(y0: readonly Tensor[], ts: readonly number[], o: OdeintOptions, fn: string): Required<Omit<OdeintOptions, 'firstStep'>> & { firstStep?: number } {
  if (!Array.isArray(y0) || y0.length === 0 || y0.some((t) => !(t instanceof Tensor))) {
    throw new Error(`${fn}: y0 must be a non-empty array of Tensors (the state's components)`);
  }
  if (!Array.isArray(ts) || ts.length < 2) throw new Error(`${fn}: ts must list at least two times (start and end), got ${JSON.stringify(ts)}`);
  if (ts.some((t) => typeof t !== 'number' || !Number.isFinite(t))) throw new Error(`${fn}: ts must be finite numbers, got ${JSON.stringify(ts)}`);
  const dir = Math.sign(ts[1] - ts[0]);
  for (let i = 1; i < ts.length; i++) {
    if (dir === 0 || Math.sign(ts[i] - ts[i - 1]) !== dir) throw new Error(`${fn}: ts must be strictly increasing or strictly decreasing, got ${JSON.stringify(ts)}`);
  }
  const method = o.method ?? 'dopri5';
  if (!ODE_METHODS.includes(method)) throw new Error(`${fn}: method must be one of ${ODE_METHODS.join(', ')}, got ${JSON.stringify(method)}`);
  const positive = (name: keyof OdeintOptions, v: number | undefined, dflt: number) => {
    const x = v ?? dflt;
    if (typeof x !== 'number' || !(x > 0) || !Number.isFinite(x)) throw new Error(`${fn}: ${name} must be a positive finite number, got ${v}`);
    return x;
  };
  const maxSteps = o.maxSteps ?? 10_000;
  if (!Number.isInteger(maxSteps) || maxSteps < 1) throw new Error(`${fn}: maxSteps must be a positive integer, got ${o.maxSteps}`);
  return {
    method,
    stepSize: positive('stepSize', o.stepSize, 0.1),
    rtol: positive('rtol', o.rtol, 1e-5),
    atol: positive('atol', o.atol, 1e-5),
    maxSteps,
    firstStep: o.firstStep === undefined ? undefined : positive('firstStep', o.firstStep, 1),
  };
}

function checkDerivative(k: Tensor[], y: readonly Tensor[], t: number, fn: string): Tensor[] {
  if (!Array.isArray(k) || k.length !== y.length) throw new Error(`${fn}: f(t, y) must return ${y.length} tensor(s), one per state component, got ${Array.isArray(k) ? k.length : typeof k}`);
  k.forEach((ki, j) => {
    if (!(ki instanceof Tensor) || ki.size !== y[j].size) {
      throw new Error(`${fn}: f(${t}, y)[${j}] must be a Tensor of the shape of y[${j}] [${y[j].shape.join(', ')}], got ${ki instanceof Tensor ? `[${ki.shape.join(', ')}]` : typeof ki}`);
    }
  });
  return k;
}

/** y + sum_i w_i k_i, componentwise, skipping zero weights (differentiable). */
function combine(y: readonly Tensor[], ks: readonly Tensor[][], w: readonly number[]): Tensor[] {
  return y.map((yj, j) => {
    let acc: Tensor | null = null;
    for (let i = 0; i < w.length; i++) {
      if (w[i] === 0) continue;
      const term = mul(ks[i][j], w[i]);
      acc = acc ? add(acc, term) : term;
    }
    return acc ? add(yj, acc) : yj;
  });
}

/** The root-mean-square norm of v / (atol + rtol max(|y0|, |y1|)) over every entry of every component (HNW II.4, eq. 4.11). */
function errorNorm(v: readonly Float64Array[], y0: readonly Tensor[], y1: readonly Tensor[], rtol: number, atol: number): number {
  let s = 0;
  let n = 0;
  v.forEach((vj, j) => {
    const a = y0[j].data;
    const b = y1[j].data;
    for (let i = 0; i < vj.length; i++) {
      const sc = atol + rtol * Math.max(Math.abs(a[i]), Math.abs(b[i]));
      s += (vj[i] / sc) ** 2;
    }
    n += vj.length;
  });
  return Math.sqrt(s / n);
}

function rmsScaled(v: readonly Tensor[], y: readonly Tensor[], rtol: number, atol: number): number {
  let s = 0;
  let n = 0;
  v.forEach((vj, j) => {
    const a = y[j].data;
    for (let i = 0; i < vj.data.length; i++) s += (vj.data[i] / (atol + rtol * Math.abs(a[i]))) ** 2;
    n += vj.data.length;
  });
  return Math.sqrt(s / n);
}

/**
 * The first step of an adaptive solve (HNW II.4, p. 169): a step h0 from
 * the sizes of y0 and f(t0, y0), refined by one explicit Euler probe so that
 * the local error of the order-`order` method is about 1% of the tolerance.
 * Costs one evaluation of f, made without recording.
 */
function initialStep(f: OdeFunc, t0: number, y0: readonly Tensor[], f0: readonly Tensor[], dir: number, order: number, rtol: number, atol: number): number {
  const d0 = rmsScaled(y0, y0, rtol, atol);
  const d1 = rmsScaled(f0, y0, rtol, atol);
  const h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : 0.01 * (d0 / d1);
  const d2 = noGrad(() => {
    const y1 = y0.map((y, j) => add(y.detach(), mul(f0[j].detach(), dir * h0)));
    const f1 = f(t0 + dir * h0, y1);
    const diff = f1.map((fj, j) => new Tensor(Float64Array.from(fj.data, (v, i) => v - f0[j].data[i]), [fj.size]));
    return rmsScaled(diff, y0, rtol, atol) / h0;
  });
  const h1 = Math.max(d1, d2) <= 1e-15 ? Math.max(1e-6, h0 * 1e-3) : (0.01 / Math.max(d1, d2)) ** (1 / (order + 1));
  return Math.min(100 * h0, h1);
}

/**
 * Solves dy/dt = f(t, y), y(ts[0]) = y0, and returns the state at each time
 * of `ts` (increasing, or decreasing to integrate backwards) with the work
 * done. The state is a list of tensors of any shapes; f returns one tensor
 * per component, of the same shapes.
 *
 * - 'euler' (order 1) and 'rk4' (the classical Runge-Kutta method, order 4)
 *   cut each interval between requested times into equal steps no longer
 *   than `stepSize`.
 * - 'dopri5' (Dormand & Prince 1980, order 5 with an embedded order-4
 *   estimate, local extrapolation, FSAL) accepts a step when the RMS of the
 *   error estimate scaled by atol + rtol max(|y_n|, |y_n+1|) is at most 1 and
 *   scales the step by 0.9 err^(-1/5), bounded to [0.2, 10] (no growth right
 *   after a rejection); steps are shortened to land on each requested time.
 *
 * Gradients flow through every stage (backpropagation through the solver,
 * memory growing with the number of steps); `odeintAdjoint` computes them
 * in memory independent of the steps.
 *
 * Reference: E. Hairer, S. P. Norsett, G. Wanner, Solving Ordinary
 * Differential Equations I (2nd ed., 1993), II.1, II.4, II.5.
 *
 * @example
 * // dy/dt = -y, y(0) = 1: y(1) = e^-1
 * const { ys, stats } = odeint((t, [y]) => [neg(y)], [tensor([1])], [0, 1], { method: 'dopri5', rtol: 1e-8, atol: 1e-8 });
 * ys[1][0].item();   // ~0.36787944
 * stats.nfe;         // evaluations of f
 */
export function odeint(f: OdeFunc, y0: readonly Tensor[], ts: readonly number[], options: OdeintOptions = {}): OdeSolution {
  const o = checkOptions(y0, ts, options, 'odeint');
  if (typeof f !== 'function') throw new Error('odeint: f must be a function (t, y) => dy/dt');
  const stats: OdeStats = { nfe: 0, accepted: 0, rejected: 0 };
  const eval_ = (t: number, y: readonly Tensor[]): Tensor[] => {
    stats.nfe++;
    return checkDerivative(f(t, y), y, t, 'odeint');
  };
  const ys: Tensor[][] = [[...y0]];
  if (o.method === 'dopri5') {
    dopri5(eval_, f, y0, ts, o, stats, ys);
    return { ys, stats };
  }
  let y: readonly Tensor[] = y0;
  for (let i = 1; i < ts.length; i++) {
    const span = ts[i] - ts[i - 1];
    // Equal steps landing exactly on ts[i]; the small slack keeps a span of exactly k * stepSize at k steps despite rounding.
    const n = Math.max(1, Math.ceil(Math.abs(span) / o.stepSize - 1e-9));
    const h = span / n;
    for (let s = 0; s < n; s++) {
      if (stats.accepted >= o.maxSteps) throw new Error(`odeint: more than maxSteps = ${o.maxSteps} steps; raise maxSteps or stepSize`);
      const t = ts[i - 1] + s * h;
      if (o.method === 'euler') {
        y = combine(y, [eval_(t, y)], [h]);
      } else {
        const k1 = eval_(t, y);
        const k2 = eval_(t + h / 2, combine(y, [k1], [h / 2]));
        const k3 = eval_(t + h / 2, combine(y, [k2], [h / 2]));
        const k4 = eval_(t + h, combine(y, [k3], [h]));
        y = combine(y, [k1, k2, k3, k4], [h / 6, h / 3, h / 3, h / 6]);
      }
      stats.accepted++;
    }
    ys.push([...y]);
  }
  return { ys, stats };
}

function dopri5(
  eval_: (t: number, y: readonly Tensor[]) => Tensor[],
  f: OdeFunc,
  y0: readonly Tensor[],
  ts: readonly number[],
  o: { rtol: number; atol: number; maxSteps: number; firstStep?: number },
  stats: OdeStats,
  ys: Tensor[][],
): void {
  const dir = Math.sign(ts[ts.length - 1] - ts[0]);
  let t = ts[0];
  let y: readonly Tensor[] = y0;
  let k1 = eval_(t, y);
  let h = o.firstStep ?? initialStep(f, t, y, k1, dir, 4, o.rtol, o.atol);
  if (o.firstStep === undefined) stats.nfe++;
  let rejectedLast = false;
  for (let i = 1; i < ts.length; i++) {
    const target = ts[i];
    while (dir * (target - t) > 0) {
      if (stats.accepted + stats.rejected >= o.maxSteps) {
        throw new Error(`odeint: more than maxSteps = ${o.maxSteps} steps before t = ${target} (reached t = ${t}); loosen rtol/atol or raise maxSteps`);
      }
      // Land on the requested time: shorten the step to reach it, or stretch a little to avoid a sliver of a step after.
      const remaining = Math.abs(target - t);
      const last = h >= remaining * (1 - 1e-10);
      const hs = dir * (last ? remaining : h);
      const ks: Tensor[][] = [k1];
      let y5: Tensor[] = [];
      for (let s = 1; s < 7; s++) {
        // The last stage's argument is the 5th-order solution itself (FSAL).
        const stage = combine(y, ks, DP_A[s].map((a) => a * hs));
        if (s === 6) y5 = stage;
        ks.push(eval_(s === 6 && last ? target : t + DP_C[s] * hs, stage));
      }
      const err: Float64Array[] = y.map((yj, j) => {
        const e = new Float64Array(yj.size);
        for (let s = 0; s < 7; s++) {
          if (DP_E[s] === 0) continue;
          const kd = ks[s][j].data;
          const w = DP_E[s] * hs;
          for (let q = 0; q < e.length; q++) e[q] += w * kd[q];
        }
        return e;
      });
      const norm = errorNorm(err, y, y5, o.rtol, o.atol);
      const accept = norm <= 1;
      if (accept) {
        t = last ? target : t + hs;
        y = y5;
        k1 = ks[6];
        stats.accepted++;
      } else {
        stats.rejected++;
      }
      // A NaN error (f blew up on a stage) counts as the worst rejection: shrink as much as allowed.
      let factor = Number.isNaN(norm) ? MIN_FACTOR : norm === 0 ? MAX_FACTOR : SAFETY * norm ** -0.2;
      factor = Math.min(accept && !rejectedLast ? MAX_FACTOR : 1, Math.max(MIN_FACTOR, factor));
      rejectedLast = !accept;
      h = Math.abs(hs) * factor;
      if (!(h > 1e-14 * Math.max(1, Math.abs(t)))) {
        throw new Error(`odeint: the step size fell to ${h} at t = ${t} (error estimate ${norm}); the problem may be stiff or f may produce NaN`);
      }
    }
    ys.push([...y]);
  }
}
