import { Tensor } from '../../tensor/tensor.js';
import { slice } from '../../ops/index.js';
import { noGrad } from '../../autograd/mode.js';
import { savePng, type RgbaImage } from '../../io/png.js';
import { symmetricEigen64 } from '../linalg64.js';
import type { VAE } from './vae.js';

/**
 * The posterior means mu(x) of q(z | x[, y]) in float64, [N, latent]
 * row-major, computed in batches (with a flow posterior, the flow's image of
 * the base mean: `VAE.posteriorLocation`, the point reconstructions decode).
 *
 * @example
 * const mu = posteriorMeans(vae, testX);   // Float64Array of N * latent
 */
export function posteriorMeans(vae: VAE, x: Tensor, o: { y?: Tensor; batchSize?: number } = {}): Float64Array {
  const xf = vae.flat(x);
  const n = xf.shape[0];
  const l = vae.config.latent;
  const bs = o.batchSize ?? 500;
  const out = new Float64Array(n * l);
  noGrad(() => {
    for (let s = 0; s < n; s += bs) {
      const e = Math.min(n, s + bs);
      out.set(vae.posteriorLocation(slice(xf, 0, s, e), o.y && slice(o.y, 0, s, e)).data, s * l);
    }
  });
  return out;
}

export type InterpolationMethod = 'linear' | 'spherical';

/**
 * Points from a to b (vectors of length d) at t = i / (steps - 1):
 * linear, (1 - t) a + t b, or spherical (slerp, Shoemake 1985; for latent
 * spaces White 2016, "Sampling Generative Networks"):
 * sin((1 - t) θ) / sin θ a + sin(t θ) / sin θ b with θ the angle between a
 * and b, which keeps the path at a typical distance from the origin under a
 * Gaussian prior; nearly parallel vectors fall back to linear. The endpoints
 * are a and b exactly. Returns [steps, d] row-major.
 */
export function latentPath(a: ArrayLike<number>, b: ArrayLike<number>, steps: number, method: InterpolationMethod = 'linear'): Float64Array {
  if (a.length !== b.length) throw new Error(`latentPath: endpoints have lengths ${a.length} and ${b.length}`);
  if (!Number.isInteger(steps) || steps < 2) throw new Error(`latentPath: steps must be an integer >= 2, got ${steps}`);
  if (method !== 'linear' && method !== 'spherical') throw new Error(`latentPath: method must be 'linear' or 'spherical', got ${JSON.stringify(method)}`);
  const d = a.length;
  let dot = 0, na = 0, nb = 0;
  for (let j = 0; j < d; j++) { dot += a[j] * b[j]; na += a[j] * a[j]; nb += b[j] * b[j]; }
  const theta = Math.acos(Math.min(1, Math.max(-1, dot / Math.sqrt(na * nb))));
  const slerp = method === 'spherical' && na > 0 && nb > 0 && Math.sin(theta) > 1e-6;
  const out = new Float64Array(steps * d);
  for (let i = 0; i < steps; i++) {
    const t = i / (steps - 1);
    const [ca, cb] = i === 0 ? [1, 0] : i === steps - 1 ? [0, 1]
      : slerp ? [Math.sin((1 - t) * theta) / Math.sin(theta), Math.sin(t * theta) / Math.sin(theta)] : [1 - t, t];
    for (let j = 0; j < d; j++) out[i * d + j] = ca * a[j] + cb * b[j];
  }
  return out;
}

/**
 * Decodings along a path in latent space between the posterior means of
 * x1 and x2 (`latentPath`): [B, steps, D] decoder means for B pairs
 * (x1, x2 [B, C, H, W] or [B, D]). The first and last of each row are the
 * decodings of mu(x1) and mu(x2), i.e. the reconstructions. A conditional
 * model encodes x1 with y1 and x2 with y2 and decodes the path with y1.
 *
 * @example
 * const row = interpolate(vae, slice(x, 0, 0, 1), slice(x, 0, 1, 2), 10, { method: 'spherical' });  // [1, 10, 784]
 */
