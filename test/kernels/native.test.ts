// The native kernels (native/, C++ through Node-API) against the TypeScript
// kernels, which define the semantics: every kernel, float32 and float64,
// random inputs with fixed seeds plus the special values (NaN, ±inf, ±0),
// and for GEMM every instruction-set path this CPU has (AVX-512, AVX2,
// portable), many shapes including the edges of the tiles, offsets,
// accumulation and all transposes; determinism (bit-identical reruns, and
// the same bits with LATENT_THREADS=2); argument checking; a flat resident
// size over many calls.
//
// Tolerances and why:
// - float64 GEMM: 1e-12 relative to sum_p |a_ip b_pj| (the summation order
//   differs: FMA chains split at cache blocks against the TypeScript order).
// - float32 GEMM: 1e-5 relative to the same (native accumulates in float32
//   with FMA, the TypeScript kernel in float64 and rounds once).
// - float64 sums: 1e-12 relative to sum |x| (eight partial sums natively).
// - transcendental float64 unary ops and pow: 1e-12 relative (glibc against
//   V8's fdlibm port, both within an ulp or so); float32: one float32 ulp
//   (both compute in double and round, so they differ only when the two
//   libms straddle a rounding boundary).
// - everything else: the same bits.
//
// Skips with a message when the addon is not built, unless
// LATENT_REQUIRE_NATIVE=1 (CI), where a missing addon fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nativeStatus, philox4x32, setNativeIsa, type ConvGeometry, type Kernels, type KernelName } from '../../src/index.js';
import { detectedNativeIsa } from '../../src/kernels/native.js';
import { kernelFor } from '../../src/kernels/registry.js';
import { lcg } from '../helpers.js';

const status = nativeStatus();
const required = process.env.LATENT_REQUIRE_NATIVE === '1';
const skip = status.loaded ? false : `native kernels not built (${status.reason}); run \`node scripts/build-native.mjs\``;

test('the native addon is loaded when LATENT_REQUIRE_NATIVE=1', { skip: !required }, () => {
  assert.ok(status.loaded, `LATENT_REQUIRE_NATIVE=1 but: ${status.reason}`);
  assert.ok(['avx512', 'avx2', 'scalar'].includes(status.isa));
});

type F = Float32Array | Float64Array;
type Ctor = Float32ArrayConstructor | Float64ArrayConstructor;
const dtypes: [string, Ctor][] = [['float32', Float32Array], ['float64', Float64Array]];

function js<K extends KernelName>(name: K): Kernels[K] {
  const fn = kernelFor(name, 'js');
  assert.ok(fn, `no js kernel ${name}`);
  return fn;
}
function nat<K extends KernelName>(name: K): Kernels[K] {
  const fn = kernelFor(name, 'native');
  assert.ok(fn, `no native kernel ${name}`);
  return fn;
}

function random(C: Ctor, n: number, seed: number, lo = -1, hi = 1): F {
  const r = lcg(seed);
  const out = new C(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * r();
  return out;
}

/** Random values with the special ones sprinkled in. */
function withSpecials(C: Ctor, n: number, seed: number, lo = -4, hi = 4): F {
  const out = random(C, n, seed, lo, hi);
  const specials = [0, -0, NaN, Infinity, -Infinity, 1, -1, 1e-30, -1e-30, 50, -50, 800, -800, 0.5];
  for (let i = 0; i < n; i += 7) out[i] = specials[(i / 7) % specials.length];
  return out;
}

function ulp32(x: number): number {
  const a = Math.abs(x);
  if (a < 1.1754943508222875e-38) return 1.401298464324817e-45;
  return 2 ** (Math.floor(Math.log2(a)) - 23);
}

/** Same bits, or within `rel` relative (float64) / `ulps` float32 ulps (float32). */
function assertAgree(actual: F, expected: F, label: string, rel = 0, ulps = 0): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i], e = expected[i];
    if (Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e))) continue;
    const tol = expected instanceof Float32Array ? ulps * ulp32(e) : rel * Math.abs(e);
    assert.ok(Math.abs(a - e) <= tol, `${label}: entry ${i}: native ${a}, TypeScript ${e}`);
  }
}

// ---------------------------------------------------------------------------
// GEMM

/** sum_p |op(A)_ip| |op(B)_pj|: the scale of the rounding error of each entry of C. */
function magnitude(tA: boolean, tB: boolean, m: number, n: number, k: number, a: F, ao: number, b: F, bo: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const x = Math.abs(a[ao + (tA ? p * m + i : i * k + p)]);
      for (let j = 0; j < n; j++) out[i * n + j] += x * Math.abs(b[bo + (tB ? j * k + p : p * n + j)]);
    }
  }
  return out;
}

const gemmShapes: [number, number, number][] = [
  [1, 1, 1], [1, 7, 3], [5, 1, 9], [3, 4, 1], [2, 3, 0], [0, 4, 5], [4, 0, 5],
  [14, 32, 16], [15, 33, 17], [13, 31, 255], [28, 64, 257], [6, 16, 8], [7, 17, 9],
  [29, 47, 100], [128, 20, 400], [20, 128, 30], [300, 517, 129],
];

