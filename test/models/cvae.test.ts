// The quadrant benchmark's pieces with tiny settings: the masks partition
// the image in Pyro's order, the importance-sampled conditional
// log-likelihood lies above the conditional ELBO, and both models train.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as L from '../../src/index.js';

const { train } = L.loadDataset('mnist');
const x = L.flattenImages(L.binarizeDataset(L.subsetDataset(train, Array.from({ length: 300 }, (_, i) => i)), 'static', new L.Generator(5)));
const tiny: L.QuadrantConfig = { height: 28, width: 28, given: 1, hidden: [64], latent: 4, activation: 'relu' };

test('quadrant masks partition the image: given and missing are disjoint and cover every pixel, in Pyro\'s order', () => {
  const q = L.quadrantIndex(28, 28);
  const counts = [0, 0, 0, 0];
  for (const v of q) counts[v]++;
  assert.deepEqual(counts, [196, 196, 196, 196]);
  // Row-major: pixel (r, c) at r * 28 + c; quadrant 0 is bottom-left, 1 top-left, 2 top-right, 3 bottom-right.
  assert.equal(q[27 * 28 + 0], 0);
  assert.equal(q[0], 1);
  assert.equal(q[27], 2);
  assert.equal(q[27 * 28 + 27], 3);
  assert.equal(q[14 * 28 + 13], 0);
  assert.equal(q[13 * 28 + 14], 2);
  for (const given of [1, 2, 3] as const) {
    const { given: g, missing: m } = L.quadrantMasks(given);
    for (let i = 0; i < 784; i++) {
      assert.equal(g.data[i] + m.data[i], 1, `pixel ${i} is in exactly one set`);
      assert.equal(g.data[i], q[i] < given ? 1 : 0);
    }
    assert.equal(L.sum(g).item(), 196 * given);
  }
  // Odd sizes split at the floor, like Pyro's h // 2.
  const odd = L.quadrantIndex(5, 3);
  assert.deepEqual(Array.from(odd), [1, 2, 2, 1, 2, 2, 0, 3, 3, 0, 3, 3, 0, 3, 3]);
  assert.throws(() => L.quadrantMasks(4 as L.GivenQuadrants), /given must be 1, 2 or 3/);
});

test('the network input keeps the given pixels and marks the missing ones -1', () => {
  const net = new L.QuadrantNet({ ...tiny, given: 2 }, new L.Generator(0));
  const y = net.input(L.slice(x, 0, 0, 2)).data;
  const q = L.quadrantIndex(28, 28);
  for (let i = 0; i < 784; i++) assert.equal(y[i], q[i] < 2 ? x.data[i] : -1);
  // Changing a given pixel changes the prediction; the likelihood counts only missing pixels.
  const ll = L.noGrad(() => net.logLikelihood(L.slice(x, 0, 0, 2))).data;
  const logits = L.noGrad(() => net.logits(L.slice(x, 0, 0, 2)));
  let expected = 0;
  for (let i = 0; i < 784; i++) {
    if (q[i] < 2) continue;
    const l = logits.data[i];
    expected += x.data[i] * l - Math.log1p(Math.exp(l));
  }
  assert.ok(Math.abs(ll[0] - expected) < 1e-3 * Math.abs(expected), `${ll[0]} vs ${expected}`);
});

test('the CVAE trains: the conditional ELBO rises', () => {
  const rng = new L.Generator(1);
  const cvae = new L.QuadrantCVAE({ ...tiny, given: 3 }, rng);
  cvae.initOutputBias(L.mean(x, 0));
  const optimizer = new L.Adam(cvae.parameters(), { lr: 3e-3 });
  const losses: number[] = [];
  const ds = L.createDataset(x, { source: 'test digits' });
  L.fit({
    model: cvae, optimizer, epochs: 8, batchesPerEpoch: 15,
    epochBatches: () => L.minibatches(ds, { batchSize: 20, rng }),
    loss: (b) => ({ loss: L.neg(L.mean(cvae.elbo(b.x, rng).elbo)), stats: {} }),
    onEpoch: (r) => losses.push(r.means.loss),
  });
  assert.ok(losses[7] < losses[0] - 2, `-ELBO per epoch ${losses}`);
});

