import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLED_MNIST_SPLIT, classCounts, loadBundledMnist, loadDataset, loadTestDataset, type Dataset } from '../../src/index.js';
import { clearBundledMnistMemo } from '../../src/data/bundled.js';
import { tempDir } from './helpers.js';

const cacheDir = tempDir('latent-cache-');
process.env.LATENT_CACHE_DIR = cacheDir;

function timed<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const r = f();
  return [r, performance.now() - t0];
}

clearBundledMnistMemo();
const [first, coldMs] = timed(() => loadBundledMnist());
clearBundledMnistMemo();
const [second, cachedMs] = timed(() => loadBundledMnist());
const [third, memoMs] = timed(() => loadDataset('mnist'));
const { train, test: testSet } = first;

test('bundled MNIST: load times (parse, disk cache, in-memory)', (t) => {
  t.diagnostic(`parse JSON ${coldMs.toFixed(0)} ms, from the disk cache ${cachedMs.toFixed(0)} ms, in memory ${memoMs.toFixed(0)} ms`);
  assert.ok(readdirSync(cacheDir).some((f) => f.startsWith('mnist-') && f.endsWith('.bin')), 'the cache file was written');
  assert.ok(!readdirSync(cacheDir).some((f) => f.endsWith('.tmp')), 'no temporary file left behind');
});

test('bundled MNIST: 10,000 digits, 8,000 train / 2,000 test, [N, 1, 28, 28] float32, labels 0..9', () => {
  assert.equal(train.length + testSet.length, BUNDLED_MNIST_SPLIT.total);
  assert.equal(train.length, 8000);
  assert.equal(testSet.length, 2000);
  for (const ds of [train, testSet]) {
    assert.deepEqual(ds.images.shape, [ds.length, 1, 28, 28]);
    assert.equal(ds.images.dtype, 'float32');
    assert.deepEqual(ds.image, { channels: 1, height: 28, width: 28 });
    assert.equal(ds.numClasses, 10);
    assert.equal(ds.labels!.length, ds.length);
    for (const y of ds.labels!) assert.ok(y >= 0 && y < 10);
  }
  assert.equal(train.source, 'mnist (bundled) train');
});

test('bundled MNIST sanity: pixels are bytes / 255 in [0, 1], mean ~0.13, classes roughly uniform', () => {
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const ds of [train, testSet]) {
    for (const v of ds.images.data) {
      if (Math.fround(Math.round(v * 255) / 255) !== v) assert.fail(`pixel ${v} is not a byte / 255`);
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  const mean = sum / (10000 * 784);
  assert.equal(min, 0);
  assert.equal(max, 1);
  assert.ok(mean > 0.12 && mean < 0.14, `mean intensity ${mean}`);
  const all = new Int32Array(10);
  for (const ds of [train, testSet]) classCounts(ds).forEach((c, d) => (all[d] += c));
  for (const c of all) assert.ok(c > 800 && c < 1200, `class counts ${Array.from(all)}`);
  // Digits have ink in the middle and none in the corners.
  const centre = train.images.data[14 * 28 + 14];
  assert.ok(centre >= 0);
  let cornerInk = 0;
  for (let i = 0; i < train.length; i++) cornerInk += train.images.data[i * 784];
  assert.equal(cornerInk, 0);
});

test('bundled MNIST split: stratified (20% of each class in test), disjoint, classes mixed', () => {
  const trainCounts = classCounts(train);
  const testCounts = classCounts(testSet);
  for (let d = 0; d < 10; d++) {
    const share = testCounts[d] / (trainCounts[d] + testCounts[d]);
    assert.ok(Math.abs(share - 0.2) < 0.002, `class ${d}: ${testCounts[d]} of ${trainCounts[d] + testCounts[d]} in test`);
  }
  const key = (ds: Dataset, i: number) => Buffer.from(ds.images.data.buffer, ds.images.data.byteOffset + i * 784 * 4, 784 * 4).toString('base64');
  const trainKeys = new Set<string>();
  for (let i = 0; i < train.length; i++) trainKeys.add(key(train, i));
  let shared = 0;
  for (let i = 0; i < testSet.length; i++) if (trainKeys.has(key(testSet, i))) shared++;
  assert.equal(shared, 0, 'no test image appears in the training set');
  // Both orders mix the classes: the first 100 of each hold every digit.
  for (const ds of [train, testSet]) assert.equal(new Set(ds.labels!.subarray(0, 100)).size, 10);
});

test('bundled MNIST split is fixed: same data from the JSON, the cache and memory; pinned first labels', () => {
  for (const other of [second, third]) {
    assert.deepEqual(other.train.images.data, train.images.data);
    assert.deepEqual(other.train.labels, train.labels);
    assert.deepEqual(other.test!.images.data, testSet.images.data);
    assert.deepEqual(other.test!.labels, testSet.labels);
  }
  clearBundledMnistMemo();
  const noCache = loadBundledMnist({ cache: false });
  assert.deepEqual(noCache.train.labels, train.labels);
  assert.deepEqual(noCache.test.images.data, testSet.images.data);
  // Changing these numbers changes the documented split: don't, without saying so.
  assert.deepEqual(Array.from(train.labels!.subarray(0, 20)), PINNED_TRAIN_LABELS);
  assert.deepEqual(Array.from(testSet.labels!.subarray(0, 20)), PINNED_TEST_LABELS);
  assert.deepEqual(loadTestDataset('mnist').labels, testSet.labels);
  // Each call returns fresh tensors: mutating one does not change the next load.
  third.train.images.data[0] = 0.5;
  assert.equal(loadDataset('mnist').train.images.data[0], train.images.data[0]);
});

test('bundled MNIST: the cache file is ignored when corrupt', async () => {
  const { writeFileSync } = await import('node:fs');
  const file = readdirSync(cacheDir).find((f) => f.endsWith('.bin'))!;
  writeFileSync(join(cacheDir, file), 'garbage');
  clearBundledMnistMemo();
  assert.deepEqual(loadBundledMnist().train.labels, train.labels);
  assert.ok(existsSync(join(cacheDir, file)));
});

const PINNED_TRAIN_LABELS = [5, 1, 1, 6, 5, 8, 9, 3, 1, 2, 0, 3, 0, 1, 6, 9, 2, 8, 9, 2];
const PINNED_TEST_LABELS = [1, 7, 2, 2, 5, 4, 1, 3, 1, 4, 5, 5, 3, 5, 2, 1, 8, 1, 6, 7];