export function interpolate(vae: VAE, x1: Tensor, x2: Tensor, steps: number, o: { method?: InterpolationMethod; y1?: Tensor; y2?: Tensor } = {}): Tensor {
  const a = vae.flat(x1);
  const b = vae.flat(x2);
  if (a.shape[0] !== b.shape[0]) throw new Error(`interpolate: x1 has ${a.shape[0]} images but x2 has ${b.shape[0]}`);
  const n = a.shape[0];
  const l = vae.config.latent;
  const mu1 = posteriorMeans(vae, a, { y: o.y1 });
  const mu2 = posteriorMeans(vae, b, { y: o.y2 ?? o.y1 });
  const z = new Float32Array(n * steps * l);
  for (let i = 0; i < n; i++) z.set(latentPath(mu1.subarray(i * l, (i + 1) * l), mu2.subarray(i * l, (i + 1) * l), steps, o.method), i * steps * l);
  // Decode as [B * steps, latent]; a condition is repeated along each row's path.
  let y: Tensor | undefined;
  if (o.y1) {
    const c = o.y1.shape[1];
    const yd = new Float32Array(n * steps * c);
    for (let i = 0; i < n; i++) for (let s = 0; s < steps; s++) yd.set(o.y1.data.subarray(i * c, (i + 1) * c), (i * steps + s) * c);
    y = new Tensor(yd, [n * steps, c]);
  }
  const means = noGrad(() => vae.mean(new Tensor(z, [n * steps, l]), y));
  return means.reshape([n, steps, vae.dataDim]);
}

/** Principal components of points [n, d] (float64). */
export interface PrincipalComponents {
  /** Column means, [d]. */
  mean: Float64Array;
  /** The top `k` principal directions, unit rows [k, d]; each one's largest-magnitude entry is positive. */
  components: Float64Array;
  /** Variance along each component (eigenvalues of the covariance with divisor n - 1), descending. */
  explainedVariance: Float64Array;
  /** Projections of the centred points on the components, [n, k]. */
  projected: Float64Array;
}

/**
 * Principal component analysis of n points in d dimensions: the
 * eigendecomposition of the d x d sample covariance (float64, symmetric
 * QL of `symmetricEigen64`), top `k` directions. Cheap for latent spaces
 * (d in the tens); the points are read once to form the covariance.
 *
 * @example
 * const p = principalComponents(mu, n, 20);         // p.projected: [n, 2] coordinates for a latent map
 */
export function principalComponents(points: ArrayLike<number>, n: number, d: number, k = 2): PrincipalComponents {
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(d) || d < 1 || points.length !== n * d) {
    throw new Error(`principalComponents: expected n * d = ${n} * ${d} values, got ${points.length}`);
  }
  if (!Number.isInteger(k) || k < 1 || k > d) throw new Error(`principalComponents: k must be an integer in [1, ${d}], got ${k}`);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += points[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  const cov = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = points[i * d + j] - mean[j];
    for (let a = 0; a < d; a++) for (let b = 0; b <= a; b++) cov[a * d + b] += row[a] * row[b];
  }
  const div = Math.max(1, n - 1);
  for (let a = 0; a < d; a++) {
    for (let b = 0; b <= a; b++) {
      cov[a * d + b] /= div;
      cov[b * d + a] = cov[a * d + b];
    }
  }
  const { values, vectors } = symmetricEigen64(cov, d); // ascending
  const components = new Float64Array(k * d);
  const explainedVariance = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    const col = d - 1 - c;
    explainedVariance[c] = Math.max(0, values[col]);
    let big = 0;
    for (let j = 0; j < d; j++) if (Math.abs(vectors[j * d + col]) > Math.abs(big)) big = vectors[j * d + col];
    const sign = big < 0 ? -1 : 1;
    for (let j = 0; j < d; j++) components[c * d + j] = sign * vectors[j * d + col];
  }
  const projected = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (points[i * d + j] - mean[j]) * components[c * d + j];
      projected[i * k + c] = s;
    }
  }
  return { mean, components, explainedVariance, projected };
}

