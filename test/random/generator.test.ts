import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, philox4x32, permutation, rand, randint, randn, type GeneratorState } from '../../src/random/index.js';

function draw(g: Generator, n: number): number[] {
  return Array.from({ length: n }, () => g.nextUint32());
}

// Regression fixture: values written once by this implementation (2026) and
// committed, so that any change to the algorithm, the word budget of a draw
// or the float conversions shows up here. They pin reproducibility across
// platforms: integers and uniforms are exact integer arithmetic; the normals
// also depend on V8's Math.log/cos/sin (its own fdlibm port, not the system
// libm). The first four words are Random123's known answer for counter 0,
// key 0; the next four are block 1, cross-checked against the BigInt reference
// in philox.test.ts.
const GOLDEN_SEED0 = {
  uint32: [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8, 0xf8e4cca4, 0x5cb200db, 0xb1a574eb, 0x097eff67],
  uniform01: [0.39904647231489565, 0.7357127860596914, 0.9722412032044762, 0.693930916764543],
  normal01: [-0.09047304870320473, -0.9238335951157883, 0.12542508244128928, -1.392898504901563],
  randnFloat64: [-0.09047304870320473, -1.0051318183691345, -0.9238335951157883, -2.5129537328217237],
  randFloat32: [0.3990464210510254, 0.8805201649665833, 0.7357127666473389, 0.6054818034172058],
  permutation10: [0, 2, 6, 3, 5, 7, 9, 4, 8, 1],
  randint0to100: [41, 53, 48, 60, 64, 99],
  splitKeys: [
    [1263865835, 2627187993],
    [2962163606, 3905160357],
  ],
};

test('seed 0 reproduces the golden regression values', () => {
  assert.deepEqual(draw(new Generator(0), 8), GOLDEN_SEED0.uint32);
  let g = new Generator(0);
  assert.deepEqual(Array.from({ length: 4 }, () => g.uniform01()), GOLDEN_SEED0.uniform01);
  g = new Generator(0);
  assert.deepEqual(Array.from({ length: 4 }, () => g.normal01()), GOLDEN_SEED0.normal01);
  assert.deepEqual(Array.from(randn([4], new Generator(0), { dtype: 'float64' }).data), GOLDEN_SEED0.randnFloat64);
  assert.deepEqual(Array.from(rand([4], new Generator(0)).data), GOLDEN_SEED0.randFloat32);
  assert.deepEqual(Array.from(permutation(10, new Generator(0))), GOLDEN_SEED0.permutation10);
  assert.deepEqual(Array.from(randint(0, 100, 6, new Generator(0))), GOLDEN_SEED0.randint0to100);
  assert.deepEqual(
    new Generator(0).split(2).map((c) => c.getState().key),
    GOLDEN_SEED0.splitKeys,
  );
});

test('the stream of a seed is Philox of counters 0, 1, 2, ... under the key (low, high words of the seed)', () => {
  const seed = 2 ** 40 + 12345;
  const key = [seed % 2 ** 32, Math.floor(seed / 2 ** 32)];
  const words = draw(new Generator(seed), 12);
  for (let block = 0; block < 3; block++) {
    assert.deepEqual(words.slice(4 * block, 4 * block + 4), Array.from(philox4x32([block, 0, 0, 0], key)));
  }
});

test('block indices above 2^32 carry into the second counter word', () => {
  const g = new Generator(9);
  const block = 2 ** 32 + 5;
  g.setState({ ...g.getState(), position: 4 * block + 2 });
  const expected = philox4x32([5, 1, 0, 0], [9, 0]);
  assert.deepEqual(draw(g, 2), [expected[2], expected[3]]);
});

test('the same seed gives the same sequence', () => {
  for (const seed of [0, 1, 42, 2 ** 32, Number.MAX_SAFE_INTEGER]) {
    const a = new Generator(seed);
    const b = new Generator(seed);
    assert.deepEqual(draw(a, 1000), draw(b, 1000));
    assert.deepEqual(
      Array.from({ length: 50 }, () => a.normal01()),
      Array.from({ length: 50 }, () => b.normal01()),
    );
  }
});

test('different seeds give different sequences', () => {
  const seeds = [0, 1, 2, 2 ** 32, 2 ** 32 + 1, Number.MAX_SAFE_INTEGER];
  const firsts = seeds.map((s) => draw(new Generator(s), 8).join(','));
  assert.equal(new Set(firsts).size, seeds.length);
});

test('getState/fromState resumes bit for bit, through JSON, at any position within a block', () => {
  for (const skip of [0, 1, 2, 3, 4, 7, 1001]) {
    const g = new Generator(2024);
    draw(g, skip);
    g.normal01();
    const saved = JSON.parse(JSON.stringify(g.getState())) as GeneratorState;
    const resumed = Generator.fromState(saved);
    assert.deepEqual(draw(resumed, 37), draw(g, 37));
    assert.equal(resumed.uniform01(), g.uniform01());
    assert.equal(resumed.normal01(), g.normal01());
    assert.deepEqual(Array.from(randn([9], resumed).data), Array.from(randn([9], g).data));
  }
});

