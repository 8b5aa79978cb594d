// The seeds' "MNIST with the top half missing": the same VAE (784-400-20
// ReLU, Bernoulli decoder, Adam 1e-3, batch 100, dynamic binarization)
// trained four ways on the bundled digits, then scored on the test split
// with the top half of every image hidden:
//
//   complete     complete training images, the plain ELBO;
//   top-missing  every training image's top half missing, the likelihood
//                counted on the observed (bottom) pixels only;
//   random-half  each training image missing one random half (top, bottom,
//                left or right), observed pixels only, the mask as encoder input;
//   denoising    complete images, random-half masks shown to the encoder,
//                the likelihood on every pixel.
//
// Reported per model (nats per image, the first 1000 test images, k
// importance samples): -log p(x_obs) of the bottom half, -log p(x) of the
// whole image and -log p(x_top | x_bottom) (conditional NLL,
// conditionalLogLikelihood) with the defensive mixture proposal
// (q(z | x_obs) + q(z | x)) / 2, the conditional NLL again with q(z | x_obs)
// alone (the estimator usable without the missing pixels; see how its
// bias depends on the encoder), and the MSE of the filled-in top half by one
// pass (decoder mean at the posterior mean) and by Metropolis-within-Gibbs.
// Writes a PNG of originals / masked inputs / completions and a JSON.
//
//   node --import tsx bench/inpaint.ts                 # 4-7 minutes
//   node --import tsx bench/inpaint.ts --epochs 2 --test-n 200 --k 100   # a smoke run
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as L from '../src/index.js';
import { benchArgs } from './args.js';

const argv = process.argv.slice(2);
const { arg } = benchArgs(argv);
const o = {
  epochs: Number(arg('epochs', '20')),
  k: Number(arg('k', '500')),
  testN: Number(arg('test-n', '1000')),
  iterations: Number(arg('iterations', '100')),
  seed: Number(arg('seed', '0')),
  out: arg('out', 'runs/bench-inpaint/inpainting.png'),
};

const { train, test } = L.loadDataset('mnist');
const testSub = L.subsetDataset(test!, Array.from({ length: Math.min(o.testN, test!.length) }, (_, i) => i));
const testX = L.flattenImages(L.binarizeDataset(testSub, 'static', new L.Generator(1234)));
const n = testX.shape[0];
const shape = [1, 28, 28];
const top = L.makeMask({ kind: 'half', side: 'top' }, n, shape);
const config: L.VaeConfig = { ...L.defaultVaeConfig, hidden: [400], latent: 20 };

// The chain proposes z from q(z | x̂) for the complete model, whose encoder knows complete images, and
// from q(z | x_obs) for the others, whose encoders were trained on masked images only.
interface Variant { name: string; mask?: L.MaskSpec; likelihood?: L.MaskedLikelihood; maskInput?: boolean; proposal: 'completed' | 'observed' }
const variants: Variant[] = [
  { name: 'complete', proposal: 'completed' },
  { name: 'top-missing', mask: { kind: 'half', side: 'top' }, likelihood: 'observed', proposal: 'observed' },
  { name: 'random-half', mask: { kind: 'random-half' }, likelihood: 'observed', maskInput: true, proposal: 'observed' },
  { name: 'denoising', mask: { kind: 'random-half' }, likelihood: 'all', maskInput: true, proposal: 'observed' },
];

// A reference without a latent variable: each top pixel an independent Bernoulli with its training mean.
const trainX = L.flattenImages(train);
const pixelMean = L.clamp(L.mean(trainX, 0), 1e-3, 1 - 1e-3).data;
let baseline = 0;
for (let i = 0; i < n; i++) {
  for (let p = 0; p < 392; p++) {
    const v = testX.data[i * 784 + p];
    baseline -= v * Math.log(pixelMean[p]) + (1 - v) * Math.log(1 - pixelMean[p]);
  }
}
baseline /= n;
let baselineMse = 0;
for (let i = 0; i < n; i++) for (let p = 0; p < 392; p++) baselineMse += (testX.data[i * 784 + p] - pixelMean[p]) ** 2;
baselineMse /= n * 392;

