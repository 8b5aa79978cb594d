import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { DataError, encodeIdx, parseIdx, readIdx, readLabels, readDataFile } from '../../src/index.js';
import { re, tempDir, writeFile } from './helpers.js';

const dir = tempDir();

/** Deterministic bytes. */
function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

test('IDX: a hand-written header decodes as the format says (big-endian dims, ubyte)', () => {
  // magic 00 00 08 03, dims 2, 2, 3 (big-endian), then 12 bytes.
  const file = new Uint8Array([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3, ...Array.from({ length: 12 }, (_, i) => i * 20)]);
  const raw = parseIdx(file, 'hand.idx');
  assert.deepEqual(raw.shape, [2, 2, 3]);
  assert.equal(raw.kind, 'uint8');
  assert.deepEqual(Array.from(raw.values), Array.from({ length: 12 }, (_, i) => i * 20));
  // Big dimension: 0x0000EA60 = 60000.
  const labels = new Uint8Array(8 + 60000);
  labels.set([0, 0, 8, 1, 0, 0, 0xea, 0x60]);
  assert.deepEqual(parseIdx(labels, 'l').shape, [60000]);
});

for (const gz of [false, true]) {
  test(`IDX round trip of images and labels in os.tmpdir() (${gz ? 'gzipped' : 'plain'})`, () => {
    const n = 7;
    const pixels = bytes(n * 6 * 5, 1);
    pixels[0] = 0;
    pixels[1] = 255;
    const labels = Uint8Array.from({ length: n }, (_, i) => (i * 3) % 10);
    const enc = (b: Uint8Array) => (gz ? gzipSync(b) : b);
    const imgPath = writeFile(dir, `rt-images-idx3-ubyte${gz ? '.gz' : ''}`, enc(encodeIdx(pixels, [n, 6, 5])));
    const lblPath = writeFile(dir, `rt-labels-idx1-ubyte${gz ? '.gz' : ''}`, enc(encodeIdx(labels, [n])));
    const ds = readIdx(imgPath, { labels: lblPath });
    assert.deepEqual(ds.images.shape, [n, 1, 6, 5]);
    assert.deepEqual(ds.image, { channels: 1, height: 6, width: 5 });
    assert.equal(ds.images.dtype, 'float32');
    assert.deepEqual(Array.from(ds.images.data), Array.from(pixels, (b) => Math.fround(b / 255)));
    assert.equal(ds.images.data[0], 0);
    assert.equal(ds.images.data[1], 1);
    assert.deepEqual(Array.from(ds.labels!), Array.from(labels));
    assert.equal(ds.numClasses, 10);
    assert.equal(ds.source, imgPath);
    // The same through the format dispatcher, with the extension forms it knows.
    const viaDispatch = readDataFile(imgPath, { labels: lblPath });
    assert.deepEqual(Array.from(viaDispatch.images.data), Array.from(ds.images.data));
    assert.deepEqual(Array.from(readLabels(lblPath).labels), Array.from(labels));
  });
}

test('IDX: gzip is detected by its magic bytes whatever the name; .idx names work', () => {
  const pixels = bytes(2 * 4 * 4, 2);
  const path = writeFile(dir, 'sneaky.idx', gzipSync(encodeIdx(pixels, [2, 4, 4])));
  assert.deepEqual(readDataFile(path).images.shape, [2, 1, 4, 4]);
});

test('IDX: other element types (sbyte, int16, int32, float32, float64) decode big-endian', () => {
  const ints = [-3, 0, 7, 300, -300, 2 ** 20];
  for (const [type, values] of [
    ['sbyte', [-3, 0, 7, 127, -128, 1]],
    ['int16', ints.slice(0, 5).concat([32767])],
    ['int32', ints],
    ['float32', [0.5, -1.25, 3e10, 0, 1, 2]],
    ['float64', [0.1, -1e300, 1 / 3, 0, 1, 2]],
  ] as const) {
    const raw = parseIdx(encodeIdx(values, [2, 3], type), type);
    assert.deepEqual(raw.shape, [2, 3]);
    assert.deepEqual(Array.from(raw.values), values.map((v) => (type === 'float32' ? Math.fround(v) : v)), type);
  }
  // float images in [0, 1] are kept; float images outside are refused.
  const path = writeFile(dir, 'float.idx', encodeIdx([0, 0.25, 0.5, 1], [1, 2, 2], 'float32'));
  assert.deepEqual(Array.from(readIdx(path).images.data), [0, 0.25, 0.5, 1]);
  const outside = writeFile(dir, 'float-out.idx', encodeIdx([0, 0.25, 1.5, 1], [1, 2, 2], 'float32'));
  assert.throws(() => readIdx(outside), new RegExp(`^DataError: ${re(outside)}: example 0, element \\[1, 0\\] is 1.5; float32 images must hold pixel values in \\[0, 1\\]`));
  // int16 intensities 0..255 are scaled; 300 is refused.
  const ok16 = writeFile(dir, 'i16.idx', encodeIdx([0, 51, 255, 102], [1, 2, 2], 'int16'));
  assert.deepEqual(Array.from(readIdx(ok16).images.data), [0, 0.2, 1, 0.4].map(Math.fround));
  const bad16 = writeFile(dir, 'i16-bad.idx', encodeIdx([0, 51, 300, 102], [1, 2, 2], 'int16'));
  assert.throws(() => readIdx(bad16), /i16-bad\.idx: example 0, element \[1, 0\] is 300; image values must all lie in \[0, 1\] or all be integer intensities 0\.\.255/);
  // NaN in float data.
  const nan = writeFile(dir, 'nan.idx', encodeIdx([0, NaN, 0.5, 1], [1, 2, 2], 'float64'));
  assert.throws(() => readIdx(nan), /nan\.idx: example 0, element \[0, 1\] is NaN/);
  assert.throws(() => readIdx(nan, { kind: 'any' }), /nan\.idx: example 0, element \[0, 1\] is NaN; expected finite numbers/);
});

