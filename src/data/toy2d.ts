// Two-dimensional toy densities for normalizing flows (the benchmarks of
// RealNVP-style and FFJORD-style papers: Grathwohl et al. 2019, fig. 2), each
// with its exact log-density, so a fitted model's test log-likelihood can be
// compared with the target's entropy: E_p[-log q] = H(p) + KL(p || q) >= H(p).
import { Tensor } from '../tensor/tensor.js';
import type { Generator } from '../random/generator.js';
import type { DType } from '../tensor/tensor.js';

/** The toy densities by name. */
export const TOY2D_NAMES = ['two-moons', 'rings', 'eight-gaussians', 'checkerboard'] as const;
export type Toy2dName = (typeof TOY2D_NAMES)[number];

// Two moons: arcs (cos t, sin t) and (1 - cos t, 1/2 - sin t), t ~ U(0, pi),
// centred by (-1/2, -1/4) and scaled by 2, plus N(0, 0.2^2) noise per coordinate.
const MOON_SCALE = 2;
const MOON_NOISE = 0.2;
// Rings: four circles, one picked uniformly, angle uniform, N(0, 0.1^2) noise.
const RING_RADII = [0.75, 1.5, 2.25, 3];
const RING_NOISE = 0.1;
// Eight Gaussians on the circle of radius 2 sqrt 2, standard deviation sqrt(1/8) each.
const GAUSS_RADIUS = 2 * Math.SQRT2;
const GAUSS_STD = Math.sqrt(1 / 8);
// Checkerboard: uniform on the 8 squares (side 2) of a 4x4 board on [-4, 4]^2 whose row + column is even.
const BOARD_SIDE = 2;
const BOARD_AREA = 8 * BOARD_SIDE * BOARD_SIDE;

function checkName(fn: string, name: string): Toy2dName {
  if (!(TOY2D_NAMES as readonly string[]).includes(name)) {
    throw new Error(`${fn}: unknown toy density '${name}'; expected one of ${TOY2D_NAMES.join(', ')}`);
  }
  return name as Toy2dName;
}

function moonPoint(moon: number, t: number): [number, number] {
  const x = moon === 0 ? Math.cos(t) : 1 - Math.cos(t);
  const y = moon === 0 ? Math.sin(t) : 0.5 - Math.sin(t);
  return [MOON_SCALE * (x - 0.5), MOON_SCALE * (y - 0.25)];
}

/**
 * n draws from a toy density, as a tensor [n, 2].
 *
 * @example
 * const x = sampleToy2d('two-moons', 1000, new Generator(0));   // [1000, 2]
 */
export function sampleToy2d(name: string, n: number, rng: Generator, options: { dtype?: DType } = {}): Tensor {
  const toy = checkName('sampleToy2d', name);
  if (!Number.isInteger(n) || n < 1) throw new Error(`sampleToy2d: n must be a positive integer, got ${n}`);
  const dtype = options.dtype ?? 'float32';
  const out = dtype === 'float64' ? new Float64Array(2 * n) : new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    let px: number;
    let py: number;
    switch (toy) {
      case 'two-moons': {
        const moon = rng.uniformInt(2);
        [px, py] = moonPoint(moon, Math.PI * rng.uniform01());
        px += MOON_NOISE * rng.normal01();
        py += MOON_NOISE * rng.normal01();
        break;
      }
      case 'rings': {
        const r = RING_RADII[rng.uniformInt(RING_RADII.length)];
        const a = 2 * Math.PI * rng.uniform01();
        px = r * Math.cos(a) + RING_NOISE * rng.normal01();
        py = r * Math.sin(a) + RING_NOISE * rng.normal01();
        break;
      }
      case 'eight-gaussians': {
        const a = (2 * Math.PI * rng.uniformInt(8)) / 8;
        px = GAUSS_RADIUS * Math.cos(a) + GAUSS_STD * rng.normal01();
        py = GAUSS_RADIUS * Math.sin(a) + GAUSS_STD * rng.normal01();
        break;
      }
      case 'checkerboard': {
        // One of the 8 black squares, then a uniform point in it.
        const k = rng.uniformInt(8);
        const row = Math.floor(k / 2);
        const col = 2 * (k % 2) + (row % 2);
        px = -4 + BOARD_SIDE * (col + rng.uniform01());
        py = -4 + BOARD_SIDE * (row + rng.uniform01());
        break;
      }
    }
    out[2 * i] = px;
    out[2 * i + 1] = py;
  }
  return new Tensor(out, [n, 2]);
}

function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

// log of the exponentially scaled Bessel function I0(z) e^-z, z >= 0
// (Abramowitz & Stegun 9.8.1-9.8.2; relative error < 2e-7).
function logBesselI0e(z: number): number {
  if (z < 3.75) {
    const t = (z / 3.75) ** 2;
    const i0 = 1 + t * (3.5156229 + t * (3.0899424 + t * (1.2067492 + t * (0.2659732 + t * (0.0360768 + t * 0.0045813)))));
    return Math.log(i0) - z;
  }
  const t = 3.75 / z;
  const p = 0.39894228 + t * (0.01328592 + t * (0.00225319 + t * (-0.00157565 + t * (0.00916281 + t * (-0.02057706 + t * (0.02635537 + t * (-0.01647633 + t * 0.00392377)))))));
  return Math.log(p) - 0.5 * Math.log(z);
}

