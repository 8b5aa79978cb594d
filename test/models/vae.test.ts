// The VAE family with tiny settings: training lowers the loss, the bounds
// come in the right order, objectives relate as their definitions say,
// checkpoints resume exactly, and non-finite steps never reach the weights.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as L from '../../src/index.js';
import type { Dataset } from '../../src/index.js';

const { train, test: testSet } = L.loadDataset('mnist');
const small = L.subsetDataset(train, Array.from({ length: 300 }, (_, i) => i));
const heldOut = L.flattenImages(L.binarizeDataset(L.subsetDataset(testSet!, Array.from({ length: 60 }, (_, i) => i)), 'static', new L.Generator(7)));
const tiny: L.VaeConfig = { ...L.defaultVaeConfig, hidden: [32], latent: 4 };

function trainTiny(opts: { spec?: L.ObjectiveSpec; config?: L.VaeConfig; data?: Dataset; epochs?: number; seed?: number; cond?: boolean } = {}) {
  const rng = new L.Generator(opts.seed ?? 3);
  const data = opts.data ?? small;
  const vae = new L.VAE(opts.config ?? tiny, rng);
  vae.initOutputBias(L.mean(L.flattenImages(data), 0));
  const optimizer = new L.Adam(vae.parameters(), { lr: 3e-3 });
  const objective = L.makeObjective(opts.spec ?? { kind: 'elbo' });
  const epochLoss: number[] = [];
  L.fit({
    model: vae, optimizer, epochs: opts.epochs ?? 3, batchesPerEpoch: Math.floor(data.length / 20),
    epochBatches: () => L.minibatches(data, { batchSize: 20, shuffle: true, rng, binarize: "dynamic", dropLast: true }),
    loss: (b, step) => objective.evaluate(vae, { x: b.x, y: opts.cond ? L.oneHot(b.y!, 10) : undefined }, rng, step),
    onEpoch: (r) => epochLoss.push(r.means.loss),
  });
  return { vae, rng, epochLoss };
}

test('training a tiny VAE lowers the loss, and ELBO <= IWAE_5 <= IWAE_500 on held-out data', () => {
  const { vae, epochLoss } = trainTiny({ epochs: 4 });
  assert.ok(epochLoss[3] < epochLoss[0] - 5, `loss per epoch ${epochLoss}`);
  const ev = L.evaluateVae(vae, { x: heldOut }, { rng: new L.Generator(11), k: 5, kEval: 500 });
  // In expectation ELBO <= IWAE_k <= IWAE_k' for k <= k' (Burda et al. 2016, Thm 1); averaged over
  // 60 images the Monte Carlo error (~0.1 nat) is far below the gaps seen (> 1 nat).
  assert.ok(ev.elbo < ev.iwae && ev.iwae < ev.logpx, JSON.stringify(ev));
  assert.ok(ev.logpx < 0 && ev.logpx > -400, `log p(x) ${ev.logpx}`);
  assert.equal(ev.klPerDim.length, 4);
  assert.ok(Math.abs(ev.klPerDim.reduce((a, b) => a + b) - ev.kl) < 1e-6 * Math.abs(ev.kl) + 1e-9, 'KL per dimension sums to the KL');
  assert.ok(ev.activeUnits >= 1 && ev.activeUnits <= 4);
});

test('every objective trains: beta, warm-up, free bits, capacity, IWAE, sampled KL, conv and Gaussian decoders', () => {
  const cases: [string, L.ObjectiveSpec, L.VaeConfig][] = [
    ['beta-VAE', { kind: 'elbo', beta: 4 }, tiny],
    ['warm-up + free bits', { kind: 'elbo', warmupSteps: 10, freeBits: 0.5 }, tiny],
    ['sampled KL', { kind: 'elbo', analyticKL: false }, tiny],
    // A fixed capacity, so the objective does not move under the optimizer (the schedule is checked below).
    ['capacity', { kind: 'capacity', gamma: 10, maxCapacity: 5, capacitySteps: 0 }, tiny],
    ['IWAE k=3', { kind: 'iwae', k: 3 }, tiny],
    ['conv', { kind: 'elbo' }, { ...tiny, architecture: 'conv', hidden: [4, 8] }],
    ['learned Gaussian', { kind: 'elbo' }, { ...tiny, likelihood: 'gaussian-learned', activation: 'tanh' }],
  ];
  for (const [name, spec, config] of cases) {
    const { epochLoss } = trainTiny({ spec, config, epochs: 2 });
    assert.ok(epochLoss.every(Number.isFinite) && epochLoss[1] < epochLoss[0], `${name}: ${epochLoss}`);
  }
});

