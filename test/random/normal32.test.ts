// The float32 normal sampler: Box–Muller with the boxMuller32 kernel's own
// logarithm and sine/cosine polynomials (src/kernels/cpu/normal.ts), which
// must equal the correctly rounded float32 of the libm-based Box–Muller of
// the same words (Math.log/cos/sin in double, then Math.fround): exactly in
// all 4 million outputs checked here (the polynomials are within a few
// double ulps, so a float32 rounding could flip only about once in 10^8).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, randn } from '../../src/index.js';
import { boxMuller32, logScaledInteger } from '../../src/kernels/cpu/normal.js';
import { philox } from '../../src/kernels/cpu/random.js';

test('boxMuller32 equals the float32 rounding of libm Box–Muller on 4 million outputs', () => {
  const n = 4_000_000;
  const w = new Uint32Array(2 * n);
  philox(7, 9, 0, w);
  const out = new Float32Array(n);
  boxMuller32(w, out);
  let differ = 0;
  for (let i = 0, j = 0; i < n; i += 2, j += 4) {
    const u1 = 1 - ((w[j] >>> 5) * 67108864 + (w[j + 1] >>> 6)) * 2 ** -53;
    const u2 = ((w[j + 2] >>> 5) * 67108864 + (w[j + 3] >>> 6)) * 2 ** -53;
    const r = Math.sqrt(-2 * Math.log(u1));
    if (out[i] !== Math.fround(r * Math.cos(2 * Math.PI * u2))) differ++;
    if (out[i + 1] !== Math.fround(r * Math.sin(2 * Math.PI * u2))) differ++;
  }
  assert.equal(differ, 0);
});

test('the kernel logarithm is within 2 double ulps of Math.log over the whole range, including u1 = 1 and the smallest u1', () => {
  assert.equal(logScaledInteger(2 ** 53), 0);
  assert.equal(logScaledInteger(1), -53 * Math.LN2);
  const ks = [2 ** 53 - 1, 2 ** 53 - 2, 2 ** 52, 2 ** 52 + 1, 3, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1];
  for (let k = 1; k < 2 ** 53; k = Math.floor(k * 1.0137) + 1) ks.push(k);
  for (const k of ks) {
    const ref = Math.log(k * 2 ** -53);
    const ulp = 2 ** (Math.floor(Math.log2(Math.abs(ref) || 1)) - 52);
    assert.ok(Math.abs(logScaledInteger(k) - ref) <= 2 * ulp, `k = ${k}: ${logScaledInteger(k)} vs ${ref}`);
  }
});

test('float32 randn consumes the words float64 randn does and rounds the same normals', () => {
  const a = randn([1001], new Generator(5));
  const g = new Generator(5);
  const b = randn([1001], g, { dtype: 'float64' });
  for (let i = 0; i < 1001; i++) assert.equal(a.data[i], Math.fround(b.data[i]));
  // Both drew 4 * 501 words: the generators continue identically.
  const h = new Generator(5);
  randn([1001], h);
  assert.equal(h.nextUint32(), g.nextUint32());
});
