// Rational-quadratic spline kernels (Durkan et al. 2019, "Neural Spline
// Flows", eqs. 4-6 and appendix A): the whole elementwise spline of a
// coupling layer in one pass per value, from the unnormalized bin widths,
// heights and interior derivatives, and its gradient by hand-written reverse
// mode in a second pass. Replaces some forty tensor ops (softmax, cumsum,
// gathers, the rational function) and their intermediate arrays per layer.
// Arithmetic in double, results rounded to the output's dtype.
import type { FloatArray } from '../../tensor/tensor.js';

/** The shape constants of the splines of one call. */
export interface SplineShape {
  /** Values M; parameters are [M, K], [M, K], [M, K - 1]. */
  count: number;
  /** Bins K >= 2. */
  bins: number;
  /** The interval [-B, B] the splines cover; the identity outside. */
  tailBound: number;
  minBinWidth: number;
  minBinHeight: number;
  minDerivative: number;
  /** Map outputs back to inputs (the inverse spline). */
  inverse: boolean;
}

/** Knots of one row: edges[0..K] on [-B, B] from unnormalized sizes u[off .. off + K); frac receives the softmax-based fractions. */
function rowKnots(u: FloatArray, off: number, k: number, min: number, bound: number, frac: Float64Array, edges: Float64Array): void {
  let m = -Infinity;
  for (let j = 0; j < k; j++) m = Math.max(m, u[off + j]);
  let z = 0;
  for (let j = 0; j < k; j++) {
    const e = Math.exp(u[off + j] - m);
    frac[j] = e;
    z += e;
  }
  const scale = 1 - min * k;
  let cum = 0;
  edges[0] = -bound;
  for (let j = 0; j < k; j++) {
    frac[j] = min + (scale * frac[j]) / z;
    cum += frac[j];
    edges[j + 1] = j === k - 1 ? bound : bound * (2 * cum - 1);
  }
}

/** The knot derivative i of a row: 1 at the two ends, minD + softplus(ud) inside. */
function knotDerivative(ud: FloatArray, off: number, i: number, k: number, minD: number): number {
  if (i === 0 || i === k) return 1;
  const v = ud[off + i - 1];
  return minD + (v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v)));
}

/** The bin of v among edges[0..K] (interior knots at or below v). */
function binOf(v: number, edges: Float64Array, k: number): number {
  let b = 0;
  while (b < k - 1 && v >= edges[b + 1]) b++;
  return b;
}

/**
 * One value's bin and its knots: the scratch of a kernel call, reused for
 * every value (`locate` fills the fields for row i at v).
 */
class BinAt {
  readonly fw: Float64Array;
  readonly fh: Float64Array;
  readonly ew: Float64Array;
  readonly eh: Float64Array;
  b = 0;
  xk = 0;
  wk = 0;
  yk = 0;
  hk = 0;
  dk = 0;
  dk1 = 0;

  constructor(private readonly shape: SplineShape) {
    const k = shape.bins;
    this.fw = new Float64Array(k);
    this.fh = new Float64Array(k);
    this.ew = new Float64Array(k + 1);
    this.eh = new Float64Array(k + 1);
  }

  locate(uw: FloatArray, uh: FloatArray, ud: FloatArray, i: number, v: number): void {
    const { bins: k, tailBound: bound, minBinWidth, minBinHeight, minDerivative, inverse } = this.shape;
    const { fw, fh, ew, eh } = this;
    rowKnots(uw, i * k, k, minBinWidth, bound, fw, ew);
    rowKnots(uh, i * k, k, minBinHeight, bound, fh, eh);
    const b = binOf(v, inverse ? eh : ew, k);
    this.b = b;
    this.xk = ew[b];
    this.wk = ew[b + 1] - ew[b];
    this.yk = eh[b];
    this.hk = eh[b + 1] - eh[b];
    this.dk = knotDerivative(ud, i * (k - 1), b, k, minDerivative);
    this.dk1 = knotDerivative(ud, i * (k - 1), b + 1, k, minDerivative);
  }
}

/**
 * value[i], logDet[i] = the spline of row i at x[i] (or its inverse) and
 * log |d value / d x|; the identity and 0 outside [-B, B].
 */
