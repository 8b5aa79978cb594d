// Pictures of 2-D densities: log-densities on a square grid, drawn side by
// side as heat maps (target or data histogram | learned), for density.png.
import { Tensor } from '../../tensor/tensor.js';
import type { RgbaImage } from '../../io/index.js';

/** A square window of the plane: [low, high] on both axes. */
export interface GridWindow {
  /** Pixels per side (default 128). */
  size?: number;
  /** The window [low, high] on both axes (default [-4, 4]). */
  range?: [number, number];
}

function windowOf(o: GridWindow): { size: number; lo: number; hi: number } {
  const size = o.size ?? 128;
  const [lo, hi] = o.range ?? [-4, 4];
  if (!Number.isInteger(size) || size < 2) throw new Error(`density grid: size must be an integer >= 2, got ${size}`);
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && hi > lo)) throw new Error(`density grid: range must be [low, high] with low < high, got [${lo}, ${hi}]`);
  return { size, lo, hi };
}

/**
 * The centres of a size x size grid of pixels over the window, as [size^2, 2]
 * points, row by row from the top (largest y) so pixel (row, col) is point
 * row * size + col.
 *
 * @example
 * const pts = gridPoints({ size: 64 });   // [4096, 2]
 */
export function gridPoints(o: GridWindow = {}): Tensor {
  const { size, lo, hi } = windowOf(o);
  const step = (hi - lo) / size;
  const out = new Float32Array(2 * size * size);
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      out[2 * (r * size + c)] = lo + (c + 0.5) * step;
      out[2 * (r * size + c) + 1] = hi - (r + 0.5) * step;
    }
  }
  return new Tensor(out, [size * size, 2]);
}

/**
 * log of a normalized 2-D histogram of points [N, 2] on the grid of
 * `gridPoints` (the density of the empirical distribution smoothed to
 * pixels; -Infinity in empty pixels).
 */
export function histogramLogDensity(points: Tensor, o: GridWindow = {}): Float64Array {
  if (points.rank !== 2 || points.shape[1] !== 2) throw new Error(`histogramLogDensity: points must be [N, 2], got [${points.shape.join(', ')}]`);
  const { size, lo, hi } = windowOf(o);
  const step = (hi - lo) / size;
  const counts = new Float64Array(size * size);
  const n = points.shape[0];
  for (let i = 0; i < n; i++) {
    const c = Math.floor((points.data[2 * i] - lo) / step);
    const r = Math.floor((hi - points.data[2 * i + 1]) / step);
    if (c >= 0 && c < size && r >= 0 && r < size) counts[r * size + c]++;
  }
  return counts.map((k) => Math.log(k / (n * step * step)));
}

// Anchors of a dark-to-light heat map (black, purple, red-orange, pale yellow).
const ANCHORS: [number, number, number][] = [[0, 0, 4], [80, 18, 123], [182, 54, 121], [251, 136, 97], [252, 253, 191]];

function heat(t: number): [number, number, number] {
  const u = Math.min(Math.max(t, 0), 1) * (ANCHORS.length - 1);
  const i = Math.min(Math.floor(u), ANCHORS.length - 2);
  const f = u - i;
  const a = ANCHORS[i];
  const b = ANCHORS[i + 1];
  return [Math.round(a[0] + f * (b[0] - a[0])), Math.round(a[1] + f * (b[1] - a[1])), Math.round(a[2] + f * (b[2] - a[2]))];
}

/**
 * Heat maps of log-densities on size x size grids (`gridPoints` order), side
 * by side with `pad` gray pixels between them. Each panel is scaled to its
 * own maximum density (color = p / max p), so shapes compare, not heights.
 *
 * @example
 * savePng('density.png', densityPanels([toy2dLogDensity('rings', pts), learned], 128));
 */
export function densityPanels(panels: readonly Float64Array[], size: number, options: { pad?: number } = {}): RgbaImage {
  const pad = options.pad ?? 4;
  if (panels.length === 0) throw new Error('densityPanels: no panels');
  for (const p of panels) if (p.length !== size * size) throw new Error(`densityPanels: each panel must hold size^2 = ${size * size} values, got ${p.length}`);
  const width = panels.length * size + (panels.length + 1) * pad;
  const height = size + 2 * pad;
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = 128;
    rgba[4 * i + 3] = 255;
  }
  panels.forEach((lp, k) => {
    let max = -Infinity;
    for (const v of lp) if (v > max) max = v;
    const x0 = pad + k * (size + pad);
    for (let r = 0; r < size; r++) {
      for (let c = 0; c < size; c++) {
        const v = lp[r * size + c];
        // NaN shows as red, like imageGrid.
        const rgb: [number, number, number] = Number.isNaN(v) ? [255, 0, 0] : heat(Number.isFinite(max) ? Math.exp(v - max) : 0);
        const o = ((pad + r) * width + x0 + c) * 4;
        rgba[o] = rgb[0];
        rgba[o + 1] = rgb[1];
        rgba[o + 2] = rgb[2];
      }
    }
  });
  return { width, height, rgba };
}
