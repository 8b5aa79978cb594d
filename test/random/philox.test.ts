import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mulhi32, philox4x32, philox4x32Into } from '../../src/random/index.js';

/** Known-answer vectors of Random123 (kat_vectors, philox4x32_10): counter, key, expected output. */
const KNOWN_ANSWERS: { counter: number[]; key: number[]; expected: number[] }[] = [
  { counter: [0, 0, 0, 0], key: [0, 0], expected: [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8] },
  {
    counter: [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
    key: [0xffffffff, 0xffffffff],
    expected: [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
  },
  {
    counter: [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
    key: [0xa4093822, 0x299f31d0],
    expected: [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
  },
];

/** xorshift32 (Marsaglia 2003): an independent source of test inputs, so the checks do not rely on the code under test. */
function xorshift32(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/** Philox4x32-10 written directly from the paper with BigInt arithmetic: the reference for blocks no vector covers. */
function philoxReference(counter: number[], key: number[]): number[] {
  const MASK = 0xffffffffn;
  let [x0, x1, x2, x3] = counter.map(BigInt);
  let [k0, k1] = key.map(BigInt);
  for (let r = 0; r < 10; r++) {
    if (r > 0) {
      k0 = (k0 + 0x9e3779b9n) & MASK;
      k1 = (k1 + 0xbb67ae85n) & MASK;
    }
    const p0 = 0xd2511f53n * x0;
    const p1 = 0xcd9e8d57n * x2;
    [x0, x1, x2, x3] = [(p1 >> 32n) ^ x1 ^ k0, p1 & MASK, (p0 >> 32n) ^ x3 ^ k1, p0 & MASK];
  }
  return [x0, x1, x2, x3].map(Number);
}

test('philox4x32 matches the Random123 known-answer vectors', () => {
  for (const { counter, key, expected } of KNOWN_ANSWERS) {
    assert.deepEqual(Array.from(philox4x32(counter, key)), expected);
    assert.deepEqual(philoxReference(counter, key), expected, 'the BigInt reference itself reproduces the vectors');
  }
});

test('philox4x32Into writes the same words as philox4x32 and returns its out argument', () => {
  const out = new Uint32Array(4);
  const { counter, key, expected } = KNOWN_ANSWERS[2];
  assert.equal(philox4x32Into(counter[0], counter[1], counter[2], counter[3], key[0], key[1], out), out);
  assert.deepEqual(Array.from(out), expected);
});

test('mulhi32 equals the high word of the BigInt product', () => {
  const edges = [0, 1, 2, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0xd2511f53, 0xcd9e8d57];
  const pairs: [number, number][] = [];
  for (const a of edges) for (const b of edges) pairs.push([a, b]);
  const next = xorshift32(12345);
  for (let i = 0; i < 20000; i++) pairs.push([next(), next()]);
  for (const [a, b] of pairs) {
    const expected = Number((BigInt(a) * BigInt(b)) >> 32n);
    assert.equal(mulhi32(a, b), expected, `mulhi32(0x${a.toString(16)}, 0x${b.toString(16)})`);
  }
});

test('philox4x32 equals the BigInt reference on random counters and keys', () => {
  const next = xorshift32(2011);
  for (let i = 0; i < 2000; i++) {
    const counter = [next(), next(), next(), next()];
    const key = [next(), next()];
    assert.deepEqual(Array.from(philox4x32(counter, key)), philoxReference(counter, key));
  }
});

test('philox4x32 rejects words that are not uint32, naming the word', () => {
  assert.throws(() => philox4x32([0, 0, 0], [0, 0]), /philox4x32: counter must have 4/);
  assert.throws(() => philox4x32([0, 0, 0, 0], [0]), /philox4x32: key must have 2/);
  assert.throws(() => philox4x32([0, -1, 0, 0], [0, 0]), /counter\[1\]/);
  assert.throws(() => philox4x32([0, 0, 0, 0], [0, 2 ** 32]), /key\[1\]/);
  assert.throws(() => philox4x32([0, 0, 0.5, 0], [0, 0]), /counter\[2\]/);
});