export function rqSpline(x: FloatArray, uw: FloatArray, uh: FloatArray, ud: FloatArray, shape: SplineShape, value: FloatArray, logDet: FloatArray): void {
  const { count, tailBound: bound, inverse } = shape;
  const at = new BinAt(shape);
  for (let i = 0; i < count; i++) {
    const v = x[i];
    if (!(v >= -bound && v <= bound)) {
      value[i] = v;
      logDet[i] = 0;
      continue;
    }
    at.locate(uw, uh, ud, i, v);
    const { xk, wk, yk, hk, dk, dk1 } = at;
    const s = hk / wk;
    const c = dk + dk1 - 2 * s;
    let theta: number;
    if (!inverse) {
      theta = (v - xk) / wk;
      const t1 = theta * (1 - theta);
      value[i] = yk + (hk * (s * theta * theta + dk * t1)) / (s + c * t1);
    } else {
      const dy = v - yk;
      const qa = hk * (s - dk) + dy * c;
      const qb = hk * dk - dy * c;
      const qc = -s * dy;
      const disc = Math.max(qb * qb - 4 * qa * qc, 0);
      theta = (2 * qc) / (-qb - Math.sqrt(disc));
      value[i] = xk + theta * wk;
    }
    const omt = 1 - theta;
    const t1 = theta * omt;
    const den = s + c * t1;
    const q = dk1 * theta * theta + 2 * s * t1 + dk * omt * omt;
    const l = 2 * Math.log(s) + Math.log(q) - 2 * Math.log(den);
    logDet[i] = inverse ? -l : l;
  }
}

/**
 * The gradient of sum(gValue * value + gLogDet * logDet) of `rqSpline` with
 * respect to x and the three unnormalized parameter sets, written into gx
 * [M], guw [M, K], guh [M, K], gud [M, K - 1] (overwritten).
 */
