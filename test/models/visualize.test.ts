// Pictures of a VAE: interpolation paths, PCA for the latent map (against a
// closed form), the map's PNG (sizes and colours read back), the latent grid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as L from '../../src/index.js';
import { assertClose } from '../helpers.js';

const { test: testSplit } = L.loadDataset('mnist');
const x = L.flattenImages(L.subsetDataset(testSplit!, Array.from({ length: 200 }, (_, i) => i)));
const labels = testSplit!.labels!.subarray(0, 200);
const config = (latent: number): L.VaeConfig => ({ ...L.defaultVaeConfig, hidden: [32], latent });
const dir = mkdtempSync(join(tmpdir(), 'latent-visualize-'));

test('interpolation endpoints are the decodings of the posterior means; the midpoint is the decoded average', () => {
  const vae = new L.VAE(config(6), new L.Generator(1));
  const [x1, x2] = [L.slice(x, 0, 0, 3), L.slice(x, 0, 3, 6)];
  const path = L.interpolate(vae, x1, x2, 5);
  assert.deepEqual(path.shape, [3, 5, 784]);
  const row = (i: number, s: number) => path.data.subarray((i * 5 + s) * 784, (i * 5 + s + 1) * 784);
  const r1 = vae.reconstruct(x1).data;
  const r2 = vae.reconstruct(x2).data;
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(row(i, 0), r1.subarray(i * 784, (i + 1) * 784), `pair ${i}: first = decoder mean at mu(x1)`);
    assert.deepEqual(row(i, 4), r2.subarray(i * 784, (i + 1) * 784), `pair ${i}: last = decoder mean at mu(x2)`);
  }
  const mu = (t: L.Tensor) => vae.posterior(t).mu;
  const mid = vae.mean(L.mul(L.add(mu(x1), mu(x2)), 0.5)).data;
  // The path's midpoint is computed in float64, the check's in float32: agreement to float32 rounding.
  assertClose(Array.from({ length: 3 * 784 }, (_, k) => row(Math.floor(k / 784), 2)[k % 784]), mid, 1e-5, 0, 'midpoint');
  const sph = L.interpolate(vae, x1, x2, 5, { method: 'spherical' });
  assert.deepEqual(sph.data.subarray(0, 784), row(0, 0));
});

test('latentPath: linear and spherical against their formulas', () => {
  const a = [3, 0];
  const b = [0, 3];
  const lin = L.latentPath(a, b, 3);
  assert.deepEqual(Array.from(lin), [3, 0, 1.5, 1.5, 0, 3]);
  // Slerp between orthogonal vectors of norm 3 stays on the circle of radius 3: the midpoint is 3 (cos 45°, sin 45°).
  const sph = L.latentPath(a, b, 3, 'spherical');
  assertClose(sph, [3, 0, 3 / Math.SQRT2, 3 / Math.SQRT2, 0, 3], 1e-12);
  const q = L.latentPath(a, b, 7, 'spherical');
  for (let i = 0; i < 7; i++) assertClose([Math.hypot(q[2 * i], q[2 * i + 1])], [3], 1e-12, 0, `norm at step ${i}`);
  // Parallel vectors: slerp is undefined and falls back to the straight line.
  assert.deepEqual(Array.from(L.latentPath([1, 1], [2, 2], 3, 'spherical')), [1, 1, 1.5, 1.5, 2, 2]);
  assert.throws(() => L.latentPath(a, b, 1), /steps must be an integer >= 2/);
});

