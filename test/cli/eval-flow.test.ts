// `latent eval` and `latent sample` on model directories of `latent train
// flow` and `latent train cnf`: eval scores the run's own test data (the
// same numbers as loading the directory and scoring directly), sample
// writes pictures, and bad input exits 1 without output.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Generator, evaluateCnf, loadCnfDir, loadFlowDir, loadPng, meanLogProb, sampleToy2d, slice, toy2dEntropy,
} from '../../src/index.js';
import { latentInProcess, snapshot } from './bad-input-harness.js';

const root = mkdtempSync(join(tmpdir(), 'latent-eval-flow-'));
after(() => rmSync(root, { recursive: true, force: true }));
const flowDir = join(root, 'flow');
const cnfDir = join(root, 'cnf');
const SEED = 5;
let flowTrain: Record<string, number>;
let cnfTrain: Record<string, number>;

async function run(...argv: string[]) {
  const r = await latentInProcess(argv);
  assert.equal(r.code, 0, `latent ${argv.join(' ')}: ${r.stderr}`);
  return r;
}
const json = async (...argv: string[]) => JSON.parse((await run(...argv)).stdout);

before(async () => {
  flowTrain = await json('train', 'flow', '--data', 'two-moons', '--layers', '2', '--hidden', '16,16', '--epochs', '1', '--batch', '4000', '--seed', String(SEED), '--no-progress', '--out', flowDir, '--json');
  cnfTrain = await json('train', 'cnf', '--data', 'two-moons', '--hidden', '8', '--solver', 'rk4', '--step-size', '0.25', '--epochs', '1', '--batch', '5000', '--seed', String(SEED), '--no-progress', '--out', cnfDir, '--json');
});

