import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AmortizedPlanarFlow, ContextIAF, FlowPosteriorDistribution, Generator, Normal, Independent, Tensor, VAE, Adam, evaluateVae,
  logImportanceWeights, makeObjective, randn, rand, loadDataset, flattenImages, binarizeDataset, slice, exp, mul, posteriorMeans, inpaint, ones, type VaeConfig,
} from '../../src/index.js';
import { bruteForceLogDet } from '../flows/checks.js';

const tiny: VaeConfig = { inputShape: [1, 4, 4], latent: 3, hidden: [8], activation: 'tanh', architecture: 'mlp', likelihood: 'bernoulli' };
function threshold(u: Tensor): Tensor {
  return new Tensor(Float32Array.from(u.data, (v) => (v < 0.5 ? 0 : 1)), u.shape);
}

test('with its flow at the zero initialization, the planar posterior is exactly the Gaussian one', () => {
  const plain = new VAE(tiny, new Generator(0));
  const flowed = new VAE({ ...tiny, posterior: { flow: 'planar', layers: 3 } }, new Generator(0));
  // The encoder and decoder draw the same initial weights; the flow comes on top.
  const a = plain.stateDict();
  const b = flowed.stateDict();
  for (const k of Object.keys(a)) assert.deepEqual([...b[k].data], [...a[k].data], k);
  assert.ok(Object.keys(b).some((k) => k.startsWith('flow.head')));
  const x = threshold(rand([5, 16], new Generator(1)));
  assert.ok(flowed.posterior(x).dist instanceof FlowPosteriorDistribution);
  // Same draws, same log q, same log-weights: bit for bit.
  const lwPlain = logImportanceWeights(plain, { x }, new Generator(2), 7);
  const lwFlow = logImportanceWeights(flowed, { x }, new Generator(2), 7);
  assert.deepEqual([...lwFlow.data], [...lwPlain.data]);
  // With analyticKL false the flow's ELBO puts log q at the draw: the Gaussian VAE's ELBO with a sampled KL.
  const e1 = makeObjective({ kind: 'elbo', analyticKL: false }).evaluate(plain, { x }, new Generator(3), 0);
  const e2 = makeObjective({ kind: 'elbo', analyticKL: false }).evaluate(flowed, { x }, new Generator(3), 0);
  assert.equal(e2.loss.item(), e1.loss.item());
  // By default the KL is KL(q_0 || p) in closed form + [log p(z_0) - log p(z_K) - sum log|det|], and the bracket is 0 here:
  // the Gaussian VAE's own objective, bit for bit.
  const e3 = makeObjective({ kind: 'elbo' }).evaluate(plain, { x }, new Generator(3), 0);
  const e4 = makeObjective({ kind: 'elbo' }).evaluate(flowed, { x }, new Generator(3), 0);
  assert.equal(e4.loss.item(), e3.loss.item());
  assert.equal(e4.stats.kl, e3.stats.kl);
  const ev1 = evaluateVae(plain, { x }, { rng: new Generator(4), k: 3, kEval: 50 });
  const ev2 = evaluateVae(flowed, { x }, { rng: new Generator(4), k: 3, kEval: 50 });
  assert.equal(ev2.iwae, ev1.iwae);
  assert.equal(ev2.logpx, ev1.logpx);
});

test('zero-initialized IAF layers keep q(z | x) Gaussian: N(s^K mu, (s^K sigma)^2) with s = sigmoid(2)', () => {
  const vae = new VAE({ ...tiny, posterior: { flow: 'iaf', layers: 2, hidden: 6 } }, new Generator(0));
  const x = threshold(rand([4, 16], new Generator(1)));
  const q = vae.posterior(x);
  const z = q.dist.rsample(new Generator(5), [6]);
  const c = (1 / (1 + Math.exp(-2))) ** 2;
  const gauss = new Independent(new Normal(mul(q.mu, c), mul(exp(mul(q.logvar, 0.5)), c)), 1);
  const ref = gauss.logProb(z);
  const lq = q.dist.logProb(z);
  // float32 log densities of size ~5 through a few ops: 1e-4.
  for (let i = 0; i < ref.size; i++) assert.ok(Math.abs(lq.data[i] - ref.data[i]) < 1e-4, `${lq.data[i]} vs ${ref.data[i]}`);
});

