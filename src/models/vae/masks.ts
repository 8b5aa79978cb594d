import { Tensor } from '../../tensor/tensor.js';
import type { Generator } from '../../random/generator.js';

/**
 * Which pixels of an image are observed. Masks are float32 tensors
 * [N, C H W] (one row per image, the layout `VAE.flat` uses), 1 = observed,
 * 0 = missing; every channel of a pixel shares its value.
 *
 * - `dropout`: each pixel missing independently with probability `rate`
 *   (missing completely at random);
 * - `block`: one `size` x `size` square missing, its corner uniform over the
 *   positions that keep it inside the image;
 * - `rectangle`: one rectangle missing, height and width each uniform in
 *   [minSize, maxSize], then its corner uniform;
 * - `half`: the named half missing (`top`: rows [0, floor(H/2)), `bottom`
 *   the rest; `left`/`right` likewise for columns), the same for every image;
 *   `top` and `bottom` (and `left` and `right`) partition the image;
 * - `quadrants`: the listed quadrants missing (0 top-left, 1 top-right,
 *   2 bottom-left, 3 bottom-right; split at floor(H/2), floor(W/2));
 * - `random-half`: per image, one of the four halves, uniformly.
 */
export type MaskSpec =
  | { kind: 'dropout'; rate: number }
  | { kind: 'block'; size: number }
  | { kind: 'rectangle'; minSize: number; maxSize: number }
  | { kind: 'half'; side: HalfSide }
  | { kind: 'quadrants'; missing: number[] }
  | { kind: 'random-half' };

export type HalfSide = 'top' | 'bottom' | 'left' | 'right';
export const HALF_SIDES: readonly HalfSide[] = Object.freeze(['top', 'bottom', 'left', 'right']);

/** The grammar `parseMaskSpec` accepts, for messages and --help. */
export const MASK_SPEC_SYNTAX = 'top, bottom, left, right, random:P (each pixel missing with probability P), block:S (an S x S square), rect:A-B (sides from A to B), quadrants:0,3 (0 top-left .. 3 bottom-right) or random-half';

/**
 * Reads a mask from its command-line form: `top` | `bottom` | `left` |
 * `right` (that half missing), `random:0.5` (pixel dropout), `block:14`,
 * `rect:6-14`, `quadrants:0,1`, `random-half`. Throws naming the input.
 *
 * @example
 * parseMaskSpec('random:0.25'); // returns { kind: 'dropout', rate: 0.25 }
 */
export function parseMaskSpec(text: string): MaskSpec {
  const s = text.trim().toLowerCase();
  const bad = (why = '') => new Error(`mask '${text}' is not valid${why}; expected ${MASK_SPEC_SYNTAX}`);
  if ((HALF_SIDES as readonly string[]).includes(s)) return { kind: 'half', side: s as HalfSide };
  if (s === 'random-half') return { kind: 'random-half' };
  const [head, arg, ...rest] = s.split(':');
  if (arg === undefined || rest.length > 0) throw bad();
  const int = (v: string) => (/^\d+$/.test(v) ? Number(v) : NaN);
  let spec: MaskSpec;
  if (head === 'random' || head === 'dropout') {
    spec = { kind: 'dropout', rate: arg.trim() === '' ? NaN : Number(arg) };
  } else if (head === 'block') {
    spec = { kind: 'block', size: int(arg) };
  } else if (head === 'rect') {
    const m = /^(\d+)-(\d+)$/.exec(arg);
    if (!m) throw bad(' (rect needs two sizes like rect:6-14)');
    spec = { kind: 'rectangle', minSize: Number(m[1]), maxSize: Number(m[2]) };
  } else if (head === 'quadrants' || head === 'quadrant') {
    spec = { kind: 'quadrants', missing: arg.split(',').map((v) => int(v.trim())) };
  } else {
    throw bad();
  }
  try {
    validateMaskSpec(spec);
  } catch (e) {
    throw bad(`: ${(e as Error).message}`);
  }
  return spec;
}

/** The command-line form of a spec (inverse of `parseMaskSpec`). */
export function formatMaskSpec(spec: MaskSpec): string {
  switch (spec.kind) {
    case 'dropout': return `random:${spec.rate}`;
    case 'block': return `block:${spec.size}`;
    case 'rectangle': return `rect:${spec.minSize}-${spec.maxSize}`;
    case 'half': return spec.side;
    case 'quadrants': return `quadrants:${spec.missing.join(',')}`;
    case 'random-half': return 'random-half';
  }
}