function gemmCase(C: Ctor, tA: boolean, tB: boolean, m: number, n: number, k: number, accumulate: boolean, seed: number): void {
  const ao = 3, bo = 1, co = 5, pad = 4;
  const a = random(C, ao + m * k + pad, seed);
  const b = random(C, bo + k * n + pad, seed + 1);
  const c0 = random(C, co + m * n + pad, seed + 2, -2, 2);
  const cj = c0.slice(), cn = c0.slice();
  js('gemm')(tA, tB, m, n, k, a, ao, b, bo, cj, co, accumulate);
  nat('gemm')(tA, tB, m, n, k, a, ao, b, bo, cn, co, accumulate);
  const label = `gemm ${C.name} ${m}x${n}x${k} transA=${tA} transB=${tB} accumulate=${accumulate}`;
  // Outside [co, co + m n) nothing changes.
  for (const i of [0, 1, 2, 3, 4, co + m * n, co + m * n + 1, co + m * n + 3]) assert.ok(Object.is(cn[i], c0[i]), `${label}: wrote outside C at ${i}`);
  const mag = magnitude(tA, tB, m, n, k, a, ao, b, bo);
  const rel = C === Float64Array ? 1e-12 : 1e-5;
  for (let i = 0; i < m * n; i++) {
    const x = cn[co + i], y = cj[co + i];
    const scale = mag[i] + (accumulate ? Math.abs(c0[co + i]) : 0);
    const tol = rel * scale + (C === Float32Array ? ulp32(y) : 0);
    assert.ok(Math.abs(x - y) <= tol, `${label}: entry ${i}: native ${x}, TypeScript ${y}, tolerance ${tol}`);
  }
}

const isas = (['avx512', 'avx2', 'scalar'] as const).filter((isa) => {
  const order = { scalar: 0, avx2: 1, avx512: 2 };
  return status.loaded && order[isa] <= order[detectedNativeIsa()];
});

test('native gemm agrees with the TypeScript gemm: shapes, transposes, offsets, accumulate, every ISA', { skip }, () => {
  const start = status.isa;
  try {
    for (const isa of isas) {
      assert.equal(setNativeIsa(isa), isa);
      let seed = 1;
      for (const [, C] of dtypes) {
        for (const [m, n, k] of gemmShapes) {
          for (const tA of [false, true]) {
            for (const tB of [false, true]) {
              for (const acc of [false, true]) {
                if (m * n * k > 1e6 && (acc || isa !== 'avx512' || C === Float64Array) && !(tA && tB)) continue; // the big shape: a sample of combinations
                gemmCase(C, tA, tB, m, n, k, acc, seed++);
              }
            }
          }
        }
      }
    }
  } finally {
    setNativeIsa(start);
  }
});

test('native gemm is deterministic: reruns give the same bits', { skip }, () => {
  for (const [, C] of dtypes) {
    const [m, n, k] = [97, 131, 300];
    const a = random(C, m * k, 11), b = random(C, k * n, 12);
    const c1 = new C(m * n), c2 = new C(m * n);
    nat('gemm')(false, true, m, n, k, a, 0, b, 0, c1, 0, false);
    nat('gemm')(false, true, m, n, k, a, 0, b, 0, c2, 0, false);
    assert.deepEqual(new Uint8Array(c1.buffer), new Uint8Array(c2.buffer));
  }
});

test('native gemm gives the same bits with LATENT_THREADS=2 as with one thread', { skip }, () => {
  // The child computes the same products on two threads and prints a checksum of the bits.
  const script = `
    import { kernelFor } from './src/kernels/registry.ts';
    import './src/kernels/native.ts';
    import { lcg } from './test/helpers.ts';
    const out = [];
    for (const [m, n, k] of [[128, 400, 784], [3000, 10, 80], [33, 1000, 70]]) { // column stripes, row stripes, uneven stripes
      for (const C of [Float32Array, Float64Array]) {
        const r = lcg(m + n + k);
        const a = new C(m * k).map(() => r() - 0.5), b = new C(k * n).map(() => r() - 0.5), c = new C(m * n);
        kernelFor('gemm', 'native')(false, false, m, n, k, a, 0, b, 0, c, 0, false);
        const bytes = new Uint8Array(c.buffer);
        let h = 2166136261;
        for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 16777619) >>> 0;
        out.push(h);
      }
    }
    console.log(JSON.stringify(out));`;
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const run = (threads: string) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: root, encoding: 'utf8', env: { ...process.env, LATENT_THREADS: threads, LATENT_BACKEND: 'native' },
    });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim().split('\n').pop();
  };
  assert.equal(run('2'), run('1'));
});

// ---------------------------------------------------------------------------
// Elementwise

const unaryOps = ['neg', 'exp', 'log', 'log1p', 'expm1', 'sqrt', 'abs', 'sign', 'tanh', 'sigmoid', 'softplus', 'relu', 'step', 'reciprocal', 'square'] as const;
const exactUnary = new Set(['neg', 'abs', 'sign', 'relu', 'step', 'reciprocal', 'square', 'sqrt']);

