/**
 * Reading datasets from files: IDX (gzipped or not), CSV and NPY, with
 * labels from a label column or a separate file.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { basename } from 'node:path';
import { Tensor } from '../tensor/tensor.js';
import { createDataset, type Dataset } from './dataset.js';
import { DataError, describeValue } from './errors.js';
import { parseIdx } from './idx.js';
import { parseNpy } from './npy.js';
import { parseCsv, type CsvOptions } from './csv.js';
import { toImages, toLabels, toValues, type DataKind, type ImageOptions, type RawArray } from './raw.js';

/** Options of the file readers (`readIdx`, `readCsv`, `readNpy`, `readDataFile`, `loadDataset`). */
export interface ReadOptions extends ImageOptions, CsvOptions {
  /**
   * `'image'` (default): examples must be images; values become float32 in
   * [0, 1] (bytes divided by 255) and the tensor is [N, C, H, W].
   * `'any'`: any finite numbers, kept as they are, shape [N, ...].
   */
  kind?: DataKind;
  /** A file of class labels, one per example: IDX(.gz), NPY, or CSV (one column, or `labelColumn`). */
  labels?: string;
  /** The number of classes; labels must lie in [0, numClasses). Default: the largest label + 1. */
  numClasses?: number;
}

/** The file formats the readers know. */
export type DataFormat = 'idx' | 'csv' | 'npy';

/**
 * The format of a data file from its name: `.csv` → CSV, `.npy` → NPY,
 * `.idx`, `.idx3-ubyte`, `-ubyte` → IDX; a trailing `.gz` is looked through
 * (`.csv.gz`, `.npy.gz`, and any other `.gz` is IDX). Null when unknown.
 *
 * @example
 * dataFormat('train-images-idx3-ubyte.gz'); // 'idx'
 * dataFormat('points.csv');                 // 'csv'
 */
export function dataFormat(path: string): DataFormat | null {
  const name = basename(path).toLowerCase();
  const gz = name.endsWith('.gz');
  const inner = gz ? name.slice(0, -3) : name;
  if (inner.endsWith('.csv')) return 'csv';
  if (inner.endsWith('.npy')) return 'npy';
  if (gz || inner.endsWith('.idx') || inner.endsWith('-ubyte') || /\.idx\d$/.test(inner)) return 'idx';
  return null;
}

/**
 * A file's bytes, gunzipped when they start with the gzip magic bytes 1f 8b
 * (whatever the name). Missing files, directories and corrupt gzip streams
 * give a `DataError` naming the path.
 *
 * @example
 * const bytes = readDataBytes('/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz');
 */
export function readDataBytes(path: string): Uint8Array {
  if (typeof path !== 'string' || path === '') throw new DataError(String(path), 'expected a file path');
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory; expected a data file' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new DataError(path, why, { cause: e });
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new DataError(path, `corrupt or truncated gzip data (${(e as Error).message})`, { cause: e });
    }
  }
  return bytes;
}

/** Decodes a file in the given format to a raw array (and a CSV's label column). */
function readRaw(path: string, format: DataFormat, opts: CsvOptions): { data: RawArray; labels: RawArray | null } {
  const bytes = readDataBytes(path);
  if (format === 'idx') return { data: parseIdx(bytes, path), labels: null };
  if (format === 'npy') return { data: parseNpy(bytes, path), labels: null };
  let text: string;
  try {
    text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  } catch (e) {
    throw new DataError(path, `too large to read as CSV text (${bytes.length} bytes; ${(e as Error).message}); convert it to NPY`, { cause: e });
  }
  const { data, labels } = parseCsv(text, path, opts);
  return { data, labels };
}

function checkKind(kind: unknown, source: string): DataKind {
  if (kind === undefined) return 'image';
  if (kind !== 'image' && kind !== 'any') throw new DataError(source, `kind must be 'image' or 'any', got ${describeValue(kind)}`);
  return kind;
}

/**
 * Reads class labels from a file: IDX(.gz) or NPY of shape [N] or [N, 1], or
 * CSV with one column (or the column `labelColumn`). Each label must be an
 * integer in [0, numClasses).
 *
 * @example
 * const { labels, numClasses } = readLabels('train-labels-idx1-ubyte.gz');
 */