test('eval on a flow directory: the run\'s test log-likelihood, equal to loadFlowDir + meanLogProb on the same draws', async () => {
  const s = await json('eval', flowDir, '--json');
  // The run's test set: 20,000 fresh two-moons draws from the second half of the split generator (cli/train/flow.ts).
  const testRng = new Generator(SEED + 1).split(2)[0].split(2)[1];
  const x = sampleToy2d('two-moons', 20_000, testRng);
  const direct = meanLogProb(loadFlowDir(flowDir).model, x, { batchSize: 5000 });
  assert.equal(s.kind, 'flow');
  assert.equal(s.data, 'two-moons');
  assert.equal(s.n, 20_000);
  assert.ok(Math.abs(s.logpx - direct.mean) < 1e-6, `eval ${s.logpx}, direct ${direct.mean}`);
  assert.ok(Math.abs(s.stderr - direct.stderr) < 1e-6);
  assert.ok(Math.abs(s.logpx - flowTrain.test_loglik) < 1e-6, 'the number training reported');
  const h = toy2dEntropy('two-moons', { samples: 20_000, rng: new Generator(0) });
  assert.ok(Math.abs(s.target_loglik + h.entropy) < 1e-9);
  assert.ok(Math.abs(s.gap - (s.target_loglik - s.logpx)) < 1e-9);
  assert.equal(s.bits_per_dim, undefined, 'points have no bits/dim');
  // --data, --seed and --limit: the first 300 of a run-with-seed-9's draws from another toy.
  const r = await json('eval', flowDir, '--data', 'rings', '--seed', '9', '--limit', '300', '--json');
  const xr = slice(sampleToy2d('rings', 20_000, new Generator(10).split(2)[0].split(2)[1]), 0, 0, 300);
  assert.equal(r.n, 300);
  assert.ok(Math.abs(r.logpx - meanLogProb(loadFlowDir(flowDir).model, xr, { batchSize: 5000 }).mean) < 1e-6);
  // Without --json: one line with the ± and the gap.
  const text = await run('eval', flowDir, '--limit', '100');
  assert.match(text.stderr + text.stdout, /100 points of two-moons: log-likelihood -?\d+\.\d+ ± \d+\.\d+ nats per example \(the target's -H\(p\)/);
});

test('eval on a CNF directory: equal to loadCnfDir + evaluateCnf (exact trace) on the run\'s test draws', async () => {
  const s = await json('eval', cnfDir, '--limit', '1000', '--json');
  const x = slice(sampleToy2d('two-moons', 5000, new Generator(SEED + 1000)), 0, 0, 1000);
  const { model } = loadCnfDir(cnfDir, { evaluation: true });
  const direct = evaluateCnf(model, x, { batch: 1000 });
  assert.equal(s.kind, 'cnf');
  assert.equal(s.n, 1000);
  assert.ok(Math.abs(s.logpx - direct.logLik) < 1e-6, `eval ${s.logpx}, direct ${direct.logLik}`);
  assert.ok(Math.abs(s.stderr - direct.stderr) < 1e-6);
  assert.ok(Number.isFinite(s.gap) && Number.isFinite(s.nfe));
  // All 5,000: the number training reported.
  const all = await json('eval', cnfDir, '--json');
  assert.ok(Math.abs(all.logpx - cnfTrain.test_loglik) < 1e-6, `eval ${all.logpx}, train ${cnfTrain.test_loglik}`);
});

test('sample on flow and CNF directories writes a PNG (draws | density) and, for .csv, the draws as rows', async () => {
  for (const dir of [flowDir, cnfDir]) {
    const png = join(root, `${dir.split('/').pop()}.png`);
    await run('sample', dir, '--n', '500', '--seed', '2', '--out', png);
    const img = loadPng(png);
    assert.ok(img.width > 2 * img.height - 20 && img.height >= 100, `${img.width} x ${img.height}`);
  }
  const csv = join(root, 'draws.csv');
  await run('sample', flowDir, '--n', '7', '--out', csv);
  const lines = readFileSync(csv, 'utf8').trim().split('\n');
  assert.equal(lines[0], 'x_1,x_2');
  assert.equal(lines.length, 8);
  assert.ok(lines.slice(1).every((l) => l.split(',').map(Number).every(Number.isFinite)));
});

test('bad input on flow and CNF directories: exit 1, a message naming the input, no output', async () => {
  const noWeights = join(root, 'no-weights');
  cpSync(cnfDir, noWeights, { recursive: true });
  rmSync(join(noWeights, 'model.safetensors'));
  const badConfig = join(root, 'bad-config');
  cpSync(flowDir, badConfig, { recursive: true });
  const cfg = JSON.parse(readFileSync(join(badConfig, 'config.json'), 'utf8'));
  cfg.model.layers = -1;
  writeFileSync(join(badConfig, 'config.json'), JSON.stringify(cfg));
  const badCnf = join(root, 'bad-cnf-config');
  cpSync(cnfDir, badCnf, { recursive: true });
  const c2 = JSON.parse(readFileSync(join(badCnf, 'config.json'), 'utf8'));
  c2.model.hidden = [8, 8];
  writeFileSync(join(badCnf, 'config.json'), JSON.stringify(c2));
  const points3 = join(root, 'points3.csv');
  writeFileSync(points3, '1,2,3\n4,5,6\n7,8,9\n');
  const png = join(root, 'never.png');
  const cases: [string[], RegExp][] = [
    [['eval', flowDir, '--iw', '10'], /--iw applies to VAEs.*holds a 'flow' model/],
    [['eval', cnfDir, '--k', '3'], /--k applies to VAEs.*holds a 'cnf' model/],
    [['eval', noWeights], /no-weights: no model\.safetensors/],
    [['sample', noWeights, '--out', png], /no-weights: no model\.safetensors/],
    [['eval', badConfig], /bad-config\/config\.json: model: layers must be a positive integer, got -1/],
    [['sample', badConfig, '--out', png], /bad-config\/config\.json: model: layers/],
    [['eval', badCnf], /bad-cnf-config\/model\.safetensors: does not fit the model in config\.json/],
    [['eval', flowDir, '--data', points3], /points3\.csv: has examples of shape \[3\] but the model in .* expects points of 2 coordinates/],
    [['eval', cnfDir, '--data', points3], /points3\.csv: points have 3 coordinates but the model in .* expects 2/],
    [['eval', cnfDir, '--data', 'mnist'], /mnist is an image dataset; the CNF in .* models 2-D points/],
    [['sample', flowDir, '--grid', '5', '--out', png], /--grid applies to VAEs/],
    [['sample', flowDir, '--out', join(root, 'no-such-folder', 'x.png')], /--out .*x\.png: the folder .*no-such-folder does not exist/],
  ];
  for (const [argv, msg] of cases) {
    const dir = argv[1];
    const before = snapshot(dir);
    const r = await latentInProcess(argv);
    assert.equal(r.code, 1, `latent ${argv.join(' ')}: exit ${r.code}\n${r.stderr}`);
    assert.match(r.stderr, msg, argv.join(' '));
    assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
    assert.equal(snapshot(dir), before, `${dir} changed`);
    assert.ok(!existsSync(png), `${argv.join(' ')} wrote ${png}`);
  }
});