const MOON_NODES = 1024;
let moonNodes: Float64Array | null = null;

/**
 * The exact log-density of a toy at each row of `x` [n, 2] (nats), as a
 * Float64Array of n values. Two moons integrate the noise over the arcs by
 * the midpoint rule (1,024 nodes per arc, spacing 0.006 against noise 0.2:
 * error below 1e-6); rings use the closed form with the Bessel function I0.
 */
export function toy2dLogDensity(name: string, x: Tensor): Float64Array {
  const toy = checkName('toy2dLogDensity', name);
  if (x.shape.length !== 2 || x.shape[1] !== 2) throw new Error(`toy2dLogDensity: x must have shape [n, 2], got [${x.shape.join(', ')}]`);
  const d = x.data;
  const n = x.shape[0];
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const px = d[2 * i];
    const py = d[2 * i + 1];
    switch (toy) {
      case 'two-moons': {
        if (!moonNodes) {
          moonNodes = new Float64Array(4 * MOON_NODES);
          for (let m = 0; m < 2; m++) {
            for (let j = 0; j < MOON_NODES; j++) {
              const [cx, cy] = moonPoint(m, (Math.PI * (j + 0.5)) / MOON_NODES);
              moonNodes[2 * (m * MOON_NODES + j)] = cx;
              moonNodes[2 * (m * MOON_NODES + j) + 1] = cy;
            }
          }
        }
        const v = MOON_NOISE * MOON_NOISE;
        let best = Infinity;
        for (let j = 0; j < 2 * MOON_NODES; j++) best = Math.min(best, (px - moonNodes[2 * j]) ** 2 + (py - moonNodes[2 * j + 1]) ** 2);
        let s = 0;
        for (let j = 0; j < 2 * MOON_NODES; j++) s += Math.exp(-(((px - moonNodes[2 * j]) ** 2 + (py - moonNodes[2 * j + 1]) ** 2) - best) / (2 * v));
        out[i] = Math.log(s / (2 * MOON_NODES)) - best / (2 * v) - Math.log(2 * Math.PI * v);
        break;
      }
      case 'rings': {
        const v = RING_NOISE * RING_NOISE;
        const rho = Math.hypot(px, py);
        let lp = -Infinity;
        for (const r of RING_RADII) {
          // (1/2pi) int N(x; r u(a), v I) da = exp(-(rho^2 + r^2) / 2v) I0(rho r / v) / (2 pi v)
          const term = -((rho - r) ** 2) / (2 * v) + logBesselI0e((rho * r) / v) - Math.log(2 * Math.PI * v);
          lp = logAddExp(lp, term - Math.log(RING_RADII.length));
        }
        out[i] = lp;
        break;
      }
      case 'eight-gaussians': {
        const v = GAUSS_STD * GAUSS_STD;
        let lp = -Infinity;
        for (let k = 0; k < 8; k++) {
          const a = (2 * Math.PI * k) / 8;
          const q = (px - GAUSS_RADIUS * Math.cos(a)) ** 2 + (py - GAUSS_RADIUS * Math.sin(a)) ** 2;
          lp = logAddExp(lp, -q / (2 * v) - Math.log(2 * Math.PI * v) - Math.log(8));
        }
        out[i] = lp;
        break;
      }
      case 'checkerboard': {
        const col = Math.floor((px + 4) / BOARD_SIDE);
        const row = Math.floor((py + 4) / BOARD_SIDE);
        const inside = col >= 0 && col < 4 && row >= 0 && row < 4 && (row + col) % 2 === 0;
        out[i] = inside ? -Math.log(BOARD_AREA) : -Infinity;
        break;
      }
    }
  }
  return out;
}

/**
 * The differential entropy H(p) = -E_p[log p(x)] of a toy in nats: exact for
 * the checkerboard (log of its area, 32), otherwise a Monte Carlo estimate
 * over `samples` draws (default 200,000, seed 0) with its standard error.
 * The best possible test log-likelihood of any model is -H(p).
 */
export function toy2dEntropy(name: string, options: { samples?: number; rng?: Generator } = {}): { entropy: number; stderr: number } {
  const toy = checkName('toy2dEntropy', name);
  if (toy === 'checkerboard') return { entropy: Math.log(BOARD_AREA), stderr: 0 };
  const n = options.samples ?? 200_000;
  if (!options.rng) throw new Error('toy2dEntropy: pass options.rng (a Generator) for the Monte Carlo estimate');
  const lp = toy2dLogDensity(toy, sampleToy2d(toy, n, options.rng, { dtype: 'float64' }));
  let mean = 0;
  for (let i = 0; i < n; i++) mean += lp[i];
  mean /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (lp[i] - mean) ** 2;
  return { entropy: -mean, stderr: Math.sqrt(v / (n - 1) / n) };
}
