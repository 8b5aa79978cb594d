// `latent train flow` as a user runs it, with tiny settings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Generator, loadFlowDir, loadPng, meanLogProb, sampleToy2d } from '../../src/index.js';

const main = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));
const latent = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', main, ...args], { encoding: 'utf8' });
const root = mkdtempSync(join(tmpdir(), 'latent-flow-cli-'));

test('latent train flow on two moons writes a model directory and density.png, reports the gap to -H(p), and resumes', () => {
  const out = join(root, 'moons');
  const r = latent('train', 'flow', '--data', 'two-moons', '--epochs', '1', '--layers', '4', '--batch', '500', '--out', out, '--json');
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.equal(s.flow, 'realnvp');
  assert.ok(Number.isFinite(s.test_loglik) && s.test_loglik < 0, `test log-likelihood ${s.test_loglik}`);
  // No model does better than the target itself (up to the Monte Carlo error of both estimates).
  assert.ok(s.kl_gap > -0.05, `gap ${s.kl_gap}`);
  for (const f of ['config.json', 'model.safetensors', 'checkpoint/checkpoint.safetensors', 'metrics.jsonl', 'density.png']) assert.ok(existsSync(join(out, f)), f);
  const png = loadPng(join(out, 'density.png'));
  assert.ok(png.width > 2 * png.height - 20, 'two panels side by side');
  // The directory reloads to the same test score on the same points.
  const { model } = loadFlowDir(out);
  const pts = sampleToy2d('two-moons', 100, new Generator(3));
  assert.ok(Number.isFinite(meanLogProb(model, pts).mean));
  const again = latent('train', 'flow', '--data', 'two-moons', '--epochs', '2', '--out', out, '--resume', '--json');
  assert.equal(again.status, 0, again.stderr);
  assert.equal(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').length, 2);
});

test('latent train flow on a CSV of images: Glow with dequantization, bits/dim and samples.png', () => {
  // 60 tiny 4x4 "images" of bytes: a bright diagonal plus noise.
  const rng = new Generator(4);
  const rows: string[] = [];
  for (let i = 0; i < 60; i++) rows.push(Array.from({ length: 16 }, (_, j) => (j % 5 === 0 ? 200 : 20) + Math.floor(40 * rng.uniform01())).join(','));
  const file = join(root, 'tiny.csv');
  writeFileSync(file, rows.join('\n') + '\n');
  const out = join(root, 'tiny');
  const r = latent('train', 'flow', '--data', file, '--flow', 'glow', '--layers', '2', '--hidden', '16', '--epochs', '1', '--batch', '20', '--out', out, '--json');
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.equal(s.flow, 'glow');
  // 8 bits/dim is the uniform density; anything finite and below ~16 is a working pipeline after one epoch.
  assert.ok(Number.isFinite(s.bits_per_dim) && s.bits_per_dim > 0 && s.bits_per_dim < 16, `bits/dim ${s.bits_per_dim}`);
  assert.ok(existsSync(join(out, 'samples.png')));
  const saved = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  assert.equal(saved.model.logitLambda, 1e-6);
  // The image size is recorded, so `latent sample` draws a grid of 4x4 images from the flat flow.
  assert.deepEqual(saved.data.image, [1, 4, 4]);
  const grid = join(root, 'tiny-grid.png');
  const s2 = latent('sample', out, '--n', '6', '--cols', '3', '--scale', '1', '--out', grid);
  assert.equal(s2.status, 0, s2.stderr);
  const gp = loadPng(grid);
  // 3 x 2 images of 4x4 pixels with 2-pixel borders around and between them.
  assert.deepEqual([gp.width, gp.height], [3 * 4 + 4 * 2, 2 * 4 + 3 * 2]);
  // --arch conv: the images keep their [1, 4, 4] shape, with checkerboard conv couplings.
  const conv = join(root, 'tiny-conv');
  const c = latent('train', 'flow', '--data', file, '--arch', 'conv', '--layers', '2', '--hidden', '8', '--epochs', '1', '--batch', '20', '--out', conv, '--json');
  assert.equal(c.status, 0, c.stderr);
  assert.ok(Number.isFinite(JSON.parse(c.stdout).bits_per_dim));
  assert.deepEqual(JSON.parse(readFileSync(join(conv, 'config.json'), 'utf8')).model.eventShape, [1, 4, 4]);
});

test('latent train flow --flow maf: the autoregressive flow of src/flows on 2-D points from a CSV file', () => {
  const pts = sampleToy2d('eight-gaussians', 400, new Generator(5));
  const file = join(root, 'points.csv');
  writeFileSync(file, Array.from({ length: 400 }, (_, i) => `${pts.data[2 * i]},${pts.data[2 * i + 1]}`).join('\n') + '\n');
  const out = join(root, 'maf');
  const r = latent('train', 'flow', '--data', file, '--flow', 'maf', '--layers', '2', '--hidden', '16', '--epochs', '1', '--batch', '50', '--out', out, '--json');
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.equal(s.flow, 'maf');
  assert.equal(s.train + s.test, 400, '10% held out');
  assert.ok(Number.isFinite(s.test_loglik));
  assert.ok(existsSync(join(out, 'density.png')));
});

test('latent train flow --flow spline: rational-quadratic spline couplings on the rings, saved and reloaded with their bins and bound', () => {
  const out = join(root, 'spline');
  const r = latent('train', 'flow', '--data', 'rings', '--flow', 'spline', '--layers', '2', '--bins', '4', '--tail-bound', '4', '--hidden', '16', '--epochs', '2', '--batch', '1000', '--lr-schedule', 'cosine', '--out', out, '--json');
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.equal(s.flow, 'spline');
  assert.ok(Number.isFinite(s.test_loglik) && s.kl_gap > -0.05, `test log-likelihood ${s.test_loglik}, gap ${s.kl_gap}`);
  const saved = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).model;
  assert.equal(saved.bins, 4);
  assert.equal(saved.tailBound, 4);
  const { model } = loadFlowDir(out);
  assert.equal(model.config.bins, 4);
  assert.ok(existsSync(join(out, 'density.png')));
  // Cosine decay from 1e-3 to 1e-5 over 2 epochs of 20 steps: lr/100 + (lr - lr/100) (1 + cos(pi t/T)) / 2 after each epoch.
  const lrs = () => readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).lr as number);
  const cos = (t: number, total: number) => 1e-5 + (1e-3 - 1e-5) * 0.5 * (1 + Math.cos((Math.PI * t) / total));
  assert.deepEqual(lrs().map((v) => v.toPrecision(10)), [cos(20, 40), cos(40, 40)].map((v) => v.toPrecision(10)));
  assert.equal(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).training.lrSchedule, 'cosine');
  // Resumed with one more epoch, the schedule is a function of the step over the new length.
  const more = latent('train', 'flow', '--data', 'rings', '--epochs', '3', '--batch', '1000', '--out', out, '--resume', '--json');
  assert.equal(more.status, 0, more.stderr);
  assert.equal(lrs()[2].toPrecision(10), cos(60, 60).toPrecision(10));
  const other = latent('train', 'flow', '--data', 'rings', '--epochs', '4', '--batch', '1000', '--out', out, '--resume', '--lr-schedule', 'constant');
  assert.equal(other.status, 1);
  assert.match(other.stderr, /was trained with --lr-schedule cosine; resume it with the same schedule/);
});