const shown = 10;
const rows: L.Tensor[] = [L.slice(testX, 0, 0, shown), L.tensor(Float32Array.from(L.slice(testX, 0, 0, shown).data, (v, i) => (i % 784 < 392 ? NaN : v)), { shape: [shown, 784] })];
const results: Record<string, unknown>[] = [];
console.error(`backend ${L.getBackend()}; ${train.length} training images, ${n} test images, ${o.epochs} epochs, k=${o.k}, ${o.iterations} Metropolis-within-Gibbs steps`);
for (const v of variants) {
  const t0 = performance.now();
  const rng = new L.Generator(o.seed + 1);
  const vae = new L.VAE({ ...config, maskInput: v.maskInput }, rng);
  const losses = L.fitMaskedVae(vae, train, {
    rng, epochs: o.epochs, batchSize: 100, lr: 1e-3, mask: v.mask, likelihood: v.likelihood,
    onEpoch: (e, loss, s) => { if (e % 10 === 0 || e === o.epochs) console.error(`  ${v.name} epoch ${e}: loss ${loss.toFixed(2)} (${s.toFixed(1)} s)`); },
  });
  const trainSeconds = (performance.now() - t0) / 1e3;
  const ev = L.evaluateInpainting(vae, testX, top, { rng: new L.Generator(o.seed + 2), k: o.k, iterations: o.iterations, proposal: v.proposal, likelihoodProposal: 'mixture' });
  const plain = L.conditionalLogLikelihood(vae, testX, top, { rng: new L.Generator(o.seed + 4), k: o.k, proposal: 'observed' });
  const conditionalNllObservedProposal = -plain.logConditional.reduce((a, b) => a + b, 0) / n;
  const evalSeconds = (performance.now() - t0) / 1e3 - trainSeconds;
  rows.push(L.inpaint(vae, L.slice(testX, 0, 0, shown), L.slice(top, 0, 0, shown), { rng: new L.Generator(o.seed + 3), method: 'metropolis-gibbs', iterations: o.iterations, proposal: v.proposal }).completed);
  const r = { model: v.name, proposal: v.proposal, finalLoss: losses[losses.length - 1], ...ev, conditionalNllObservedProposal, trainSeconds, evalSeconds };
  results.push(r);
  console.error(`  ${v.name}: ${JSON.stringify(r)}`);
}

const f = (x: unknown, d = 2) => (typeof x === 'number' ? x.toFixed(d) : '–');
console.log(`\n| training data | -log p(x_bottom) | -log p(x) | -log p(x_top \\| x_bottom) | same, q(z \\| x_obs) alone | MSE top, one pass | MSE top, MwG ${o.iterations} | MwG proposal, acceptance | train s | eval s |`);
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  console.log(`| ${r.model} | ${f(r.observedNll)} | ${f(r.jointNll)} | ${f(r.conditionalNll)} | ${f(r.conditionalNllObservedProposal)} | ${f(r.mseMean, 4)} | ${f(r.mseChain, 4)} | q(z \\| x${r.proposal === 'observed' ? '_obs' : '̂'}), ${f(r.acceptance)} | ${f(r.trainSeconds, 0)} | ${f(r.evalSeconds, 0)} |`);
}
console.log(`| pixel means (no latent) | – | – | ${f(baseline)} | – | ${f(baselineMse, 4)} | – | – | – | – |`);
mkdirSync(dirname(o.out), { recursive: true });
L.saveImageGrid(o.out, L.reshape(L.concat(rows, 0), [rows.length * shown, 1, 28, 28]), { cols: shown, scale: 2 });
writeFileSync(o.out.replace(/\.png$/, '.json'), JSON.stringify({ options: o, backend: L.getBackend(), baseline: { conditionalNll: baseline, mse: baselineMse }, results }, null, 2) + '\n');
console.log(`\nwrote ${o.out} (rows: originals, masked inputs with the top half in red, then the Metropolis-within-Gibbs completions of ${variants.map((v) => v.name).join(', ')})`);
