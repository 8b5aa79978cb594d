// Shared test utilities: deterministic inputs and comparisons.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Tensor, tensor, gradcheck, type GradcheckOptions } from '../src/index.js';

/** A small deterministic generator for test inputs (independent of the library's RNG under test). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** A float64 tensor of `shape` with values drawn from `lo`..`hi`, away from 0 by at least `gap` when `gap` > 0. */
export function inputs(shape: number[], seed: number, lo = -1.5, hi = 1.5, gap = 0): Tensor {
  const r = lcg(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v = lo + (hi - lo) * r();
    if (gap > 0 && Math.abs(v) < gap) v = v < 0 ? -gap - Math.abs(v) : gap + v;
    data[i] = v;
  }
  return tensor(data, { shape });
}

/** Asserts that the finite-difference check passes, with the worst entry in the message. */
export function assertGradcheck(f: (...xs: Tensor[]) => Tensor, xs: Tensor[], options?: GradcheckOptions, label = ''): void {
  const r = gradcheck(f, xs, options);
  assert.ok(r.ok, `gradcheck ${label} failed: max error ${r.maxAbsError}; ${r.worst}`);
}

/** Asserts |a - b| <= atol + rtol |b| elementwise. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol = 0, label = ''): void {
  assert.equal(actual.length, expected.length, `${label}: length ${actual.length} != ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Object.is(a, e)) continue;
    const ok = Math.abs(a - e) <= atol + rtol * Math.abs(e);
    assert.ok(ok, `${label}: entry ${i}: got ${a}, expected ${e} (atol ${atol}, rtol ${rtol})`);
  }
}

/** Reads a JSON fixture from test/fixtures. */
export function fixture<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as T;
}
