import { PNG } from 'pngjs';
import { readFileSync } from 'node:fs';
import { Tensor } from '../tensor/tensor.js';
import { formatShape } from '../tensor/shape.js';
import { writeFileAtomic } from './atomic.js';

/** An 8-bit RGBA image. */
export interface RgbaImage {
  width: number;
  height: number;
  /** width * height * 4 bytes, row-major. */
  rgba: Uint8Array;
}

export interface GridOptions {
  /** Images per row (default: ceil(sqrt(N))). */
  cols?: number;
  /** Pixels between images (default 2). */
  pad?: number;
  /** Gray level of the padding in [0, 1] (default 0.5). */
  padValue?: number;
  /** Integer upscaling factor (default 1). */
  scale?: number;
}

/** [N, C, H, W] (C = 1 or 3), or [N, D] with D a square (taken as 1 x sqrt(D) x sqrt(D)). */
function asImages(images: Tensor): [number, number, number, number] {
  if (images.rank === 4 && (images.shape[1] === 1 || images.shape[1] === 3)) {
    return images.shape as unknown as [number, number, number, number];
  }
  if (images.rank === 2) {
    const s = Math.round(Math.sqrt(images.shape[1]));
    if (s * s === images.shape[1]) return [images.shape[0], 1, s, s];
  }
  throw new Error(`imageGrid: expected images [N, 1|3, H, W] or [N, D] with D a square, got ${formatShape(images.shape)}`);
}

/**
 * Tiles a batch of images with values in [0, 1] (clamped; NaN shows as
 * red) into one RGBA image, row by row.
 *
 * @example
 * const grid = imageGrid(samples, { cols: 8 });   // samples: [64, 1, 28, 28]
 * savePng('samples.png', grid);
 */
export function imageGrid(images: Tensor, options: GridOptions = {}): RgbaImage {
  const [n, c, h, w] = asImages(images);
  const pad = options.pad ?? 2;
  const scale = options.scale ?? 1;
  const cols = options.cols ?? Math.max(1, Math.ceil(Math.sqrt(n)));
  const padValue = options.padValue ?? 0.5;
  for (const [name, v] of [['cols', cols], ['pad', pad], ['scale', scale]] as const) {
    if (!Number.isInteger(v) || v < (name === 'pad' ? 0 : 1)) throw new Error(`imageGrid: ${name} must be a ${name === 'pad' ? 'non-negative' : 'positive'} integer, got ${v}`);
  }
  if (!(padValue >= 0 && padValue <= 1)) throw new Error(`imageGrid: padValue must be in [0, 1], got ${padValue}`);
  const rows = Math.max(1, Math.ceil(n / cols));
  const width = cols * (w * scale + pad) + pad;
  const height = rows * (h * scale + pad) + pad;
  const rgba = new Uint8Array(width * height * 4);
  const bg = Math.round(padValue * 255);
  for (let i = 0; i < width * height; i++) {
    rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = bg;
    rgba[4 * i + 3] = 255;
  }
  const data = images.data;
  const byte = (v: number) => Math.round(Math.min(Math.max(v, 0), 1) * 255);
  for (let k = 0; k < n; k++) {
    const x0 = pad + (k % cols) * (w * scale + pad);
    const y0 = pad + Math.floor(k / cols) * (h * scale + pad);
    for (let y = 0; y < h * scale; y++) {
      for (let x = 0; x < w * scale; x++) {
        const src = (yy: number, ch: number) => data[((k * c + ch) * h + yy) * w + Math.floor(x / scale)];
        const yy = Math.floor(y / scale);
        const o = ((y0 + y) * width + x0 + x) * 4;
        const r = src(yy, 0);
        const g = c === 3 ? src(yy, 1) : r;
        const b = c === 3 ? src(yy, 2) : r;
        if (Number.isNaN(r) || Number.isNaN(g) || Number.isNaN(b)) {
          rgba[o] = 255; rgba[o + 1] = 0; rgba[o + 2] = 0;
        } else {
          rgba[o] = byte(r); rgba[o + 1] = byte(g); rgba[o + 2] = byte(b);
        }
      }
    }
  }
  return { width, height, rgba };
}

/** Encodes an RGBA image as PNG bytes. */
export function encodePng(image: RgbaImage): Uint8Array {
  const png = new PNG({ width: image.width, height: image.height });
  png.data = Buffer.from(image.rgba.buffer, image.rgba.byteOffset, image.rgba.byteLength);
  return PNG.sync.write(png);
}

/** Writes an RGBA image to a PNG file atomically (no partial file on error). */
export function savePng(path: string, image: RgbaImage): void {
  writeFileAtomic(path, encodePng(image), 'PNG image');
}

/** Tiles `images` (see {@link imageGrid}) and writes them to `path` as PNG. */
export function saveImageGrid(path: string, images: Tensor, options: GridOptions = {}): void {
  savePng(path, imageGrid(images, options));
}

/** Reads a PNG file into RGBA (for tests and for the explorer's comparisons). Errors name the file. */
export function loadPng(path: string): RgbaImage {
  try {
    const png = PNG.sync.read(readFileSync(path));
    return { width: png.width, height: png.height, rgba: new Uint8Array(png.data) };
  } catch (err) {
    throw new Error(`${path}: cannot read PNG: ${(err as Error).message}`, { cause: err });
  }
}
