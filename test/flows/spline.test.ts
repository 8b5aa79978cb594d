// Rational-quadratic spline couplings (Durkan et al. 2019): the spline
// against a direct evaluation of the paper's formulas, monotone and onto
// [-B, B], identity tails; the coupling layer invertible to 1e-5 and its
// log-determinants equal to brute-force Jacobian determinants (checkBijector),
// in float64, inside and outside the tails; gradients by finite differences.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Generator, SplineCoupling, Tensor, grad, randn, rationalQuadraticSpline, rationalQuadraticSplineOps, sum, tensor, type Module,
} from '../../src/index.js';
import { assertGradcheck } from '../helpers.js';
import { checkBijector } from './checks.js';

const f64 = { dtype: 'float64' as const };

function perturb(m: Module<any, any>, seed: number, scale = 0.5): void { // eslint-disable-line @typescript-eslint/no-explicit-any
  const rng = new Generator(seed);
  for (const p of m.parameters()) for (let i = 0; i < p.size; i++) p.data[i] += scale * rng.normal01();
}

/** The spline of one value, straight from the paper's definitions, in plain numbers. */
function referenceSpline(x: number, uw: number[], uh: number[], ud: number[], B: number, minW = 1e-3, minH = 1e-3, minD = 1e-3): { y: number; logDet: number } {
  if (x < -B || x > B) return { y: x, logDet: 0 };
  const k = uw.length;
  const norm = (u: number[], min: number) => {
    const m = Math.max(...u);
    const e = u.map((v) => Math.exp(v - m));
    const z = e.reduce((a, b) => a + b, 0);
    const frac = e.map((v) => min + (1 - min * k) * (v / z));
    const knotsAt = [-B];
    let c = 0;
    for (let i = 0; i < k; i++) { c += frac[i]; knotsAt.push(i === k - 1 ? B : -B + 2 * B * c); }
    return knotsAt;
  };
  const xs = norm(uw, minW);
  const ys = norm(uh, minH);
  const d = [1, ...ud.map((v) => minD + Math.log1p(Math.exp(v))), 1];
  let b = 0;
  while (b < k - 1 && x >= xs[b + 1]) b++;
  const w = xs[b + 1] - xs[b];
  const h = ys[b + 1] - ys[b];
  const s = h / w;
  const t = (x - xs[b]) / w;
  const den = s + (d[b + 1] + d[b] - 2 * s) * t * (1 - t);
  const y = ys[b] + (h * (s * t * t + d[b] * t * (1 - t))) / den;
  const deriv = (s * s * (d[b + 1] * t * t + 2 * s * t * (1 - t) + d[b] * (1 - t) ** 2)) / (den * den);
  return { y, logDet: Math.log(deriv) };
}

test('rationalQuadraticSpline equals the paper formulas, inverts, is monotone and onto [-B, B], and is the identity outside', () => {
  const k = 5;
  const B = 2;
  const n = 41;
  const rng = new Generator(1);
  const params = (m: number) => randn([n, m], rng, f64);
  const uw = params(k);
  const uh = params(k);
  const ud = params(k - 1);
  const xs = Array.from({ length: n }, (_, i) => -3 + (6 * i) / (n - 1));   // covers both tails and the knots' neighbourhoods
  const x = tensor(xs, f64);
  const fwd = rationalQuadraticSpline(x, uw, uh, ud, { tailBound: B });
  for (let i = 0; i < n; i++) {
    const row = (t: Tensor, m: number) => Array.from(t.data.slice(i * m, (i + 1) * m));
    const ref = referenceSpline(xs[i], row(uw, k), row(uh, k), row(ud, k - 1), B);
    // float64 through a few dozen operations: agreement to 1e-12.
    assert.ok(Math.abs(fwd.value.data[i] - ref.y) < 1e-12, `y[${i}] ${fwd.value.data[i]} vs ${ref.y}`);
    assert.ok(Math.abs(fwd.logDet.data[i] - ref.logDet) < 1e-12, `logDet[${i}] ${fwd.logDet.data[i]} vs ${ref.logDet}`);
    if (Math.abs(xs[i]) > B) assert.equal(fwd.value.data[i], xs[i]);
  }
  const inv = rationalQuadraticSpline(fwd.value, uw, uh, ud, { tailBound: B, inverse: true });
  for (let i = 0; i < n; i++) {
    assert.ok(Math.abs(inv.value.data[i] - xs[i]) < 1e-10, `inverse[${i}] ${inv.value.data[i]} vs ${xs[i]}`);
    assert.ok(Math.abs(inv.logDet.data[i] + fwd.logDet.data[i]) < 1e-10);
  }
  // One parameter set on a fine grid: strictly increasing, -B -> -B and B -> B.
  const m = 2001;
  const grid = tensor(Array.from({ length: m }, (_, i) => -B + (2 * B * i) / (m - 1)), f64);
  const rep = (t: Tensor, w: number) => new Tensor(Float64Array.from({ length: m * w }, (_, i) => t.data[i % w]), [m, w]);
  const y = rationalQuadraticSpline(grid, rep(uw, k), rep(uh, k), rep(ud, k - 1), { tailBound: B }).value.data;
  assert.ok(Math.abs(y[0] + B) < 1e-12 && Math.abs(y[m - 1] - B) < 1e-12);
  for (let i = 1; i < m; i++) assert.ok(y[i] > y[i - 1], `not increasing at ${i}`);
});

