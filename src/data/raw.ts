/**
 * The arrays the file readers decode, before they become datasets, and the
 * rules that turn them into images (float32 in [0, 1], shape [N, C, H, W]),
 * plain float32 data, or integer class labels.
 */
import { formatShape, sizeOf } from '../tensor/shape.js';
import { DataError, describeValue } from './errors.js';

/**
 * A decoded array: the shape as stored (first axis = examples), the values in
 * C (row-major) order, and what kind of numbers they are.
 *
 * - `uint8`: bytes 0..255 (IDX `ubyte`, NPY `|u1`); images are scaled by 1/255.
 * - `bool`: 0 or 1 (NPY `|b1`).
 * - `int`: other integer types (stored exactly as float64).
 * - `float`: floating point (IDX float/double, NPY `f4`/`f8`).
 * - `text`: numbers parsed from text (CSV).
 */
export interface RawArray {
  shape: number[];
  values: Uint8Array | Float32Array | Float64Array;
  kind: 'uint8' | 'bool' | 'int' | 'float' | 'text';
  /** The file's own name for the element type, e.g. `<f4` or `ubyte`, for messages. */
  dtype: string;
  /** Where the element at a flat index sits in the file, for messages (default: example and element). */
  locate?: (flatIndex: number) => string;
}

/** What the values of a dataset must be. */
export type DataKind = 'image' | 'any';

/** How a readers's examples become images; see {@link toImages}. */
export interface ImageOptions {
  /**
   * The shape of one image, `[H, W]` or `[C, H, W]`, for data stored as flat
   * rows (CSV, or NPY/IDX of shape [N, D]); default: a square `[1, s, s]`
   * when D = s * s.
   */
  imageShape?: readonly number[];
  /**
   * The layout of examples stored with three axes each ([N, A, B, C]):
   * `chw` (PyTorch) or `hwc` (TensorFlow; transposed to CHW on load).
   * Default: `chw` when A is 1, 3 or 4, else `hwc` when C is, else an error.
   */
  layout?: 'chw' | 'hwc';
}

/** Shape of one image: channels, height, width. */
export interface ImageShape {
  readonly channels: number;
  readonly height: number;
  readonly width: number;
}

/** The place of a flat index in an array of this shape, as "example i, element [a, b]". */
export function defaultLocate(shape: readonly number[]): (flat: number) => string {
  return (flat: number) => {
    if (shape.length <= 1) return `example ${flat}`;
    const per = sizeOf(shape.slice(1));
    const example = Math.floor(flat / per);
    let rest = flat - example * per;
    const coords: number[] = [];
    for (let d = shape.length - 1; d >= 1; d--) {
      coords.unshift(rest % shape[d]);
      rest = Math.floor(rest / shape[d]);
    }
    return `example ${example}, element [${coords.join(', ')}]`;
  };
}

function locator(raw: RawArray): (flat: number) => string {
  return raw.locate ?? defaultLocate(raw.shape);
}

/** Throws unless the array has at least one example and something in each. */
function checkNonEmpty(raw: RawArray, source: string): void {
  if (raw.shape.length === 0) {
    throw new DataError(source, `holds a single value (shape []); expected an array whose first axis indexes examples`);
  }
  if (raw.shape[0] === 0) throw new DataError(source, `has no examples (shape ${formatShape(raw.shape)}); expected at least one`);
  if (raw.values.length === 0) throw new DataError(source, `examples are empty (shape ${formatShape(raw.shape)})`);
}

/**
 * The image layout of the examples of `raw`: [C, H, W] and whether they are
 * stored HWC and need transposing. Throws when the shape is not an image.
 */
