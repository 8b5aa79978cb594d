import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { DataError, parseCsv, readCsv, readDataFile, readLabels } from '../../src/index.js';
import { re, tempDir, writeFile } from './helpers.js';

const dir = tempDir();

/** Rows of 4 pixels (2 x 2 images). */
const pixelsCsv = 'label,p0,p1,p2,p3\n3,0,51,255,0\n1,102,0,0,255\n\n7,0,0,0,0\n';

test('CSV with a header and a label column by name: Kaggle-style 0..255 pixels are scaled', () => {
  const path = writeFile(dir, 'kaggle.csv', pixelsCsv);
  const ds = readCsv(path, { labelColumn: 'label' });
  assert.deepEqual(ds.images.shape, [3, 1, 2, 2]);
  assert.deepEqual(Array.from(ds.images.data), [0, 0.2, 1, 0, 0.4, 0, 0, 1, 0, 0, 0, 0].map(Math.fround));
  assert.deepEqual(Array.from(ds.labels!), [3, 1, 7]);
  assert.equal(ds.numClasses, 8);
  // By index, counting from the end, and through the dispatcher.
  assert.deepEqual(Array.from(readCsv(path, { labelColumn: 0 }).labels!), [3, 1, 7]);
  assert.deepEqual(Array.from(readCsv(path, { labelColumn: -5 }).labels!), [3, 1, 7]);
  assert.deepEqual(Array.from(readDataFile(path, { labelColumn: 'label', numClasses: 10 }).labels!), [3, 1, 7]);
  // Gzipped CSV.
  const gz = writeFile(dir, 'kaggle.csv.gz', gzipSync(Buffer.from(pixelsCsv)));
  assert.deepEqual(Array.from(readDataFile(gz, { labelColumn: 'label' }).images.data), Array.from(ds.images.data));
});

test('CSV without a header; [0, 1] floats kept; label column in the middle; CRLF, BOM, quotes, spaces', () => {
  const text = '\ufeff0.5, 1, 0.25,0\r\n"0.125",0,1e-1,2.5E-1\r\n';
  const path = writeFile(dir, 'floats.csv', text);
  const ds = readCsv(path, { imageShape: [2, 2] });
  assert.deepEqual(ds.images.shape, [2, 1, 2, 2]);
  assert.deepEqual(Array.from(ds.images.data), [0.5, 1, 0.25, 0, 0.125, 0, 0.1, 0.25].map(Math.fround));
  assert.equal(ds.labels, null);
  const mid = readCsv(path, { labelColumn: 1, header: false, kind: 'any' });
  assert.deepEqual(mid.images.shape, [2, 3]);
  assert.deepEqual(Array.from(mid.labels!), [1, 0]);
  // Tab-separated.
  const tsv = writeFile(dir, 'tabs.csv', 'a\tb\n1.5\t-2\n3\t4e3\n');
  const t = readCsv(tsv, { delimiter: '\t', kind: 'any' });
  assert.deepEqual(Array.from(t.images.data), [1.5, -2, 3, 4000]);
});

test('CSV kind "any": real numbers of any range, shape [N, D]', () => {
  const path = writeFile(dir, 'points.csv', 'x,y\n-1.5,2e3\n0,-0.001\n+4,.5\n');
  const ds = readCsv(path, { kind: 'any' });
  assert.deepEqual(ds.images.shape, [3, 2]);
  assert.deepEqual(Array.from(ds.images.data), [-1.5, 2000, 0, -0.001, 4, 0.5].map(Math.fround));
  assert.equal(ds.image, null);
  assert.deepEqual(parseCsv('x,y\n1,2\n', 'p').columns, ['x', 'y']);
});

