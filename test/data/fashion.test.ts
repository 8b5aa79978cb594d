import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DataError,
  FASHION_MNIST_CLASSES,
  classCounts,
  hasFashionMnist,
  loadDataset,
  loadFashionMnist,
  loadTestDataset,
  fashionMnistDir,
} from '../../src/index.js';
import { tempDir } from './helpers.js';

const REQUIRE = process.env.LATENT_REQUIRE_DATASETS === '1';
const installed = hasFashionMnist();
const MISSING = `Fashion-MNIST is not installed in ${fashionMnistDir()} (apt-get install dataset-fashion-mnist)`;

test('fashion-mnist: 60,000 + 10,000 images with labels from the Debian package', (t) => {
  if (!installed) {
    if (REQUIRE) assert.fail(`${MISSING}, and LATENT_REQUIRE_DATASETS=1 makes that an error`);
    t.skip(`${MISSING}; set LATENT_REQUIRE_DATASETS=1 to make this an error`);
    return;
  }
  const t0 = performance.now();
  const { train, test: testSet } = loadDataset('fashion-mnist');
  t.diagnostic(`loaded in ${(performance.now() - t0).toFixed(0)} ms`);
  assert.deepEqual(train.images.shape, [60000, 1, 28, 28]);
  assert.deepEqual(testSet!.images.shape, [10000, 1, 28, 28]);
  assert.equal(train.numClasses, 10);
  assert.deepEqual(train.classNames, FASHION_MNIST_CLASSES);
  assert.deepEqual(Array.from(classCounts(train)), new Array(10).fill(6000));
  assert.deepEqual(Array.from(classCounts(testSet!)), new Array(10).fill(1000));
  // The files' first labels, as NumPy reads them: an ankle boot, then T-shirts.
  assert.deepEqual(Array.from(train.labels!.subarray(0, 10)), [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
  assert.deepEqual(Array.from(testSet!.labels!.subarray(0, 10)), [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
  let sum = 0;
  let bytesOfFirst = 0;
  const x = train.images.data;
  for (let i = 0; i < x.length; i++) sum += x[i];
  for (let i = 0; i < 784; i++) bytesOfFirst += Math.round(x[i] * 255);
  assert.ok(Math.abs(sum / x.length - 0.2860406) < 1e-6, `mean ${sum / x.length}`);
  assert.equal(bytesOfFirst, 76247);
  assert.equal(train.source, 'fashion-mnist train');
  assert.deepEqual(loadTestDataset('fashion-mnist').labels, testSet!.labels);
});

test('fashion-mnist missing: the error says how to install it', () => {
  const empty = tempDir();
  assert.throws(
    () => loadFashionMnist({ dir: empty }),
    (e: unknown) =>
      e instanceof DataError &&
      /^fashion-mnist: not installed: .*train-images-idx3-ubyte\.gz not found\. Install Debian's package with `apt-get install dataset-fashion-mnist`/.test(e.message) &&
      /LATENT_FASHION_MNIST_DIR/.test(e.message),
  );
  assert.throws(() => loadDataset('fashion-mnist', { fashionMnistDir: empty }), /apt-get install dataset-fashion-mnist/);
});

test('fashion-mnist from a folder given by LATENT_FASHION_MNIST_DIR (a corrupt copy is reported by file)', (t) => {
  if (!installed) {
    t.skip(MISSING);
    return;
  }
  const dir = tempDir();
  for (const f of ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz']) {
    copyFileSync(join(fashionMnistDir(), f), join(dir, f));
  }
  // The test labels swapped for the training labels: 60,000 labels for 10,000 images.
  copyFileSync(join(fashionMnistDir(), 'train-labels-idx1-ubyte.gz'), join(dir, 't10k-labels-idx1-ubyte.gz'));
  const saved = process.env.LATENT_FASHION_MNIST_DIR;
  process.env.LATENT_FASHION_MNIST_DIR = dir;
  try {
    assert.equal(fashionMnistDir(), dir);
    assert.throws(() => loadFashionMnist(), new RegExp(`t10k-labels-idx1-ubyte\\.gz: has 60000 labels but .*t10k-images-idx3-ubyte\\.gz has 10000 examples`));
  } finally {
    if (saved === undefined) delete process.env.LATENT_FASHION_MNIST_DIR;
    else process.env.LATENT_FASHION_MNIST_DIR = saved;
  }
});
