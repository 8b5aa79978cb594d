import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DataError, encodeNpy, parseNpy, parseNpyHeader, readLabels, readNpy, readDataFile } from '../../src/index.js';
import { fixture } from '../helpers.js';
import { tempDir, writeFile } from './helpers.js';

// Written by NumPy: /usr/bin/python3 scripts/fixtures/data_npy.py
interface GoodCase {
  file: string;
  descr: string;
  version: [number, number];
  fortran_order: boolean;
  shape: number[];
  values: number[];
  kind: 'image' | 'any' | 'labels';
  image?: { shape: number[]; values: number[] };
}
interface BadCase {
  file: string;
  error: string;
  kind: 'image' | 'any';
}
const { cases } = fixture<{ cases: (GoodCase | BadCase)[] }>('data/npy.json');
const path = (file: string) => fileURLToPath(new URL(`../fixtures/data/${file}`, import.meta.url));

test('NPY fixtures cover every version, dtype, byte order and Fortran order', () => {
  const good = cases.filter((c): c is GoodCase => !('error' in c));
  assert.deepEqual([...new Set(good.map((c) => c.version.join('.')))].sort(), ['1.0', '2.0', '3.0']);
  for (const d of ['<f4', '<f8', '|u1', '<i4', '<i8', '|b1', '>f4', '>i4']) assert.ok(good.some((c) => c.descr === d), d);
  assert.ok(good.some((c) => c.fortran_order));
});

for (const c of cases) {
  if ('error' in c) {
    test(`NPY ${c.file}: refused with a clear error`, () => {
      assert.throws(
        () => readNpy(path(c.file), { kind: c.kind }),
        (e: unknown) => {
          assert.ok(e instanceof DataError, `expected a DataError, got ${String(e)}`);
          assert.equal(e.source, path(c.file));
          assert.match(e.message, new RegExp(c.error));
          return true;
        },
      );
    });
    continue;
  }
  test(`NPY ${c.file} (${c.descr}, v${c.version.join('.')}${c.fortran_order ? ', Fortran order' : ''}) decodes exactly as NumPy wrote it`, () => {
    const bytes = readFileSync(path(c.file));
    const header = parseNpyHeader(bytes, c.file);
    assert.deepEqual(header.version, c.version);
    assert.equal(header.descr, c.descr);
    assert.equal(header.fortranOrder, c.fortran_order);
    const raw = parseNpy(bytes, c.file);
    assert.deepEqual(raw.shape, c.shape);
    assert.deepEqual(Array.from(raw.values), c.values);
    if (c.kind === 'labels') {
      assert.deepEqual(Array.from(readLabels(path(c.file)).labels), c.values);
    } else if (c.kind === 'any') {
      const ds = readNpy(path(c.file), { kind: 'any' });
      assert.deepEqual(ds.images.shape, c.shape.length === 1 ? [c.shape[0], 1] : c.shape);
      assert.deepEqual(Array.from(ds.images.data), c.values.map(Math.fround));
    } else {
      const ds = readDataFile(path(c.file));
      assert.deepEqual(ds.images.shape, c.image!.shape);
      assert.deepEqual(Array.from(ds.images.data), c.image!.values);
      assert.equal(ds.labels, null);
    }
  });
}

test('NPY images with NPY labels; label count and range checked', () => {
  const dir = tempDir();
  const x = writeFile(dir, 'x.npy', encodeNpy(new Uint8Array(3 * 4), [3, 2, 2]));
  const y = writeFile(dir, 'y.npy', encodeNpy(Int32Array.from([0, 2, 1]), [3]));
  const ds = readNpy(x, { labels: y });
  assert.deepEqual(Array.from(ds.labels!), [0, 2, 1]);
  assert.equal(ds.numClasses, 3);
  assert.equal(readNpy(x, { labels: y, numClasses: 10 }).numClasses, 10);
  assert.throws(() => readNpy(x, { labels: y, numClasses: 2 }), /y\.npy: label 1 is 2; expected a class label in \[0, 2\)/);
  const y2 = writeFile(dir, 'y2.npy', encodeNpy(Int32Array.from([0, 2]), [2]));
  assert.throws(() => readNpy(x, { labels: y2 }), /y2\.npy: has 2 labels but .*x\.npy has 3 examples/);
  const yf = writeFile(dir, 'yf.npy', encodeNpy(Float32Array.from([0, NaN, 1]), [3]));
  assert.throws(() => readNpy(x, { labels: yf }), /yf\.npy: label 1 is NaN; expected a class label/);
});

test('encodeNpy writes files NumPy-format readers accept (header padded to 64 bytes)', () => {
  for (const values of [Float32Array.from([1, 2.5, -3, 0, 0.125, 9]), Float64Array.from([1 / 3, 2, 3, 4, 5, 6]), Uint8Array.from([0, 1, 2, 3, 4, 255]), Int32Array.from([-1, 0, 1, 2, 3, 2 ** 31 - 1])]) {
    const bytes = encodeNpy(values, [2, 3]);
    const header = parseNpyHeader(bytes, 'enc');
    assert.equal(header.dataOffset % 64, 0);
    const raw = parseNpy(bytes, 'enc');
    assert.deepEqual(raw.shape, [2, 3]);
    assert.deepEqual(Array.from(raw.values), Array.from(values));
  }
});

test('NPY header oddities: malformed dicts are DataErrors, not crashes', () => {
  const make = (dict: string, major = 1) => {
    const head = Buffer.from(dict + '\n', 'latin1');
    const pre = major === 1 ? 10 : 12;
    const out = new Uint8Array(pre + head.length);
    out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
    const view = new DataView(out.buffer);
    if (major === 1) view.setUint16(8, head.length, true);
    else view.setUint32(8, head.length, true);
    out.set(head, pre);
    return out;
  };
  const bad: [string, RegExp][] = [
    ["{'descr': '<f4', 'fortran_order': False}", /missing key 'shape'/],
    ["{'descr': '<f4', 'fortran_order': 'no', 'shape': (1,)}", /'fortran_order' must be True or False/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}", /'shape' must be a tuple of non-negative integers/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", /unexpected key\(s\) x/],
    ["{'descr': '<f4' 'fortran_order': False}", /expected ',' or '}'/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (1,", /the header ends early/],
    ['['.repeat(50), /nested too deeply/],
    ["{'descr': 'f4', 'fortran_order': False, 'shape': (1,)}", /unsupported NPY dtype "f4"/],
    ["{'descr': '<f3', 'fortran_order': False, 'shape': (1,)}", /unsupported NPY dtype "<f3"/],
  ];
  for (const [dict, pattern] of bad) {
    assert.throws(() => parseNpy(make(dict), 'h.npy'), (e: unknown) => e instanceof DataError && /^h\.npy: /.test(e.message) && pattern.test(e.message), dict);
  }
  // An empty body with shape (1,) is truncated.
  assert.throws(() => parseNpy(make("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }"), 'h.npy'), /truncated: .* 4 bytes of data, but only 0/);
  // A header longer than the file.
  const cut = make("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }").subarray(0, 30);
  assert.throws(() => parseNpy(cut, 'h.npy'), /truncated NPY header/);
});
