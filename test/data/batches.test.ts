import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Generator,
  Tensor,
  binarizeDataset,
  binarizeDynamic,
  binarizeStatic,
  createDataset,
  loadDataset,
  minibatches,
  numBatches,
  permutation,
  splitDataset,
  stratifiedIndices,
  subsetDataset,
  flattenImages,
  classCounts,
  type Dataset,
  type Minibatch,
} from '../../src/index.js';

/** A small image dataset: example i has all pixels (i % 17) / 16 and label i % 3. */
function small(n: number): Dataset {
  const per = 2 * 3;
  const data = new Float32Array(n * per);
  for (let i = 0; i < n; i++) for (let p = 0; p < per; p++) data[i * per + p] = ((i % 17) / 16 + p * 0.01) % 1;
  return createDataset(new Tensor(data, [n, 1, 2, 3]), {
    source: 'small',
    labels: Int32Array.from({ length: n }, (_, i) => i % 3),
    image: { channels: 1, height: 2, width: 3 },
  });
}

const collect = (it: Iterable<Minibatch>) => Array.from(it);

test('minibatches: every example exactly once per epoch; sizes; labels and indices agree', () => {
  const ds = small(103);
  for (const [batchSize, dropLast, expected] of [
    [10, false, 11],
    [10, true, 10],
    [103, false, 1],
    [500, false, 1],
    [1, true, 103],
  ] as const) {
    const it = minibatches(ds, { batchSize, rng: new Generator(1), dropLast });
    assert.equal(it.numBatches, expected);
    assert.equal(numBatches(103, batchSize, dropLast), expected);
    const batches = collect(it);
    assert.equal(batches.length, expected);
    const seen = new Int32Array(103);
    batches.forEach((b, k) => {
      assert.equal(b.batch, k);
      const size = Math.min(batchSize, 103 - k * batchSize);
      assert.deepEqual(b.x.shape, [size, 1, 2, 3]);
      assert.equal(b.indices.length, size);
      for (let j = 0; j < size; j++) {
        const i = b.indices[j];
        seen[i]++;
        assert.equal(b.y![j], ds.labels![i]);
        assert.deepEqual(Array.from(b.x.data.subarray(j * 6, j * 6 + 6)), Array.from(ds.images.data.subarray(i * 6, i * 6 + 6)));
      }
    });
    const covered = dropLast ? 103 - (103 % batchSize) : 103;
    assert.equal(seen.reduce((a, b) => a + b, 0), covered);
    assert.ok(seen.every((c) => c <= 1), 'no example twice');
    if (!dropLast) assert.ok(seen.every((c) => c === 1), 'every example once');
  }
});

test('minibatches: same seed, same batches; a new epoch is a new order; the order is permutation() of a split child', () => {
  const ds = small(50);
  const run = (seed: number) => {
    const rng = new Generator(seed);
    return [0, 1, 2].map(() => collect(minibatches(ds, { batchSize: 8, rng })).map((b) => Array.from(b.indices)));
  };
  const a = run(7);
  assert.deepEqual(run(7), a);
  assert.notDeepEqual(a[0], a[1]);
  assert.notDeepEqual(a[1], a[2]);
  assert.notDeepEqual(run(8)[0], a[0]);
  // Documented: the order is permutation(N, rng.split(2)[0]).
  const [orderRng] = new Generator(7).split(2);
  assert.deepEqual(a[0].flat(), Array.from(permutation(50, orderRng)));
  // Drawing from rng in between (as a model would) does not change the batches.
  const rng = new Generator(7);
  const e0 = collect(minibatches(ds, { batchSize: 8, rng })).map((b) => Array.from(b.indices));
  rng.uniform01();
  rng.normal01();
  const e1 = collect(minibatches(ds, { batchSize: 8, rng })).map((b) => Array.from(b.indices));
  assert.deepEqual([e0, e1], a.slice(0, 2));
  // Without shuffling: in order, no rng needed.
  const plain = collect(minibatches(ds, { batchSize: 20, shuffle: false }));
  assert.deepEqual(Array.from(plain[2].indices), Array.from({ length: 10 }, (_, i) => 40 + i));
});

test('minibatches: flatten gives [B, D] rows; startBatch resumes an epoch exactly', () => {
  const ds = small(30);
  const rng = new Generator(3);
  const state = rng.getState();
  const full = collect(minibatches(ds, { batchSize: 4, rng, binarize: 'dynamic', flatten: true }));
  assert.deepEqual(full[0].x.shape, [4, 6]);
  // Resume the same epoch at batch 5 from the saved generator state.
  const resumed = collect(minibatches(ds, { batchSize: 4, rng: Generator.fromState(state), binarize: 'dynamic', flatten: true, startBatch: 5 }));
  assert.equal(resumed.length, full.length - 5);
  resumed.forEach((b, k) => {
    assert.equal(b.batch, k + 5);
    assert.deepEqual(b.indices, full[k + 5].indices);
    assert.deepEqual(b.x.data, full[k + 5].x.data);
  });
});

