// Test NLL of `latent`'s VAE against its PyTorch twin (bench/vae_twin.py):
// same architecture, data, objective, optimizer, batch, epochs, dynamic
// binarization, and the same statically binarized test images, evaluated
// with the same importance-sampling estimator of log p(x).
//
//   node --import tsx bench/vae_compare.ts --data mnist --epochs 20
//   node --import tsx bench/vae_compare.ts --data fashion-mnist --epochs 10 --test-n 2000
//   node --import tsx bench/vae_compare.ts --hidden 200,200 --latent 50 --activation tanh --k 5 --batch 20
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as L from '../src/index.js';
import { benchArgs } from './args.js';

const argv = process.argv.slice(2);
const { arg } = benchArgs(argv);
const o = {
  data: arg('data', 'mnist'),
  epochs: Number(arg('epochs', '20')),
  batch: Number(arg('batch', '100')),
  lr: Number(arg('lr', '1e-3')),
  hidden: arg('hidden', '400'),
  latent: Number(arg('latent', '20')),
  activation: arg('activation', 'relu') as 'relu' | 'tanh' | 'softplus',
  k: Number(arg('k', '1')),
  evalK: Number(arg('eval-k', '1000')),
  testN: Number(arg('test-n', '2000')),
  seed: Number(arg('seed', '0')),
};

const { train, test } = L.loadDataset(o.data);
const testSub = L.subsetDataset(test!, Array.from({ length: Math.min(o.testN, test!.length) }, (_, i) => i));
const testBin = L.flattenImages(L.binarizeDataset(testSub, 'static', new L.Generator(1234)));
const trainFlat = L.flattenImages(train);
const dir = mkdtempSync(join(tmpdir(), 'latent-twin-'));
writeFileSync(join(dir, 'train.npy'), L.encodeNpy(trainFlat.data as Float32Array, trainFlat.shape));
writeFileSync(join(dir, 'test_binarized.npy'), L.encodeNpy(testBin.data as Float32Array, testBin.shape));

// latent
const rng = new L.Generator(o.seed);
const hidden = o.hidden.split(',').map(Number);
const vae = new L.VAE({ ...L.defaultVaeConfig, hidden, latent: o.latent, activation: o.activation }, rng);
vae.initOutputBias(L.mean(trainFlat, 0));
const optimizer = new L.Adam(vae.parameters(), { lr: o.lr });
const objective = L.makeObjective(o.k === 1 ? { kind: 'elbo' } : { kind: 'iwae', k: o.k });
const t0 = performance.now();
L.fit({
  model: vae, optimizer, epochs: o.epochs, batchesPerEpoch: Math.ceil(train.length / o.batch),
  epochBatches: () => L.minibatches(train, { batchSize: o.batch, shuffle: true, rng, binarize: 'dynamic' }),
  loss: (b, step) => objective.evaluate(vae, { x: b.x }, rng, step),
  onEpoch: (r) => process.stderr.write(`latent epoch ${r.epoch}: bound ${r.means.bound.toFixed(2)} (${r.seconds.toFixed(1)} s)\n`),
});
const trainS = (performance.now() - t0) / 1e3;
const t1 = performance.now();
const ev = L.evaluateVae(vae, { x: testBin }, { rng: new L.Generator(o.seed + 1), kEval: o.evalK });
const evalS = (performance.now() - t1) / 1e3;

// PyTorch twin, same thread count.
const script = fileURLToPath(new URL('./vae_twin.py', import.meta.url));
process.stderr.write('PyTorch twin...\n');
const py = spawnSync('/usr/bin/python3', [script, dir, '--hidden', o.hidden, '--latent', String(o.latent), '--activation', o.activation,
  '--epochs', String(o.epochs), '--batch', String(o.batch), '--lr', String(o.lr), '--k', String(o.k), '--eval-k', String(o.evalK),
  '--seed', String(o.seed), '--threads', '1'], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' }, maxBuffer: 1 << 24 });
if (py.status !== 0) {
  process.stderr.write(py.stderr);
  process.exit(2);
}
const t = JSON.parse(py.stdout.trim().split('\n').pop()!);
const result = {
  data: o.data, train: train.length, test: testBin.shape[0], epochs: o.epochs, arch: `${784}-${o.hidden}-${o.latent} ${o.activation}`,
  objective: o.k === 1 ? 'ELBO' : `IWAE-${o.k}`, evalK: o.evalK,
  latent: { test_elbo: ev.elbo, test_nll: -ev.logpx, train_s: trainS, eval_s: evalS, backend: L.getBackend() },
  torch: { test_elbo: t.test_elbo, test_nll: t.test_nll, train_s: t.train_seconds, eval_s: t.eval_seconds },
  nll_difference: -ev.logpx - t.test_nll,
};
console.log(JSON.stringify(result));
console.log(`| ${o.data} | ${result.arch} | ${result.objective} | ${o.epochs} | ${(-ev.logpx).toFixed(2)} | ${t.test_nll.toFixed(2)} | ${result.nll_difference.toFixed(2)} | ${trainS.toFixed(0)} s / ${t.train_seconds.toFixed(0)} s |`);
