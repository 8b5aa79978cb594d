import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, Tensor, TOY2D_NAMES, sampleToy2d, toy2dEntropy, toy2dLogDensity } from '../../src/index.js';

// Midpoint rule over [-6, 6]^2 with h = 0.05: every toy's mass lies inside
// (the outermost ring, radius 3 with noise 0.1, is 30 standard deviations
// from the edge) and the integrands are Gaussians of width >= 0.1 = 2h, for
// which the rule is accurate to far below the tolerance; the checkerboard's
// square edges fall on cell edges, so its sum is exact.
test('each toy density integrates to 1', () => {
  const h = 0.05;
  const m = Math.round(12 / h);
  const grid = new Float64Array(2 * m * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) {
    grid[2 * (i * m + j)] = -6 + h * (i + 0.5);
    grid[2 * (i * m + j) + 1] = -6 + h * (j + 0.5);
  }
  const x = new Tensor(grid, [m * m, 2]);
  for (const name of TOY2D_NAMES) {
    const lp = toy2dLogDensity(name, x);
    let mass = 0;
    for (const v of lp) mass += Math.exp(v) * h * h;
    assert.ok(Math.abs(mass - 1) < 1e-4, `${name}: mass ${mass}`);
  }
});

test('samples fall where the density is, and the entropy estimate matches closed forms', () => {
  for (const name of TOY2D_NAMES) {
    const x = sampleToy2d(name, 2000, new Generator(1), { dtype: 'float64' });
    assert.deepEqual(x.shape, [2000, 2]);
    for (const v of toy2dLogDensity(name, x)) assert.ok(Number.isFinite(v), `${name}: a sample has log-density ${v}`);
  }
  assert.equal(toy2dEntropy('checkerboard').entropy, Math.log(32));
  // Eight well-separated Gaussians (centres 2.16 apart, std 0.354: overlap ~1e-9):
  // H = log 8 + log(2 pi e s^2) up to that overlap; 5 standard errors.
  const { entropy, stderr } = toy2dEntropy('eight-gaussians', { samples: 50_000, rng: new Generator(2) });
  const exact = Math.log(8) + Math.log(2 * Math.PI * Math.E / 8);
  assert.ok(Math.abs(entropy - exact) < 5 * stderr, `eight-gaussians: ${entropy} +- ${stderr} vs ${exact}`);
  assert.throws(() => sampleToy2d('spirals', 10, new Generator(0)), /unknown toy density 'spirals'.*two-moons/);
});
