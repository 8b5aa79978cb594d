// `latent train` and `latent eval` as a user runs them, with tiny settings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSafetensors, loadPng } from '../../src/index.js';

const main = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));
const latent = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', main, ...args], { encoding: 'utf8' });
const tiny = ['--hidden', '32', '--latent', '4', '--batch', '200', '--eval-k', '20', '--no-progress'];
const root = mkdtempSync(join(tmpdir(), 'latent-train-'));

test('latent train writes a complete model directory and a JSON summary', () => {
  const out = join(root, 'a');
  const r = latent('train', 'vae', '--epochs', '1', ...tiny, '--out', out, '--json');
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.equal(s.kind, 'vae');
  assert.equal(s.test, 2000);
  assert.ok(s.test_nll > 50 && s.test_nll < 400, `test NLL ${s.test_nll}`);
  assert.ok(s.test_elbo <= s.test_iwae_5 && s.test_iwae_5 <= s.test_logpx + 1e-9, JSON.stringify(s));
  for (const f of ['config.json', 'model.safetensors', 'checkpoint/checkpoint.safetensors', 'metrics.jsonl', 'samples.png', 'reconstructions.png']) {
    assert.ok(existsSync(join(out, f)), `${f} written`);
  }
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  assert.deepEqual(config.model.hidden, [32]);
  assert.equal(config.kind, 'vae');
  assert.deepEqual(loadSafetensors(join(out, 'model.safetensors')).tensors['encoder.0.weight'].shape, [32, 784]);
  assert.equal(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').length, 1);
  assert.equal(loadPng(join(out, 'samples.png')).width, 8 * (56 + 2) + 2);
  const ev = latent('eval', out, '--iw', '30', '--limit', '100', '--json');
  assert.equal(ev.status, 0, ev.stderr);
  const e = JSON.parse(ev.stdout);
  assert.equal(e.n, 100);
  assert.ok(e.nll > 50 && e.elbo <= e.logpx, JSON.stringify(e));
});

test('latent train iwae and cvae run end to end', () => {
  for (const model of ['iwae', 'cvae']) {
    const out = join(root, model);
    const r = latent('train', model, '--epochs', '1', ...tiny, '--k', '3', '--out', out, '--json');
    assert.equal(r.status, 0, `${model}: ${r.stderr}`);
    const s = JSON.parse(r.stdout);
    assert.equal(s.kind, model);
    assert.ok(Number.isFinite(s.test_nll) && s.test_elbo <= s.test_logpx, JSON.stringify(s));
    assert.match(readFileSync(join(out, 'metrics.jsonl'), 'utf8'), /"bound"/);
  }
});

test('latent train --resume continues to exactly the weights of an uninterrupted run', () => {
  const straight = join(root, 'straight');
  const split = join(root, 'split');
  assert.equal(latent('train', '--epochs', '2', ...tiny, '--out', straight, '--json').status, 0);
  assert.equal(latent('train', '--epochs', '1', ...tiny, '--out', split, '--json').status, 0);
  const r = latent('train', '--epochs', '2', ...tiny, '--out', split, '--resume', '--json');
  assert.equal(r.status, 0, r.stderr);
  const a = readFileSync(join(straight, 'model.safetensors'));
  const b = readFileSync(join(split, 'model.safetensors'));
  assert.ok(a.equals(b), 'same bytes');
  assert.equal(readFileSync(join(split, 'metrics.jsonl'), 'utf8').trim().split('\n').length, 2);
});

test('bad options and inputs exit 1 with a clear message and leave no model directory', () => {
  const cases: [string[], RegExp][] = [
    [['train', '--epochs', '0'], /--epochs must be a positive integer, got '0'/],
    [['train', '--lr', 'fast'], /--lr must be a finite positive number, got 'fast'/],
    [['train', '--hidden', '400,x'], /--hidden must be comma-separated positive integers/],
    [['train', '--activation', 'swish'], /argument 'swish' is invalid/],
    [['train', 'gan'], /model must be one of vae, iwae, cvae/],
    [['train', '--data', join(root, 'missing.npy')], /missing\.npy/],
    [['train', '--resume'], /--resume needs --out DIR/],
    [['train', '--out', join(root, 'nothing'), '--resume'], /has no checkpoint/],
    [['eval', join(root, 'nowhere')], /not a model directory \(no config\.json\)/],
  ];
  for (const [args, re] of cases) {
    const r = latent(...args, '--no-progress');
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
    assert.doesNotMatch(r.stderr, /internal error/);
  }
  const corrupt = join(root, 'corrupt.npy');
  writeFileSync(corrupt, Buffer.from('\x93NUMPY garbage'));
  const c = latent('train', '--data', corrupt, '--out', join(root, 'c'), '--no-progress');
  assert.equal(c.status, 1);
  assert.match(c.stderr, /corrupt\.npy/);
  assert.ok(!existsSync(join(root, 'c')) || readdirSync(join(root, 'c')).length === 0, 'no partial model directory');
  const busy = join(root, 'a');
  const b = latent('train', '--out', busy, '--epochs', '1', '--no-progress');
  assert.equal(b.status, 1);
  assert.match(b.stderr, /already exists and is not empty/);
});
