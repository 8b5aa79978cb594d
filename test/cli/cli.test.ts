// The `latent` command as a user runs it: help, info, and errors with exit codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { saveSafetensors, tensor } from '../../src/index.js';

const main = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));
function latent(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', main, ...args], { encoding: 'utf8' });
}

test('latent --help lists the commands and exits 0', () => {
  const r = latent('--help');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Usage: latent/);
  assert.match(r.stdout, /info/);
});

test('latent info describes a safetensors file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'latent-cli-'));
  const file = join(dir, 'model.safetensors');
  saveSafetensors(file, { 'encoder.0.weight': tensor([[1, 2, 3], [4, 5, 6]]), 'encoder.0.bias': tensor([0, 1]) });
  const r = latent('info', file);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /backend: (js|native)/);
  assert.match(r.stdout, /encoder\.0\.weight\s+F32\s+\[2, 3\]/);
  assert.match(r.stdout, /2 tensors, 8 values/);
  const j = latent('info', dir, '--json');
  assert.equal(j.status, 0, j.stderr);
  const parsed = JSON.parse(j.stdout);
  assert.ok(['js', 'native'].includes(parsed.backend), parsed.backend);
  assert.equal(parsed.tensors.length, 2);
});

test('latent info on a missing or corrupt file exits 1 with a clear message', () => {
  const r = latent('info', '/nonexistent/model.safetensors');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /\/nonexistent\/model\.safetensors does not exist/);
  const dir = mkdtempSync(join(tmpdir(), 'latent-cli-'));
  const bad = join(dir, 'bad.safetensors');
  writeFileSync(bad, Buffer.from([1, 2, 3]));
  const b = latent('info', bad);
  assert.equal(b.status, 1);
  assert.match(b.stderr, /bad\.safetensors.*shorter than the 8-byte header/);
  assert.doesNotMatch(b.stderr, /at .*\.ts:\d+/, 'no stack trace for user errors');
});

test('an unknown command exits 1', () => {
  const r = latent('frobnicate');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /unknown command/);
});

test('latent bench runs a workload and refuses a bad option', () => {
  const r = latent('bench', '--quick', '--only', 'gemm_NN', '--json');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.rows.length, 1);
  assert.equal(out.rows[0].name, 'gemm_NN');
  assert.ok(out.rows[0].latent.value > 0);
  const bad = latent('bench', '--images', '0');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--images must be a positive integer, got 0/);
});