test('amortized planar and context IAF: log-determinants equal brute-force Jacobians, per example (float64)', () => {
  const rng = new Generator(7);
  const h = randn([4, 5], rng, { dtype: 'float64' });
  const z = randn([4, 3], rng, { dtype: 'float64' });
  const planar = new AmortizedPlanarFlow(5, 3, 3, rng, 'float64');
  const iaf = new ContextIAF(5, 3, 2, 6, rng, 'float64');
  // Away from the initialization (planar: u = 0; IAF: zero output layers).
  for (const m of [planar, iaf]) for (const p of m.parameters()) for (let i = 0; i < p.size; i++) p.data[i] += 0.4 * Math.sin(3 * i + p.size);
  for (const flow of [planar, iaf]) {
    const { value, logDet } = flow.transform(z, h);
    // Rows are independent (example b uses h_b), so the batch Jacobian is block diagonal: one 3 x 3 block per example.
    const brute = bruteForceLogDet((v) => flow.transform(v, h).value, z);
    for (let b = 0; b < 4; b++) assert.ok(Math.abs(brute[b] - logDet.data[b]) < 1e-9, `${flow.constructor.name}[${b}]: ${logDet.data[b]} vs ${brute[b]}`);
    if (flow.hasInverse) {
      const inv = flow.inverse(value, h);
      for (let i = 0; i < z.size; i++) assert.ok(Math.abs(inv.value.data[i] - z.data[i]) < 1e-9);
      for (let b = 0; b < 4; b++) assert.ok(Math.abs(inv.logDet.data[b] + logDet.data[b]) < 1e-9);
    }
  }
  // With k samples: z [k, B, D] against h [B, F].
  const zk = randn([2, 4, 3], rng, { dtype: 'float64' });
  const r = planar.transform(zk, h);
  assert.deepEqual(r.value.shape, [2, 4, 3]);
  assert.deepEqual(r.logDet.shape, [2, 4]);
  assert.ok(Math.abs(r.logDet.data[5] - planar.transform(slice(zk, 0, 1, 2).reshape([4, 3]), h).logDet.data[1]) < 1e-12);
});

test('flow posteriors: bounds ordered (ELBO <= IWAE-5 <= log p(x) estimate) after a little training; log q at other points', () => {
  const { train } = loadDataset('mnist');
  const x = slice(flattenImages(binarizeDataset(train!, 'static', new Generator(8))), 0, 0, 64);
  const cfg: VaeConfig = { ...tiny, inputShape: [1, 28, 28], hidden: [32], latent: 4, activation: 'relu' };
  for (const posterior of [{ flow: 'planar', layers: 2 }, { flow: 'iaf', layers: 2 }] as const) {
    const vae = new VAE({ ...cfg, posterior }, new Generator(9));
    const opt = new Adam(vae.parameters(), { lr: 3e-3 });
    const objective = makeObjective({ kind: 'elbo' });
    const rng = new Generator(10);
    for (let step = 0; step < 30; step++) {
      opt.zeroGrad();
      objective.evaluate(vae, { x }, rng, step).loss.backward();
      opt.step();
    }
    const ev = evaluateVae(vae, { x }, { rng: new Generator(11), k: 5, kEval: 300 });
    assert.ok(ev.elbo <= ev.iwae && ev.iwae <= ev.logpx, `${posterior.flow}: ELBO ${ev.elbo}, IWAE-5 ${ev.iwae}, log p(x) ${ev.logpx}`);
    assert.ok(ev.logpx > -400 && ev.logpx < -50);
    const iw = makeObjective({ kind: 'iwae', k: 3 }).evaluate(vae, { x: slice(x, 0, 0, 8) }, new Generator(12), 0);
    assert.ok(Number.isFinite(iw.stats.bound) && iw.stats.bound >= iw.stats.elbo);
    // log q at a point that is not the last draw: through the inverse (IAF), or a clear error (planar).
    const q = vae.posterior(slice(x, 0, 0, 3)).dist;
    const z = q.rsample(new Generator(13), [2]);
    const cached = q.logProb(z);
    const fresh = new Tensor(z.data.slice(), z.shape);
    if (posterior.flow === 'iaf') {
      const again = q.logProb(fresh);
      for (let i = 0; i < 6; i++) assert.ok(Math.abs(again.data[i] - cached.data[i]) < 1e-3, `${again.data[i]} vs ${cached.data[i]}`);
    } else {
      assert.throws(() => q.logProb(fresh), /AmortizedPlanarFlow: planar layers have no closed-form inverse/);
    }
  }
});