test('setState rewinds an existing generator; getState returns a copy', () => {
  const g = new Generator(5);
  draw(g, 3);
  const saved = g.getState();
  const first = draw(g, 10);
  // The returned object is the caller's: mutating it must not reach g.
  const copy = g.getState();
  copy.key[0] = 123;
  copy.position = 0;
  assert.deepEqual(g.getState(), { ...saved, position: 13 });
  g.setState(saved);
  assert.deepEqual(draw(g, 10), first);
  const c = g.clone();
  assert.deepEqual(draw(c, 5), draw(g, 5));
});

test('the state holds the split count, so children after a resume match', () => {
  const g = new Generator(77);
  g.fork();
  const resumed = Generator.fromState(g.getState());
  assert.deepEqual(draw(resumed.fork(), 8), draw(g.fork(), 8));
});

test('split gives deterministic children that differ from each other and from the parent', () => {
  const parent = new Generator(3);
  const children = parent.split(4);
  assert.equal(children.length, 4);
  const streams = [parent, ...children].map((g) => draw(g, 8).join(','));
  assert.equal(new Set(streams).size, 5);
  // Same parent state, same children.
  const again = new Generator(3).split(4).map((g) => draw(g, 8).join(','));
  assert.deepEqual(again, streams.slice(1));
  // Successive forks differ; grandchildren differ from children.
  const p = new Generator(3);
  const f1 = p.fork();
  const f2 = p.fork();
  const g1 = f1.fork();
  assert.equal(new Set([f1, f2, g1].map((g) => draw(g, 8).join(','))).size, 3);
  assert.deepEqual(new Generator(3).split(0), []);
});

test("splitting does not change the parent's own sequence, and drawing does not change the children", () => {
  const a = new Generator(11);
  const b = new Generator(11);
  a.split(3);
  assert.deepEqual(draw(a, 20), draw(b, 20));
  const c = new Generator(11);
  draw(c, 100);
  assert.deepEqual(draw(c.fork(), 8), draw(new Generator(11).fork(), 8));
});

test('uniformInt avoids modulo bias', () => {
  // n = 3 * 2^30: a plain `word % n` would give values below 2^30 probability 1/2 instead of 1/3.
  const g = new Generator(8);
  const n = 3 * 2 ** 30;
  const draws = 30000;
  let below = 0;
  for (let i = 0; i < draws; i++) {
    const x = g.uniformInt(n);
    assert.ok(Number.isInteger(x) && x >= 0 && x < n);
    if (x < 2 ** 30) below++;
  }
  // Within 5 binomial standard errors of 1/3: a correct sampler fails with probability ~6e-7.
  const se = Math.sqrt((1 / 3) * (2 / 3) / draws);
  assert.ok(Math.abs(below / draws - 1 / 3) < 5 * se, `fraction below 2^30: ${below / draws}`);
  // Ranges above 2^32 use 53 bits: values spread over the whole range.
  let max = 0;
  for (let i = 0; i < 1000; i++) max = Math.max(max, g.uniformInt(2 ** 50));
  assert.ok(max > 2 ** 49 && max < 2 ** 50);
  assert.equal(g.uniformInt(1), 0);
});

test('the constructor rejects seeds that are not non-negative safe integers, naming seed', () => {
  for (const bad of [-1, 1.5, NaN, Infinity, 2 ** 53, '3', undefined, null, 1n]) {
    assert.throws(() => new Generator(bad as number), /Generator: seed must be a non-negative safe integer/);
  }
});

test('fromState and setState reject malformed states, naming the field', () => {
  const good = new Generator(1).getState();
  const cases: [unknown, RegExp][] = [
    [null, /expected an object/],
    [[1, 2], /expected an object/],
    [{ ...good, algorithm: 'mt19937' }, /algorithm/],
    [{ ...good, version: 2 }, /version/],
    [{ ...good, key: [1] }, /key must be an array of 2/],
    [{ ...good, key: [1, 2 ** 32] }, /key\[1\]/],
    [{ ...good, key: [-1, 0] }, /key\[0\]/],
    [{ ...good, position: -1 }, /position/],
    [{ ...good, position: 1.5 }, /position/],
    [{ ...good, position: 2 ** 53 }, /position/],
    [{ ...good, spawned: '0' }, /spawned/],
    [{ ...good, extra: 1 }, /unknown field\(s\) extra/],
  ];
  for (const [state, pattern] of cases) {
    assert.throws(() => Generator.fromState(state as GeneratorState), pattern);
    assert.throws(() => new Generator(0).setState(state as GeneratorState), /Generator\.setState: malformed generator state/);
  }
});

test('a generator refuses to wrap around at the end of its stream', () => {
  const g = new Generator(0);
  g.setState({ ...g.getState(), position: Number.MAX_SAFE_INTEGER - 1 });
  g.nextUint32();
  assert.throws(() => g.nextUint32(), /stream exhausted/);
});

test('split and uniformInt validate their arguments', () => {
  const g = new Generator(0);
  assert.throws(() => g.split(-1), /split: n must be/);
  assert.throws(() => g.split(1.5), /split: n must be/);
  assert.throws(() => g.uniformInt(0), /uniformInt: n must be a positive safe integer/);
  assert.throws(() => g.uniformInt(2 ** 53), /uniformInt/);
});