test('dynamic binarization: 0/1 pixels, fresh each epoch, reproducible from the seed, documented draws', () => {
  const { train } = loadDataset('mnist');
  const ds = subsetDataset(train, Array.from({ length: 300 }, (_, i) => i));
  const epochs = (seed: number) => {
    const rng = new Generator(seed);
    return [0, 1].map(() => collect(minibatches(ds, { batchSize: 100, rng, binarize: 'dynamic', shuffle: false })));
  };
  const [e0, e1] = epochs(11);
  const again = epochs(11);
  for (const b of e0) for (const v of b.x.data) assert.ok(v === 0 || v === 1);
  assert.deepEqual(again[0].map((b) => b.x.data), e0.map((b) => b.x.data), 'same seed, same pixels');
  assert.deepEqual(again[1].map((b) => b.x.data), e1.map((b) => b.x.data));
  let differ = 0;
  for (let i = 0; i < e0[0].x.size; i++) if (e0[0].x.data[i] !== e1[0].x.data[i]) differ++;
  assert.ok(differ > 100, `epochs 0 and 1 differ in ${differ} pixels`);
  // Documented: batch b is binarizeDynamic(x, rng.split(2)[1] child number b).
  const [, binRng] = new Generator(11).split(2);
  const children = binRng.split(3);
  for (let b = 0; b < 3; b++) {
    const x = new Tensor(ds.images.data.slice(b * 100 * 784, (b + 1) * 100 * 784), [100, 1, 28, 28]);
    assert.deepEqual(binarizeDynamic(x, children[b]).data, e0[b].x.data);
  }
  // The binarized mean matches the grey-level mean (Bernoulli(p) has mean p).
  let grey = 0;
  let bin = 0;
  for (const v of ds.images.data) grey += v;
  for (const b of e0) for (const v of b.x.data) bin += v;
  assert.ok(Math.abs(bin - grey) / grey < 0.02, `binarized ${bin} vs grey ${grey}`);
});

test('static binarization: one fixed draw (reproducible), kept across epochs; threshold option', () => {
  const { test: testSet } = loadDataset('mnist');
  const ds = subsetDataset(testSet!, Array.from({ length: 200 }, (_, i) => i));
  const a = binarizeStatic(ds.images, new Generator(5));
  assert.deepEqual(binarizeStatic(ds.images, new Generator(5)).data, a.data);
  assert.notDeepEqual(binarizeStatic(ds.images, new Generator(6)).data, a.data);
  for (const v of a.data) assert.ok(v === 0 || v === 1);
  assert.deepEqual(a.shape, ds.images.shape);
  // Pixels at 0 stay 0 and at 1 stay 1.
  for (let i = 0; i < a.size; i++) {
    if (ds.images.data[i] === 0) assert.equal(a.data[i], 0);
    if (ds.images.data[i] === 1) assert.equal(a.data[i], 1);
  }
  const hard = binarizeStatic(ds.images, null, { threshold: 0.5 });
  for (let i = 0; i < hard.size; i++) assert.equal(hard.data[i], ds.images.data[i] > 0.5 ? 1 : 0);

  const rng = new Generator(9);
  const fixed = binarizeDataset(ds, 'static', rng);
  assert.ok(fixed.binarized);
  assert.equal(binarizeDataset(ds, 'dynamic', rng), ds);
  assert.equal(binarizeDataset(ds, 'none', rng), ds);
  assert.ok(binarizeDataset(ds, 'threshold', null).binarized);
  const e0 = collect(minibatches(fixed, { batchSize: 50, rng, binarize: 'static', shuffle: false }));
  const e1 = collect(minibatches(fixed, { batchSize: 50, rng, binarize: 'static', shuffle: false }));
  assert.deepEqual(e0.map((b) => b.x.data), e1.map((b) => b.x.data), 'static: the same pixels every epoch');
  assert.deepEqual(e0[0].x.data, fixed.images.data.subarray(0, 50 * 784));
  // 'static' on a dataset that was not binarized is refused.
  assert.throws(() => minibatches(ds, { batchSize: 50, rng, binarize: 'static' }), /binarize 'static' needs a dataset binarized once beforehand: binarizeDataset/);
});

