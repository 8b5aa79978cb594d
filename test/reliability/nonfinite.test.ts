// Issue 9: training that goes non-finite never writes NaN weights and keeps
// the last good checkpoint. test/models/vae.test.ts already checks that fit()
// skips non-finite losses (halving the learning rate) and stops after a few,
// and that saveCheckpoint refuses NaN weights. Here: the same through the
// command line (the files on disk after a run that goes non-finite mid-way
// are byte for byte those of the last good epoch), a non-finite gradient
// behind a finite loss, weights that overflow in the update itself, and
// checkpoints holding NaN refused on load.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as L from '../../src/index.js';
import { snapshot } from '../cli/bad-input-harness.js';

const main = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));
const latent = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', main, ...args], { encoding: 'utf8' });
const tiny = ['--hidden', '16', '--latent', '2', '--batch', '400', '--eval-k', '5', '--no-progress'];
const root = mkdtempSync(join(tmpdir(), 'latent-nonfinite-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('latent train: a run that goes non-finite at epoch 2 exits 1 naming the step, and leaves epoch 1 on disk untouched', () => {
  const out = join(root, 'run');
  const first = latent('train', 'vae', '--epochs', '1', ...tiny, '--out', out);
  assert.equal(first.status, 0, first.stderr);
  // The fault, injected through the run's own config: on --resume the objective comes from config.json, and a KL
  // weight of 1e300 is infinite in float32, so every loss of epoch 2 is infinite.
  const configFile = join(out, 'config.json');
  const config = JSON.parse(readFileSync(configFile, 'utf8'));
  config.objective.beta = 1e300;
  writeFileSync(configFile, JSON.stringify(config));
  const files = ['model.safetensors', 'checkpoint/checkpoint.safetensors', 'metrics.jsonl'];
  const before = files.map((f) => snapshot(join(out, f)));

  const r = latent('train', 'vae', '--epochs', '3', ...tiny, '--resume', '--out', out);
  assert.equal(r.status, 1, r.stderr);
  // 8,000 digits in batches of 400: epoch 2 starts at step 20; three skipped steps halve the rate, the fourth stops.
  assert.match(r.stderr, /step 20: the loss \(Infinity\) is not finite; skipped, learning rate lowered to 0\.0005\n/);
  assert.match(r.stderr, /latent: training stopped at step 20: the loss \(Infinity\) is not finite \(NaN or infinity\); the weights were not updated with it\. The last good checkpoint is in .*checkpoint\.safetensors/);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
  files.forEach((f, i) => assert.equal(snapshot(join(out, f)), before[i], `${f} changed`));
  for (const f of files.slice(0, 2)) {
    for (const [name, t] of Object.entries(L.loadSafetensors(join(out, f)).tensors)) {
      assert.ok(t.data.every(Number.isFinite), `${f}: ${name} is not finite`);
    }
  }
  assert.equal(JSON.parse(L.loadSafetensors(join(out, files[1])).metadata['latent.checkpoint']).trainer.step, 20);
});

test('latent train: a run that overflows in its first steps leaves nothing behind', () => {
  const out = join(root, 'first-steps');
  // Adam moves every weight by about the learning rate: 1e30 is a float32, but the next forward pass overflows.
  const r = latent('train', 'vae', '--epochs', '2', '--lr', '1e30', ...tiny, '--out', out);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /latent: training stopped at step [01]: .* is not finite \(NaN or infinity\)/);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
  assert.doesNotMatch(r.stderr, /last good checkpoint/, 'no checkpoint was written, so none is pointed at');
  // The run directory it made is removed again: nothing partial is left.
  assert.ok(!existsSync(out), `${out} left behind`);
});

const tinyVae = { ...L.defaultVaeConfig, inputShape: [1, 4, 4] as [number, number, number], hidden: [5], latent: 2 };
const x = L.tensor(Float32Array.from({ length: 8 * 16 }, (_, i) => ((i * 7) % 5) / 4), { shape: [8, 16] });
const weights = (m: L.Module<any, any>) => Object.entries(m.stateDict() as Record<string, L.Tensor>).map(([k, t]) => [k, Array.from(t.data)] as const); // eslint-disable-line @typescript-eslint/no-explicit-any

