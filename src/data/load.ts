/**
 * `loadDataset`: what the command line's `--data SPEC` and `--labels PATH` name.
 */
import { loadBundledMnist } from './bundled.js';
import type { Dataset } from './dataset.js';
import { DataError, describeValue } from './errors.js';
import { loadFashionMnist } from './fashion.js';
import { readDataFile, type ReadOptions } from './files.js';

/** The datasets known by name. */
export const NAMED_DATASETS: readonly string[] = Object.freeze(['mnist', 'fashion-mnist']);

/** A training set and, for the named datasets, their own test set. */
export interface DatasetSplits {
  train: Dataset;
  /** The dataset's own held-out split (`mnist`, `fashion-mnist`), or null for a file. */
  test: Dataset | null;
}

/** Options of `loadDataset`: the readers' options plus the bundled digits' cache switch. */
export interface LoadOptions extends ReadOptions {
  /** Cache the bundled digits' decoded bytes on disk (default true). */
  cache?: boolean;
  /** Folder of the Fashion-MNIST files (default `$LATENT_FASHION_MNIST_DIR` or Debian's). */
  fashionMnistDir?: string;
}

function named(spec: string): string | null {
  const s = spec.trim().toLowerCase();
  return NAMED_DATASETS.includes(s) ? s : null;
}

function checkSpec(spec: unknown): asserts spec is string {
  if (typeof spec !== 'string' || spec.trim() === '') {
    throw new DataError('--data', `expected mnist, fashion-mnist or a path to an IDX(.gz), CSV or NPY file, got ${describeValue(spec)}`);
  }
}

function loadNamed(name: string, opts: LoadOptions): { train: Dataset; test: Dataset } {
  for (const key of ['labels', 'labelColumn', 'imageShape'] as const) {
    if (opts[key] !== undefined) {
      throw new DataError(name, `${key} applies to data files; the named dataset ${name} has its own labels and image shape`);
    }
  }
  return name === 'mnist' ? loadBundledMnist({ cache: opts.cache }) : loadFashionMnist({ dir: opts.fashionMnistDir });
}

/**
 * Resolves a dataset spec, as given to `--data`:
 *
 * - `mnist` (the default of the command line): the 10,000 bundled digits,
 *   split 8,000 train / 2,000 test (fixed; see `BUNDLED_MNIST_SPLIT`);
 * - `fashion-mnist`: Debian's `dataset-fashion-mnist`, 60,000 / 10,000;
 * - otherwise a file path, its format chosen by name (`dataFormat`):
 *   `.idx`, `-ubyte`, `.gz` → IDX; `.csv` → CSV; `.npy` → NPY; `test` is
 *   null (name a held-out file with `--test-data`). `opts.labels` is the
 *   `--labels PATH` file. (A file literally called `mnist` is `./mnist`.)
 *
 * Images come out float32 [N, C, H, W] in [0, 1]; pass `kind: 'any'` for
 * other numeric data. Every problem is a `DataError` naming the file.
 *
 * @example
 * const { train, test } = loadDataset('mnist');                  // 8000 + 2000 digits
 * const files = loadDataset('x.npy', { labels: 'y.npy' });       // files.test === null
 * const pts = loadDataset('points.csv', { kind: 'any' }).train;  // [N, D]
 */
export function loadDataset(spec: string, opts: LoadOptions = {}): DatasetSplits {
  checkSpec(spec);
  const name = named(spec);
  if (name !== null) return loadNamed(name, opts);
  return { train: readDataFile(spec, opts), test: null };
}

/**
 * The held-out set a `--test-data SPEC` names: a named dataset's test split,
 * or a whole file (with `opts.labels` as its labels).
 *
 * @example
 * const test = loadTestDataset('fashion-mnist'); // the 10,000 test images
 */
export function loadTestDataset(spec: string, opts: LoadOptions = {}): Dataset {
  checkSpec(spec);
  const name = named(spec);
  if (name !== null) return loadNamed(name, opts).test;
  return readDataFile(spec, opts);
}