/** Two coordinates per example for a latent map. */
export interface LatentMap {
  /** [n, 2] row-major. */
  points: Float64Array;
  /** 'identity': the two latent dimensions; 'pca': the top two principal components of the means; 'first': latent = 1, second coordinate 0. */
  method: 'identity' | 'pca' | 'first';
  /** The posterior means, [n, latent]. */
  means: Float64Array;
  /** For 'pca': variance along the two components and the total over all dimensions. */
  explainedVariance?: [number, number];
  totalVariance?: number;
}

/**
 * Coordinates of the posterior means of x in two dimensions: the latent
 * itself when latent = 2, else the top two principal components of the
 * means (`principalComponents`).
 *
 * @example
 * const map = latentMap(vae, testX);
 * saveLatentMap('map.png', map.points, test.labels);
 */
export function latentMap(vae: VAE, x: Tensor, o: { y?: Tensor } = {}): LatentMap {
  const means = posteriorMeans(vae, x, o);
  const l = vae.config.latent;
  const n = means.length / l;
  if (l === 2) return { points: means.slice(), method: 'identity', means };
  if (l === 1) return { points: Float64Array.from({ length: 2 * n }, (_, i) => (i % 2 === 0 ? means[i / 2] : 0)), method: 'first', means };
  const p = principalComponents(means, n, l, 2);
  let total = 0;
  for (let j = 0; j < l; j++) {
    let s = 0, s2 = 0;
    for (let i = 0; i < n; i++) { s += means[i * l + j]; s2 += means[i * l + j] ** 2; }
    total += n > 1 ? (s2 - (s * s) / n) / (n - 1) : 0;
  }
  return { points: p.projected, method: 'pca', means, explainedVariance: [p.explainedVariance[0], p.explainedVariance[1]], totalVariance: total };
}

/** matplotlib's 'tab10' colours, one per class (cycled beyond 10), as [r, g, b]. */
export const LABEL_PALETTE: readonly (readonly [number, number, number])[] = Object.freeze([
  [31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
  [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207],
].map((c) => Object.freeze(c as [number, number, number])));

/** Points without a label. */
export const UNLABELED_COLOR: readonly [number, number, number] = Object.freeze([0, 0, 0]);

// A 3 x 5 pixel font for the legend's class numbers: 15 bits per digit, row by row, top bit first.
const DIGITS = [0x7b6f, 0x2c97, 0x73e7, 0x73cf, 0x5bc9, 0x79cf, 0x79ef, 0x7292, 0x7bef, 0x7bcf];

export interface LatentMapPlotOptions {
  /** Side of the square plot area in pixels (default 480). */
  size?: number;
  /** Side of each point's square in pixels (default 3). */
  pointSize?: number;
  /** Classes listed in the legend (default: 1 + the largest label). */
  numClasses?: number;
  /** Draw the legend strip (default: when there are labels). */
  legend?: boolean;
}

/** Geometry of a plot, exposed for tests and the explorer page: where a point lands. */
export interface LatentMapLayout {
  width: number;
  height: number;
  /** Pixel column and row of the centre of a point at (u, v). */
  toPixel(u: number, v: number): [number, number];
  /** Top-left pixel of the legend swatch of class c (when there is a legend). */
  swatch(c: number): [number, number];
  swatchSize: number;
}

const MARGIN = 10;
const FONT_SCALE = 2;

/** The layout `plotLatentMap` uses for these points and options. */
export function latentMapLayout(points: ArrayLike<number>, labels: ArrayLike<number> | null, o: LatentMapPlotOptions = {}): LatentMapLayout {
  const size = o.size ?? 480;
  if (!Number.isInteger(size) || size < 4 * MARGIN) throw new Error(`plotLatentMap: size must be an integer >= ${4 * MARGIN}, got ${size}`);
  const n = points.length / 2;
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < n; i++) {
    const [u, v] = [points[2 * i], points[2 * i + 1]];
    if (!Number.isFinite(u) || !Number.isFinite(v)) continue;
    x0 = Math.min(x0, u); x1 = Math.max(x1, u); y0 = Math.min(y0, v); y1 = Math.max(y1, v);
  }
  if (x0 > x1) [x0, x1, y0, y1] = [-1, 1, -1, 1];
  // One scale for both axes (distances in the picture are distances in the latent space), centred.
  const span = Math.max(x1 - x0, y1 - y0) || 2;
  const inner = size - 2 * MARGIN;
  const scale = inner / span;
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  const toPixel = (u: number, v: number): [number, number] => [
    Math.round(MARGIN + inner / 2 + (u - cx) * scale),
    Math.round(MARGIN + inner / 2 - (v - cy) * scale), // up is positive
  ];
  const classes = legendClasses(labels, o);
  const swatchSize = 5 * FONT_SCALE;
  const digits = Math.max(1, String(Math.max(0, classes - 1)).length);
  const legendWidth = classes > 0 ? MARGIN + swatchSize + 4 + digits * 4 * FONT_SCALE + MARGIN : 0;
  const rowH = swatchSize + 4;
  return {
    width: size + legendWidth,
    height: Math.max(size, classes * rowH + 2 * MARGIN),
    toPixel,
    swatch: (c: number) => [size + MARGIN, MARGIN + c * rowH],
    swatchSize,
  };
}

