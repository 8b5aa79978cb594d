// `latent train gmm|ppca` as a user runs them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSafetensors, GaussianMixture } from '../../src/index.js';
import { clusterPurity } from '../../cli/train/classical.js';

const main = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));
const latent = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', main, ...args], { encoding: 'utf8' });
const root = mkdtempSync(join(tmpdir(), 'latent-classical-'));

test('cluster purity counts each cluster by its majority label', () => {
  // Clusters {0,0,1} -> 2 right, {2,2} -> 2 right, {1} -> 1 right: 5 of 6.
  assert.equal(clusterPurity(Int32Array.from([0, 0, 0, 1, 1, 2]), Int32Array.from([0, 0, 1, 2, 2, 1]), 3), 5 / 6);
});

test('latent train gmm fits the digits, reports purity and writes a loadable model', () => {
  const out = join(root, 'gmm');
  const r = latent('train', 'gmm', '--k', '4', '--covariance', 'diag', '--max-iter', '20', '--out', out, '--json');
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.equal(s.components, 4);
  assert.equal(s.pca, 0, 'no projection for diagonal covariances');
  // Four clusters over ten digits: purity is well above the 11% of the largest class alone.
  assert.ok(s.purity > 0.3 && s.purity <= 1, `purity ${s.purity}`);
  assert.ok(Number.isFinite(s.test_loglik));
  for (const f of ['config.json', 'model.safetensors', 'assignments.csv', 'means.png']) assert.ok(existsSync(join(out, f)), f);
  const { tensors, metadata } = loadSafetensors(join(out, 'model.safetensors'));
  assert.deepEqual(tensors.means.shape, [4, 784]);
  // The stored parameters rebuild the model.
  const rest = JSON.parse(metadata['latent.model']);
  const json = { ...rest, center: Array.from(tensors.center.data), weights: Array.from(tensors.weights.data), means: Array.from(tensors.means.data) };
  const gm = GaussianMixture.fromJSON(json);
  assert.equal(gm.means.shape[0], 4);
  assert.equal(readFileSync(join(out, 'assignments.csv'), 'utf8').trim().split('\n').length, 8001);
});

test('latent train ppca reports held-out log-likelihood and writes component images', () => {
  const out = join(root, 'ppca');
  const r = latent('train', 'ppca', '--latent', '5', '--out', out, '--json');
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.ok(s.train_loglik > s.test_loglik - 50 && Number.isFinite(s.test_loglik), JSON.stringify(s));
  assert.ok(s.noise_variance > 0);
  for (const f of ['components.png', 'samples.png', 'reconstructions.png']) assert.ok(existsSync(join(out, f)), f);
});

test('gmm and ppca refuse impossible options with a clear message', () => {
  const csv = join(root, 'small.csv');
  writeFileSync(csv, 'a,b\n1,2\n3,4\n5,7\n');
  const cases: [string[], RegExp][] = [
    [['train', 'gmm', '--data', csv, '--k', '5'], /--k 5 is larger than the number of training points \(3\)/],
    [['train', 'gmm', '--pca', 'lots'], /--pca must be 'auto' or a non-negative integer/],
    [['train', 'gmm', '--data', csv, '--k', '2', '--pca', '3'], /--pca 3 is larger than the number of features \(2\)/],
    [['train', 'ppca', '--data', csv, '--latent', '2'], /--latent 2 must be smaller than the number of features \(2\)/],
    [['train', 'gmm', '--covariance', 'banded'], /argument 'banded' is invalid/],
  ];
  for (const [args, re] of cases) {
    const r = latent(...args, '--out', join(root, 'bad'));
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
  }
  assert.ok(!existsSync(join(root, 'bad')), 'no model directory for refused runs');
});
