// `latent sample | reconstruct | interpolate | inpaint | encode` on a tiny
// trained model directory: outputs of the expected sizes, --help with
// defaults and examples, and bad inputs exiting 1 with no output file.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPng, LABEL_PALETTE } from '../../src/index.js';
import { sampleCommand } from '../../cli/commands/sample.js';
import { reconstructCommand } from '../../cli/commands/reconstruct.js';
import { interpolateCommand } from '../../cli/commands/interpolate.js';
import { inpaintCommand } from '../../cli/commands/inpaint.js';
import { encodeCommand } from '../../cli/commands/encode.js';
import { trainCommand } from '../../cli/commands/train.js';
import { UserError } from '../../cli/errors.js';
import { Command } from 'commander';

const main = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'latent-visuals-'));
const model = join(root, 'vae');
const masked = join(root, 'masked');
const out = (name: string) => join(root, name);

/** Runs `latent ...args` without blocking, so independent runs overlap. */
function latent(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', main, ...args], { env: { ...process.env, LATENT_BACKEND: process.env.LATENT_BACKEND ?? '' } });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

// A grid of n images of 28 x 28 at scale s, c columns, 2-pixel padding.
const gridSize = (n: number, cols: number, scale: number) => [cols * (28 * scale + 2) + 2, Math.ceil(n / cols) * (28 * scale + 2) + 2];

before(async () => {
  const [a, b] = await Promise.all([
    latent('train', '--epochs', '1', '--hidden', '32', '--latent', '2', '--eval-k', '10', '--no-progress', '--out', model),
    latent('train', '--epochs', '1', '--hidden', '32', '--latent', '3', '--eval-k', '10', '--batch', '200', '--no-progress', '--mask', 'top', '--mask-input', '--out', masked, '--json'),
  ]);
  assert.equal(a.status, 0, a.stderr);
  assert.equal(b.status, 0, b.stderr);
  const s = JSON.parse(b.stdout);
  assert.equal(s.mask, 'top');
  // Scored on the observed (bottom) halves only: about half a full image's NLL.
  assert.ok(s.test_nll > 30 && s.test_nll < 200, `masked test NLL ${s.test_nll}`);
});

test('each command has --help with its defaults and an example', () => {
  for (const [cmd, defaults] of [
    [sampleCommand(), ['(default: 64)', '(default: "samples.png")']],
    [reconstructCommand(), ['(default: 32)', '(default: "reconstructions.png")']],
    [interpolateCommand(), ['(default: 10)', '(default: "interpolation.png")', 'spherical']],
    [inpaintCommand(), ['(default: "top")', '(default: 16)', '(default: 100)', 'default: "metropolis-gibbs"']],
    [encodeCommand(), ['(default: "latents.csv")', '(default: "latent-map.png")']],
  ] as const) {
    let help = '';
    cmd.configureOutput({ writeOut: (s) => (help += s) });
    cmd.outputHelp();
    help = help.replace(/\s+/g, ' ');
    for (const d of defaults) assert.ok(help.includes(d), `${cmd.name()} --help shows ${d}:\n${help}`);
    assert.match(help, new RegExp(`Examples?: latent ${cmd.name()} `), `${cmd.name()} --help has an example`);
  }
});

test('sample, reconstruct, interpolate and inpaint write PNG grids of the expected sizes', async () => {
  const runs = await Promise.all([
    latent('sample', model, '--n', '12', '--cols', '4', '--scale', '1', '--out', out('samples.png')),
    latent('sample', model, '--grid', '6', '--out', out('grid.png')),
    latent('reconstruct', model, '--n', '10', '--cols', '5', '--out', out('recon.png')),
    latent('interpolate', model, '--from', '3', '--to', '1999', '--steps', '6', '--method', 'spherical', '--scale', '1', '--out', out('interp.png')),
    latent('inpaint', model, '--mask', 'top', '--n', '4', '--iterations', '20', '--k', '50', '--out', out('inpaint.png'), '--json'),
    latent('inpaint', masked, '--mask', 'random:0.5', '--n', '3', '--method', 'mean', '--k', '20', '--seed', '4', '--out', out('inpaint-masked.png')),
  ]);
  for (const r of runs) assert.equal(r.status, 0, r.stderr);
  const size = (f: string) => { const p = loadPng(out(f)); return [p.width, p.height]; };
  assert.deepEqual(size('samples.png'), gridSize(12, 4, 1));
  assert.deepEqual(size('grid.png'), gridSize(36, 6, 2));
  assert.deepEqual(size('recon.png'), gridSize(20, 5, 2), 'two rows: originals, reconstructions');
  assert.deepEqual(size('interp.png'), gridSize(8, 8, 1), 'image, 6 decodings, image');
  assert.deepEqual(size('inpaint.png'), gridSize(12, 4, 2), 'originals, masked, completions');
  assert.deepEqual(size('inpaint-masked.png'), gridSize(9, 3, 2));
  // The masked row shows the missing top half in red: first image, row 2, a pixel near the top.
  const ip = loadPng(out('inpaint.png'));
  const [px, py] = [2 + 20 * 2, 2 + (28 * 2 + 2) + 2 + 5 * 2];
  assert.deepEqual(Array.from(ip.rgba.subarray((py * ip.width + px) * 4, (py * ip.width + px) * 4 + 4)), [255, 0, 0, 255]);
  const j = JSON.parse(runs[4].stdout);
  assert.equal(j.n, 4);
  assert.equal(j.mask, 'top');
  assert.equal(j.missing_pixels, 392);
  assert.equal(j.conditional_nll_per_image.length, 4);
  assert.ok(j.conditional_nll > 0 && j.observed_nll > 0 && Math.abs(j.joint_nll - j.observed_nll - j.conditional_nll) < 1e-6, runs[4].stdout);
  assert.ok(j.acceptance > 0 && j.acceptance <= 1 && j.mse_missing > 0 && j.mse_missing < 0.5, runs[4].stdout);
  assert.match(runs[5].stderr, /-log p\(x_miss \| x_obs\) [\d.]+ nats/);
  const config = JSON.parse(readFileSync(join(masked, 'config.json'), 'utf8'));
  assert.equal(config.model.maskInput, true);
  assert.deepEqual([config.training.mask, config.training.maskLoss], ['top', 'observed']);
});

test('encode writes the posterior means with labels as CSV and the latent map as PNG', async () => {
  const [a, b] = await Promise.all([
    latent('encode', model, '--limit', '300', '--out', out('z.csv'), '--map', out('map.png'), '--size', '200'),
    latent('encode', masked, '--limit', '50', '--out', out('z3.csv'), '--no-map', '--json'),
  ]);
  assert.equal(a.status, 0, a.stderr);
  assert.equal(b.status, 0, b.stderr);
  const lines = readFileSync(out('z.csv'), 'utf8').trim().split('\n');
  assert.equal(lines[0], 'index,label,mu_1,mu_2');
  assert.equal(lines.length, 301);
  const first = lines[1].split(',');
  assert.equal(first[0], '0');
  assert.ok(/^\d$/.test(first[1]), 'a digit label');
  assert.ok(first.slice(2).every((v) => Number.isFinite(Number(v))));
  const map = loadPng(out('map.png'));
  assert.equal(map.width, 200 + 42);
  assert.equal(map.height, 200);
  // Every class of the digits has its swatch in the legend (x = 210, rows 14 px apart).
  for (let c = 0; c < 10; c++) {
    const k = ((10 + 14 * c + 5) * map.width + 215) * 4;
    assert.deepEqual(Array.from(map.rgba.subarray(k, k + 3)), [...LABEL_PALETTE[c]], `swatch ${c}`);
  }
  const j = JSON.parse(b.stdout);
  assert.equal(j.projection, 'pca');
  assert.equal(j.map, null);
  assert.equal(readFileSync(out('z3.csv'), 'utf8').trim().split('\n')[0], 'index,label,mu_1,mu_2,mu_3');
});

test('bad inputs exit 1 with a clear message and leave no output file', async () => {
  const cases: [string[], RegExp, string][] = [
    [['sample', join(root, 'nowhere'), '--out', out('e1.png')], /nowhere does not exist; pass a model directory/, 'e1.png'],
    [['interpolate', model, '--from', '2000', '--out', out('e3.png')], /--from 2000 is out of range: mnist has 2000 images \(indices 0\.\.1999\)/, 'e3.png'],
    [['inpaint', model, '--mask', 'middle', '--out', out('e4.png')], /--mask: mask 'middle' is not valid; expected top, bottom/, 'e4.png'],
  ];
  const runs = await Promise.all(cases.map(([args]) => latent(...args)));
  runs.forEach((r, i) => {
    const [args, re, file] = cases[i];
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
    assert.doesNotMatch(r.stderr, /internal error|at .*\.ts:\d+/, 'no stack trace');
    assert.ok(!existsSync(out(file)), `${args.join(' ')}: no ${file}`);
  });
});

/** Runs the commands in this process (what cli/main.ts turns into exit 1 is a thrown UserError). */
async function inProcess(...args: string[]): Promise<unknown> {
  const program = new Command().exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  for (const c of [sampleCommand(), reconstructCommand(), interpolateCommand(), inpaintCommand(), encodeCommand(), trainCommand()]) program.addCommand(c.exitOverride());
  try {
    await program.parseAsync(args, { from: 'user' });
    return null;
  } catch (e) {
    return e;
  }
}

test('more bad inputs are user errors (exit 1) that leave no output file', async () => {
  const cases: [string[], RegExp, string][] = [
    [['reconstruct', root, '--out', out('e2.png')], /not a model directory \(no config\.json\)/, 'e2.png'],
    [['inpaint', model, '--mask', 'block:40', '--out', out('e5.png')], /--mask block:40: .*does not fit in 28x28 images/, 'e5.png'],
    [['sample', model, '--label', '3', '--out', out('e6.png')], /--label applies to a conditional model/, 'e6.png'],
    [['sample', masked, '--grid', '5', '--out', out('e7.png')], /--grid needs a model with a 2-D latent space/, 'e7.png'],
    [['encode', model, '--out', out('e8.csv'), '--map', join(root, 'no', 'map.png')], /--map .*map\.png: the folder .*no does not exist/, 'e8.csv'],
    [['interpolate', model, '--steps', '1', '--out', out('e9.png')], /--steps must be at least 2/, 'e9.png'],
    [['reconstruct', model, '--n', '0', '--out', out('e11.png')], /--n must be a positive integer, got '0'/, 'e11.png'],
    [['inpaint', model, '--k', '5', '--out', out('e12.png')], /--k must be even with --is-proposal mixture/, 'e12.png'],
    [['train', '--mask', 'random:2', '--epochs', '1', '--out', out('e10')], /--mask: mask 'random:2' is not valid.*rate must be a number in \(0, 1\)/, 'e10'],
  ];
  for (const [args, re, file] of cases) {
    const e = await inProcess(...args);
    assert.ok(e instanceof UserError, `${args.join(' ')}: ${String(e)}`);
    assert.match(e.message, re, args.join(' '));
    assert.ok(!existsSync(out(file)), `${args.join(' ')}: no ${file}`);
  }
});