test('native unary agrees with the TypeScript unary on every op, special values included', { skip }, () => {
  for (const [name, C] of dtypes) {
    for (const op of unaryOps) {
      for (const n of [0, 1, 5, 1000]) {
        const x = withSpecials(C, n, n + 3);
        const oj = new C(n), on = new C(n);
        js('unary')(op, x, oj);
        nat('unary')(op, x, on);
        if (exactUnary.has(op)) assertAgree(on, oj, `unary ${op} ${name}`);
        else assertAgree(on, oj, `unary ${op} ${name}`, 1e-12, 1);
      }
    }
  }
});

const binaryOps = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'eq', 'ne', 'gt', 'ge', 'lt', 'le'] as const;
const broadcastCases: [number[], number[], number[]][] = [
  [[5, 7], [5, 7], [5, 7]], // same shape
  [[5, 7], [], [5, 7]], // scalar b
  [[], [5, 7], [5, 7]], // scalar a
  [[1], [1], [1]],
  [[6, 33], [33], [6, 33]], // b repeats (a bias row)
  [[1, 33], [6, 33], [6, 33]], // a repeats
  [[4, 1, 5], [1, 3, 1], [4, 3, 5]], // general
  [[2, 3, 1], [3, 4], [2, 3, 4]], // b repeats with a leading broadcast
  [[3, 1], [1, 600], [3, 600]],
  [[2, 1, 3, 1], [1, 4, 1, 5], [2, 4, 3, 5]],
  [[0, 3], [3], [0, 3]],
];

test('native binary agrees with the TypeScript binary on every op and broadcasting layout', { skip }, () => {
  let seed = 100;
  for (const [name, C] of dtypes) {
    for (const op of binaryOps) {
      for (const [as, bs, os] of broadcastCases) {
        const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
        const a = withSpecials(C, size(as), seed++, -3, 3);
        // b shares some values with a so that eq/ge/le see equal pairs.
        const b = withSpecials(C, size(bs), seed++, -3, 3);
        for (let i = 0; i < b.length; i += 3) b[i] = a[i % Math.max(1, a.length)] ?? b[i];
        const oj = new C(size(os)), on = new C(size(os));
        js('binary')(op, a, as, b, bs, oj, os);
        nat('binary')(op, a, as, b, bs, on, os);
        assertAgree(on, oj, `binary ${op} ${name} ${JSON.stringify([as, bs])}`, op === 'pow' ? 1e-12 : 0, op === 'pow' ? 1 : 0);
      }
    }
  }
});

test('native clamp and where agree with the TypeScript kernels', { skip }, () => {
  for (const [name, C] of dtypes) {
    const x = withSpecials(C, 500, 7);
    for (const [lo, hi] of [[-1, 1], [0.1, 0.3], [-Infinity, 2], [-2, Infinity], [0, 0], [-Infinity, Infinity]]) {
      const oj = new C(500), on = new C(500);
      js('clamp')(x, lo, hi, oj);
      nat('clamp')(x, lo, hi, on);
      assertAgree(on, oj, `clamp ${name} [${lo}, ${hi}]`);
    }
    for (const [, Cc] of dtypes) {
      const cond = withSpecials(Cc, 500, 8); // 0, -0 and NaN conditions included
      const a = withSpecials(C, 500, 9), b = withSpecials(C, 500, 10);
      const oj = new C(500), on = new C(500);
      js('where')(cond, a, b, oj);
      nat('where')(cond, a, b, on);
      assertAgree(on, oj, `where ${name} with a ${Cc.name} condition`);
    }
  }
});

test('native reduce agrees with the TypeScript reduce: sum, max, min, logsumexp, NaN and -inf', { skip }, () => {
  const shapes: [number, number, number][] = [[1, 1, 1], [1, 100, 1], [3, 17, 1], [2, 9, 5], [4, 33, 700], [1, 1000, 3], [5, 0, 2]];
  let seed = 200;
  for (const [name, C] of dtypes) {
    for (const op of ['sum', 'max', 'min', 'logsumexp'] as const) {
      for (const [outer, n, inner] of shapes) {
        for (const special of [false, true]) {
          const len = outer * n * inner;
          const x = special ? withSpecials(C, len, seed++) : random(C, len, seed++, -5, 5);
          if (special && inner > 1 && n > 1) for (let k = 0; k < n; k++) x[k * inner + 1] = -Infinity; // an all -inf column
          const oj = new C(outer * inner), on = new C(outer * inner);
          js('reduce')(op, x, outer, n, inner, oj);
          nat('reduce')(op, x, outer, n, inner, on);
          const label = `reduce ${op} ${name} [${outer}, ${n}, ${inner}]${special ? ' with specials' : ''}`;
          if (op === 'sum' && inner === 1) {
            // Eight partial sums in double: compare against the scale sum |x|.
            for (let o = 0; o < outer; o++) {
              let scale = 0;
              for (let k = 0; k < n; k++) scale += Math.abs(x[o * n + k]);
              const a = on[o], e = oj[o];
              if (Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e))) continue;
              const tol = C === Float64Array ? 1e-12 * scale : ulp32(e) + 1e-15 * scale;
              assert.ok(Math.abs(a - e) <= tol, `${label}: entry ${o}: native ${a}, TypeScript ${e}`);
            }
          } else if (op === 'logsumexp') {
            assertAgree(on, oj, label, 1e-12, 1);
          } else {
            assertAgree(on, oj, label);
          }
        }
      }
    }
  }
});