test('minibatches and binarization refuse bad options with clear errors', () => {
  const ds = small(10);
  const rng = new Generator(0);
  const bad: [object, RegExp][] = [
    [{ batchSize: 0, rng }, /batchSize must be a positive integer, got 0/],
    [{ batchSize: 2.5, rng }, /batchSize must be a positive integer, got 2.5/],
    [{ batchSize: '8', rng }, /batchSize must be a positive integer, got "8"/],
    [{ rng }, /batchSize must be a positive integer, got undefined/],
    [{ batchSize: 4 }, /shuffle needs an rng \(a Generator\)/],
    [{ batchSize: 4, shuffle: false, binarize: 'dynamic' }, /binarize 'dynamic' needs an rng/],
    [{ batchSize: 4, rng: 42 }, /rng must be a Generator, got 42/],
    [{ batchSize: 4, rng, binarize: 'sometimes' }, /binarize must be one of dynamic, static, threshold, none, got "sometimes"/],
    [{ batchSize: 11, rng, dropLast: true }, /batchSize 11 with dropLast leaves no batch from the 10 examples of small/],
    [{ batchSize: 4, rng, startBatch: 4 }, /startBatch must be an integer in \[0, 3\], got 4/],
    [{ batchSize: 4, rng, shuffle: 'yes' }, /shuffle must be a boolean/],
  ];
  for (const [opts, pattern] of bad) assert.throws(() => minibatches(ds, opts as never), pattern, JSON.stringify(opts));
  assert.throws(() => minibatches({} as Dataset, { batchSize: 1 }), /expected a Dataset/);
  // Dynamic binarization of values outside [0, 1].
  const points = createDataset(new Tensor(Float32Array.from([0.5, 2, 0, 1]), [2, 2]), { source: 'points.csv' });
  assert.throws(() => collect(minibatches(points, { batchSize: 2, rng, binarize: 'dynamic', shuffle: false })), /points\.csv batch 0: value 2 at flat index 1 is not a probability in \[0, 1\]/);
  assert.throws(() => binarizeStatic(points.images, rng), /value 2 at flat index 1 is not a probability/);
  assert.throws(() => binarizeStatic(points.images, null), /rng must be a Generator/);
  assert.throws(() => binarizeStatic(ds.images, null, { threshold: 1.5 }), /threshold must be a number in \[0, 1\)/);
  assert.throws(() => binarizeDataset(ds, 'on' as never, rng), /mode must be one of/);
});

test('dataset helpers: subset, split, stratified indices, flatten, class counts', () => {
  const ds = small(60);
  const sub = subsetDataset(ds, [5, 0, 5]);
  assert.deepEqual(Array.from(sub.labels!), [2, 0, 2]);
  assert.deepEqual(sub.images.shape, [3, 1, 2, 3]);
  assert.throws(() => subsetDataset(ds, [60]), /index 0 is 60; expected an integer in \[0, 60\)/);
  const { train, test: held } = splitDataset(ds, 0.25, new Generator(2));
  assert.equal(train.length, 45);
  assert.equal(held.length, 15);
  const again = splitDataset(ds, 0.25, new Generator(2));
  assert.deepEqual(again.test.images.data, held.images.data);
  const idx = stratifiedIndices(ds, 4, new Generator(3));
  assert.equal(idx.length, 12);
  assert.deepEqual(Array.from(classCounts(subsetDataset(ds, idx))), [4, 4, 4]);
  assert.deepEqual(stratifiedIndices(ds, 4, new Generator(3)), idx);
  assert.throws(() => stratifiedIndices(ds, 21, new Generator(3)), /class 0 of small has 20 examples, fewer than 21/);
  assert.deepEqual(flattenImages(ds).shape, [60, 6]);
  assert.deepEqual(Array.from(classCounts(ds)), [20, 20, 20]);
  assert.throws(() => createDataset(new Tensor(new Float32Array(4), [2, 2]), { source: 's', labels: Int32Array.from([0]) }), /s: has 1 labels but s has 2 examples/);
  assert.throws(() => createDataset(new Tensor(new Float32Array(4), [2, 2]), { source: 's', labels: Int32Array.from([0, 3]), numClasses: 3 }), /s: label 1 is 3; expected a class in \[0, 3\)/);
  assert.throws(() => createDataset(new Tensor(new Float32Array(0), [0, 2]), { source: 's' }), /s: has no examples/);
});

test('minibatches: an epoch of the bundled digits is fast (one copy per batch)', (t) => {
  const { train } = loadDataset('mnist');
  const rng = new Generator(0);
  let t0 = performance.now();
  let n = 0;
  for (const b of minibatches(train, { batchSize: 100, rng, flatten: true })) n += b.x.shape[0];
  const plainMs = performance.now() - t0;
  t0 = performance.now();
  for (const b of minibatches(train, { batchSize: 100, rng, binarize: 'dynamic', flatten: true })) n += b.x.shape[0];
  const dynamicMs = performance.now() - t0;
  t.diagnostic(`8000 examples, batch 100: gather ${plainMs.toFixed(1)} ms, with dynamic binarization ${dynamicMs.toFixed(1)} ms`);
  assert.equal(n, 16000);
  assert.ok(plainMs < 1000 && dynamicMs < 3000);
});