test('flow posteriors on a convolutional and a conditional VAE: shapes, finite log-weights, reconstructions through the flow', () => {
  const x = threshold(rand([3, 64], new Generator(1)));
  const y = new Tensor(Float32Array.from([1, 0, 0, 1, 1, 0]), [3, 2]);
  for (const [cfg, cond] of [
    [{ ...tiny, inputShape: [1, 8, 8], architecture: 'conv', hidden: [4], posterior: { flow: 'iaf', layers: 2 } }, undefined],
    [{ ...tiny, inputShape: [1, 8, 8], conditionDim: 2, posterior: { flow: 'planar', layers: 2 } }, y],
  ] as const) {
    const vae = new VAE(cfg as VaeConfig, new Generator(3));
    const lw = logImportanceWeights(vae, { x, y: cond }, new Generator(4), 5);
    assert.deepEqual(lw.shape, [5, 3]);
    assert.ok([...lw.data].every(Number.isFinite));
    const r = vae.reconstruct(x, cond);
    assert.deepEqual(r.shape, [3, 64]);
    // Through the flow's image of the base mean: f(mu) differs from mu for IAF (scaled by sigmoid(2)^2 at initialization).
    const q = vae.posterior(x, cond);
    const viaMu = vae.mean(q.mu, cond);
    if (cfg.posterior.flow === 'iaf') assert.ok([...r.data].some((v, i) => v !== viaMu.data[i]));
    // Latent maps and mean inpainting use the same point: the flow's image of the base mean.
    const loc = vae.posteriorLocation(x, cond);
    assert.deepEqual([...r.data], [...vae.mean(loc, cond).data]);
    assert.deepEqual([...posteriorMeans(vae, x, { y: cond })], [...loc.data].map((v) => v));
    const filled = inpaint(vae, x, ones([3, 64]), { method: 'mean', y: cond, rng: new Generator(9) }).completed;
    assert.deepEqual([...filled.data], [...x.data], 'every pixel observed: nothing changes');
    // Half the pixels missing: they are the decoder mean at the location of q(z | x_obs).
    const half = new Tensor(Float32Array.from({ length: 3 * 64 }, (_, i) => (i % 64 < 32 ? 1 : 0)), [3, 64]);
    const completed = inpaint(vae, x, half, { method: 'mean', y: cond, rng: new Generator(9) }).completed;
    const expected = vae.mean(vae.posteriorLocation(x, cond, half), cond);
    for (let i = 0; i < 3 * 64; i++) assert.equal(completed.data[i], half.data[i] ? x.data[i] : expected.data[i], `pixel ${i}`);
  }
});

test('the posterior config round-trips through JSON and is validated; free bits are refused with a flow', () => {
  const cfg: VaeConfig = { ...tiny, posterior: { flow: 'iaf', layers: 2, hidden: 5 } };
  const a = new VAE(cfg, new Generator(0));
  for (const p of a.parameters()) for (let i = 0; i < p.size; i++) p.data[i] += 0.1 * Math.cos(i);
  const b = new VAE(JSON.parse(JSON.stringify(a.config)), new Generator(99));
  b.loadStateDict(a.stateDict());
  const x = threshold(rand([3, 16], new Generator(1)));
  assert.deepEqual([...logImportanceWeights(b, { x }, new Generator(2), 4).data], [...logImportanceWeights(a, { x }, new Generator(2), 4).data]);
  const bad = (posterior: unknown) => () => new VAE({ ...tiny, posterior } as VaeConfig, new Generator(0));
  assert.throws(bad({ flow: 'realnvp', layers: 2 }), /VAE: posterior.flow must be 'planar' or 'iaf', got "realnvp"/);
  assert.throws(bad({ flow: 'planar', layers: 0 }), /posterior.layers must be a positive integer, got 0/);
  assert.throws(bad({ flow: 'planar', layers: 2, hidden: 8 }), /posterior.hidden is the IAF layers' MADE width/);
  assert.throws(bad({ flow: 'iaf', layers: 2, width: 8 }), /unknown field 'width'/);
  assert.throws(bad('planar'), /posterior must be \{ flow: 'planar' \| 'iaf', layers: K \}/);
  assert.throws(() => makeObjective({ kind: 'elbo', freeBits: 0.5 }).evaluate(a, { x }, new Generator(0), 0), /free bits need the KL of each latent dimension/);
});