function legendClasses(labels: ArrayLike<number> | null, o: LatentMapPlotOptions): number {
  if (!labels || o.legend === false) return 0;
  if (o.numClasses !== undefined) return o.numClasses;
  let max = -1;
  for (let i = 0; i < labels.length; i++) max = Math.max(max, labels[i]);
  return max + 1;
}

/**
 * A scatter plot of 2-D latent coordinates [n, 2] as an RGBA image: white
 * background, a grey frame, each point a small square coloured by its label
 * (`LABEL_PALETTE`; black without labels), and a legend strip on the right
 * (a swatch and the class number per class). Axes share one scale; up is
 * the second coordinate increasing.
 *
 * @example
 * savePng('map.png', plotLatentMap(map.points, labels));
 */
export function plotLatentMap(points: ArrayLike<number>, labels: ArrayLike<number> | null, o: LatentMapPlotOptions = {}): RgbaImage {
  if (points.length % 2 !== 0) throw new Error(`plotLatentMap: points must be [n, 2] (an even number of values), got ${points.length}`);
  const n = points.length / 2;
  if (labels && labels.length !== n) throw new Error(`plotLatentMap: ${labels.length} labels for ${n} points`);
  const ps = o.pointSize ?? 3;
  if (!Number.isInteger(ps) || ps < 1) throw new Error(`plotLatentMap: pointSize must be a positive integer, got ${ps}`);
  const layout = latentMapLayout(points, labels, o);
  const { width, height } = layout;
  const size = o.size ?? 480;
  const rgba = new Uint8Array(width * height * 4).fill(255);
  const put = (x: number, y: number, [r, g, b]: readonly number[]) => {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    const k = (y * width + x) * 4;
    rgba[k] = r; rgba[k + 1] = g; rgba[k + 2] = b; rgba[k + 3] = 255;
  };
  const rect = (x: number, y: number, w: number, h: number, c: readonly number[]) => {
    for (let yy = y; yy < y + h; yy++) for (let xx = x; xx < x + w; xx++) put(xx, yy, c);
  };
  const frame = [200, 200, 200];
  rect(MARGIN - 3, MARGIN - 3, size - 2 * MARGIN + 6, 1, frame);
  rect(MARGIN - 3, size - MARGIN + 2, size - 2 * MARGIN + 6, 1, frame);
  rect(MARGIN - 3, MARGIN - 3, 1, size - 2 * MARGIN + 6, frame);
  rect(size - MARGIN + 2, MARGIN - 3, 1, size - 2 * MARGIN + 6, frame);
  const colorOf = (label: number) => (label >= 0 ? LABEL_PALETTE[label % LABEL_PALETTE.length] : UNLABELED_COLOR);
  const half = Math.floor(ps / 2);
  for (let i = 0; i < n; i++) {
    const [u, v] = [points[2 * i], points[2 * i + 1]];
    if (!Number.isFinite(u) || !Number.isFinite(v)) continue;
    const [px, py] = layout.toPixel(u, v);
    rect(px - half, py - half, ps, ps, labels ? colorOf(labels[i]) : UNLABELED_COLOR);
  }
  const classes = legendClasses(labels, o);
  for (let c = 0; c < classes; c++) {
    const [sx, sy] = layout.swatch(c);
    rect(sx, sy, layout.swatchSize, layout.swatchSize, colorOf(c));
    const text = String(c);
    for (let ch = 0; ch < text.length; ch++) {
      const bits = DIGITS[text.charCodeAt(ch) - 48];
      const gx = sx + layout.swatchSize + 4 + ch * 4 * FONT_SCALE;
      for (let r = 0; r < 5; r++) {
        for (let col = 0; col < 3; col++) {
          if ((bits >> (14 - (r * 3 + col))) & 1) rect(gx + col * FONT_SCALE, sy + r * FONT_SCALE, FONT_SCALE, FONT_SCALE, [0, 0, 0]);
        }
      }
    }
  }
  return { width, height, rgba };
}

