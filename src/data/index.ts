/**
 * Data: IDX (MNIST format, gzipped or not), CSV and NPY readers; the bundled
 * MNIST digits; Fashion-MNIST from Debian's package; binarization; seeded
 * minibatches.
 */
export { DataError } from './errors.js';
export {
  createDataset,
  subsetDataset,
  splitDataset,
  stratifiedIndices,
  flattenImages,
  classCounts,
  type Dataset,
  type CreateDatasetOptions,
} from './dataset.js';
export type { RawArray, DataKind, ImageOptions, ImageShape } from './raw.js';
export { parseIdx, encodeIdx, IDX_TYPE_CODES } from './idx.js';
export { parseNpy, parseNpyHeader, encodeNpy, type NpyHeader } from './npy.js';
export { parseCsv, type CsvOptions, type CsvContents } from './csv.js';
export {
  readIdx,
  readNpy,
  readCsv,
  readDataFile,
  readLabels,
  readDataBytes,
  dataFormat,
  type DataFormat,
  type ReadOptions,
} from './files.js';
export { loadBundledMnist, BUNDLED_MNIST_SPLIT } from './bundled.js';
export { loadFashionMnist, hasFashionMnist, fashionMnistDir, FASHION_MNIST_DIR, FASHION_MNIST_CLASSES } from './fashion.js';
export { loadDataset, loadTestDataset, NAMED_DATASETS, type DatasetSplits, type LoadOptions } from './load.js';
export { binarizeStatic, binarizeDynamic, binarizeDataset, BINARIZE_MODES, type BinarizeMode } from './binarize.js';
export { minibatches, numBatches, MinibatchIterator, type MinibatchOptions, type Minibatch } from './batches.js';
export { TOY2D_NAMES, sampleToy2d, toy2dLogDensity, toy2dEntropy, type Toy2dName } from './toy2d.js';