export function readLabels(
  path: string,
  opts: { numClasses?: number } & CsvOptions = {},
): { labels: Int32Array; numClasses: number } {
  const format = dataFormat(path);
  if (format === null) throw unknownFormat(path, 'labels');
  if (format === 'csv') {
    const { data, labels } = readRaw(path, 'csv', opts);
    if (labels !== null) return toLabels(labels, path, opts.numClasses);
    if (data.shape[1] !== 1) {
      throw new DataError(path, `a labels CSV needs one column (or labelColumn), got ${data.shape[1]} columns`);
    }
    return toLabels(data, path, opts.numClasses);
  }
  return toLabels(readRaw(path, format, {}).data, path, opts.numClasses);
}

function unknownFormat(path: string, what: string): DataError {
  return new DataError(path, `unrecognized ${what} file name; expected .idx, .idx3-ubyte or -ubyte (IDX, optionally .gz), .csv or .npy`);
}

/** Turns a decoded array (and optional labels) into a Dataset. */
function buildDataset(path: string, raw: RawArray, csvLabels: RawArray | null, opts: ReadOptions): Dataset {
  const kind = checkKind(opts.kind, path);
  let labels: Int32Array | null = null;
  let numClasses: number | null = null;
  let labelSource = path;
  if (csvLabels !== null && opts.labels !== undefined) {
    throw new DataError(path, `labels given twice: the label column ${describeValue(opts.labelColumn)} and the file ${opts.labels}`);
  }
  if (csvLabels !== null) ({ labels, numClasses } = toLabels(csvLabels, path, opts.numClasses));
  if (opts.labels !== undefined) {
    ({ labels, numClasses } = readLabels(opts.labels, { numClasses: opts.numClasses }));
    labelSource = opts.labels;
  }
  if (labels !== null && labels.length !== raw.shape[0]) {
    throw new DataError(labelSource, `has ${labels.length} labels but ${path} has ${raw.shape[0]} examples; expected one label per example`);
  }
  if (kind === 'image') {
    const { data, shape, image } = toImages(raw, path, opts);
    return createDataset(new Tensor(data, shape), { source: path, labels, numClasses, image, labelSource });
  }
  const { data, shape } = toValues(raw, path);
  return createDataset(new Tensor(data, shape), { source: path, labels, numClasses, labelSource });
}

/**
 * Reads an IDX file (MNIST's format), gzipped or not: unsigned bytes are
 * scaled to [0, 1]; with the default `kind: 'image'` a [N, H, W] file gives
 * images [N, 1, H, W].
 *
 * @example
 * const ds = readIdx('train-images-idx3-ubyte.gz', { labels: 'train-labels-idx1-ubyte.gz' });
 * ds.images.shape; // [60000, 1, 28, 28]
 */
export function readIdx(path: string, opts: ReadOptions = {}): Dataset {
  const { data } = readRaw(path, 'idx', {});
  return buildDataset(path, data, null, opts);
}

/**
 * Reads a `.npy` file (format 1.0, 2.0 or 3.0; `<f4 <f8 |u1 <i4 <i8 |b1` and
 * friends, either byte order; Fortran order is transposed). `|u1` images
 * are scaled by 1/255; float images must lie in [0, 1].
 *
 * @example
 * const ds = readNpy('x.npy', { labels: 'y.npy' }); // x: [N, 28, 28] or [N, 784]
 */
export function readNpy(path: string, opts: ReadOptions = {}): Dataset {
  const { data } = readRaw(path, 'npy', {});
  return buildDataset(path, data, null, opts);
}

/**
 * Reads a numeric CSV file (header row detected or given, label column by
 * name or index). For images, each row is a flattened image (square unless
 * `imageShape` says otherwise) with values in [0, 1] or integers 0..255.
 *
 * @example
 * const ds = readCsv('mnist_train.csv', { labelColumn: 'label' }); // Kaggle layout: label, 784 pixels 0..255
 * const pts = readCsv('points.csv', { kind: 'any' });               // [N, D] real numbers
 */
export function readCsv(path: string, opts: ReadOptions = {}): Dataset {
  const { data, labels } = readRaw(path, 'csv', opts);
  return buildDataset(path, data, labels, opts);
}

/**
 * Reads a data file of any supported format, chosen by its name (see
 * `dataFormat`).
 *
 * @example
 * const ds = readDataFile('digits.npy', { labels: 'digits_labels.npy' });
 */
export function readDataFile(path: string, opts: ReadOptions = {}): Dataset {
  const format = dataFormat(path);
  if (format === null) throw unknownFormat(path, 'data');
  const { data, labels } = readRaw(path, format, opts);
  return buildDataset(path, data, labels, opts);
}