test('objectives agree where their definitions coincide', () => {
  const vae = new L.VAE(tiny, new L.Generator(5));
  const x = L.slice(heldOut, 0, 0, 20);
  const run = (spec: L.ObjectiveSpec, step = 0) => L.makeObjective(spec).evaluate(vae, { x }, new L.Generator(9), step);
  // IWAE with k = 1 is the ELBO with a one-sample KL, on the same draw.
  const iw1 = run({ kind: 'iwae', k: 1 }).stats.bound;
  const sampled = run({ kind: 'elbo', analyticKL: false }).stats.bound;
  assert.ok(Math.abs(iw1 - sampled) < 1e-4, `${iw1} vs ${sampled}`);
  // beta = 1, no warm-up: the objective is the ELBO; beta = 0 leaves the reconstruction term.
  const plain = run({ kind: 'elbo' });
  assert.ok(Math.abs(plain.stats.bound - plain.stats.elbo) < 1e-4);
  const b0 = run({ kind: 'elbo', beta: 0 });
  assert.ok(Math.abs(b0.stats.bound - b0.stats.rec) < 1e-4);
  // Warm-up halfway: half the KL.
  const half = run({ kind: 'elbo', warmupSteps: 10 }, 5);
  assert.ok(Math.abs(half.stats.bound - (half.stats.rec - 0.5 * half.stats.kl)) < 1e-3);
  // Capacity: rec - gamma |KL - C|.
  const cap = run({ kind: 'capacity', gamma: 2, maxCapacity: 3, capacitySteps: 0 });
  assert.ok(Math.abs(cap.stats.bound - (cap.stats.rec - 2 * Math.abs(cap.stats.kl - 3))) < 1e-3);
  // The closed-form KL is the mean of the sampled one (fixed seed, 4000 draws; MC error ~0.05 nat).
  const q = vae.posterior(x);
  const z = q.dist.rsample(new L.Generator(1), [4000]);
  const mc = L.mean(L.sub(q.dist.logProb(z), vae.prior([4000, 20]).logProb(z))).item();
  assert.ok(Math.abs(mc - plain.stats.kl) < 0.1, `MC KL ${mc} vs closed form ${plain.stats.kl}`);
});

test('a conditional VAE uses its labels, and refuses to run without them', () => {
  const config = { ...tiny, conditionDim: 10 };
  const { vae, epochLoss } = trainTiny({ config, cond: true, epochs: 2 });
  assert.ok(epochLoss[1] < epochLoss[0]);
  const y = L.oneHot([3, 7], 10);
  assert.deepEqual(vae.sampleMeans(2, new L.Generator(1), y).shape, [2, 784]);
  assert.throws(() => vae.posterior(L.slice(heldOut, 0, 0, 2)), /a conditional model needs y of shape \[2, 10\], got none/);
});

test('a masked likelihood counts only observed pixels', () => {
  const vae = new L.VAE(tiny, new L.Generator(5));
  const x = L.slice(heldOut, 0, 0, 3);
  const z = L.randn([3, 4], new L.Generator(2));
  const mask = L.concat([L.ones([3, 392]), L.zeros([3, 392])], 1);
  const full = vae.pixelLikelihood(vae.decode(z)).logProb(x);
  const top = vae.logLikelihood(x, z, undefined, mask);
  const perPixel = new L.Bernoulli({ logits: vae.decode(z), validateArgs: false }).logProb(x);
  const expected = L.sum(L.slice(perPixel, 1, 0, 392), 1);
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(top.data[i] - expected.data[i]) < 1e-3);
  assert.ok(top.data[0] > full.data[0], 'fewer pixels, higher log-likelihood');
});

