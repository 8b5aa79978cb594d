import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageGrid, loadPng, saveImageGrid, tensor, zeros } from '../../src/index.js';

test('imageGrid tiles images with padding and writes a PNG that reads back exactly', () => {
  // Two 2x2 gray images: [[0, 1], [0.5, 0.25]] and its negative.
  const imgs = tensor([0, 1, 0.5, 0.25, 1, 0, 0.5, 0.75], { shape: [2, 1, 2, 2] });
  const grid = imageGrid(imgs, { cols: 2, pad: 1, padValue: 0 });
  assert.equal(grid.width, 2 * (2 + 1) + 1);
  assert.equal(grid.height, 1 * (2 + 1) + 1);
  const px = (g: typeof grid, x: number, y: number) => g.rgba[(y * g.width + x) * 4];
  assert.deepEqual([px(grid, 1, 1), px(grid, 2, 1), px(grid, 1, 2), px(grid, 2, 2)], [0, 255, 128, 64]);
  assert.deepEqual([px(grid, 4, 1), px(grid, 5, 1), px(grid, 4, 2), px(grid, 5, 2)], [255, 0, 128, 191]);
  assert.equal(px(grid, 0, 0), 0, 'padding');
  const dir = mkdtempSync(join(tmpdir(), 'latent-png-'));
  const file = join(dir, 'grid.png');
  saveImageGrid(file, imgs, { cols: 2, pad: 1, padValue: 0 });
  const back = loadPng(file);
  assert.equal(back.width, grid.width);
  assert.deepEqual(Array.from(back.rgba), Array.from(grid.rgba));
});

test('flat [N, 784] images are 28x28, upscaling repeats pixels, values are clamped', () => {
  const g = imageGrid(zeros([3, 784]), { pad: 0, scale: 2 });
  assert.equal(g.width, 2 * 28 * 2);
  assert.equal(g.height, 2 * 28 * 2);
  const c = imageGrid(tensor([-1, 2, 0.5, NaN], { shape: [1, 1, 2, 2] }), { pad: 0 });
  assert.deepEqual(Array.from(c.rgba.subarray(0, 16)), [0, 0, 0, 255, 255, 255, 255, 255, 128, 128, 128, 255, 255, 0, 0, 255]);
});

test('bad shapes and options are refused, and no partial file is left', () => {
  assert.throws(() => imageGrid(zeros([2, 5])), /imageGrid: expected images \[N, 1\|3, H, W\] or \[N, D\] with D a square, got \[2, 5\]/);
  assert.throws(() => imageGrid(zeros([1, 4]), { cols: 0 }), /cols must be a positive integer/);
  const dir = mkdtempSync(join(tmpdir(), 'latent-png-'));
  assert.throws(() => saveImageGrid(join(dir, 'x.png'), zeros([2, 5])), /imageGrid/);
  assert.equal(existsSync(join(dir, 'x.png')), false);
  assert.deepEqual(readdirSync(dir), []);
  assert.throws(() => loadPng(join(dir, 'missing.png')), /missing\.png: cannot read PNG/);
});