test('native stridedCopy and stridedAssign agree with the TypeScript kernels', { skip }, () => {
  // [offset, strides, shape] over a source of 120 values (a 4 x 5 x 6 tensor).
  const views: [number, number[], number[]][] = [
    [0, [30, 6, 1], [4, 5, 6]], // contiguous
    [0, [1, 6, 30], [6, 5, 4]], // reversed axes
    [7, [30, 1], [4, 5]], // a slice with an offset
    [0, [0, 6, 1], [3, 5, 6]], // broadcast of a leading axis
    [5, [6, 0], [5, 4]], // broadcast of the last axis
    [119, [-30, -6, -1], [4, 5, 6]], // negative strides
    [3, [], []], // a scalar
  ];
  for (const [name, C] of dtypes) {
    const x = random(C, 120, 300);
    for (const [offset, strides, shape] of views) {
      const n = shape.reduce((p, d) => p * d, 1);
      const oj = new C(n), on = new C(n);
      js('stridedCopy')(x, offset, strides, oj, shape);
      nat('stridedCopy')(x, offset, strides, on, shape);
      assertAgree(on, oj, `stridedCopy ${name} ${JSON.stringify([offset, strides, shape])}`);
      // Assign into a copy of x: entries outside the view stay.
      const src = random(C, n, 301);
      const aj = x.slice(), an = x.slice();
      js('stridedAssign')(src, aj, offset, strides, shape);
      nat('stridedAssign')(src, an, offset, strides, shape);
      assertAgree(an, aj, `stridedAssign ${name} ${JSON.stringify([offset, strides, shape])}`);
    }
  }
});

function geometry(batch: number, channels: number, height: number, width: number, kernelH: number, kernelW: number,
  stride: number, pad: number, dilation: number): ConvGeometry {
  const outH = Math.floor((height + 2 * pad - dilation * (kernelH - 1) - 1) / stride) + 1;
  const outW = Math.floor((width + 2 * pad - dilation * (kernelW - 1) - 1) / stride) + 1;
  return { batch, channels, height, width, kernelH, kernelW, strideH: stride, strideW: stride, padH: pad, padW: pad,
    dilationH: dilation, dilationW: dilation, outH, outW };
}

test('native im2col and col2im agree with the TypeScript kernels, in both column layouts', { skip }, () => {
  const geoms = [geometry(2, 3, 7, 6, 3, 3, 1, 1, 1), geometry(1, 2, 28, 28, 4, 4, 2, 1, 1), geometry(2, 1, 9, 8, 3, 2, 2, 2, 2),
    geometry(1, 1, 1, 1, 1, 1, 1, 0, 1), geometry(1, 2, 5, 5, 5, 5, 3, 3, 1)];
  for (const [name, C] of dtypes) {
    for (const g of [...geoms, ...geoms.map((q) => ({ ...q, batchInColumns: true }))]) {
      const xs = g.batch * g.channels * g.height * g.width;
      const cs = g.batch * g.channels * g.kernelH * g.kernelW * g.outH * g.outW;
      const x = random(C, xs, 400);
      const cj = new C(cs).fill(9), cn = new C(cs).fill(9);
      js('im2col')(x, g, cj);
      nat('im2col')(x, g, cn);
      assertAgree(cn, cj, `im2col ${name} ${JSON.stringify(g)}`);
      const cols = random(C, cs, 401);
      const xj = random(C, xs, 402), xn = xj.slice();
      js('col2im')(cols, g, xj);
      nat('col2im')(cols, g, xn);
      assertAgree(xn, xj, `col2im ${name} ${JSON.stringify(g)}`);
      // With overwrite: x's prior contents ignored, the same as adding into zeros.
      const zj = new C(xs), zn = random(C, xs, 403);
      js('col2im')(cols, g, zj);
      nat('col2im')(cols, g, zn, true);
      assertAgree(zn, zj, `col2im overwrite ${name} ${JSON.stringify(g)}`);
      const tj = random(C, xs, 404);
      js('col2im')(cols, g, tj, true);
      assertAgree(tj, zj, `TypeScript col2im overwrite ${name} ${JSON.stringify(g)}`);
    }
  }
});