/** `plotLatentMap` written atomically as PNG. */
export function saveLatentMap(path: string, points: ArrayLike<number>, labels: ArrayLike<number> | null, o: LatentMapPlotOptions = {}): void {
  savePng(path, plotLatentMap(points, labels, o));
}

/**
 * Decoder means on a regular n x n grid over a 2-D latent space
 * (latent = 2 only), z_1 from -radius to radius left to right and z_2 from
 * radius to -radius top to bottom (the orientation of `plotLatentMap`), as
 * [n * n, D] row by row: the "learned manifold" figure of Kingma & Welling
 * 2014 (Fig. 4). A conditional model needs `y` [1, conditionDim], used for every cell.
 *
 * @example
 * saveImageGrid('manifold.png', reshape(latentGrid(vae, { n: 15 }), [225, 1, 28, 28]), { cols: 15 });
 */
export function latentGrid(vae: VAE, o: { n?: number; radius?: number; y?: Tensor } = {}): Tensor {
  if (vae.config.latent !== 2) throw new Error(`latentGrid: needs a 2-D latent space; this model has latent = ${vae.config.latent} (use latentMap for a projection)`);
  const n = o.n ?? 15;
  const r = o.radius ?? 2;
  if (!Number.isInteger(n) || n < 2) throw new Error(`latentGrid: n must be an integer >= 2, got ${n}`);
  if (!(r > 0 && Number.isFinite(r))) throw new Error(`latentGrid: radius must be a positive number, got ${r}`);
  const z = new Float32Array(n * n * 2);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      z[(i * n + j) * 2] = -r + (2 * r * j) / (n - 1);
      z[(i * n + j) * 2 + 1] = r - (2 * r * i) / (n - 1);
    }
  }
  let y: Tensor | undefined;
  if (o.y) {
    const c = o.y.shape[o.y.rank - 1];
    const yd = new Float32Array(n * n * c);
    for (let i = 0; i < n * n; i++) yd.set(o.y.data.subarray(0, c), i * c);
    y = new Tensor(yd, [n * n, c]);
  }
  return noGrad(() => vae.mean(new Tensor(z, [n * n, 2]), y));
}