test('CSV errors name file:line:column', () => {
  const cases: [string, string, object, RegExp][] = [
    ['word.csv', 'a,b\n1,2\n3,x\n', { kind: 'any' }, /word\.csv: line 3, column 2: expected a number, got "x"/],
    ['nan.csv', '1,2\n3,NaN\n', { kind: 'any' }, /nan\.csv: line 2, column 2: NaN; expected a finite number/],
    ['inf.csv', '1,2\n-inf,3\n', { kind: 'any' }, /inf\.csv: line 2, column 1: -inf is not finite/],
    ['empty-cell.csv', '1,2\n3,\n', { kind: 'any' }, /empty-cell\.csv: line 2, column 2: empty cell; expected a number/],
    ['short-row.csv', '1,2,3\n4,5\n', { kind: 'any' }, /short-row\.csv: line 2 has 2 cells; expected 3 like line 1/],
    ['long-row.csv', 'a,b\n1,2\n\n4,5,6\n', { kind: 'any' }, /long-row\.csv: line 4 has more than 2 cells; expected 2 like line 1/],
    ['mixed-header.csv', 'label,1,2\n0,1,2\n', { kind: 'any' }, /mixed-header\.csv: line 1, column 1: expected a number, got "label" \(if this line is a header, pass header: true\)/],
    ['empty.csv', '\n \n', {}, /empty\.csv: is empty; expected CSV rows of numbers/],
    ['header-only.csv', 'a,b\n', {}, /header-only\.csv: has a header but no data rows/],
    ['no-label-col.csv', 'a,b\n1,2\n', { labelColumn: 'label' }, /no-label-col\.csv: no column named "label" for the labels; the header has "a", "b"/],
    ['label-by-name-no-header.csv', '1,2\n', { labelColumn: 'label' }, /label-by-name-no-header\.csv: label column "label" given by name, but the file has no header row/],
    ['label-index.csv', '1,2\n', { labelColumn: 2 }, /label-index\.csv: label column 2 is not a column index in \[-2, 2\) for 2 columns/],
    ['bad-label.csv', 'y,a\n1,0\n2.5,1\n', { labelColumn: 'y', kind: 'any' }, /bad-label\.csv: line 3, column 1 \(label\) is 2.5; expected a class label/],
    ['label-range.csv', 'y,a\n1,0\n10,1\n', { labelColumn: 'y', kind: 'any', numClasses: 10 }, /label-range\.csv: line 3, column 1 \(label\) is 10; expected a class label in \[0, 10\)/],
    ['range.csv', '0,0.5,1,0\n0,1.5,0,0\n', {}, /range\.csv: line 2, column 2 is 1.5; image values must all lie in \[0, 1\] or all be integer intensities 0\.\.255/],
    ['range255.csv', '0,5,1,0\n0,256,0,0\n', {}, /range255\.csv: line 2, column 2 is 256; image values must all lie in \[0, 1\]/],
    ['mixed-scale.csv', '0,0.5,1,0\n0,5,0,0\n', {}, /mixed-scale\.csv: line 1, column 2 is 0.5 while line 2, column 2 is 5; image values must all lie/],
    ['not-square.csv', '0,1,0\n', {}, /not-square\.csv: examples of shape \[3\] .* are not images: 3 values per example is not a square/],
    ['only-label.csv', 'y\n1\n', { labelColumn: 'y' }, /only-label\.csv: has only the label column/],
  ];
  for (const [name, text, opts, pattern] of cases) {
    const path = writeFile(dir, name, text);
    assert.throws(
      () => readCsv(path, opts),
      (e: unknown) => {
        assert.ok(e instanceof DataError, `${name}: expected a DataError, got ${String(e)}`);
        assert.match(e.message, new RegExp(`^${re(path)}: `), name);
        assert.match(e.message, pattern, name);
        return true;
      },
    );
  }
});

test('CSV labels file: one column, with or without a header; separate labels checked against the examples', () => {
  const labels = writeFile(dir, 'labels.csv', 'digit\n3\n1\n7\n');
  assert.deepEqual(Array.from(readLabels(labels).labels), [3, 1, 7]);
  const plain = writeFile(dir, 'labels2.csv', '3\n1\n7\n');
  const x = writeFile(dir, 'x.csv', '0,0,0,0\n1,1,1,1\n0,1,0,1\n');
  assert.deepEqual(Array.from(readCsv(x, { labels: plain }).labels!), [3, 1, 7]);
  const two = writeFile(dir, 'labels3.csv', '3,1\n1,2\n');
  assert.throws(() => readLabels(two), /labels3\.csv: a labels CSV needs one column \(or labelColumn\), got 2 columns/);
  const short = writeFile(dir, 'labels4.csv', '3\n1\n');
  assert.throws(() => readCsv(x, { labels: short }), new RegExp(`${re(short)}: has 2 labels but ${re(x)} has 3 examples`));
  const withCol = writeFile(dir, 'xl.csv', 'y,a,b,c,d\n1,0,0,0,0\n');
  assert.throws(() => readCsv(withCol, { labelColumn: 'y', labels: plain }), /labels given twice/);
});

test('CSV: a larger file parses fast and exactly (60 x 785, like MNIST)', () => {
  const rows: string[] = ['label,' + Array.from({ length: 784 }, (_, i) => `px${i}`).join(',')];
  for (let r = 0; r < 60; r++) rows.push([r % 10, ...Array.from({ length: 784 }, (_, i) => (r * 31 + i * 7) % 256)].join(','));
  const path = writeFile(dir, 'big.csv', rows.join('\n'));
  const ds = readCsv(path, { labelColumn: 'label' });
  assert.deepEqual(ds.images.shape, [60, 1, 28, 28]);
  assert.equal(ds.images.data[784 * 5 + 3], Math.fround(((5 * 31 + 3 * 7) % 256) / 255));
  assert.equal(ds.labels![59], 9);
});
