/**
 * Fashion-MNIST (Xiao, Rasul and Vollgraf, "Fashion-MNIST: a novel image
 * dataset for benchmarking machine learning algorithms", 2017) from Debian's
 * `dataset-fashion-mnist` package: 60,000 training and 10,000 test images,
 * 28x28 grey levels, 10 classes, as IDX gz files.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createDataset, type Dataset } from './dataset.js';
import { DataError } from './errors.js';
import { readIdx } from './files.js';

/** Where Debian's `dataset-fashion-mnist` installs the files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** Fashion-MNIST's class names, by label. */
export const FASHION_MNIST_CLASSES: readonly string[] = Object.freeze([
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
]);

const FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/**
 * The folder holding the files: `dir`, else `$LATENT_FASHION_MNIST_DIR`, else Debian's.
 *
 * @example
 * fashionMnistDir(); // '/usr/share/datasets/fashion-mnist' unless the variable is set
 */
export function fashionMnistDir(dir?: string): string {
  return dir ?? (process.env.LATENT_FASHION_MNIST_DIR || FASHION_MNIST_DIR);
}

/**
 * Whether the four Fashion-MNIST files are present (gzipped or not).
 *
 * @example
 * const data = hasFashionMnist() ? 'fashion-mnist' : 'mnist';
 */
export function hasFashionMnist(dir?: string): boolean {
  const d = fashionMnistDir(dir);
  return Object.values(FILES).every((f) => existsSync(join(d, `${f}.gz`)) || existsSync(join(d, f)));
}

function locate(dir: string, name: string): string {
  const gz = join(dir, `${name}.gz`);
  if (existsSync(gz)) return gz;
  const plain = join(dir, name);
  if (existsSync(plain)) return plain;
  throw new DataError(
    'fashion-mnist',
    `not installed: ${gz} not found. Install Debian's package with \`apt-get install dataset-fashion-mnist\` ` +
      `(as root, or with sudo), which puts the IDX files in ${FASHION_MNIST_DIR}; or set LATENT_FASHION_MNIST_DIR ` +
      `to a folder holding ${Object.values(FILES).map((f) => `${f}.gz`).join(', ')}`,
  );
}

function load(dir: string, images: string, labels: string, split: string): Dataset {
  const ds = readIdx(locate(dir, images), { labels: locate(dir, labels), numClasses: 10 });
  if (ds.image === null || ds.image.height !== 28 || ds.image.width !== 28 || ds.image.channels !== 1) {
    throw new DataError(ds.source, `expected 28x28 grey-level images, got shape [${ds.images.shape.join(', ')}]`);
  }
  return createDataset(ds.images, {
    source: `fashion-mnist ${split}`,
    labels: ds.labels,
    numClasses: 10,
    image: ds.image,
    classNames: FASHION_MNIST_CLASSES,
  });
}

/**
 * Fashion-MNIST's own split: 60,000 training and 10,000 test images
 * [N, 1, 28, 28] float32 (bytes / 255), labels 0..9 (`FASHION_MNIST_CLASSES`).
 * When the files are missing, the error says how to install them
 * (`apt-get install dataset-fashion-mnist`).
 *
 * @example
 * const { train, test } = loadFashionMnist();
 * train.images.shape; // [60000, 1, 28, 28]
 * train.classNames![train.labels![0]]; // e.g. 'Ankle boot'
 */
export function loadFashionMnist(opts: { dir?: string } = {}): { train: Dataset; test: Dataset } {
  const dir = fashionMnistDir(opts.dir);
  // Locate all four first, so a missing package fails before any reading.
  for (const f of Object.values(FILES)) locate(dir, f);
  return {
    train: load(dir, FILES.trainImages, FILES.trainLabels, 'train'),
    test: load(dir, FILES.testImages, FILES.testLabels, 'test'),
  };
}
