import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Bijector, FlowSequence, Generator, InverseAutoregressiveFlow, MADE, MaskedAutoregressiveFlow, PlanarFlow, RadialFlow, Tensor,
  grad, randn, slice, sum, tensor, planarMap, type FlowResult,
} from '../../src/index.js';
import { bruteForceLogDet, checkBijector } from './checks.js';

const f64 = 'float64' as const;

// Binds a context vector so the shared checks see a one-argument bijector.
class WithContext extends Bijector {
  constructor(readonly inner: MaskedAutoregressiveFlow | InverseAutoregressiveFlow, readonly h: Tensor) {
    super();
  }
  forwardAndLogDet(x: Tensor): FlowResult {
    return this.inner.forwardAndLogDet(x, this.h);
  }
  inverseAndLogDet(y: Tensor): FlowResult {
    return this.inner.inverseAndLogDet(y, this.h);
  }
}

function randomize(t: Tensor, rng: Generator, scale: number): void {
  const r = randn(t.shape, rng, { dtype: f64 });
  for (let i = 0; i < t.size; i++) t.data[i] = scale * r.data[i];
}

test('planar flow: log-determinant equals the brute-force Jacobian; no inverse, with a clear error', () => {
  const rng = new Generator(1);
  const x = randn([5, 3], rng, { dtype: f64 });
  const layers = Array.from({ length: 4 }, () => {
    const l = new PlanarFlow(3, { rng, dtype: f64, initU: 'uniform' });
    randomize(l.u, rng, 1.5);
    randomize(l.b, rng, 1);
    return l;
  });
  for (const l of layers) checkBijector(l, x);
  const flow = new FlowSequence(layers);
  assert.equal(flow.hasInverse, false);
  checkBijector(flow, x);
  assert.throws(() => layers[0].inverseAndLogDet(x), /PlanarFlow: the inverse has no closed form/);
  assert.throws(() => layers[0].forwardAndLogDet(randn([2, 4], rng, { dtype: f64 })), /PlanarFlow: input must have shape \[\.\.\., 3\]/);
});

test('planar flow: u_hat keeps the map invertible even when w^T u << -1 (Rezende & Mohamed, A.1)', () => {
  const rng = new Generator(2);
  const l = new PlanarFlow(2, { rng, dtype: f64 });
  l.w.data.set([1, 0.5]);
  l.u.data.set([-8, -4]); // w^T u = -10: without the reparameterization det J = 1 + h' w^T u < 0 near a = 0
  l.b.data.set([0]);
  const x = randn([6, 2], rng, { dtype: f64 });
  const { logDet } = l.forwardAndLogDet(x);
  const brute = bruteForceLogDet((v) => l.forwardAndLogDet(v).value, x);
  // w^T u_hat = m(w^T u) > -1, so 1 + h' w^T u_hat > 0: the signed determinant is positive and equals e^logDet.
  for (let i = 0; i < 6; i++) {
    assert.ok(Number.isFinite(logDet.data[i]));
    assert.ok(Math.abs(brute[i] - logDet.data[i]) < 1e-10, `row ${i}: ${logDet.data[i]} vs ${brute[i]}`);
  }
  // u = 0 is the identity (m(0) = 0), the starting point of a zero-initialized layer.
  const id = planarMap(x, tensor([0, 0], { dtype: f64 }), tensor([0.3, -2], { dtype: f64 }), tensor([0.7], { dtype: f64 }));
  assert.deepEqual([...id.value.data], [...x.data]);
  assert.deepEqual([...id.logDet.data], [0, 0, 0, 0, 0, 0]);
});

test('radial flow: log-determinant equals the brute-force Jacobian, including beta near -alpha; no inverse', () => {
  const rng = new Generator(3);
  const x = randn([5, 3], rng, { dtype: f64 });
  for (const [a, b] of [[0.3, 1.2], [-1, -4], [1.5, 0.2]]) {
    const l = new RadialFlow(3, { rng, dtype: f64 });
    l.rawAlpha.data.set([a]);
    l.rawBeta.data.set([b]); // beta = softplus(b) - alpha >= -alpha; b = -4 puts beta within 0.02 of -alpha
    assert.ok(l.beta.item() >= -l.alpha.item());
    checkBijector(l, x);
  }
  assert.throws(() => new RadialFlow(2, { rng }).inverseAndLogDet(x), /RadialFlow: the inverse has no closed form/);
});

/** d out[:, j*D + i] / d x[:, k] for every i, k at each row of x, summed in absolute value over rows: [p*D][D]. */
function dependence(f: (x: Tensor) => Tensor, x: Tensor, outputs: number): number[][] {
  const xv = new Tensor(x.data.slice(), x.shape, true);
  const y = f(xv);
  const d = x.shape[1];
  return Array.from({ length: outputs }, (_, o) => {
    const [g] = grad(sum(slice(y, 1, o, o + 1)), [xv], { allowUnused: true });
    return Array.from({ length: d }, (_, k) => {
      let s = 0;
      for (let r = 0; r < x.shape[0]; r++) s += Math.abs(g.data[r * d + k]);
      return s;
    });
  });
}