test('latent train flow rejects bad input with exit 1 and writes nothing', () => {
  const bad = latent('train', 'flow', '--data', 'two-moons', '--flow', 'nice', '--out', join(root, 'bad1'));
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--flow must be one of realnvp, glow, maf, spline, got 'nice'/);
  const three = join(root, 'three.csv');
  writeFileSync(three, '1.5,2,3\n-0.5,1,7\n0.25,3,3\n');
  const r = latent('train', 'flow', '--data', three, '--out', join(root, 'bad2'));
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /expected 2-D points \(N rows of 2 values\) or images, got examples of shape \[3\]/);
  const nan = join(root, 'nan.csv');
  writeFileSync(nan, '0.5,1\nNaN,2\n1,1\n');
  const n = latent('train', 'flow', '--data', nan, '--out', join(root, 'bad3'));
  assert.equal(n.status, 1, n.stderr);
  assert.match(n.stderr, /nan\.csv/);
  const bins = latent('train', 'flow', '--data', 'two-moons', '--bins', '4', '--out', join(root, 'bad4'));
  assert.equal(bins.status, 1);
  assert.match(bins.stderr, /--bins and --tail-bound apply to --flow spline, not realnvp/);
  const one = latent('train', 'flow', '--data', 'two-moons', '--flow', 'spline', '--bins', '1', '--out', join(root, 'bad5'));
  assert.equal(one.status, 1);
  assert.match(one.stderr, /--bins must be at least 2, got 1/);
  const vae = latent('train', 'vae', '--lr-schedule', 'cosine', '--out', join(root, 'bad6'));
  assert.equal(vae.status, 1);
  assert.match(vae.stderr, /--lr-schedule applies to latent train flow, not vae/);
  const sched = latent('train', 'flow', '--data', 'two-moons', '--lr-schedule', 'step', '--out', join(root, 'bad7'));
  assert.equal(sched.status, 1);
  assert.match(sched.stderr, /--lr-schedule/);
  for (const d of ['bad1', 'bad2', 'bad3', 'bad4', 'bad5', 'bad6', 'bad7']) assert.ok(!existsSync(join(root, d)), `${d} was created`);
});

