// `latent train cnf` as a user runs it: a model directory with density.png
// from one tiny epoch on a toy and on a CSV file, and clear errors (exit 1,
// nothing written) for bad options and data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CNF, Generator, loadSafetensors, readModelConfig, sampleToy2d, type CnfConfig } from '../../src/index.js';

const main = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));
const latent = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', main, ...args], { encoding: 'utf8' });
const root = mkdtempSync(join(tmpdir(), 'latent-cnf-'));

test('latent train cnf on two moons writes a complete model directory and reports the gap to -H(p)', () => {
  const out = join(root, 'moons');
  const r = latent('train', 'cnf', '--data', 'two-moons', '--epochs', '1', '--batch', '2500', '--hidden', '16,16', '--out', out, '--json');
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.equal(s.kind, 'cnf');
  assert.equal(s.steps, 4);
  assert.ok(Number.isFinite(s.test_loglik) && s.test_loglik < s.target_loglik + 0.1, `test ${s.test_loglik}, target ${s.target_loglik}`);
  assert.ok(Math.abs(s.target_loglik + 2.396) < 0.02, 'two moons: -H(p) = -2.396');
  for (const f of ['config.json', 'model.safetensors', 'metrics.jsonl', 'checkpoint/checkpoint.safetensors', 'density.png']) assert.ok(existsSync(join(out, f)), f);
  const cfg = readModelConfig(out);
  const cnf = new CNF(cfg.model as unknown as CnfConfig, new Generator(0));
  cnf.loadStateDict(loadSafetensors(join(out, 'model.safetensors')).tensors);
  assert.equal(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').length, 1);
});

test('latent train cnf on a CSV of points, with Hutchinson, the adjoint and RK4', () => {
  const csv = join(root, 'points.csv');
  const x = sampleToy2d('eight-gaussians', 300, new Generator(1));
  writeFileSync(csv, Array.from({ length: 300 }, (_, i) => `${x.data[2 * i]},${x.data[2 * i + 1]}`).join('\n') + '\n');
  const out = join(root, 'csv');
  const r = latent('train', 'cnf', '--data', csv, '--epochs', '1', '--batch', '270', '--hidden', '8', '--trace', 'hutchinson', '--adjoint',
    '--solver', 'rk4', '--step-size', '0.25', '--activation', 'softplus', '--out', out, '--json');
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.equal(s.test, 30); // 10% held out
  assert.ok(Number.isFinite(s.test_loglik));
  assert.ok(existsSync(join(out, 'density.png')));
  assert.equal(readModelConfig(out).model.adjoint, true);
});

test('--resume continues a run from its checkpoint to the uninterrupted run\'s exact weights', () => {
  const out = join(root, 'resume');
  const args = ['train', 'cnf', '--data', 'rings', '--batch', '5000', '--hidden', '8', '--solver', 'rk4', '--step-size', '0.25', '--out', out, '--json'];
  const first = latent(...args, '--epochs', '1');
  assert.equal(first.status, 0, first.stderr);
  const second = latent(...args, '--epochs', '2', '--resume');
  assert.equal(second.status, 0, second.stderr);
  const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.epoch), [1, 2]);
  assert.equal(lines[1].step, 4);
  // The checkpoint holds the optimizer and both generators: the same weights, bit for bit, as two epochs in one go.
  const straight = join(root, 'straight');
  const r = latent(...args.slice(0, -3), '--out', straight, '--json', '--epochs', '2');
  assert.equal(r.status, 0, r.stderr);
  const a = loadSafetensors(join(out, 'model.safetensors')).tensors;
  const b = loadSafetensors(join(straight, 'model.safetensors')).tensors;
  for (const k of Object.keys(b)) assert.deepEqual(Array.from(a[k].data), Array.from(b[k].data), k);
});

test('bad options and data exit 1 with a clear message and write nothing', () => {
  const bad = join(root, 'bad.csv');
  writeFileSync(bad, '1,2\n3,nan\n4,5\n');
  const cases: [string[], RegExp][] = [
    [['--data', join(root, 'missing.csv')], /missing\.csv/],
    [['--data', bad], /bad\.csv: line 2, column 2: NaN; expected a finite number/],
    [['--activation', 'relu'], /--activation must be tanh or softplus/],
    [['--solver', 'rk45'], /--solver must be one of dopri5, rk4, euler/],
    [['--rtol', '0'], /--rtol must be a finite positive number/],
    [['--data', 'mnist'], /image dataset/],
  ];
  for (const [args, msg] of cases) {
    const out = join(root, `bad-${args[0].slice(2)}-${args[1].length}`);
    const r = latent('train', 'cnf', ...args, '--epochs', '1', '--out', out);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, msg);
    assert.ok(!existsSync(out), `${args.join(' ')} left ${out}`);
  }
  const throughFile = latent('train', 'cnf', '--epochs', '1', '--out', join(bad, 'run'));
  assert.equal(throughFile.status, 1, throughFile.stderr);
  assert.match(throughFile.stderr, /--out .*bad\.csv\/run: .*bad\.csv is a file, not a directory/);
  const isFile = latent('train', 'cnf', '--epochs', '1', '--out', bad);
  assert.equal(isFile.status, 1, isFile.stderr);
  assert.match(isFile.stderr, /--out .*bad\.csv is a file, not a directory/);
});
