// Every discrete flow layer: inverse(forward(x)) = x to 1e-5 and both
// directions' log-determinants equal to the brute-force Jacobian determinant
// (checkBijector), in float64, on vectors [N, D] and images [N, C, H, W].
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ActNorm, AffineCoupling, BatchNormFlow, FlowSequence, Generator, Invertible1x1, LogitTransform, Permutation,
  Tensor, matmul, randn, rand, type Module,
} from '../../src/index.js';
import { checkBijector } from './checks.js';

const f64 = { dtype: 'float64' as const };

/** Moves every parameter away from its (often identity) initialization, so the checks see a non-trivial map. */
function perturb(m: Module<any, any>, seed: number, scale = 0.3): void { // eslint-disable-line @typescript-eslint/no-explicit-any
  const rng = new Generator(seed);
  for (const p of m.parameters()) for (let i = 0; i < p.size; i++) p.data[i] += scale * rng.normal01();
}

const vec = (n: number, d: number, seed: number) => randn([n, d], new Generator(seed), f64);
const img = (n: number, shape: number[], seed: number) => randn([n, ...shape], new Generator(seed), f64);

test('AffineCoupling starts as the identity and checks out on vectors (alternate and half masks) and images (checkerboard and channel)', () => {
  const x = vec(3, 5, 1);
  const id = new AffineCoupling(5, { hidden: [8], rng: new Generator(0), ...f64 });
  const r = id.forwardAndLogDet(x);
  assert.deepEqual([...r.value.data], [...x.data]);
  assert.deepEqual([...r.logDet.data], [0, 0, 0]);
  for (const [mask, invertMask] of [['alternate', false], ['half', true]] as const) {
    const c = new AffineCoupling(5, { mask, invertMask, hidden: [8, 8], activation: 'tanh', rng: new Generator(2), ...f64 });
    perturb(c, 3);
    checkBijector(c, x);
    // The kept coordinates pass through unchanged.
    const y = c.forward(x);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 5; j++) if (c.mask.data[j] === 1) assert.equal(y.data[i * 5 + j], x.data[i * 5 + j]);
  }
  const xi = img(2, [2, 3, 3], 4);
  for (const mask of ['checkerboard', 'channel'] as const) {
    const c = new AffineCoupling([2, 3, 3], { mask, hidden: [4, 4], rng: new Generator(5), ...f64 });
    perturb(c, 6);
    checkBijector(c, xi);
  }
  assert.deepEqual(Object.keys(new AffineCoupling(2, { hidden: [4], rng: new Generator(0) }).stateDict()), ['scale', 'mask', 'net.0.weight', 'net.0.bias', 'net.2.weight', 'net.2.bias']);
  assert.throws(() => new AffineCoupling(1, { rng: new Generator(0) }), /coupling needs D >= 2/);
  assert.throws(() => new AffineCoupling([1, 4, 4], { mask: 'channel', rng: new Generator(0) }), /channel mask needs C >= 2/);
  assert.throws(() => new AffineCoupling(4, { mask: 'checkerboard', rng: new Generator(0) }), /does not apply/);
  assert.throws(() => id.forward(vec(2, 4, 0)), /expected input \[N, 5\]/);
});

test('ActNorm initializes from its first data batch (output mean 0, variance 1), keeps that in the state dict, and checks out', () => {
  for (const shape of [[3], [2, 3, 3]]) {
    const an = new ActNorm(shape, f64);
    const y = shape.length === 1 ? vec(50, 3, 7) : img(20, shape, 7);
    // Shift and scale the data so the initialization has something to undo.
    for (let i = 0; i < y.size; i++) y.data[i] = 2 + 3 * y.data[i];
    assert.equal(an.initialized, false);
    const z = an.inverse(y);
    assert.equal(an.initialized, true);
    const c = shape[0];
    const pos = shape.length === 1 ? 1 : shape[1] * shape[2];
    for (let k = 0; k < c; k++) {
      let m = 0;
      let v = 0;
      const vals: number[] = [];
      for (let i = 0; i < y.shape[0]; i++) for (let p = 0; p < pos; p++) vals.push(z.data[(i * c + k) * pos + p]);
      for (const a of vals) m += a / vals.length;
      for (const a of vals) v += (a - m) ** 2 / vals.length;
      // Exact up to the 1e-6 added to the standard deviation.
      assert.ok(Math.abs(m) < 1e-9 && Math.abs(v - 1) < 1e-5, `feature ${k}: mean ${m}, variance ${v}`);
    }
    perturb(an, 8);
    checkBijector(an, shape.length === 1 ? vec(3, 3, 9) : img(2, shape, 9));
    // A model rebuilt from the state dict does not initialize again on its first batch.
    const copy = new ActNorm(shape, f64);
    copy.loadStateDict(an.stateDict());
    assert.equal(copy.initialized, true);
    const before = [...copy.logScale.data];
    copy.inverse(y);
    assert.deepEqual([...copy.logScale.data], before);
  }
});

test('Permutation (reverse, seeded random) on features and channels: log det 0, exact inverse', () => {
  const x = vec(2, 5, 10);
  const rev = new Permutation(5, f64);
  assert.deepEqual(rev.indices, [4, 3, 2, 1, 0]);
  checkBijector(rev, x);
  const a = new Permutation(5, { kind: 'random', rng: new Generator(3), ...f64 });
  const b = new Permutation(5, { kind: 'random', rng: new Generator(3), ...f64 });
  assert.deepEqual(a.indices, b.indices, 'the same seed gives the same permutation');
  checkBijector(a, x);
  checkBijector(new Permutation([3, 2, 2], { kind: 'random', rng: new Generator(4), ...f64 }), img(2, [3, 2, 2], 11));
  assert.throws(() => new Permutation(3, { kind: [0, 0, 1] }), /expected a permutation of 0..2/);
  assert.throws(() => new Permutation(3, { kind: 'random' }), /needs options.rng/);
});

