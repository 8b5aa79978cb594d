import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { DataError, dataFormat, encodeIdx, encodeNpy, loadDataset, loadTestDataset, NAMED_DATASETS } from '../../src/index.js';
import { re, tempDir, writeFile } from './helpers.js';

const dir = tempDir();

test('dataFormat: by extension, looking through .gz', () => {
  const cases: [string, string | null][] = [
    ['train-images-idx3-ubyte', 'idx'],
    ['train-images-idx3-ubyte.gz', 'idx'],
    ['data/t10k-labels.idx1-ubyte', 'idx'],
    ['x.idx', 'idx'],
    ['x.IDX3', 'idx'],
    ['x.gz', 'idx'],
    ['x.csv', 'csv'],
    ['X.CSV.gz', 'csv'],
    ['x.npy', 'npy'],
    ['x.npy.gz', 'npy'],
    ['x.txt', null],
    ['x.npz', null],
    ['mnist', null],
  ];
  for (const [path, format] of cases) assert.equal(dataFormat(path), format, path);
});

test('loadDataset: named datasets and files of each format, with --labels', () => {
  assert.deepEqual([...NAMED_DATASETS], ['mnist', 'fashion-mnist']);
  const mnist = loadDataset(' MNIST ');
  assert.equal(mnist.train.length, 8000);
  assert.equal(mnist.test!.length, 2000);

  const pixels = Uint8Array.from({ length: 3 * 16 }, (_, i) => (i * 37) % 256);
  const idx = writeFile(dir, 'x-idx3-ubyte.gz', gzipSync(encodeIdx(pixels, [3, 4, 4])));
  const npy = writeFile(dir, 'x.npy', encodeNpy(pixels, [3, 16]));
  const csv = writeFile(dir, 'x.csv', Array.from({ length: 3 }, (_, r) => Array.from(pixels.subarray(r * 16, r * 16 + 16)).join(',')).join('\n'));
  const labels = writeFile(dir, 'y.npy', encodeNpy(Int32Array.from([2, 0, 1]), [3]));
  const expected = Array.from(pixels, (b) => Math.fround(b / 255));
  for (const path of [idx, npy, csv]) {
    const { train, test: held } = loadDataset(path, { labels });
    assert.equal(held, null, path);
    assert.deepEqual(train.images.shape, [3, 1, 4, 4], path);
    assert.deepEqual(Array.from(train.images.data), expected, path);
    assert.deepEqual(Array.from(train.labels!), [2, 0, 1], path);
    assert.equal(train.source, path);
    assert.deepEqual(Array.from(loadTestDataset(path, { labels }).labels!), [2, 0, 1]);
  }
});

test('loadDataset: bad specs and options give DataErrors naming the input', () => {
  const cases: [unknown, object, RegExp][] = [
    ['', {}, /^--data: expected mnist, fashion-mnist or a path/],
    [undefined, {}, /^--data: expected mnist, fashion-mnist or a path .* got undefined/],
    [`${dir}/missing.npy`, {}, new RegExp(`^${re(dir)}/missing\\.npy: no such file`)],
    [`${dir}/notes.txt`, {}, /notes\.txt: unrecognized data file name; expected \.idx, \.idx3-ubyte or -ubyte \(IDX, optionally \.gz\), \.csv or \.npy/],
    [dir, {}, /unrecognized data file name/],
    ['mnist', { labels: 'y.npy' }, /^mnist: labels applies to data files; the named dataset mnist has its own labels/],
    ['mnist', { imageShape: [28, 28] }, /^mnist: imageShape applies to data files/],
  ];
  for (const [spec, opts, pattern] of cases) {
    assert.throws(
      () => loadDataset(spec as string, opts),
      (e: unknown) => e instanceof DataError && pattern.test(e.message),
      `${String(spec)}: ${JSON.stringify(opts)}`,
    );
  }
  mkdirSync(`${dir}/folder.csv`);
  assert.throws(() => loadDataset(`${dir}/folder.csv`), /folder\.csv: is a directory; expected a data file/);
  assert.throws(() => loadDataset(`${dir}/sub.csv`), /sub\.csv: no such file/);
  const x = writeFile(dir, 'x2.npy', encodeNpy(new Uint8Array(4 * 4), [4, 4]));
  assert.throws(() => loadDataset(x, { labels: `${dir}/labels.bin` }), /labels\.bin: unrecognized labels file name/);
  assert.throws(() => loadDataset(x, { kind: 'pixels' as never }), /x2\.npy: kind must be 'image' or 'any', got "pixels"/);
});