export function rqSplineGrad(
  x: FloatArray, uw: FloatArray, uh: FloatArray, ud: FloatArray, shape: SplineShape,
  gValue: FloatArray, gLogDet: FloatArray, gx: FloatArray, guw: FloatArray, guh: FloatArray, gud: FloatArray,
): void {
  const { count, bins: k, tailBound: bound, minBinWidth, minBinHeight, inverse } = shape;
  const at = new BinAt(shape);
  const gew = new Float64Array(k + 1);
  const geh = new Float64Array(k + 1);
  const gFrac = new Float64Array(k);
  guw.fill(0);
  guh.fill(0);
  gud.fill(0);
  for (let i = 0; i < count; i++) {
    const v = x[i];
    if (!(v >= -bound && v <= bound)) {
      gx[i] = gValue[i];
      continue;
    }
    at.locate(uw, uh, ud, i, v);
    const { b, xk, wk, yk, hk, dk, dk1 } = at;
    const dOff = i * (k - 1);
    const s = hk / wk;
    const c = dk + dk1 - 2 * s;
    const gv = gValue[i];
    // The log-derivative term L = 2 log s + log q - 2 log den, as a function of theta, s, dk, dk1, c;
    // the inverse's log-determinant is -L.
    const gL = inverse ? -gLogDet[i] : gLogDet[i];
    let theta: number;
    let dy = 0;
    let qa = 0;
    let qb = 0;
    let qc = 0;
    let rt = 0;
    let denq = 0;
    if (!inverse) {
      theta = (v - xk) / wk;
    } else {
      dy = v - yk;
      qa = hk * (s - dk) + dy * c;
      qb = hk * dk - dy * c;
      qc = -s * dy;
      rt = Math.sqrt(Math.max(qb * qb - 4 * qa * qc, 0));
      denq = -qb - rt;
      theta = (2 * qc) / denq;
    }
    const omt = 1 - theta;
    const t1 = theta * omt;
    const th2 = theta * theta;
    const den = s + c * t1;
    const q = dk1 * th2 + 2 * s * t1 + dk * omt * omt;
    // Reverse sweep, starting from L (both directions) and the value.
    let gS = (2 * gL) / s;
    const gQ = gL / q;
    let gDen = (-2 * gL) / den;
    let gDk1 = gQ * th2;
    let gTh2 = gQ * dk1;
    gS += gQ * 2 * t1;
    let gT1 = gQ * 2 * s;
    let gDk = gQ * omt * omt;
    let gOmt = gQ * dk * 2 * omt;
    let gHk = 0;
    let gWk = 0;
    let gXk = 0;
    let gYk = 0;
    let gTheta = 0;
    if (!inverse) {
      // value = yk + num / den, num = hk inner, inner = s th2 + dk t1.
      const inner = s * th2 + dk * t1;
      const num = hk * inner;
      gYk += gv;
      const gNum = gv / den;
      gDen += (-gv * num) / (den * den);
      gHk += gNum * inner;
      const gInner = gNum * hk;
      gS += gInner * th2;
      gTh2 += gInner * s;
      gDk += gInner * t1;
      gT1 += gInner * dk;
    }
    // den = s + c t1.
    gS += gDen;
    let gC = gDen * t1;
    gT1 += gDen * c;
    // th2 = theta^2, t1 = theta omt, omt = 1 - theta.
    gTheta += 2 * theta * gTh2 + gT1 * omt;
    gOmt += gT1 * theta;
    gTheta -= gOmt;
    if (!inverse) {
      // theta = (x - xk) / wk.
      const gA = gTheta / wk;
      gWk += (-gTheta * theta) / wk;
      gx[i] = gA;
      gXk -= gA;
    } else {
      // value = xk + theta wk.
      gXk += gv;
      gTheta += gv * wk;
      gWk += gv * theta;
      // theta = 2 qc / denq, denq = -qb - rt, rt = sqrt(disc), disc = qb^2 - 4 qa qc.
      let gQc = (2 * gTheta) / denq;
      const gDenq = (-gTheta * theta) / denq;
      let gQb = -gDenq;
      const gRt = -gDenq;
      const gDisc = rt > 0 ? gRt / (2 * rt) : 0;
      gQb += 2 * qb * gDisc;
      const gQa = -4 * qc * gDisc;
      gQc += -4 * qa * gDisc;
      // qc = -s dy; qb = hk dk - dy c; qa = hk (s - dk) + dy c.
      gS += -dy * gQc;
      let gDy = -s * gQc;
      gHk += dk * gQb + (s - dk) * gQa;
      gDk += hk * gQb - hk * gQa;
      gDy += -c * gQb + c * gQa;
      gC += -dy * gQb + dy * gQa;
      gS += hk * gQa;
      // dy = y - yk.
      gx[i] = gDy;
      gYk -= gDy;
    }
    // c = dk + dk1 - 2 s; s = hk / wk.
    gDk += gC;
    gDk1 += gC;
    gS -= 2 * gC;
    gHk += gS / wk;
    gWk += (-gS * s) / wk;
    // Knots: xk = E[b], wk = E[b+1] - E[b] (and the same for the heights); the end knots are constants.
    gew.fill(0);
    geh.fill(0);
    gew[b] += gXk - gWk;
    gew[b + 1] += gWk;
    geh[b] += gYk - gHk;
    geh[b + 1] += gHk;
    knotsGrad(gew, at.fw, k, minBinWidth, bound, gFrac, guw, i * k);
    knotsGrad(geh, at.fh, k, minBinHeight, bound, gFrac, guh, i * k);
    // Interior derivatives: minD + softplus(ud), d/dud = sigmoid(ud).
    if (b >= 1) gud[dOff + b - 1] += gDk / (1 + Math.exp(-ud[dOff + b - 1]));
    if (b + 1 <= k - 1) gud[dOff + b] += gDk1 / (1 + Math.exp(-ud[dOff + b]));
  }
}

/**
 * From the gradient of the edges gE[0..K] to the unnormalized sizes:
 * E[i] = B (2 cum_i - 1) for interior i with cum_i = sum_{j < i} frac_j,
 * frac = min + (1 - min K) softmax(u).
 */
function knotsGrad(gE: Float64Array, frac: Float64Array, k: number, min: number, bound: number, gFrac: Float64Array, gu: FloatArray, off: number): void {
  const scale = 1 - min * k;
  // g_frac_j = 2B sum_{i = j+1}^{K-1} gE[i], accumulated from the right (gFrac: scratch of K).
  let acc = 0;
  let dot = 0;
  for (let j = k - 1; j >= 0; j--) {
    gFrac[j] = 2 * bound * acc;
    if (j >= 1) acc += gE[j];
  }
  // softmax p_j = (frac_j - min) / scale; g_u = p (g_p - sum p g_p) with g_p = scale g_frac.
  for (let j = 0; j < k; j++) dot += ((frac[j] - min) / scale) * scale * gFrac[j];
  for (let j = 0; j < k; j++) {
    const p = (frac[j] - min) / scale;
    gu[off + j] = p * (scale * gFrac[j] - dot);
  }
}