test('fit: a finite loss with a non-finite gradient is skipped without touching the weights or Adam\'s moments', () => {
  const vae = new L.VAE(tinyVae, new L.Generator(3));
  const optimizer = new L.Adam(vae.parameters(), { lr: 1e-2 });
  const objective = L.makeObjective({ kind: 'elbo' });
  const snapshots: (readonly (readonly [string, number[]])[])[] = [];
  const seen: string[] = [];
  L.fit({
    model: vae, optimizer, epochs: 1, batchesPerEpoch: 4,
    epochBatches: () => [0, 1, 2, 3],
    loss: (b, step) => {
      snapshots.push(weights(vae));
      const { loss, stats } = objective.evaluate(vae, { x }, new L.Generator(10 + step), step);
      // Batch 1: sqrt at 0 has an infinite derivative, times 0 keeps the loss finite; the gradient is NaN.
      return { loss: b === 1 ? L.add(loss, L.mul(L.sqrt(L.mul(vae.muHead.bias!, 0)), 0).sum()) : loss, stats };
    },
    onNonFinite: (step, q, lr) => seen.push(`${step}: ${q}, lr ${lr}`),
  });
  assert.deepEqual(seen, ['1: the gradient of muHead.bias, lr 0.005']);
  // The weights going into batch 2 are those going into batch 1: the bad step changed nothing.
  assert.deepEqual(snapshots[2], snapshots[1]);
  assert.notDeepEqual(snapshots[3], snapshots[2], 'the good steps after it train');
  for (const [k, v] of weights(vae)) assert.ok(v.every(Number.isFinite), k);
  const state = optimizer.stateDict().state;
  for (const entry of Object.values(state)) for (const v of Object.values(entry)) if (v instanceof L.Tensor) assert.ok(v.data.every(Number.isFinite), 'Adam moments finite');
});

test('fit: weights that overflow in the update stop the run; the last checkpoint on disk stays good and resumable', () => {
  const dir = mkdtempSync(join(root, 'overflow-'));
  const ckpt = join(dir, 'checkpoint.safetensors');
  const vae = new L.VAE(tinyVae, new L.Generator(4));
  const optimizer = new L.Adam(vae.parameters(), { lr: 1e-3 });
  const objective = L.makeObjective({ kind: 'elbo' });
  let saved = '';
  assert.throws(() => L.fit({
    model: vae, optimizer, epochs: 3, batchesPerEpoch: 2,
    epochBatches: () => [0, 1],
    loss: (_b, step) => {
      // From epoch 2 on, an absurd learning rate: Adam's first step moves every weight by about 1e39, past float32's range.
      if (step === 2) optimizer.lr = 1e39;
      return objective.evaluate(vae, { x }, new L.Generator(20 + step), step);
    },
    onEpoch: (r) => {
      L.saveModelWeights(dir, vae, 'vae');
      L.saveCheckpoint(ckpt, { model: vae, optimizer }, r.state);
      saved = snapshot(ckpt);
    },
  }), (e: unknown) => e instanceof L.NonFiniteError && /training stopped at step 2: parameter [\w.]+ after the update is not finite/.test(e.message));
  // In memory the weights are ruined; on disk nothing after epoch 1 was written.
  assert.ok(weights(vae).some(([, v]) => !v.every(Number.isFinite)), 'the overflow happened');
  assert.equal(snapshot(ckpt), saved);
  const fresh = new L.VAE(tinyVae, new L.Generator(99));
  const { trainer } = L.loadCheckpoint(ckpt, { model: fresh, optimizer: new L.Adam(fresh.parameters(), { lr: 1e-3 }) });
  assert.deepEqual(trainer, { epoch: 1, step: 2, batchInEpoch: 0, lrHalvings: 0 });
  for (const [k, v] of weights(fresh)) assert.ok(v.every(Number.isFinite), k);
  for (const [k, t] of Object.entries(L.loadSafetensors(join(dir, 'model.safetensors')).tensors)) assert.ok(t.data.every(Number.isFinite), k);
});

test('loadCheckpoint and loadVaeDir refuse weights holding NaN or infinity', () => {
  const dir = mkdtempSync(join(root, 'nan-'));
  const vae = new L.VAE(tinyVae, new L.Generator(5));
  const ckpt = join(dir, 'checkpoint.safetensors');
  L.saveCheckpoint(ckpt, { model: vae }, { epoch: 1, step: 1, batchInEpoch: 0, lrHalvings: 0 });
  const { tensors, metadata } = L.loadSafetensors(ckpt);
  tensors['model.decoder.0.bias'].data[2] = -Infinity;
  L.saveSafetensors(ckpt, tensors, metadata);
  assert.throws(() => L.loadCheckpoint(ckpt, { model: vae }), /checkpoint\.safetensors: tensor model\.decoder\.0\.bias holds a non-finite value \(-Infinity at index 2\); expected finite weights/);
  const sd = vae.stateDict() as Record<string, L.Tensor>;
  sd['muHead.weight'].data[0] = NaN;
  L.saveSafetensors(join(dir, 'model.safetensors'), sd);
  L.writeModelConfig(dir, { format: 'latent-model', version: 1, kind: 'vae', model: tinyVae as unknown as Record<string, unknown> });
  assert.throws(() => L.loadVaeDir(dir), /model\.safetensors: tensor muHead\.weight holds a non-finite value \(NaN at index 0\)/);
});
