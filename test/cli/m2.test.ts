// `latent train m2` as a user runs it, with tiny settings: the model
// directory, the printed accuracies of M2 and of the labels-only
// classifier, --resume, and bad options exiting 1 with a clear message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeNpy, loadPng, loadSafetensors } from '../../src/index.js';

const main = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));
const latent = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', main, ...args], { encoding: 'utf8' });
const tiny = ['--hidden', '32', '--latent', '4', '--batch', '400', '--no-progress'];
const root = mkdtempSync(join(tmpdir(), 'latent-m2-'));

test('latent train m2 writes its model directory and prints the test accuracy of M2 and of the labels-only classifier', () => {
  const out = join(root, 'a');
  const r = latent('train', 'm2', '--labeled', '20', '--epochs', '1', ...tiny, '--out', out);
  assert.equal(r.status, 0, r.stderr);
  const m = r.stderr.match(/test accuracy \(2000 images\): M2 ([\d.]+)%, labels-only classifier ([\d.]+)%/);
  assert.ok(m, r.stderr);
  // One epoch on 20 labels: better than chance (10%) for the classifier trained on them, and a percentage for both.
  assert.ok(Number(m[2]) > 15 && Number(m[2]) <= 100 && Number(m[1]) >= 0 && Number(m[1]) <= 100, r.stderr);
  assert.match(r.stderr, /20 labeled \+ 7980 unlabeled examples, alpha 800/);
  for (const f of ['config.json', 'model.safetensors', 'baseline.safetensors', 'checkpoint/checkpoint.safetensors', 'metrics.jsonl', 'samples.png']) {
    assert.ok(existsSync(join(out, f)), `${f} written`);
  }
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  assert.equal(config.kind, 'm2');
  assert.deepEqual(config.model.hidden, [32]);
  assert.equal(config.model.numClasses, 10);
  assert.equal(config.data.labeled, 20);
  assert.equal(config.data.labeledIndices.length, 20);
  assert.equal(config.training.alpha, 800);
  const weights = loadSafetensors(join(out, 'model.safetensors')).tensors;
  assert.deepEqual(weights['classifier.0.weight'].shape, [32, 784]);
  assert.deepEqual(weights['vae.encoder.0.weight'].shape, [32, 794]);
  assert.deepEqual(loadSafetensors(join(out, 'baseline.safetensors')).tensors['0.weight'].shape, [32, 784]);
  const line = JSON.parse(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim());
  assert.equal(line.epoch, 1);
  assert.ok(line.test_accuracy >= 0 && line.test_accuracy <= 1 && line.U < 0);
  // One row of 8 samples per class.
  assert.equal(loadPng(join(out, 'samples.png')).height, 10 * (56 + 2) + 2);

  // --resume continues to epoch 2; --json prints one object with both accuracies.
  const j = latent('train', 'm2', '--labeled', '20', '--epochs', '2', ...tiny, '--out', out, '--resume', '--json');
  assert.equal(j.status, 0, j.stderr);
  const s = JSON.parse(j.stdout);
  assert.equal(s.kind, 'm2');
  assert.equal(s.labeled, 20);
  assert.equal(s.unlabeled, 7980);
  assert.ok(s.m2_accuracy >= 0 && s.m2_accuracy <= 1 && s.baseline_accuracy > 0.15 && s.baseline_accuracy <= 1, j.stdout);
  assert.equal(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').length, 2);
});

test('bad m2 options exit 1 with a clear message and no model directory', () => {
  const unlabeled = join(root, 'images.npy');
  writeFileSync(unlabeled, encodeNpy(new Float32Array(30 * 784).fill(0.5), [30, 1, 28, 28]));
  const cases: [string[], RegExp][] = [
    [['--labeled', '9000'], /--labeled 9000 must be smaller than the 8000 training examples/],
    [['--labeled', '8000'], /--labeled 8000 must be smaller than the 8000 training examples/],
    [['--labeled', '25'], /--labeled 25 must be a multiple of the 10 classes/],
    [['--labeled', '0'], /--labeled must be a positive integer, got '0'/],
    [[], /--labeled N is required/],
    [['--labeled', '10', '--data', unlabeled], /needs labels for .*images\.npy \(pass --labels PATH\)/],
    [['--labeled', '20', '--labeled-batch', '30'], /--labeled-batch 30 is more than the 20 labeled examples/],
    [['--labeled', '20', '--alpha', '-1'], /--alpha must be a finite non-negative number, got '-1'/],
  ];
  cases.forEach(([args, re], i) => {
    const out = join(root, `bad${i}`);
    const r = latent('train', 'm2', ...args, '--epochs', '1', ...tiny, '--out', out);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
    assert.doesNotMatch(r.stderr, /internal error|at .*\.ts:\d+/);
    assert.ok(!existsSync(out) || readdirSync(out).length === 0, `${args.join(' ')}: no partial model directory`);
  });
});