test('rationalQuadraticSpline gradients (in x and in all three parameter sets, both directions) match finite differences', () => {
  const rng = new Generator(4);
  const n = 6;
  const k = 4;
  const x = new Tensor(Float64Array.from([-1.7, -0.9, -0.2, 0.3, 1.1, 1.8]), [n], true);
  const mk = (m: number) => { const t = randn([n, m], rng, f64); return new Tensor(t.data, t.shape, true); };
  const uw = mk(k);
  const uh = mk(k);
  const ud = mk(k - 1);
  for (const inverse of [false, true]) {
    assertGradcheck((a, b, c, d) => {
      const r = rationalQuadraticSpline(a, b, c, d, { tailBound: 2, inverse });
      return r.value.add(r.logDet.mul(0.7));
    }, [x, uw, uh, ud], undefined, inverse ? 'inverse' : 'forward');
  }
});

test('the fused spline kernels equal the op-by-op spline in value, log-derivative and every gradient, and give second derivatives through it', () => {
  const rng = new Generator(9);
  const n = 300;
  const k = 7;
  const B = 2.5;
  const leaf = (t: Tensor) => new Tensor(t.data, t.shape, true);
  // Inputs over [-3.5, 3.5]: about a third in the identity tails.
  const x = leaf(new Tensor(Float64Array.from({ length: n }, () => 7 * rng.uniform01() - 3.5), [n]));
  const [uw, uh] = [randn([n, k], rng, f64), randn([n, k], rng, f64)].map((t) => leaf(t.mul(1.5)));
  const ud = leaf(randn([n, k - 1], rng, f64).mul(1.5));
  const rows = (t: Tensor, m: number) => new Tensor(t.data.slice(0, m * t.shape[1]), [m, t.shape[1]]);
  for (const inverse of [false, true]) {
    const fused = rationalQuadraticSpline(x, uw, uh, ud, { tailBound: B, inverse });
    const ops = rationalQuadraticSplineOps(x, uw, uh, ud, { tailBound: B, inverse });
    // Both in float64 along different operation orders (softmax and cumsum in double vs tensor ops): 1e-12.
    for (let i = 0; i < n; i++) {
      assert.ok(Math.abs(fused.value.data[i] - ops.value.data[i]) < 1e-12, `value ${i}`);
      assert.ok(Math.abs(fused.logDet.data[i] - ops.logDet.data[i]) < 1e-12, `logDet ${i}`);
    }
    const w = randn([n], new Generator(10), f64);
    const loss = (r: { value: Tensor; logDet: Tensor }) => sum(r.value.mul(w).add(r.logDet.mul(w.mul(0.5))));
    // Relative 1e-10: steep bins give gradients in the hundreds, and the two sweeps round differently.
    const gf = grad([loss(fused)], [x, uw, uh, ud]);
    const go = grad([loss(ops)], [x, uw, uh, ud]);
    gf.forEach((g, j) => { for (let i = 0; i < g.size; i++) assert.ok(Math.abs(g.data[i] - go[j].data[i]) < 1e-10 * Math.max(1, Math.abs(go[j].data[i])), `${inverse ? 'inverse' : 'forward'} gradient ${j}[${i}]: ${g.data[i]} vs ${go[j].data[i]}`); });
    // With createGraph the rule differentiates the op-by-op spline, so second derivatives exist and match finite differences.
    assertGradcheck((a, b) => {
      const [gx] = grad([sum(rationalQuadraticSpline(a, b, rows(uh, 8), rows(ud, 8), { tailBound: B, inverse }).logDet)], [a], { createGraph: true });
      return gx;
    }, [new Tensor(x.data.slice(0, 8), [8]), rows(uw, 8)], undefined, `second order ${inverse ? 'inverse' : 'forward'}`);
  }
  // float32: the kernel computes in double and rounds once; the ops round at every step.
  const f32 = (t: Tensor) => new Tensor(Float32Array.from(t.data), t.shape);
  const a = rationalQuadraticSpline(f32(x), f32(uw), f32(uh), f32(ud), { tailBound: B });
  const b = rationalQuadraticSplineOps(x, uw, uh, ud, { tailBound: B });
  assert.equal(a.value.dtype, 'float32');
  for (let i = 0; i < n; i++) assert.ok(Math.abs(a.value.data[i] - b.value.data[i]) < 1e-5, `float32 value ${i}`);
});