test('MADE: every output depends only on the inputs strictly before it in the chosen order (Jacobian by autodiff)', () => {
  const rng = new Generator(4);
  const d = 5;
  const x = randn([7, d], rng, { dtype: f64 });
  const ctx = randn([7, 2], rng, { dtype: f64 });
  for (const [order, contextDim] of [['natural', 0], ['reversed', 0], [[2, 0, 4, 1, 3], 0], [[4, 1, 0, 3, 2], 2]] as const) {
    const made = new MADE(d, { hidden: [12, 9], outputsPerDim: 2, order, contextDim, rng, dtype: f64, activation: 'tanh' });
    const pos = made.degrees; // position of each dimension in the order, 1..D
    const dep = dependence((v) => made.forward(v, contextDim ? ctx : undefined), x, 2 * d);
    for (let o = 0; o < 2 * d; o++) {
      const i = o % d;
      for (let k = 0; k < d; k++) {
        if (pos[k] < pos[i]) assert.ok(dep[o][k] > 0, `order ${JSON.stringify(order)}: output ${o} should depend on x_${k}`);
        else assert.equal(dep[o][k], 0, `order ${JSON.stringify(order)}: output ${o} (dim ${i}) depends on x_${k}`);
      }
    }
  }
  // With a context, every output depends on h, the first in the order included (through degree-0 hidden units).
  const made = new MADE(3, { hidden: [8], contextDim: 4, rng, dtype: f64 });
  const h = randn([7, 4], rng, { dtype: f64 });
  const depH = dependence((v) => made.forward(randn([7, 3], new Generator(9), { dtype: f64 }), v), h, 6);
  depH.forEach((row, o) => assert.ok(row.every((v) => v > 0), `output ${o} does not depend on the whole context`));
  assert.throws(() => made.forward(x.reshape([7, 5])), /MADE: x must have shape \[\.\.\., 3\]/);
  assert.throws(() => made.forward(slice(x, 1, 0, 3)), /built with contextDim 4; pass a context/);
  assert.throws(() => new MADE(5, { hidden: [3], rng }), /hidden must list at least one width, each an integer >= max\(1, D - 1\) = 4 \(one unit per degree\)/);
  assert.throws(() => new MADE(3, { order: [0, 0, 1], rng }), /order must be 'natural', 'reversed' or a permutation of 0..2/);
  assert.deepEqual(Object.keys(made.stateDict()), ['layers.0.weight', 'layers.0.bias', 'layers.0.mask', 'layers.1.weight', 'layers.1.bias', 'layers.1.mask', 'context.weight']);
});

test('MAF and IAF: invertible to 1e-5, log-determinants equal brute-force Jacobians in both directions', () => {
  const rng = new Generator(5);
  const x = randn([4, 4], rng, { dtype: f64 });
  const h = randn([4, 3], rng, { dtype: f64 });
  const maf = new MaskedAutoregressiveFlow(4, { hidden: [16], rng, dtype: f64, activation: 'tanh' });
  checkBijector(maf, x);
  checkBijector(maf.inv, x); // the affine IAF of eq. 10, sharing MAF's parameters
  const iaf = new InverseAutoregressiveFlow(4, { hidden: [16, 16], order: 'reversed', rng, dtype: f64, gateBias: 1 });
  checkBijector(iaf, x);
  const cmaf = new MaskedAutoregressiveFlow(4, { hidden: [10], contextDim: 3, rng, dtype: f64 });
  const ciaf = new InverseAutoregressiveFlow(4, { hidden: [10], contextDim: 3, rng, dtype: f64 });
  checkBijector(new WithContext(cmaf, h), x);
  checkBijector(new WithContext(ciaf, h), x);
  // A stack with alternating orders, MAF and IAF mixed.
  const stack = new FlowSequence([
    new MaskedAutoregressiveFlow(4, { hidden: [8], rng, dtype: f64 }),
    new InverseAutoregressiveFlow(4, { hidden: [8], order: 'reversed', rng, dtype: f64 }),
    new MaskedAutoregressiveFlow(4, { hidden: [8], order: [1, 3, 0, 2], rng, dtype: f64 }),
  ]);
  checkBijector(stack, x);
});

test('zero-initialized MAF is the identity; zero-initialized IAF scales by sigmoid(gateBias)', () => {
  const rng = new Generator(6);
  const x = randn([3, 2], rng, { dtype: f64 });
  const maf = new MaskedAutoregressiveFlow(2, { rng, dtype: f64, zeroInit: true });
  const r = maf.forwardAndLogDet(x);
  assert.deepEqual([...r.value.data], [...x.data]);
  assert.deepEqual([...r.logDet.data], [0, 0, 0]);
  const iaf = new InverseAutoregressiveFlow(2, { rng, dtype: f64, zeroInit: true, gateBias: 2 });
  const s = 1 / (1 + Math.exp(-2));
  const q = iaf.forwardAndLogDet(x);
  for (let i = 0; i < 6; i++) assert.ok(Math.abs(q.value.data[i] - s * x.data[i]) < 1e-15);
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(q.logDet.data[i] - 2 * Math.log(s)) < 1e-14);
});