test('native indexSelect, indexAdd, gather and scatterAdd agree with the TypeScript kernels', { skip }, () => {
  for (const [name, C] of dtypes) {
    for (const [outer, n, inner] of [[1, 5, 1], [3, 7, 4], [2, 10, 65]]) {
      const indices = Int32Array.from([0, n - 1, 2, 2, 1, n - 1, 0]);
      const x = random(C, outer * n * inner, 500);
      const oj = new C(outer * indices.length * inner), on = oj.slice();
      js('indexSelect')(x, outer, n, inner, indices, oj);
      nat('indexSelect')(x, outer, n, inner, indices, on);
      assertAgree(on, oj, `indexSelect ${name}`);
      const src = random(C, outer * indices.length * inner, 501);
      const aj = random(C, outer * n * inner, 502), an = aj.slice();
      js('indexAdd')(src, outer, n, inner, indices, aj);
      nat('indexAdd')(src, outer, n, inner, indices, an);
      assertAgree(an, aj, `indexAdd ${name} (repeated indices sum)`);
    }
    const cases: [number[], number, number[]][] = [[[4, 5], 1, [4, 3]], [[4, 5], 0, [6, 5]], [[3, 4, 5], 2, [2, 4, 7]], [[3, 4, 5], 1, [3, 2, 5]], [[6], 0, [9]]];
    let seed = 600;
    for (const [xShape, axis, indexShape] of cases) {
      const xn = xShape.reduce((p, d) => p * d, 1), count = indexShape.reduce((p, d) => p * d, 1);
      const r = lcg(seed++);
      const index = Int32Array.from({ length: count }, () => Math.floor(r() * xShape[axis]));
      const x = random(C, xn, seed++);
      const gj = new C(count), gn = new C(count);
      js('gather')(x, xShape, axis, index, indexShape, gj);
      nat('gather')(x, xShape, axis, index, indexShape, gn);
      assertAgree(gn, gj, `gather ${name} ${JSON.stringify([xShape, axis, indexShape])}`);
      const src = random(C, count, seed++);
      const sj = random(C, xn, seed++), sn = sj.slice();
      js('scatterAdd')(src, index, indexShape, axis, sj, xShape);
      nat('scatterAdd')(src, index, indexShape, axis, sn, xShape);
      assertAgree(sn, sj, `scatterAdd ${name} ${JSON.stringify([xShape, axis, indexShape])}`);
    }
  }
});

// ---------------------------------------------------------------------------
// Fused kernels

const activations = ['identity', 'relu', 'tanh', 'sigmoid'] as const;

test('native biasActivation and activationGrad agree with the TypeScript kernels (same bits; tanh/sigmoid within an ulp)', { skip }, () => {
  let seed = 700;
  for (const [name, C] of dtypes) {
    for (const act of activations) {
      for (const [rows, cols] of [[1, 1], [3, 7], [5, 17], [2, 400], [0, 3]]) {
        // [outer, channels, inner]: a Linear's [rows, cols, 1], a convolution's [rows, cols, 13].
        for (const inner of [1, 13]) {
          const n = rows * cols * inner;
          const c0 = withSpecials(C, n, seed++, -6, 6);
          for (const withBias of [true, false]) {
            const bias = withBias ? withSpecials(C, cols, seed++, -2, 2) : null;
            const label = `biasActivation ${act} ${name} [${rows}, ${cols}, ${inner}] bias=${withBias}`;
            const exact = act === 'identity' || act === 'relu';
            // In place, and into another array (x unchanged).
            const cj = c0.slice(), cn = c0.slice();
            js('biasActivation')(act, cj, bias, rows, cols, inner, cj);
            nat('biasActivation')(act, cn, bias, rows, cols, inner, cn);
            assertAgree(cn, cj, label, exact ? 0 : 1e-12, exact ? 0 : 1);
            const on = new C(n), xn = c0.slice();
            nat('biasActivation')(act, xn, bias, rows, cols, inner, on);
            assertAgree(on, cn, `${label} out of place`);
            assertAgree(xn, c0, `${label}: x untouched`);
          }
        }
        // The gradient from outputs in the activation's range (and specials).
        const y = withSpecials(C, rows * cols, seed++, act === 'sigmoid' ? 0 : -1, 1);
        const g = withSpecials(C, rows * cols, seed++, -3, 3);
        const oj = new C(rows * cols), on = new C(rows * cols);
        js('activationGrad')(act, g, y, oj);
        nat('activationGrad')(act, g, y, on);
        assertAgree(on, oj, `activationGrad ${act} ${name} [${rows}, ${cols}]`);
      }
    }
  }
});

function assertSigmoid32(actual: F, expected: F, label: string): void {
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i], e = expected[i];
    if (Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e))) continue;
    assert.ok(Math.abs(a - e) <= 4 * ulp32(e) + 1e-37, `${label}: entry ${i}: native ${a}, TypeScript ${e}`);
  }
}

