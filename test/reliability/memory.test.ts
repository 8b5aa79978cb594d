// Issue 9: long runs keep memory flat. 50 epochs of the default VAE
// (`latent train`: 784-400-20, ReLU, Bernoulli, batch 100 on the 8,000
// bundled digits, 4,000 steps), in a child process run with --expose-gc;
// after each epoch's checkpoint, a full collection and then
// process.memoryUsage() (memory-probe.ts hooks the CLI's "epoch N:" line).
//
// The bounds, from epoch 5 (allocator pools, JIT code and the native GEMM's
// packing buffers have reached their working size by then) to epoch 50:
// - RSS(50) <= RSS(5) + 16 MB. RSS after a GC is not a tight measure: glibc
//   and V8 keep freed pages, and in a flat run here it wanders by about
//   8 MB (226 MB at epoch 5, up to 234, back to 224 at epoch 50). 16 MB over
//   the 3,600 steps between the two catches a leak of ~4.5 KB a step, less
//   than one 784-pixel float32 image (3.1 KB) per step plus its gradient.
// - heapUsed(50) <= heapUsed(5) + 2 MB: the JS heap is exact after a full
//   GC (11.1 -> 11.4 MB here: metrics.jsonl lines, compiled code); 2 MB
//   catches ~580 bytes a step, e.g. a retained tape node or closure.
// - arrayBuffers: the smallest of epochs 41-50 <= the smallest of 5-14 +
//   4 MB. The tensors' storage; single readings swing by up to 30 MB
//   because the backing stores of collected buffers are freed on a
//   background thread, but the minimum over ten epochs is the live set
//   (56 MB here: the digits as float32, their binarized copies, the model,
//   Adam's moments); one leaked copy of the weights per epoch (1.3 MB of
//   encoder.0.weight) would add 45 MB.
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
  const at = (e: number) => readings[e - 1];
  const fmt = (b: number) => (b / MB).toFixed(1);
  t.diagnostic(`backend ${/native kernels/.test(r.stderr) ? 'native' : 'js'}; per epoch, MB after gc: rss / heapUsed / arrayBuffers`);
  for (let i = 0; i < EPOCHS; i += 10) {
    t.diagnostic(readings.slice(i, i + 10).map((x) => `${x.epoch}: ${fmt(x.rss)}/${fmt(x.heapUsed)}/${fmt(x.arrayBuffers)}`).join('  '));
  }
  const minBuffers = (from: number, to: number) => Math.min(...readings.slice(from - 1, to).map((x) => x.arrayBuffers));
  const rssGrowth = at(EPOCHS).rss - at(5).rss;
  const heapGrowth = at(EPOCHS).heapUsed - at(5).heapUsed;
  const bufferGrowth = minBuffers(EPOCHS - 9, EPOCHS) - minBuffers(5, 14);
  t.diagnostic(`epoch 5 -> ${EPOCHS}: rss ${fmt(rssGrowth)} MB (bound 16), heapUsed ${fmt(heapGrowth)} MB (bound 2), live arrayBuffers ${fmt(bufferGrowth)} MB (bound 4)`);
  assert.ok(rssGrowth <= 16 * MB, `RSS grew by ${fmt(rssGrowth)} MB from epoch 5 to ${EPOCHS} (bound 16 MB)`);
  assert.ok(heapGrowth <= 2 * MB, `heapUsed grew by ${fmt(heapGrowth)} MB from epoch 5 to ${EPOCHS} (bound 2 MB)`);
  assert.ok(bufferGrowth <= 4 * MB, `live ArrayBuffer memory grew by ${fmt(bufferGrowth)} MB (bound 4 MB)`);
});