function imageLayout(raw: RawArray, source: string, opts: ImageOptions): { chw: [number, number, number]; hwc: boolean } {
  const item = raw.shape.slice(1);
  const perExample = sizeOf(item);
  const notImage = (why: string): never => {
    throw new DataError(source, `examples of shape ${formatShape(item)} (array shape ${formatShape(raw.shape)}) are not images: ${why}`);
  };
  if (opts.imageShape !== undefined) {
    const s = [...opts.imageShape];
    if ((s.length !== 2 && s.length !== 3) || !s.every((d) => Number.isSafeInteger(d) && d > 0)) {
      throw new DataError(source, `imageShape must be [H, W] or [C, H, W] of positive integers, got ${describeValue(opts.imageShape)}`);
    }
    const chw: [number, number, number] = s.length === 2 ? [1, s[0], s[1]] : [s[0], s[1], s[2]];
    if (sizeOf(chw) !== perExample) {
      notImage(`imageShape ${formatShape(s)} holds ${sizeOf(chw)} values but each example has ${perExample}`);
    }
    return { chw, hwc: opts.layout === 'hwc' && s.length === 3 };
  }
  if (item.length === 0) notImage('one value per example; expected [H, W], [C, H, W] or a flat row of H * W pixels');
  if (item.length === 1) {
    const side = Math.round(Math.sqrt(item[0]));
    if (side * side !== item[0]) {
      notImage(`${item[0]} values per example is not a square number of pixels; pass imageShape [H, W] or [C, H, W]`);
    }
    return { chw: [1, side, side], hwc: false };
  }
  if (item.length === 2) return { chw: [1, item[0], item[1]], hwc: false };
  if (item.length === 3) {
    const channelLike = (d: number) => d === 1 || d === 3 || d === 4;
    const layout = opts.layout ?? (channelLike(item[0]) ? 'chw' : channelLike(item[2]) ? 'hwc' : undefined);
    if (layout === undefined) {
      notImage('neither the first nor the last axis has 1, 3 or 4 channels; pass layout "chw" or "hwc"');
    }
    return layout === 'hwc' ? { chw: [item[2], item[0], item[1]], hwc: true } : { chw: [item[0], item[1], item[2]], hwc: false };
  }
  return notImage(`${item.length} axes per example; expected [H, W], [C, H, W], [H, W, C] or a flat row`);
}

/**
 * Converts decoded values to images: float32 in [0, 1], shape [N, C, H, W].
 *
 * Value rules: `uint8` is divided by 255; `bool` is kept; `float` must
 * already lie in [0, 1]; `int` and `text` (CSV) are kept when all lie in
 * [0, 1], else must all be integers in [0, 255] and are divided by 255.
 * NaN, infinities and anything else give a `DataError` naming the file and
 * the first offending value's place.
 *
 * @example
 * const raw: RawArray = { shape: [1, 2, 2], values: new Uint8Array([0, 51, 204, 255]), kind: 'uint8', dtype: 'ubyte' };
 * toImages(raw, 'x.idx').data.shape; // [1, 1, 2, 2], values [0, 0.2, 0.8, 1]
 */
export function toImages(raw: RawArray, source: string, opts: ImageOptions = {}): { data: Float32Array; shape: number[]; image: ImageShape } {
  checkNonEmpty(raw, source);
  const { chw, hwc } = imageLayout(raw, source, opts);
  const n = raw.shape[0];
  const v = raw.values;
  // The decoders hand over arrays they own (or byte views, which are only read), so float32 data in range is used as is.
  let out: Float32Array;
  const where = locator(raw);
  if (raw.kind === 'uint8') {
    out = new Float32Array(v.length);
    const lut = new Float32Array(256);
    for (let b = 0; b < 256; b++) lut[b] = b / 255;
    for (let i = 0; i < v.length; i++) out[i] = lut[v[i]];
  } else if (raw.kind === 'bool') {
    out = new Float32Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = v[i] ? 1 : 0;
  } else {
    // First pass: the range and the first bad value.
    let inUnit = true;
    let firstOutside = -1;
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (x !== x) throw new DataError(source, `${where(i)} is NaN; expected pixel values in [0, 1]`);
      if (!(x >= 0 && x <= 1)) {
        inUnit = false;
        if (firstOutside < 0) firstOutside = i;
        break;
      }
    }
    if (inUnit) {
      out = v instanceof Float32Array ? v : Float32Array.from(v);
    } else if (raw.kind === 'float') {
      throw new DataError(
        source,
        `${where(firstOutside)} is ${v[firstOutside]}; ${raw.dtype} images must hold pixel values in [0, 1]` +
          ' (divide 0..255 intensities by 255, or load with kind "any" for non-image data)',
      );
    } else {
      const isIntensity = (x: number) => x >= 0 && x <= 255 && Math.floor(x) === x;
      const rule = 'image values must all lie in [0, 1] or all be integer intensities 0..255 (load with kind "any" for non-image data)';
      const first = v[firstOutside];
      if (!isIntensity(first)) throw new DataError(source, `${where(firstOutside)} is ${first}; ${rule}`);
      out = new Float32Array(v.length);
      for (let i = 0; i < v.length; i++) {
        const x = v[i];
        if (x !== x) throw new DataError(source, `${where(i)} is NaN; expected pixel values`);
        if (!isIntensity(x)) {
          const mixed = x >= 0 && x <= 1 ? ` while ${where(firstOutside)} is ${first}` : '';
          throw new DataError(source, `${where(i)} is ${x}${mixed}; ${rule}`);
        }
        out[i] = x / 255;
      }
    }
  }
  const shape = [n, chw[0], chw[1], chw[2]];
  const data = hwc ? hwcToChw(out, n, chw[1], chw[2], chw[0]) : out;
  return { data, shape, image: { channels: chw[0], height: chw[1], width: chw[2] } };
}