test('Invertible1x1: W = P L (U + diag(s)) starts orthogonal; as a linear map and as a 1x1 convolution it checks out', () => {
  const mix = new Invertible1x1(4, { rng: new Generator(12), ...f64 });
  // A rotation: W W^T = I, so log |det W| = sum(logS) = 0.
  const w = mix.weight();
  const wwt = matmul(w, w, { transB: true });
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) assert.ok(Math.abs(wwt.data[i * 4 + j] - (i === j ? 1 : 0)) < 1e-12);
  assert.ok(Math.abs([...mix.logS.data].reduce((a, b) => a + b, 0)) < 1e-12);
  perturb(mix, 13);
  checkBijector(mix, vec(3, 4, 14));
  const prod = matmul(mix.weight(), mix.inverseWeight());
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) assert.ok(Math.abs(prod.data[i * 4 + j] - (i === j ? 1 : 0)) < 1e-10);
  const conv = new Invertible1x1([3, 2, 2], { rng: new Generator(15), ...f64 });
  perturb(conv, 16);
  checkBijector(conv, img(2, [3, 2, 2], 17));
  // log |det| = H * W * sum(logS) for the 1x1 convolution.
  const s = [...conv.logS.data].reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(conv.inverseAndLogDet(img(1, [3, 2, 2], 18)).logDet.data[0] - 4 * s) < 1e-12);
});

test('BatchNormFlow: eval mode (running averages) checks out; training mode is the map with the batch statistics held fixed', () => {
  for (const shape of [[3], [2, 2, 3]]) {
    const bn = new BatchNormFlow(shape, { momentum: 0.25, ...f64 });
    perturb(bn, 19);
    const y = shape.length === 1 ? vec(40, 3, 20) : img(10, shape, 20);
    for (let i = 0; i < y.size; i++) y.data[i] = 1 + 2 * y.data[i];
    const train = bn.inverseAndLogDet(y);
    // The batch statistics, by hand; the running averages moved a quarter of the way to them from (0, 1).
    const c = shape[0];
    const pos = shape.length === 1 ? 1 : shape[1] * shape[2];
    const mu: number[] = [];
    const v: number[] = [];
    for (let k = 0; k < c; k++) {
      const vals: number[] = [];
      for (let i = 0; i < y.shape[0]; i++) for (let p = 0; p < pos; p++) vals.push(y.data[(i * c + k) * pos + p]);
      const m = vals.reduce((a, b) => a + b, 0) / vals.length;
      mu.push(m);
      v.push(vals.reduce((a, b) => a + (b - m) ** 2, 0) / vals.length);
    }
    const run = bn.running;
    for (let k = 0; k < c; k++) {
      assert.ok(Math.abs(run.mean[k] - 0.25 * mu[k]) < 1e-12 && Math.abs(run.variance[k] - (0.75 + 0.25 * v[k])) < 1e-12);
    }
    // With the running averages set to this batch's statistics, eval mode gives the training-mode map and log det.
    bn.eval();
    bn.setRunning(mu, v);
    const ev = bn.inverseAndLogDet(y);
    for (let i = 0; i < y.size; i++) assert.ok(Math.abs(ev.value.data[i] - train.value.data[i]) < 1e-12);
    for (let i = 0; i < y.shape[0]; i++) assert.ok(Math.abs(ev.logDet.data[i] - train.logDet.data[i]) < 1e-12);
    checkBijector(bn, shape.length === 1 ? vec(3, 3, 21) : img(2, shape, 21));
  }
  const bn = new BatchNormFlow(2);
  assert.throws(() => bn.inverse(new Tensor(new Float32Array(2), [1, 2])), /at least 2 values per feature/);
});

test('LogitTransform maps (0, 1) to the reals with the log-determinant of RealNVP preprocessing', () => {
  const x = rand([3, 4], new Generator(22), f64);
  const t = new LogitTransform(4, { lambda: 0.05 });
  // Checked in the density direction (data -> base) through the inverse bijector.
  checkBijector(t.inv, x);
  checkBijector(new LogitTransform([1, 2, 2], { lambda: 1e-6 }).inv, rand([2, 1, 2, 2], new Generator(23), f64));
});

test('a Glow step and a RealNVP stack (every layer composed) check out, on vectors and images', () => {
  const rng = new Generator(24);
  const glowVec = new FlowSequence([
    new ActNorm(4, f64), new Invertible1x1(4, { rng, ...f64 }), new AffineCoupling(4, { mask: 'half', hidden: [8], rng, ...f64 }),
    new Permutation(4, f64), new BatchNormFlow(4, f64), new AffineCoupling(4, { hidden: [8], rng, ...f64 }),
  ]);
  perturb(glowVec, 25);
  glowVec.eval();
  checkBijector(glowVec, vec(3, 4, 26));
  const glowImg = new FlowSequence([
    new ActNorm([2, 2, 2], f64), new Invertible1x1([2, 2, 2], { rng, ...f64 }), new AffineCoupling([2, 2, 2], { mask: 'channel', hidden: [4], rng, ...f64 }),
    new AffineCoupling([2, 2, 2], { mask: 'checkerboard', invertMask: true, hidden: [4], rng, ...f64 }),
  ]);
  perturb(glowImg, 27);
  glowImg.eval();
  checkBijector(glowImg, img(2, [2, 2, 2], 28));
});