test('PCA of a known 3-D cloud recovers the top-2 subspace and variances of the closed form', () => {
  // Points ±a u1, ±b u2, ±c u3 (6 points, mean 0) along an orthonormal basis: the covariance (divisor
  // n - 1 = 5) is exactly 2a²/5 u1 u1ᵀ + 2b²/5 u2 u2ᵀ + 2c²/5 u3 u3ᵀ.
  const s = 1 / Math.sqrt(2), t = 1 / Math.sqrt(3), r = 1 / Math.sqrt(6);
  const u = [[t, t, t], [s, -s, 0], [r, r, -2 * r]];
  const [a, b, c] = [3, 2, 0.5];
  const center = [1, -2, 0.5];
  const pts: number[] = [];
  for (const [k, len] of [[0, a], [1, b], [2, c]] as const) {
    for (const sign of [1, -1]) pts.push(...u[k].map((v, j) => center[j] + sign * len * v));
  }
  const p = L.principalComponents(pts, 6, 3);
  assertClose(p.mean, center, 1e-14, 0, 'mean');
  assertClose(p.explainedVariance, [(2 * a * a) / 5, (2 * b * b) / 5], 1e-12, 0, 'variances');
  for (let k = 0; k < 2; k++) {
    const comp = Array.from(p.components.subarray(3 * k, 3 * k + 3));
    const dot = comp.reduce((acc, v, j) => acc + v * u[k][j], 0);
    assert.ok(Math.abs(Math.abs(dot) - 1) < 1e-12, `component ${k} is ±u${k + 1} (|dot| ${Math.abs(dot)})`);
  }
  // Projections: ±a on the first axis for the first pair, ±b on the second for the second, 0 for the third pair.
  const proj = Array.from(p.projected).map((v) => Math.abs(v));
  assertClose(proj, [a, 0, a, 0, 0, b, 0, b, 0, 0, 0, 0], 1e-12, 0, 'projections');

  // A random cloud: the projector on the top-2 subspace matches that of the generating axes.
  const rng = new L.Generator(3);
  const n = 20000;
  const cloud = new Float64Array(n * 3);
  const sd = [3, 2, 0.5];
  for (let i = 0; i < n; i++) {
    const g = [0, 1, 2].map((k) => sd[k] * rng.normal01());
    for (let j = 0; j < 3; j++) cloud[i * 3 + j] = g[0] * u[0][j] + g[1] * u[1][j] + g[2] * u[2][j];
  }
  const q = L.principalComponents(cloud, n, 3);
  const proj2 = (v: number[][]) => [0, 1, 2].flatMap((i) => [0, 1, 2].map((j) => v[0][i] * v[0][j] + v[1][i] * v[1][j]));
  const got = proj2([Array.from(q.components.subarray(0, 3)), Array.from(q.components.subarray(3, 6))]);
  // Sampling error of the directions is about sd3 / sd2 / sqrt(n) ~ 0.002.
  assertClose(got, proj2(u), 0.01, 0, 'top-2 projector');
  assertClose(q.explainedVariance, [9, 4], 0, 0.05, 'variances');
});

test('latentMap: the latent itself for latent = 2, principal components otherwise', () => {
  const two = new L.VAE(config(2), new L.Generator(2));
  const m2 = L.latentMap(two, x);
  assert.equal(m2.method, 'identity');
  assertClose(m2.points, two.posterior(x).mu.data, 0, 0, 'points = means');
  const five = new L.VAE(config(5), new L.Generator(2));
  const m5 = L.latentMap(five, x);
  assert.equal(m5.method, 'pca');
  assert.equal(m5.points.length, 400);
  assert.ok(m5.explainedVariance![0] >= m5.explainedVariance![1] && m5.explainedVariance![0] + m5.explainedVariance![1] <= m5.totalVariance! * (1 + 1e-9));
  assertClose(m5.points, L.principalComponents(m5.means, 200, 5).projected, 0, 0, 'points = PCA projections');
});