/** Transposes [N, H, W, C] storage to [N, C, H, W]. */
function hwcToChw(src: Float32Array, n: number, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(src.length);
  const hw = h * w;
  for (let e = 0; e < n; e++) {
    const base = e * hw * c;
    for (let p = 0; p < hw; p++) {
      for (let ch = 0; ch < c; ch++) out[base + ch * hw + p] = src[base + p * c + ch];
    }
  }
  return out;
}

/**
 * Converts decoded values to plain float32 data of shape [N, ...rest]
 * (a one-axis array becomes [N, 1]), refusing NaN and infinities and values
 * that overflow float32. No scaling.
 *
 * @example
 * toValues({ shape: [2], values: new Float64Array([1.5, -2]), kind: 'float', dtype: '<f8' }, 'y.npy').shape; // [2, 1]
 */
export function toValues(raw: RawArray, source: string): { data: Float32Array; shape: number[] } {
  checkNonEmpty(raw, source);
  const v = raw.values;
  const out = raw.values instanceof Float32Array ? raw.values.slice() : Float32Array.from(v);
  const where = locator(raw);
  for (let i = 0; i < out.length; i++) {
    const x = out[i];
    if (x - x !== 0) {
      const original = v[i];
      const why = original !== original ? 'NaN' : Number.isFinite(original) ? `${original}, which overflows float32` : String(original);
      throw new DataError(source, `${where(i)} is ${why}; expected finite numbers`);
    }
  }
  const shape = raw.shape.length === 1 ? [raw.shape[0], 1] : [...raw.shape];
  return { data: out, shape };
}

/**
 * Inferred class counts above this are refused: a stray large label (a
 * corrupt file, an ID column) would otherwise size one-hot vectors and
 * weight matrices by it and fail far from the cause. ImageNet-21k has
 * 21,841 classes.
 */
export const MAX_INFERRED_CLASSES = 100_000;

/**
 * Converts decoded values to class labels: shape [N] or [N, 1], each an
 * integer in [0, numClasses) (numClasses defaults to the largest label + 1,
 * which must then be at most `MAX_INFERRED_CLASSES`).
 *
 * @example
 * toLabels({ shape: [3], values: new Uint8Array([0, 2, 1]), kind: 'uint8', dtype: 'ubyte' }, 'y.idx').labels; // Int32Array [0, 2, 1]
 */
export function toLabels(raw: RawArray, source: string, numClasses?: number): { labels: Int32Array; numClasses: number } {
  checkNonEmpty(raw, source);
  if (!(raw.shape.length === 1 || (raw.shape.length === 2 && raw.shape[1] === 1))) {
    throw new DataError(source, `labels must be one integer per example (shape [N] or [N, 1]), got shape ${formatShape(raw.shape)}`);
  }
  if (numClasses !== undefined && !(Number.isSafeInteger(numClasses) && numClasses >= 1 && numClasses <= 2 ** 31 - 1)) {
    throw new DataError(source, `numClasses must be a positive integer, got ${describeValue(numClasses)}`);
  }
  const v = raw.values;
  const where = raw.locate ?? ((i: number) => `label ${i}`);
  const labels = new Int32Array(v.length);
  let max = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (!(Number.isInteger(x) && x >= 0)) {
      throw new DataError(source, `${where(i)} is ${x}; expected a class label, an integer >= 0`);
    }
    if (numClasses !== undefined && x >= numClasses) {
      throw new DataError(source, `${where(i)} is ${x}; expected a class label in [0, ${numClasses})`);
    }
    if (x > 2 ** 31 - 2) throw new DataError(source, `${where(i)} is ${x}; class labels must be below 2^31 - 1`);
    labels[i] = x;
    if (x > max) max = x;
  }
  if (numClasses === undefined && max >= MAX_INFERRED_CLASSES) {
    const at = labels.indexOf(max);
    throw new DataError(
      source,
      `${where(at)} is ${max}, which would make ${max + 1} classes (one-hot conditions and output layers of that size); ` +
        `expected class labels below ${MAX_INFERRED_CLASSES} unless numClasses is given`,
    );
  }
  return { labels, numClasses: numClasses ?? max + 1 };
}