test('IDX corrupt input: each error is a DataError naming the file and what was expected', () => {
  const good = encodeIdx(bytes(3 * 4 * 4, 3), [3, 4, 4]);
  const cases: [string, Uint8Array | string, RegExp][] = [
    ['truncated', good.subarray(0, good.length - 5), /truncated: the IDX header declares shape \[3, 4, 4\] of ubyte, 48 bytes of data, but only 43 bytes follow the header/],
    ['extra', Uint8Array.from([...good, 1, 2]), /the IDX header's dimensions \[3, 4, 4\] of ubyte \(48 bytes of data\) do not match the file: 50 bytes follow the header \(2 extra\)/],
    ['bad-magic', Uint8Array.from([1, 2, ...good.subarray(2)]), /bad IDX magic number \(first bytes 01 02 08 03\); expected 00 00/],
    ['bad-type', Uint8Array.from([0, 0, 0x0a, ...good.subarray(3)]), /unknown IDX type code 0x0a/],
    ['zero-dims', Uint8Array.from([0, 0, 8, 0]), /IDX header declares 0 dimensions/],
    ['short-header', good.subarray(0, 10), /truncated IDX header: 3 dimensions need 16 header bytes, the file has 10/],
    ['tiny', good.subarray(0, 2), /is 2 bytes long, too short for an IDX header/],
    ['empty-dataset', encodeIdx([], [0, 28, 28]), /has no examples \(shape \[0, 28, 28\]\)/],
    ['gz-truncated', gzipSync(good).subarray(0, 20), /corrupt or truncated gzip data/],
    ['text', 'hello, world\n', /bad IDX magic number/],
  ];
  for (const [name, content, pattern] of cases) {
    const path = writeFile(dir, `${name}-idx3-ubyte`, content);
    assert.throws(
      () => readIdx(path),
      (e: unknown) => {
        assert.ok(e instanceof DataError, `${name}: expected a DataError, got ${String(e)}`);
        assert.equal(e.source, path);
        assert.match(e.message, new RegExp(`^${re(path)}: `), name);
        assert.match(e.message, pattern, name);
        return true;
      },
    );
  }
  // A missing file.
  assert.throws(() => readIdx(`${dir}/nope-idx3-ubyte`), new RegExp(`${re(dir)}/nope-idx3-ubyte: no such file`));
});

test('IDX shapes that are not images, and labels that do not fit', () => {
  const oneAxis = writeFile(dir, 'oneaxis.idx', encodeIdx([1, 2, 3], [3]));
  assert.throws(() => readIdx(oneAxis), /oneaxis\.idx: examples of shape \[\] \(array shape \[3\]\) are not images: one value per example/);
  assert.deepEqual(readIdx(oneAxis, { kind: 'any' }).images.shape, [3, 1]);
  const fiveAxes = writeFile(dir, 'five.idx', encodeIdx(new Uint8Array(2 * 2 * 2 * 2 * 2), [2, 2, 2, 2, 2]));
  assert.throws(() => readIdx(fiveAxes), /five\.idx: .*are not images: 4 axes per example/);
  const flat = writeFile(dir, 'flat.idx', encodeIdx(new Uint8Array(2 * 12), [2, 12]));
  assert.throws(() => readIdx(flat), /flat\.idx: .*12 values per example is not a square number of pixels; pass imageShape/);
  assert.deepEqual(readIdx(flat, { imageShape: [3, 4] }).images.shape, [2, 1, 3, 4]);
  assert.throws(() => readIdx(flat, { imageShape: [5, 5] }), /flat\.idx: .*imageShape \[5, 5\] holds 25 values but each example has 12/);

  const images = writeFile(dir, 'four-idx3-ubyte', encodeIdx(new Uint8Array(4 * 2 * 2), [4, 2, 2]));
  const three = writeFile(dir, 'three-idx1-ubyte', encodeIdx([1, 2, 3], [3]));
  assert.throws(() => readIdx(images, { labels: three }), new RegExp(`^DataError: ${re(three)}: has 3 labels but ${re(images)} has 4 examples`));
  const big = writeFile(dir, 'big-idx1-ubyte', encodeIdx([1, 2, 12, 3], [4]));
  assert.throws(() => readIdx(images, { labels: big, numClasses: 10 }), new RegExp(`^DataError: ${re(big)}: label 2 is 12; expected a class label in \\[0, 10\\)`));
  const neg = writeFile(dir, 'neg-idx1-ubyte', encodeIdx([1, -2, 0, 3], [4], 'sbyte'));
  assert.throws(() => readIdx(images, { labels: neg }), new RegExp(`${re(neg)}: label 1 is -2; expected a class label, an integer >= 0`));
  const frac = writeFile(dir, 'frac-idx1-ubyte', encodeIdx([1, 2.5, 0, 3], [4], 'float32'));
  assert.throws(() => readIdx(images, { labels: frac }), /frac-idx1-ubyte: label 1 is 2.5; expected a class label/);
  const twoD = writeFile(dir, 'twod-idx2-ubyte', encodeIdx([1, 2, 0, 3], [2, 2]));
  assert.throws(() => readIdx(images, { labels: twoD }), /twod-idx2-ubyte: labels must be one integer per example \(shape \[N\] or \[N, 1\]\), got shape \[2, 2\]/);
});