/** Checks a spec's numbers (independent of the image size), naming the field at fault. */
export function validateMaskSpec(spec: MaskSpec): MaskSpec {
  const posInt = (v: number, name: string) => {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer, got ${v}`);
  };
  switch (spec?.kind) {
    case 'dropout':
      if (!(spec.rate > 0 && spec.rate < 1)) throw new Error(`the dropout rate must be a number in (0, 1), got ${spec.rate}`);
      break;
    case 'block':
      posInt(spec.size, 'the block size');
      break;
    case 'rectangle':
      posInt(spec.minSize, 'minSize');
      posInt(spec.maxSize, 'maxSize');
      if (spec.minSize > spec.maxSize) throw new Error(`minSize ${spec.minSize} is larger than maxSize ${spec.maxSize}`);
      break;
    case 'half':
      if (!HALF_SIDES.includes(spec.side)) throw new Error(`side must be top, bottom, left or right, got ${JSON.stringify(spec.side)}`);
      break;
    case 'quadrants':
      if (!Array.isArray(spec.missing) || spec.missing.length === 0 || spec.missing.some((q) => !Number.isInteger(q) || q < 0 || q > 3)) {
        throw new Error(`quadrants must list numbers 0..3 (0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right), got ${JSON.stringify(spec.missing)}`);
      }
      break;
    case 'random-half':
      break;
    default:
      throw new Error(`unknown mask kind ${JSON.stringify((spec as { kind?: unknown })?.kind)}`);
  }
  return spec;
}

/** Whether a spec draws random numbers (so needs an rng). */
export function maskIsRandom(spec: MaskSpec): boolean {
  return spec.kind === 'dropout' || spec.kind === 'block' || spec.kind === 'rectangle' || spec.kind === 'random-half';
}

function checkShape(shape: readonly number[], n: number): [number, number, number] {
  if (shape.length !== 3 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new Error(`makeMask: imageShape must be [channels, height, width], got [${shape.join(', ')}]`);
  }
  if (!Number.isInteger(n) || n < 0) throw new Error(`makeMask: n must be a non-negative integer, got ${n}`);
  return shape as [number, number, number];
}

/** Sets pixels (rows [y0, y1) x columns [x0, x1)) of image i, every channel, to 0. */
function hide(m: Float32Array, i: number, [c, h, w]: [number, number, number], y0: number, y1: number, x0: number, x1: number): void {
  for (let ch = 0; ch < c; ch++) {
    const base = (i * c + ch) * h * w;
    for (let y = y0; y < y1; y++) m.fill(0, base + y * w + x0, base + y * w + x1);
  }
}

function halfBounds(side: HalfSide, h: number, w: number): [number, number, number, number] {
  const hy = Math.floor(h / 2);
  const hx = Math.floor(w / 2);
  switch (side) {
    case 'top': return [0, hy, 0, w];
    case 'bottom': return [hy, h, 0, w];
    case 'left': return [0, h, 0, hx];
    case 'right': return [0, h, hx, w];
  }
}

/**
 * `n` masks of images [C, H, W] following `spec`, as a float32 tensor
 * [n, C H W], 1 = observed. Random kinds draw from `rng` (same state, same
 * masks); fixed kinds (`half`, `quadrants`) do not use it.
 *
 * @example
 * const m = makeMask({ kind: 'half', side: 'top' }, 16, [1, 28, 28]);   // top 14 rows missing
 * const d = makeMask(parseMaskSpec('random:0.5'), 16, [1, 28, 28], rng);
 */
export function makeMask(spec: MaskSpec, n: number, imageShape: readonly number[], rng?: Generator): Tensor {
  validateMaskSpec(spec);
  const shape = checkShape(imageShape, n);
  const [c, h, w] = shape;
  const d = c * h * w;
  const m = new Float32Array(n * d).fill(1);
  if (maskIsRandom(spec) && !rng) throw new Error(`makeMask: a ${formatMaskSpec(spec)} mask is random and needs an rng`);
  switch (spec.kind) {
    case 'dropout': {
      // One uniform per pixel (shared by its channels), row-major over images.
      const u = rng!.fillUniform01(new Float64Array(n * h * w));
      for (let i = 0; i < n; i++) {
        for (let p = 0; p < h * w; p++) {
          if (u[i * h * w + p] < spec.rate) for (let ch = 0; ch < c; ch++) m[(i * c + ch) * h * w + p] = 0;
        }
      }
      break;
    }
    case 'block':
    case 'rectangle': {
      const [lo, hi] = spec.kind === 'block' ? [spec.size, spec.size] : [spec.minSize, spec.maxSize];
      if (hi > h || hi > w) throw new Error(`makeMask: a ${formatMaskSpec(spec)} mask does not fit in ${h}x${w} images`);
      for (let i = 0; i < n; i++) {
        const bh = lo + rng!.uniformInt(hi - lo + 1);
        const bw = lo + rng!.uniformInt(hi - lo + 1);
        const y0 = rng!.uniformInt(h - bh + 1);
        const x0 = rng!.uniformInt(w - bw + 1);
        hide(m, i, shape, y0, y0 + bh, x0, x0 + bw);
      }
      break;
    }
    case 'half': {
      const [y0, y1, x0, x1] = halfBounds(spec.side, h, w);
      for (let i = 0; i < n; i++) hide(m, i, shape, y0, y1, x0, x1);
      break;
    }
    case 'quadrants': {
      const hy = Math.floor(h / 2);
      const hx = Math.floor(w / 2);
      for (let i = 0; i < n; i++) {
        for (const q of new Set(spec.missing)) {
          const top = q < 2;
          const left = q % 2 === 0;
          hide(m, i, shape, top ? 0 : hy, top ? hy : h, left ? 0 : hx, left ? hx : w);
        }
      }
      break;
    }
    case 'random-half':
      for (let i = 0; i < n; i++) {
        const [y0, y1, x0, x1] = halfBounds(HALF_SIDES[rng!.uniformInt(4)], h, w);
        hide(m, i, shape, y0, y1, x0, x1);
      }
      break;
  }
  return new Tensor(m, [n, d]);
}