test('SplineCoupling (vectors and images) starts as the identity, checks out against brute-force Jacobians, and keeps the masked coordinates', () => {
  const x = randn([4, 5], new Generator(1), f64);
  const id = new SplineCoupling(5, { hidden: [8], bins: 4, rng: new Generator(0), ...f64 });
  const r = id.forwardAndLogDet(x);
  for (let i = 0; i < x.size; i++) assert.ok(Math.abs(r.value.data[i] - x.data[i]) < 1e-12);
  for (const v of r.logDet.data) assert.ok(Math.abs(v) < 1e-12);
  for (const [mask, invertMask] of [['alternate', false], ['half', true]] as const) {
    const c = new SplineCoupling(5, { mask, invertMask, hidden: [8, 8], bins: 6, tailBound: 2, activation: 'tanh', rng: new Generator(2), ...f64 });
    perturb(c, 3);
    // Scaled by 1.5 so that some values fall in the identity tails beyond B = 2.
    checkBijector(c, x.mul(1.5));
    const y = c.forward(x);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 5; j++) if (c.mask.data[j] === 1) assert.equal(y.data[i * 5 + j], x.data[i * 5 + j]);
  }
  // Images: checkerboard and channel masks with a conv conditioner, values inside and outside the tails.
  const xi = randn([2, 2, 3, 3], new Generator(6), f64).mul(1.3);
  for (const mask of ['checkerboard', 'channel'] as const) {
    const c = new SplineCoupling([2, 3, 3], { mask, hidden: [4, 4], bins: 5, tailBound: 2, rng: new Generator(7), ...f64 });
    const r0 = c.forwardAndLogDet(xi);
    for (let i = 0; i < xi.size; i++) assert.ok(Math.abs(r0.value.data[i] - xi.data[i]) < 1e-12, 'identity at the start');
    perturb(c, 8, 0.3);
    checkBijector(c, xi);
    const y = c.forward(xi);
    for (let i = 0; i < xi.size; i++) if (c.mask.data[i % 18] === 1) assert.equal(y.data[i], xi.data[i]);
  }
  assert.deepEqual(Object.keys(new SplineCoupling(2, { hidden: [4], rng: new Generator(0) }).stateDict()), ['mask', 'net.0.weight', 'net.0.bias', 'net.2.weight', 'net.2.bias']);
  assert.throws(() => new SplineCoupling(2, { bins: 1, rng: new Generator(0) }), /bins must be an integer >= 2/);
  assert.throws(() => new SplineCoupling(4, { mask: 'checkerboard', rng: new Generator(0) }), /does not apply/);
  assert.throws(() => new SplineCoupling(2, { tailBound: 0, rng: new Generator(0) }), /tailBound must be a positive number/);
  assert.throws(() => new SplineCoupling(2, { hidden: [], rng: new Generator(0) }), /SplineCoupling: hidden must be a non-empty list/);
  assert.throws(() => new SplineCoupling(2, { bins: 8, minBinWidth: 0.2, rng: new Generator(0) }), /minBinWidth must be in/);
  assert.throws(() => rationalQuadraticSpline(tensor([0.5]), tensor([[0, 0]]), tensor([[0, 0]]), tensor([[0, 0]])), /expected widths and heights/);
});