test('a checkpoint resumes training bit for bit', () => {
  const data = L.subsetDataset(train, Array.from({ length: 100 }, (_, i) => i));
  const setup = () => {
    const rng = new L.Generator(21);
    const vae = new L.VAE(tiny, rng);
    const optimizer = new L.Adam(vae.parameters(), { lr: 1e-3 });
    const objective = L.makeObjective({ kind: 'elbo' });
    const run = (epochs: number, state?: L.TrainerState) => L.fit({
      model: vae, optimizer, epochs, batchesPerEpoch: 4, state,
      epochBatches: () => L.minibatches(data, { batchSize: 25, shuffle: true, rng, binarize: 'dynamic' }),
      loss: (b, step) => objective.evaluate(vae, { x: b.x }, rng, step),
    });
    return { rng, vae, optimizer, run };
  };
  const a = setup();
  a.run(3);
  const b = setup();
  const state = b.run(1);
  const file = join(mkdtempSync(join(tmpdir(), 'latent-ckpt-')), 'checkpoint.safetensors');
  L.saveCheckpoint(file, { model: b.vae, optimizer: b.optimizer, rngs: { main: b.rng } }, state);
  const c = setup();
  const { trainer } = L.loadCheckpoint(file, { model: c.vae, optimizer: c.optimizer, rngs: { main: c.rng } });
  assert.deepEqual(trainer, state);
  c.run(3, trainer);
  const wa = a.vae.stateDict();
  const wc = c.vae.stateDict();
  for (const k of Object.keys(wa)) assert.deepEqual(Array.from(wc[k].data), Array.from(wa[k].data), k);
});

test('non-finite losses are skipped with the learning rate halved, then stop the run; NaN weights are never checkpointed', () => {
  const vae = new L.VAE(tiny, new L.Generator(1));
  const optimizer = new L.Adam(vae.parameters(), { lr: 1e-3 });
  const before = vae.stateDict();
  const seen: string[] = [];
  assert.throws(() => L.fit({
    model: vae, optimizer, epochs: 1, batchesPerEpoch: 10, maxNonFinite: 2,
    epochBatches: () => [0, 1, 2, 3, 4],
    loss: (b) => ({ loss: b === 0 ? L.sum(L.mul(vae.muHead.weight, 0)) : L.mul(L.sum(vae.muHead.weight), NaN), stats: {} }),
    onNonFinite: (step, q, lr) => seen.push(`${step}:${q}:${lr}`),
  }), /training stopped at step 1: the loss \(NaN\) is not finite/);
  assert.deepEqual(seen, ['1:the loss (NaN):0.0005', '1:the loss (NaN):0.00025']);
  // The weights are exactly those after the one good step (a zero gradient: Adam leaves them unchanged).
  for (const [k, t] of Object.entries(vae.stateDict())) assert.deepEqual(Array.from(t.data), Array.from(before[k].data), k);
  vae.muHead.weight.data[0] = NaN;
  const file = join(mkdtempSync(join(tmpdir(), 'latent-ckpt-')), 'c.safetensors');
  assert.throws(() => L.saveCheckpoint(file, { model: vae }, { epoch: 0, step: 0, batchInEpoch: 0, lrHalvings: 0 }), /refusing to checkpoint non-finite weights \(muHead\.weight\[0\] = NaN\)/);
});

test('bad configurations and options are refused with the field named', () => {
  const rng = new L.Generator(0);
  assert.throws(() => new L.VAE({ ...tiny, latent: 0 }, rng), /VAE: latent must be a positive integer, got 0/);
  assert.throws(() => new L.VAE({ ...tiny, architecture: 'conv', hidden: [4, 8, 16] }, rng), /divisible by 8, got 28x28/);
  assert.throws(() => new L.VAE({ ...tiny, activation: 'swish' as never }, rng), /activation must be relu, tanh or softplus/);
  assert.throws(() => L.makeObjective({ kind: 'iwae', k: 0 }), /iwae: k must be a positive integer, got 0/);
  assert.throws(() => L.makeObjective({ kind: 'elbo', beta: NaN }), /beta must be a finite number >= 0, got NaN/);
  const vae = new L.VAE(tiny, rng);
  assert.throws(() => vae.posterior(L.zeros([2, 100])), /expected x of shape \[B, 1, 28, 28\] or \[B, 784\], got \[2, 100\]/);
  assert.throws(() => L.evaluateVae(vae, { x: heldOut }, { rng, kEval: 0 }), /kEval must be a positive integer/);
});