test('latent train flow --arch conv --levels: the multi-scale flow on 4x4 images trains and reports bits/dim; impossible levels are refused', () => {
  const rng = new Generator(30);
  const rows: string[] = [];
  for (let i = 0; i < 40; i++) rows.push(Array.from({ length: 16 }, (_, j) => (j % 5 === 0 ? 200 : 20) + Math.floor(40 * rng.uniform01())).join(','));
  const file = join(root, 'tiny-levels.csv');
  writeFileSync(file, rows.join('\n') + '\n');
  const out = join(root, 'levels');
  const r = latent('train', 'flow', '--data', file, '--flow', 'glow', '--arch', 'conv', '--levels', '1', '--layers', '2', '--hidden', '8', '--epochs', '1', '--batch', '12', '--out', out, '--json');
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  // 8 bits/dim is the uniform density; anything finite and below ~16 is a working pipeline after one epoch.
  assert.ok(Number.isFinite(s.bits_per_dim) && s.bits_per_dim > 0 && s.bits_per_dim < 16, `bits/dim ${s.bits_per_dim}`);
  const saved = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  assert.equal(saved.model.levels, 1);
  assert.deepEqual(saved.model.eventShape, [1, 4, 4]);
  // The directory reloads, samples [n, 1, 4, 4] and scores them.
  const { model } = loadFlowDir(out);
  const drawn = model.sample(3, new Generator(31));
  assert.deepEqual(drawn.shape, [3, 1, 4, 4]);
  assert.ok(Number.isFinite(meanLogProb(model, drawn).mean));
  // Spline couplings in the same multi-scale architecture (Glow's steps, a spline coupling in place of the affine one).
  const spl = join(root, 'levels-spline');
  const rs = latent('train', 'flow', '--data', file, '--flow', 'spline', '--bins', '4', '--arch', 'conv', '--levels', '1', '--layers', '2', '--hidden', '8', '--epochs', '1', '--batch', '12', '--out', spl, '--json');
  assert.equal(rs.status, 0, rs.stderr);
  assert.ok(Number.isFinite(JSON.parse(rs.stdout).bits_per_dim));
  const splCfg = JSON.parse(readFileSync(join(spl, 'config.json'), 'utf8')).model;
  assert.deepEqual([splCfg.flow, splCfg.levels, splCfg.bins, splCfg.tailBound], ['spline', 1, 4, 5]);
  assert.deepEqual(loadFlowDir(spl).model.sample(2, new Generator(32)).shape, [2, 1, 4, 4]);
  const three = latent('train', 'flow', '--data', file, '--arch', 'conv', '--levels', '3', '--out', join(root, 'levels-bad1'));
  assert.equal(three.status, 1);
  assert.match(three.stderr, /--levels 3: each level halves the image, so its height and width must be divisible by 2\^3 = 8; the images are 4x4/);
  const flat = latent('train', 'flow', '--data', file, '--levels', '1', '--out', join(root, 'levels-bad2'));
  assert.equal(flat.status, 1);
  assert.match(flat.stderr, /--levels \(the multi-scale architecture\) expects image data with --arch conv and --flow realnvp, glow or spline; got images, --arch mlp, --flow realnvp/);
  const points = latent('train', 'flow', '--data', 'two-moons', '--arch', 'conv', '--levels', '1', '--out', join(root, 'levels-bad3'));
  assert.equal(points.status, 1);
  assert.match(points.stderr, /--levels .* expects image data .*; got 2-D points/);
  for (const d of ['levels-bad1', 'levels-bad2', 'levels-bad3']) assert.ok(!existsSync(join(root, d)), `${d} was created`);
});