test('native bernoulliLogits, bernoulliLogitsGrad and gaussianKL agree with the TypeScript kernels', { skip }, () => {
  let seed = 800;
  for (const [name, C] of dtypes) {
    for (const [rows, cols] of [[1, 1], [1, 9], [4, 7], [3, 16], [5, 784], [2, 0], [0, 5]]) {
      for (const repeat of [false, true]) {
        const n = rows * cols;
        const label = `${name} [${rows}, ${cols}]${repeat ? ' x repeated' : ''}`;
        const x = random(C, repeat ? cols : n, seed++, 0, 1).map((v) => (v < 0.4 ? 1 : 0)) as F;
        const l = withSpecials(C, n, seed++, -30, 30);
        const oj = new C(rows), on = new C(rows);
        const sj = new C(n), sn = new C(n);
        js('bernoulliLogits')(x, l, rows, cols, oj, sj);
        nat('bernoulliLogits')(x, l, rows, cols, on, sn);
        // float64: terms in double, summed in another order natively: within 1e-13 of sum |term|. float32:
        // the native terms are computed in float32 (a few roundings of 2^-24 each, as the unfused ops), the
        // TypeScript ones in double: within 4e-7 of sum |term|, plus an ulp of the rounded sum.
        for (let r = 0; r < rows; r++) {
          let scale = 0;
          for (let j = 0; j < cols; j++) {
            const v = l[r * cols + j];
            scale += Math.abs(v) + Math.log1p(Math.exp(-Math.abs(v)));
          }
          const a = on[r], e = oj[r];
          if (Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e))) continue;
          const tol = C === Float32Array ? 4e-7 * scale + ulp32(e) : 1e-13 * scale;
          assert.ok(Math.abs(a - e) <= tol, `bernoulliLogits ${label}: row ${r}: native ${a}, TypeScript ${e}`);
        }
        // sigmoid(l): float64 within 1e-12; float32 within 4 ulps, or 1e-37 where e^-|l| underflows (|l| > 87).
        if (C === Float64Array) assertAgree(sn, sj, `bernoulliLogits sigmoid ${label}`, 1e-12);
        else assertSigmoid32(sn, sj, `bernoulliLogits sigmoid ${label}`);
        // Without the sigmoid output: the same sums.
        const on2 = new C(rows);
        nat('bernoulliLogits')(x, l, rows, cols, on2, null);
        assertAgree(on2, on, `bernoulliLogits without sigmoid ${label}`);
        const g = random(C, rows, seed++, -2, 2);
        for (const saved of [true, false]) {
          const gj = new C(n), gn = new C(n);
          js('bernoulliLogitsGrad')(g, x, l, saved ? sj : null, rows, cols, gj);
          nat('bernoulliLogitsGrad')(g, x, l, saved ? sj : null, rows, cols, gn);
          if (saved) assertAgree(gn, gj, `bernoulliLogitsGrad (saved sigmoid) ${label}`);
          else if (C === Float64Array) assertAgree(gn, gj, `bernoulliLogitsGrad ${label}`, 1e-12);
          else {
            // g (x - sigmoid(l)) from a float32 sigmoid: within 4 ulps of sigmoid, times |g|, plus an ulp of the product.
            for (let i = 0; i < n; i++) {
              const a = gn[i], e = gj[i];
              if (Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e))) continue;
              const tol = Math.abs(g[Math.floor(i / cols)]) * (4 * ulp32(Math.max(Math.abs(sj[i]), 1e-30)) + 1e-37) + 2 * ulp32(e);
              assert.ok(Math.abs(a - e) <= tol, `bernoulliLogitsGrad ${label}: entry ${i}: native ${a}, TypeScript ${e}`);
            }
          }
        }
      }
      const mu = random(C, rows * cols, seed++, -3, 3), lv = random(C, rows * cols, seed++, -6, 3);
      const kj = new C(rows), kn = new C(rows);
      js('gaussianKL')(mu, lv, rows, cols, kj);
      nat('gaussianKL')(mu, lv, rows, cols, kn);
      assertAgree(kn, kj, `gaussianKL ${name} [${rows}, ${cols}]`, 1e-12, 1);
    }
  }
});

test('native adamStep gives the bits of the TypeScript adamStep: every option, float32 and float64', { skip }, () => {
  let seed = 900;
  for (const [name, C] of dtypes) {
    for (const l2 of [0, 0.01]) {
      for (const shrink of [1, 0.999]) {
        for (const amsgrad of [false, true]) {
          for (const maximize of [false, true]) {
            const n = 1003;
            const p0 = withSpecials(C, n, seed++, -2, 2), g = withSpecials(C, n, seed++, -1, 1);
            const m0 = random(C, n, seed++, -0.1, 0.1), v0 = random(C, n, seed++, 0, 0.01), x0 = random(C, n, seed++, 0, 0.02);
            const [pj, mj, vj, xj] = [p0.slice(), m0.slice(), v0.slice(), x0.slice()];
            const [pn, mn, vn, xn] = [p0.slice(), m0.slice(), v0.slice(), x0.slice()];
            // Step 3 of lr 1e-3, betas (0.9, 0.999), eps 1e-8.
            const args = [1e-3 / (1 - 0.9 ** 3), 0.9, 0.999, Math.sqrt(1 - 0.999 ** 3), 1e-8, l2, shrink, maximize] as const;
            js('adamStep')(pj, g, mj, vj, amsgrad ? xj : null, ...args);
            nat('adamStep')(pn, g, mn, vn, amsgrad ? xn : null, ...args);
            const label = `adamStep ${name} l2=${l2} shrink=${shrink} amsgrad=${amsgrad} maximize=${maximize}`;
            assertAgree(pn, pj, `${label}: p`);
            assertAgree(mn, mj, `${label}: m`);
            assertAgree(vn, vj, `${label}: v`);
            assertAgree(xn, xj, `${label}: vmax`);
          }
        }
      }
    }
  }
});

