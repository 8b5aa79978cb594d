// Issue 9: long runs keep memory flat. 50 epochs of the default VAE
// (`latent train`: 784-400-20, ReLU, Bernoulli, batch 100 on the 8,000
// bundled digits, 4,000 steps), in a child process run with --expose-gc;
// after each epoch's checkpoint, a full collection and then
// process.memoryUsage() (memory-probe.ts hooks the CLI's "epoch N:" line).
//
// The bounds compare the end of the run with its start, each as the
// smallest reading over ten epochs (the floor: single readings spike and
// come back down), so a leak, which raises every later reading, shows and a
// transient spike does not:
// - RSS: the floor of epochs 41-50 <= the floor of epochs 5-14 + 16 MB.
//   By epoch 5 the allocator pools, JIT code and the native GEMM's packing
//   buffers have their working size; after that RSS wanders without a
//   trend (three runs here: floors 218-226 MB at the start, 217-226 at the
//   end, single readings up to 16 MB above the floor, because glibc and V8
//   keep freed pages). 16 MB over the ~2,800 steps between the two windows
//   catches a leak of ~6 KB a step: two 784-pixel float32 images.
// - heapUsed: the floor of 41-50 <= the floor of 5-14 + 2 MB. The JS heap
//   is exact after a full GC (+0.2 to +0.3 MB of 11-12 MB here:
//   metrics.jsonl lines, compiled code); 2 MB catches ~700 bytes a step,
//   e.g. a retained tape node or closure.
// - arrayBuffers: the same, + 4 MB. The tensors' storage; single readings
//   swing by up to 30 MB because the backing stores of collected buffers
//   are freed on a background thread, but the floor is the live set (56 MB
//   here: the digits as float32, their binarized copies, the model, Adam's
//   moments); one leaked copy of the weights per epoch (1.3 MB of
//   encoder.0.weight) would add over 40 MB.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));
const probe = fileURLToPath(new URL('./memory-probe.ts', import.meta.url));
const EPOCHS = 50;
const MB = 2 ** 20;

interface Reading { epoch: number; rss: number; heapUsed: number; external: number; arrayBuffers: number }

test(`memory stays flat over ${EPOCHS} epochs of the default VAE`, { timeout: 1_200_000 }, (t) => {
  const root = mkdtempSync(join(tmpdir(), 'latent-memory-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const log = join(root, 'memory.jsonl');
  // The defaults of `latent train` except a cheap final evaluation (--eval-k 5), which is not measured.
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--import', probe, main, 'train', '--epochs', String(EPOCHS), '--eval-k', '5', '--no-progress', '--out', join(root, 'run')], {
    encoding: 'utf8', env: { ...process.env, LATENT_MEMORY_LOG: log },
  });
  assert.equal(r.status, 0, r.stderr);
  const readings: Reading[] = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(readings.map((x) => x.epoch), Array.from({ length: EPOCHS }, (_, i) => i + 1));
  const fmt = (b: number) => (b / MB).toFixed(1);
  t.diagnostic(`backend ${/native kernels/.test(r.stderr) ? 'native' : 'js'}; per epoch, MB after gc: rss / heapUsed / arrayBuffers`);
  for (let i = 0; i < EPOCHS; i += 10) {
    t.diagnostic(readings.slice(i, i + 10).map((x) => `${x.epoch}: ${fmt(x.rss)}/${fmt(x.heapUsed)}/${fmt(x.arrayBuffers)}`).join('  '));
  }
  const floor = (key: 'rss' | 'heapUsed' | 'arrayBuffers', from: number, to: number) => Math.min(...readings.slice(from - 1, to).map((x) => x[key]));
  const growth = (key: 'rss' | 'heapUsed' | 'arrayBuffers') => floor(key, EPOCHS - 9, EPOCHS) - floor(key, 5, 14);
  const peak = Math.max(...readings.slice(4).map((x) => x.rss)) - floor('rss', 5, 14);
  t.diagnostic(`floor of epochs 41-50 minus floor of 5-14: rss ${fmt(growth('rss'))} MB (bound 16), heapUsed ${fmt(growth('heapUsed'))} MB (bound 2), arrayBuffers ${fmt(growth('arrayBuffers'))} MB (bound 4); highest RSS reading ${fmt(peak)} MB above the starting floor`);
  assert.ok(growth('rss') <= 16 * MB, `RSS grew by ${fmt(growth('rss'))} MB (bound 16 MB)`);
  assert.ok(growth('heapUsed') <= 2 * MB, `heapUsed grew by ${fmt(growth('heapUsed'))} MB (bound 2 MB)`);
  assert.ok(growth('arrayBuffers') <= 4 * MB, `live ArrayBuffer memory grew by ${fmt(growth('arrayBuffers'))} MB (bound 4 MB)`);
});