test('the latent map PNG has the expected size, background, point and legend colours', () => {
  const pts = [0, 0, 1, 0, 0, 1, 1, 1];
  const lab = [0, 1, 2, 9];
  const file = join(dir, 'map.png');
  L.saveLatentMap(file, pts, lab, { size: 200, pointSize: 5 });
  const img = L.loadPng(file);
  const layout = L.latentMapLayout(pts, lab, { size: 200 });
  // Legend strip: margin 10 + swatch 10 + gap 4 + one digit (8 px) + margin 10.
  assert.equal(img.width, 200 + 42);
  assert.equal(img.height, 200);
  assert.deepEqual([layout.width, layout.height], [img.width, img.height]);
  const at = (px: number, py: number) => Array.from(img.rgba.subarray((py * img.width + px) * 4, (py * img.width + px) * 4 + 4));
  for (let i = 0; i < 4; i++) {
    const [px, py] = layout.toPixel(pts[2 * i], pts[2 * i + 1]);
    assert.deepEqual(at(px, py), [...L.LABEL_PALETTE[lab[i]], 255], `point ${i} at (${px}, ${py})`);
    assert.deepEqual(at(px + 2, py - 2), [...L.LABEL_PALETTE[lab[i]], 255], `point ${i} is a 5 x 5 square`);
  }
  // Up is the second coordinate increasing; one scale for both axes.
  assert.ok(layout.toPixel(0, 1)[1] < layout.toPixel(0, 0)[1]);
  assert.equal(layout.toPixel(1, 0)[0] - layout.toPixel(0, 0)[0], layout.toPixel(0, 0)[1] - layout.toPixel(0, 1)[1]);
  assert.deepEqual(at(100, 100), [255, 255, 255, 255], 'white background');
  for (let c = 0; c < 10; c++) {
    const [sx, sy] = layout.swatch(c);
    assert.deepEqual(at(sx + 5, sy + 5), [...L.LABEL_PALETTE[c], 255], `legend swatch ${c}`);
  }
  // The legend's "1" glyph: its stem (middle column of the 3 x 5 font, scaled by 2) is black.
  const [sx1, sy1] = layout.swatch(1);
  assert.deepEqual(at(sx1 + 10 + 4 + 2, sy1 + 4), [0, 0, 0, 255]);
  // Without labels: black points, no legend.
  const plain = L.plotLatentMap(pts, null, { size: 200 });
  assert.equal(plain.width, 200);
  const [qx, qy] = L.latentMapLayout(pts, null, { size: 200 }).toPixel(1, 1);
  assert.deepEqual(Array.from(plain.rgba.subarray((qy * 200 + qx) * 4, (qy * 200 + qx) * 4 + 4)), [0, 0, 0, 255]);
  assert.throws(() => L.plotLatentMap([0, 0, 1], null), /even number of values/);
  assert.throws(() => L.plotLatentMap(pts, [0, 1]), /2 labels for 4 points/);
});

test('a latent map of real digits is written with every point inside the frame', () => {
  const vae = new L.VAE(config(3), new L.Generator(4));
  const map = L.latentMap(vae, x);
  const img = L.plotLatentMap(map.points, labels, { size: 160 });
  const layout = L.latentMapLayout(map.points, labels, { size: 160 });
  for (let i = 0; i < 200; i++) {
    const [px, py] = layout.toPixel(map.points[2 * i], map.points[2 * i + 1]);
    // The frame lines are at 7 and 152; a 3-pixel point centred in [10, 150] stays inside.
    assert.ok(px >= 10 && px <= 150 && py >= 10 && py <= 150, `point ${i} at (${px}, ${py})`);
  }
  assert.equal(img.height, 160);
});

test('latentGrid decodes a regular grid over a 2-D latent space, row by row from the top', () => {
  const vae = new L.VAE(config(2), new L.Generator(5));
  const grid = L.latentGrid(vae, { n: 5, radius: 2 });
  assert.deepEqual(grid.shape, [25, 784]);
  const cell = (i: number, j: number) => grid.data.subarray((i * 5 + j) * 784, (i * 5 + j + 1) * 784);
  assert.deepEqual(cell(2, 2), vae.mean(L.tensor([[0, 0]])).data, 'centre: z = 0');
  assert.deepEqual(cell(0, 4), vae.mean(L.tensor([[2, 2]])).data, 'top right: z = (2, 2)');
  assert.deepEqual(cell(4, 0), vae.mean(L.tensor([[-2, -2]])).data, 'bottom left: z = (-2, -2)');
  const file = join(dir, 'grid.png');
  L.saveImageGrid(file, L.reshape(grid, [25, 1, 28, 28]), { cols: 5 });
  assert.equal(L.loadPng(file).width, 5 * 30 + 2);
  assert.throws(() => L.latentGrid(new L.VAE(config(3), new L.Generator(0))), /needs a 2-D latent space; this model has latent = 3/);
});