test('importance-sampled log p(x_missing | y) >= the conditional ELBO, and tightens with k', () => {
  // A recognition network far from the prior network (its mean head scaled by 5) makes the gap between the
  // bounds large (over a nat here) against their Monte Carlo error (~0.05 nat over 50 images).
  const cvae = new L.QuadrantCVAE({ ...tiny, latent: 16 }, new L.Generator(1));
  cvae.initOutputBias(L.mean(x, 0));
  const w = cvae.recognitionNet.mu.weight;
  w.data.set(w.data.map((v) => v * 5));
  const batch = L.slice(x, 0, 0, 50);
  // The ELBO with the closed-form KL, averaged over 20 draws per image.
  const elboRng = new L.Generator(2);
  let elbo = 0;
  L.noGrad(() => {
    for (let r = 0; r < 20; r++) elbo += L.mean(cvae.elbo(batch, elboRng).elbo).item() / 20;
  });
  const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;
  const is = (k: number) => mean(L.quadrantLogLikelihood(cvae, batch, { k, rng: new L.Generator(3), rowsPerPass: 700 }));
  const [is1, is10, is100] = [is(1), is(10), is(100)];
  // E[IWAE_k] is non-decreasing in k, and IWAE_1 is the ELBO with a sampled KL (Burda et al. 2016, Thm 1).
  assert.ok(Math.abs(is1 - elbo) < 0.5, `IWAE_1 ${is1} ~ ELBO ${elbo}`);
  assert.ok(elbo < is10 && is10 < is100, `ELBO ${elbo} <= IS_10 ${is10} <= IS_100 ${is100}`);
  assert.ok(is100 > elbo + 0.5, `log p(x_m | y) estimate ${is100} >= conditional ELBO ${elbo}`);
  assert.ok(is100 < 0 && is100 > -600, `${is100}`);
  // The plain network's conditional log-likelihood is exact: k and batching play no part.
  const net = new L.QuadrantNet(tiny, new L.Generator(4));
  const a = L.quadrantLogLikelihood(net, batch, { k: 1, rng: new L.Generator(0) });
  const b = L.quadrantLogLikelihood(net, batch, { k: 7, rng: new L.Generator(9), batchSize: 13 });
  assert.deepEqual(Array.from(a), Array.from(b));
});

test('the prior network conditions on y only: changing a missing pixel moves q(z | x, y) but not p(z | y)', () => {
  const cvae = new L.QuadrantCVAE(tiny, new L.Generator(6));
  const a = L.slice(x, 0, 0, 1);
  const data = Float32Array.from(a.data);
  data[0] = 1 - data[0]; // pixel (0, 0): top-left, missing when one quadrant is given
  const b = new L.Tensor(data, [1, 784]);
  L.noGrad(() => {
    assert.deepEqual(Array.from(cvae.prior(a).mu.data), Array.from(cvae.prior(b).mu.data));
    assert.notDeepEqual(Array.from(cvae.posterior(a).mu.data), Array.from(cvae.posterior(b).mu.data));
  });
  const names = Object.keys(cvae.stateDict());
  assert.ok(names.some((n) => n.startsWith('priorNet.')) && names.some((n) => n.startsWith('recognitionNet.')) && names.some((n) => n.startsWith('generationNet.')));
  assert.ok(!names.some((n) => /mask/i.test(n)), `the masks are not parameters: ${names}`);
});

test('the plain network trains by the Bernoulli NLL of the missing pixels', () => {
  const rng = new L.Generator(8);
  const net = new L.QuadrantNet({ ...tiny, given: 3 }, rng);
  net.initOutputBias(L.mean(x, 0));
  const optimizer = new L.Adam(net.parameters(), { lr: 3e-3 });
  const ds = L.createDataset(x, { source: 'test digits' });
  const losses: number[] = [];
  L.fit({
    model: net, optimizer, epochs: 8, batchesPerEpoch: 15,
    epochBatches: () => L.minibatches(ds, { batchSize: 20, rng }),
    loss: (b) => ({ loss: L.neg(L.mean(net.logLikelihood(b.x))), stats: {} }),
    onEpoch: (r) => losses.push(r.means.loss),
  });
  assert.ok(losses[7] < losses[0] - 2, `NLL per epoch ${losses}`);
  const filled = net.complete(L.slice(x, 0, 0, 3));
  const q = L.quadrantIndex(28, 28);
  for (let i = 0; i < 784; i++) if (q[i] < 3) assert.equal(filled.data[i], x.data[i]);
});