test('philox gives Random123\'s words on both backends, and the generator\'s own Philox4x32-10', { skip }, () => {
  const known = new Uint32Array(4);
  for (const fn of [js('philox'), nat('philox')]) {
    fn(0, 0, 0, known);
    assert.deepEqual(Array.from(known), [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
  }
  for (const [k0, k1, first] of [[0, 0, 0], [1, 2, 5], [0xffffffff, 0x12345678, 2 ** 32 - 3], [7, 0, 2 ** 40 + 11]]) {
    const a = new Uint32Array(4 * 37), b = new Uint32Array(4 * 37);
    js('philox')(k0, k1, first, a);
    nat('philox')(k0, k1, first, b);
    assert.deepEqual(b, a, `philox key [${k0}, ${k1}] from block ${first}`);
    for (const blk of [0, 1, 36]) {
      const idx = first + blk;
      const ref = philox4x32([idx % 2 ** 32, Math.floor(idx / 2 ** 32), 0, 0], [k0, k1]);
      assert.deepEqual(Array.from(a.subarray(4 * blk, 4 * blk + 4)), Array.from(ref), `block ${idx}`);
    }
  }
});

test('boxMuller32 gives the same float32 bits on both backends', { skip }, () => {
  // Its point is cross-backend identity (a fixed sequence of double
  // operations, no libm), so the comparison is exact, over a million
  // outputs, an odd length, and unaligned views of the word buffer.
  for (const [n, first] of [[1_000_000, 0], [12_345, 2 ** 33 + 5], [1, 9], [3, 17]]) {
    const words = new Uint32Array(4 * Math.ceil(n / 2) + 4);
    js('philox')(123, 456, first, words);
    const view = words.subarray(first % 2 ? 4 : 0, (first % 2 ? 4 : 0) + 4 * Math.ceil(n / 2));
    const a = new Float32Array(n), b = new Float32Array(n);
    js('boxMuller32')(view, a);
    nat('boxMuller32')(view, b);
    let differ = 0;
    for (let i = 0; i < n; i++) if (!Object.is(a[i], b[i])) differ++;
    assert.equal(differ, 0, `boxMuller32: ${differ} of ${n} outputs differ between backends`);
  }
});

test('rqSpline and rqSplineGrad agree between backends (both directions, tails included, float32 and float64)', { skip }, () => {
  // The same double operations in the same order; only libm's exp/log/log1p
  // differ from V8's, by an ulp or so, so double results agree to ~1e-13
  // relative (1e-11 allowed: steep bins amplify the gradients' rounding) and
  // float32 results within a float32 ulp or two.
  const m = 2000;
  const k = 9;
  for (const [name, C] of dtypes) {
    for (const inverse of [false, true]) {
      const shape = { count: m, bins: k, tailBound: 3, minBinWidth: 1e-3, minBinHeight: 1e-3, minDerivative: 1e-3, inverse };
      const x = random(C, m, 1, -4, 4);
      const uw = random(C, m * k, 2, -3, 3), uh = random(C, m * k, 3, -3, 3), ud = random(C, m * (k - 1), 4, -3, 3);
      const gv = random(C, m, 5), gl = random(C, m, 6);
      const outs = [0, 1].map(() => ({ v: new C(m), l: new C(m), gx: new C(m), gw: new C(m * k), gh: new C(m * k), gd: new C(m * (k - 1)) }));
      js('rqSpline')(x, uw, uh, ud, shape, outs[0].v, outs[0].l);
      nat('rqSpline')(x, uw, uh, ud, shape, outs[1].v, outs[1].l);
      js('rqSplineGrad')(x, uw, uh, ud, shape, gv, gl, outs[0].gx, outs[0].gw, outs[0].gh, outs[0].gd);
      nat('rqSplineGrad')(x, uw, uh, ud, shape, gv, gl, outs[1].gx, outs[1].gw, outs[1].gh, outs[1].gd);
      const rel = name === 'float64' ? 1e-11 : 5e-6;
      for (const key of ['v', 'l', 'gx', 'gw', 'gh', 'gd'] as const) {
        const a = outs[0][key], b = outs[1][key];
        for (let i = 0; i < a.length; i++) {
          assert.ok(Number.isFinite(a[i]) && Math.abs(a[i] - b[i]) <= rel * Math.max(1, Math.abs(a[i])), `${name} ${inverse ? 'inverse' : 'forward'} ${key}[${i}]: js ${a[i]}, native ${b[i]}`);
        }
      }
    }
  }
});

// ---------------------------------------------------------------------------
// Arguments, memory

test('native kernels reject bad arguments with TypeError/RangeError instead of crashing', { skip }, () => {
  const f = new Float32Array(12), d = new Float64Array(12);
  const call = (fn: unknown, ...args: unknown[]) => () => (fn as (...a: unknown[]) => void)(...args);
  assert.throws(call(nat('gemm'), false, false, 3, 4), { name: 'TypeError', message: /gemm.*expected 12 arguments, got 4/ });
  assert.throws(call(nat('gemm'), false, false, 3, 4, 1, [1, 2, 3], 0, f, 0, f, 0, false), { name: 'TypeError', message: /a must be a typed array/ });
  assert.throws(call(nat('gemm'), false, false, 4, 4, 4, f, 0, f, 0, f, 0, false), { name: 'RangeError', message: /a is too short/ });
  assert.throws(call(nat('gemm'), false, false, 3, 4, 1, f, 1.5, f, 0, f, 0, false), { name: 'RangeError', message: /aOffset must be a non-negative integer/ });
  assert.throws(call(nat('gemm'), 0, false, 3, 4, 1, f, 0, f, 0, f, 0, false), { name: 'TypeError', message: /transA must be a boolean/ });
  assert.throws(call(nat('unary'), 'nope', f, f), { name: 'TypeError', message: /unknown op 'nope'/ });
  assert.throws(call(nat('unary'), 'exp', new Int32Array(3), new Int32Array(3)), { name: 'TypeError', message: /x must be a Float32Array or a Float64Array/ });
  assert.throws(call(nat('binary'), 'add', f, [3, 4], new Float32Array(5), [5], f, [3, 4]), { name: 'RangeError', message: /do not broadcast/ });
  assert.throws(call(nat('indexSelect'), f, 1, 3, 4, Int32Array.from([0, 3]), f), { name: 'RangeError', message: /indices holds a value out of range/ });
  assert.throws(call(nat('gather'), f, [3, 4], 1, Int32Array.from([4]), [1, 1], f), { name: 'RangeError', message: /index holds a value out of range/ });
  assert.throws(call(nat('stridedCopy'), f, 0, [5, 1], f, [3, 4]), { name: 'RangeError', message: /reach outside x/ });
  assert.throws(call(nat('im2col'), f, geometry(1, 1, 4, 4, 2, 2, 1, 0, 1), f), { name: 'RangeError', message: /too short/ });
  assert.throws(call(nat('biasActivation'), 'gelu', f, null, 3, 4, 1, f), { name: 'TypeError', message: /unknown op 'gelu'/ });
  assert.throws(call(nat('biasActivation'), 'relu', f, new Float32Array(3), 3, 4, 1, f), { name: 'RangeError', message: /bias is shorter/ });
  assert.throws(call(nat('biasActivation'), 'relu', f, null, 3, 2, 1, f.subarray(1, 7)), { name: 'RangeError', message: /overlap/ });
  assert.throws(call(nat('bernoulliLogits'), new Float32Array(5), f, 3, 4, new Float32Array(3), null), { name: 'RangeError', message: /x must hold/ });
  assert.throws(call(nat('philox'), 0, 0, 0, new Int32Array(4)), { name: 'TypeError', message: /Uint32Array/ });
  assert.throws(call(nat('philox'), 2 ** 32, 0, 0, new Uint32Array(4)), { name: 'RangeError', message: /below 2\^32/ });
  assert.throws(call(nat('boxMuller32'), new Uint32Array(4), new Float64Array(2)), { name: 'TypeError', message: /Float32Array/ });
  assert.throws(call(nat('boxMuller32'), new Int32Array(4), new Float32Array(2)), { name: 'TypeError', message: /Uint32Array/ });
  assert.throws(call(nat('boxMuller32'), new Uint32Array(4), new Float32Array(3)), { name: 'RangeError', message: /4 words per pair/ });
  const sh = { count: 4, bins: 3, tailBound: 3, minBinWidth: 1e-3, minBinHeight: 1e-3, minDerivative: 1e-3, inverse: false };
  assert.throws(call(nat('rqSpline'), f, f, f, f, { ...sh, count: 5 }, f, f), { name: 'RangeError', message: /widths and heights/ });
  assert.throws(call(nat('rqSpline'), f, f, f, f, { bins: 3 }, f, f), { name: 'TypeError', message: /shape must be an object with count/ });
  assert.throws(call(nat('rqSpline'), f, f, f, f, { ...sh, bins: 1 }, f, f), { name: 'RangeError', message: /shape.bins/ });
  assert.throws(call(nat('rqSplineGrad'), f, f, f, f, sh, f, f, f, f, f, new Float32Array(2)), { name: 'RangeError', message: /derivatives/ });
  assert.throws(call(nat('adamStep'), f, new Float32Array(5), f, f, null, 1, 0.9, 0.999, 1, 1e-8, 0, 1, false), { name: 'RangeError', message: /as long as p/ });
  // Arrays mixing float32 and float64 go to the TypeScript kernel and give its result.
  const a = random(Float32Array, 6, 1), b = random(Float64Array, 6, 2);
  const cj = new Float64Array(4), cn = new Float64Array(4);
  js('gemm')(false, false, 2, 2, 3, a, 0, b, 0, cj, 0, false);
  nat('gemm')(false, false, 2, 2, 3, a, 0, b, 0, cn, 0, false);
  assert.deepEqual(cn, cj);
  void d;
});

test('native kernels keep a flat resident size over 2000 GEMM and elementwise calls', { skip }, () => {
  const [m, n, k] = [64, 100, 80];
  const a = random(Float32Array, m * k, 1), b = random(Float32Array, k * n, 2);
  const c = new Float32Array(m * n), e = new Float32Array(m * n);
  const step = () => {
    nat('gemm')(false, true, m, n, k, a, 0, b, 0, c, 0, false);
    nat('unary')('exp', c, e);
    nat('binary')('add', c, [m, n], b.subarray(0, n), [n], e, [m, n]);
    nat('reduce')('sum', e, 1, m, n, c.subarray(0, n));
  };
  for (let i = 0; i < 200; i++) step();
  const before = process.memoryUsage().rss;
  for (let i = 0; i < 2000; i++) {
    // Fresh arrays as well, so leaks of per-call handles would show.
    const x = new Float32Array(m * n);
    nat('unary')('tanh', x, e);
    step();
  }
  const growth = (process.memoryUsage().rss - before) / 2 ** 20;
  assert.ok(growth < 50, `RSS grew by ${growth.toFixed(1)} MB over 2000 iterations`);
});
