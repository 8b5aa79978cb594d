import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tensor } from '../../src/tensor/tensor.js';
import {
  bfloat16BitsToNumber,
  float16BitsToNumber,
  loadSafetensors,
  parseSafetensors,
  readSafetensorsHeader,
  saveSafetensors,
  serializeSafetensors,
  type StateDict,
} from '../../src/io/index.js';

// ---------------------------------------------------------------------------
// Helpers.

const f32 = (values: number[], shape: number[]): Tensor => new Tensor(new Float32Array(values), shape);
const f64 = (values: number[], shape: number[]): Tensor => new Tensor(new Float64Array(values), shape);

/** Builds a safetensors file by hand from a header object (or raw header text) and the data bytes. */
function buildFile(header: unknown, data: Uint8Array = new Uint8Array(0), headerLengthOverride?: bigint): Uint8Array {
  const text = typeof header === 'string' ? header : JSON.stringify(header);
  const json = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, headerLengthOverride ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function u16le(values: number[]): Uint8Array {
  const out = new Uint8Array(2 * values.length);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setUint16(2 * i, v, true));
  return out;
}

/** Bit-exact comparison of float arrays (distinguishes -0 from 0, matches NaN with NaN). */
function assertSameValues(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Object.is(actual[i], expected[i]), `${what}[${i}]: ${actual[i]} !== ${expected[i]}`);
  }
}

function withTempDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'latent-safetensors-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The repository root: the nearest ancestor of this file holding package.json (works from test/ and dist/test/). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the repository root (package.json)');
    dir = parent;
  }
  return dir;
}

const SCRIPT = join(repoRoot(), 'scripts', 'safetensors_check.py');

/** The first of /usr/bin/python3, python3 that can import numpy, or null. */
function findPython(): string | null {
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(candidate, ['-c', 'import numpy'], { encoding: 'utf8' });
    if (r.status === 0) return candidate;
  }
  return null;
}

const PYTHON = findPython();
const REQUIRE_PYTHON = process.env.LATENT_REQUIRE_PYTHON === '1';
const NO_PYTHON = 'no python3 with numpy found (tried /usr/bin/python3, python3)';

/** Returns the python to use, or null after marking the test skipped; fails instead when CI requires python. */
function pythonOrSkip(t: { skip: (message?: string) => void }): string | null {
  if (PYTHON !== null) return PYTHON;
  if (REQUIRE_PYTHON) assert.fail(`${NO_PYTHON}, and LATENT_REQUIRE_PYTHON=1 makes that an error`);
  t.skip(`${NO_PYTHON}; set LATENT_REQUIRE_PYTHON=1 to make this an error`);
  return null;
}

function runScript(python: string, args: string[]): void {
  const r = spawnSync(python, [SCRIPT, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${python} ${SCRIPT} ${args.join(' ')} exited with ${r.status}\n${r.stdout}${r.stderr}`);
}

// ---------------------------------------------------------------------------
// Round trips and byte layout.

test('round trip in memory: float32, float64, scalar, empty, metadata', () => {
  const state: StateDict = {
    'encoder.0.weight': f32([1, 2, 3, 4, 5, 6], [2, 3]),
    'encoder.0.bias': f32([-0.5, 0.25], [2]),
    'decoder.weight': f64([0.1, -0.2, 1 / 3, Number.MIN_VALUE], [2, 1, 2]),
    scale: f32([0.5], []),
    empty: f32([], [0, 3]),
    special: f32([NaN, Infinity, -Infinity, -0], [4]),
  };
  const metadata = { format: 'pt', note: 'héllo ✓' };
  const { tensors, metadata: meta } = parseSafetensors(serializeSafetensors(state, metadata));
  assert.deepEqual(meta, metadata);
  assert.deepEqual(Object.keys(tensors).sort(), Object.keys(state).sort());
  for (const [name, t] of Object.entries(state)) {
    const u = tensors[name];
    assert.deepEqual(u.shape, t.shape, `${name} shape`);
    assert.equal(u.dtype, t.dtype, `${name} dtype`);
    assertSameValues(u.data, t.data, name);
  }
  // The loaded tensors own their storage.
  assert.notEqual(tensors.scale.data.buffer, state.scale.data.buffer);
});

test('round trip with no metadata gives an empty metadata map; empty state dict is a valid file', () => {
  const { tensors, metadata } = parseSafetensors(serializeSafetensors({}));
  assert.deepEqual(tensors, {});
  assert.deepEqual(metadata, {});
});

test('byte layout: little-endian u64 header length, multiple of 8, space padding, sorted names, LE data', () => {
  const bytes = serializeSafetensors({ b: f32([1], [1]), a: f64([-2], []) }, { k: 'v' });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  assert.equal(n % 8, 0, 'header length is a multiple of 8');
  assert.equal(bytes.length, 8 + n + 8 + 4);
  const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
  assert.match(text, /^\{.*\} *$/);
  assert.equal(
    text.trimEnd(),
    '{"__metadata__":{"k":"v"},"a":{"dtype":"F64","shape":[],"data_offsets":[0,8]},' +
      '"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}',
  );
  // -2.0 as float64 is 0xC000000000000000; 1.0f is 0x3F800000; both little-endian.
  assert.deepEqual([...bytes.subarray(8 + n)], [0, 0, 0, 0, 0, 0, 0, 0xc0, 0, 0, 0x80, 0x3f]);
});

test('tensor data views into a larger buffer are written correctly', () => {
  const backing = new Float32Array([9, 9, 1, 2, 3, 9]);
  const t = new Tensor(backing.subarray(2, 5), [3]);
  const { tensors } = parseSafetensors(serializeSafetensors({ x: t }));
  assertSameValues(tensors.x.data, [1, 2, 3], 'x');
});

test('a tensor named __proto__ is stored and loaded as an ordinary entry', () => {
  const state: StateDict = {};
  Object.defineProperty(state, '__proto__', { value: f32([1], [1]), enumerable: true });
  const { tensors } = parseSafetensors(serializeSafetensors(state));
  assert.ok(Object.hasOwn(tensors, '__proto__'));
  assert.ok(tensors['__proto__'] instanceof Tensor);
});

test('saveSafetensors / loadSafetensors / readSafetensorsHeader on disk', () => {
  withTempDir((dir) => {
    const path = join(dir, 'model.safetensors');
    saveSafetensors(path, { 'fc.weight': f32([1, 2, 3, 4, 5, 6], [2, 3]), 'fc.bias': f64([7, 8], [2]) }, { format: 'pt' });
    assert.deepEqual(readdirSync(dir), ['model.safetensors'], 'no temporary file is left behind');
    const { tensors, metadata } = loadSafetensors(path);
    assert.deepEqual(metadata, { format: 'pt' });
    assert.deepEqual(tensors['fc.weight'].toArray(), [[1, 2, 3], [4, 5, 6]]);
    assert.equal(tensors['fc.bias'].dtype, 'float64');

    const header = readSafetensorsHeader(path);
    assert.deepEqual(header.metadata, { format: 'pt' });
    assert.deepEqual(
      header.tensors.map((t) => [t.name, t.dtype, [...t.shape], [...t.dataOffsets]]),
      [
        ['fc.bias', 'F64', [2], [0, 16]],
        ['fc.weight', 'F32', [2, 3], [16, 40]],
      ],
    );
    assert.equal(header.headerLength % 8, 0);
    assert.equal(header.dataStart, 8 + header.headerLength);
    assert.equal(header.dataLength, 40);

    // Saving again replaces the file atomically.
    saveSafetensors(path, { only: f32([3], []) });
    assert.deepEqual(Object.keys(loadSafetensors(path).tensors), ['only']);
    assert.deepEqual(readdirSync(dir), ['model.safetensors']);
  });
});

// ---------------------------------------------------------------------------
// Dtype conversions, against hand-computed values.

test('F16 decoding matches hand-computed values, including subnormals, infinities and NaN', () => {
  const cases: [number, number][] = [
    [0x3c00, 1],
    [0xc000, -2],
    [0x7bff, 65504], // largest finite half: (2 - 2^-10) * 2^15
    [0x0001, 2 ** -24], // smallest subnormal
    [0x03ff, 1023 * 2 ** -24], // largest subnormal
    [0x0400, 2 ** -14], // smallest normal
    [0x3555, 0.333251953125], // nearest half to 1/3: 1.0101010101b * 2^-2
    [0x0000, 0],
    [0x8000, -0],
    [0x7c00, Infinity],
    [0xfc00, -Infinity],
    [0x7e00, NaN],
  ];
  for (const [bits, value] of cases) {
    assert.ok(Object.is(float16BitsToNumber(bits), value), `0x${bits.toString(16)} -> ${value}`);
  }
  const file = buildFile({ h: { dtype: 'F16', shape: [cases.length], data_offsets: [0, 2 * cases.length] } }, u16le(cases.map((c) => c[0])));
  const { tensors } = parseSafetensors(file);
  assert.equal(tensors.h.dtype, 'float32');
  assertSameValues(tensors.h.data, cases.map((c) => c[1]), 'F16 tensor');
});

test('BF16 decoding matches hand-computed values', () => {
  const cases: [number, number][] = [
    [0x3f80, 1],
    [0xc060, -3.5],
    [0x3e20, 0.15625],
    [0x0001, 2 ** -133], // smallest bfloat16 subnormal: 2^-126 * 2^-7
    [0x7f7f, 3.3895313892515355e38], // largest finite: (2 - 2^-7) * 2^127
    [0x8000, -0],
    [0xff80, -Infinity],
    [0x7fc0, NaN],
  ];
  for (const [bits, value] of cases) {
    assert.ok(Object.is(bfloat16BitsToNumber(bits), value), `0x${bits.toString(16)} -> ${value}`);
  }
  const file = buildFile({ b: { dtype: 'BF16', shape: [2, 4], data_offsets: [0, 16] } }, u16le(cases.map((c) => c[0])));
  assertSameValues(parseSafetensors(file).tensors.b.data, cases.map((c) => c[1]), 'BF16 tensor');
});

test('integer and bool dtypes convert to float32', () => {
  const data = new Uint8Array(8 * 3 + 4 * 2 + 2 * 2 + 1 * 2 + 1 * 2 + 1 * 3);
  const view = new DataView(data.buffer);
  let p = 0;
  for (const v of [0n, -7n, 1n << 40n]) { view.setBigInt64(p, v, true); p += 8; }
  for (const v of [-2147483648, 5]) { view.setInt32(p, v, true); p += 4; }
  for (const v of [-300, 300]) { view.setInt16(p, v, true); p += 2; }
  for (const v of [-128, 127]) { view.setInt8(p, v); p += 1; }
  for (const v of [0, 255]) { view.setUint8(p, v); p += 1; }
  for (const v of [1, 0, 1]) { view.setUint8(p, v); p += 1; }
  const file = buildFile(
    {
      i64: { dtype: 'I64', shape: [3], data_offsets: [0, 24] },
      i32: { dtype: 'I32', shape: [2], data_offsets: [24, 32] },
      i16: { dtype: 'I16', shape: [2], data_offsets: [32, 36] },
      i8: { dtype: 'I8', shape: [2], data_offsets: [36, 38] },
      u8: { dtype: 'U8', shape: [2], data_offsets: [38, 40] },
      mask: { dtype: 'BOOL', shape: [3], data_offsets: [40, 43] },
    },
    data,
  );
  const { tensors } = parseSafetensors(file);
  for (const t of Object.values(tensors)) assert.equal(t.dtype, 'float32');
  assertSameValues(tensors.i64.data, [0, -7, 2 ** 40], 'i64');
  assertSameValues(tensors.i32.data, [-2147483648, 5], 'i32');
  assertSameValues(tensors.i16.data, [-300, 300], 'i16');
  assertSameValues(tensors.i8.data, [-128, 127], 'i8');
  assertSameValues(tensors.u8.data, [0, 255], 'u8');
  assertSameValues(tensors.mask.data, [1, 0, 1], 'mask');
});

// ---------------------------------------------------------------------------
// Python interop: an independent reader and writer (struct + json + numpy).

/** Flattened values for the expected-values JSON read by the Python script; specials as strings. */
function jsonValues(data: ArrayLike<number>): (number | string)[] {
  return Array.from(data, (v) =>
    Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : Object.is(v, -0) ? '-0' : v,
  );
}

test('TS writes, Python (numpy) reads back bit-exactly', (t) => {
  const python = pythonOrSkip(t);
  if (python === null) return;
  withTempDir((dir) => {
    const state: StateDict = {
      'encoder.0.weight': f32(Array.from({ length: 12 }, (_, i) => i / 7), [3, 4]),
      'encoder.0.bias': f32([-1.5, 0, 2.25], [3]),
      'decoder.weight': f64([0.1, -0.2, 1 / 3, 1e-300, -1e300, 5e-324, 123456789.123, -0], [2, 2, 2]),
      'decoder.bias': f32([NaN, Infinity, -Infinity, -0, 1e-45], [5]), // NaN is allowed in a file
      scale: f32([0.5], []),
      empty: f64([], [0, 3]),
    };
    const metadata = { format: 'pt', written_by: 'latent' };
    const path = join(dir, 'from-ts.safetensors');
    const expectPath = join(dir, 'expect.json');
    saveSafetensors(path, state, metadata);
    const expect = {
      metadata,
      tensors: Object.fromEntries(
        Object.entries(state).map(([name, x]) => [
          name,
          { dtype: x.dtype === 'float64' ? 'F64' : 'F32', shape: x.shape, values: jsonValues(x.data) },
        ]),
      ),
    };
    writeFileSync(expectPath, JSON.stringify(expect));
    runScript(python, ['read', path, expectPath]);

    // And the check is not vacuous: a single changed value makes the script fail.
    expect.tensors['encoder.0.bias'].values[2] = 2.2500002; // the next float32 above 2.25 is 2.25 + 2^-22 ≈ 2.25000024
    writeFileSync(expectPath, JSON.stringify(expect));
    const r = spawnSync(python, [SCRIPT, 'read', path, expectPath], { encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /encoder\.0\.bias: 1 values differ/);
  });
});

test('Python (numpy) writes, TS reads exactly the expected values', (t) => {
  const python = pythonOrSkip(t);
  if (python === null) return;
  withTempDir((dir) => {
    const path = join(dir, 'from-python.safetensors');
    runScript(python, ['write', path]);
    const { tensors, metadata } = loadSafetensors(path);
    assert.deepEqual(metadata, { format: 'pt', source: 'scripts/safetensors_check.py' });
    assert.deepEqual(Object.keys(tensors).sort(), [
      'bf16', 'bn.num_batches_tracked', 'counts', 'decoder.weight', 'empty', 'encoder.0.bias', 'encoder.0.weight', 'half', 'scale',
    ]);
    const expected: Record<string, { dtype: 'float32' | 'float64'; shape: number[]; values: number[] }> = {
      // numpy computes arange(12)/7 in float64 and rounds to float32, as Math.fround does.
      'encoder.0.weight': { dtype: 'float32', shape: [3, 4], values: Array.from({ length: 12 }, (_, i) => Math.fround(i / 7)) },
      'encoder.0.bias': { dtype: 'float32', shape: [3], values: [-1.5, 0, 2.25] },
      'decoder.weight': { dtype: 'float64', shape: [2, 2, 2], values: [0.1, -0.2, 1 / 3, 1e-300, -1e300, 5e-324, 123456789.123, -0] },
      scale: { dtype: 'float32', shape: [], values: [0.5] },
      empty: { dtype: 'float32', shape: [0, 3], values: [] },
      'bn.num_batches_tracked': { dtype: 'float32', shape: [], values: [7] },
      counts: { dtype: 'float32', shape: [3], values: [0, -7, 2 ** 40] },
      half: { dtype: 'float32', shape: [4], values: [1, -2, 65504, 2 ** -24] },
      bf16: { dtype: 'float32', shape: [3], values: [1, -3.5, 0.15625] },
    };
    for (const [name, e] of Object.entries(expected)) {
      assert.equal(tensors[name].dtype, e.dtype, `${name} dtype`);
      assert.deepEqual(tensors[name].shape, e.shape, `${name} shape`);
      assertSameValues(tensors[name].data, e.values, name);
    }
    // The header reader agrees on the file's own dtypes.
    const dtypes = Object.fromEntries(readSafetensorsHeader(path).tensors.map((x) => [x.name, x.dtype]));
    assert.deepEqual(dtypes, {
      bf16: 'BF16', 'bn.num_batches_tracked': 'I64', counts: 'I64', 'decoder.weight': 'F64', empty: 'F32',
      'encoder.0.bias': 'F32', 'encoder.0.weight': 'F32', half: 'F16', scale: 'F32',
    });
  });
});

// ---------------------------------------------------------------------------
// Bad input: each error names the file and the problem.

const GOOD_HEADER = { w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] } };
const GOOD_DATA = new Uint8Array(16);

test('bad input: file shorter than 8 bytes', () => {
  assert.throws(() => parseSafetensors(new Uint8Array(5), 'tiny.safetensors'), /^Error: tiny\.safetensors: file is 5 bytes, shorter than the 8-byte/);
});

test('bad input: header length beyond the file', () => {
  const file = buildFile(GOOD_HEADER, GOOD_DATA, 1000n);
  assert.throws(() => parseSafetensors(file, 'big.safetensors'), /big\.safetensors: header length 1000 exceeds the file: only \d+ bytes follow/);
  const huge = buildFile(GOOD_HEADER, GOOD_DATA, 0xffffffffffffffffn);
  assert.throws(() => parseSafetensors(huge, 'huge.safetensors'), /huge\.safetensors: header length 18446744073709551615 exceeds the file/);
});

test('bad input: header not valid JSON, or not an object', () => {
  assert.throws(() => parseSafetensors(buildFile('{"w": '), 'json.safetensors'), /json\.safetensors: header is not valid JSON/);
  assert.throws(() => parseSafetensors(buildFile('[1, 2]   '), 'arr.safetensors'), /arr\.safetensors: header is not a JSON object/);
  const invalidUtf8 = buildFile('{"w":1}');
  invalidUtf8[10] = 0xff;
  assert.throws(() => parseSafetensors(invalidUtf8, 'utf.safetensors'), /utf\.safetensors: header is not valid UTF-8/);
});

test('bad input: unknown dtype, unsupported dtype', () => {
  const bad = buildFile({ w: { dtype: 'F12', shape: [2, 2], data_offsets: [0, 16] } }, GOOD_DATA);
  assert.throws(() => parseSafetensors(bad, 'dtype.safetensors'), /dtype\.safetensors: tensor "w": unknown dtype "F12" \(known: F64, F32/);
  const f8 = buildFile({ w: { dtype: 'F8_E4M3', shape: [4], data_offsets: [0, 4] } }, new Uint8Array(4));
  assert.throws(() => parseSafetensors(f8, 'f8.safetensors'), /f8\.safetensors: tensor "w" has dtype F8_E4M3, which latent cannot read/);
});

test('bad input: shape not a list of non-negative integers', () => {
  for (const shape of [[2, -2], [2.5], '4', [null], null]) {
    const bad = buildFile({ w: { dtype: 'F32', shape, data_offsets: [0, 16] } }, GOOD_DATA);
    assert.throws(() => parseSafetensors(bad, 'shape.safetensors'), /shape\.safetensors: tensor "w": shape must be a list of non-negative integers/);
  }
});

test('bad input: data_offsets not matching dtype size * numel, or malformed', () => {
  const bad = buildFile({ w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 12] } }, new Uint8Array(12));
  assert.throws(
    () => parseSafetensors(bad, 'offsets.safetensors'),
    /offsets\.safetensors: tensor "w": data_offsets \[0, 12\] span 12 bytes but dtype F32 with shape \[2, 2\] needs 16/,
  );
  for (const offsets of [[16, 0], [0], [0, '16'], [-4, 12]]) {
    const b = buildFile({ w: { dtype: 'F32', shape: [2, 2], data_offsets: offsets } }, GOOD_DATA);
    assert.throws(() => parseSafetensors(b, 'o.safetensors'), /o\.safetensors: tensor "w": data_offsets must be \[begin, end\]/);
  }
});

test('bad input: overlapping tensors, gaps, trailing unindexed bytes', () => {
  const overlap = buildFile(
    { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } },
    new Uint8Array(12),
  );
  assert.throws(() => parseSafetensors(overlap, 'o.safetensors'), /o\.safetensors: tensor "b" at data_offsets \[4, 12\] overlaps tensor "a"/);
  const gap = buildFile(
    { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } },
    new Uint8Array(12),
  );
  assert.throws(() => parseSafetensors(gap, 'g.safetensors'), /g\.safetensors: data bytes \[4, 8\) are not covered by any tensor/);
  const trailing = buildFile(GOOD_HEADER, new Uint8Array(20));
  assert.throws(() => parseSafetensors(trailing, 't.safetensors'), /t\.safetensors: 4 data bytes after offset 16 are not covered by any tensor/);
});

test('bad input: bad __metadata__', () => {
  const bad = buildFile({ __metadata__: { epochs: 3 }, ...GOOD_HEADER }, GOOD_DATA);
  assert.throws(() => parseSafetensors(bad, 'm.safetensors'), /m\.safetensors: __metadata__\["epochs"\] must be a string, got 3/);
});

test('bad input: truncated file, in memory and on disk (load and header)', () => {
  const whole = buildFile({ w: { dtype: 'F32', shape: [1024], data_offsets: [0, 4096] } }, new Uint8Array(4096));
  const cut = whole.subarray(0, whole.length - 3096);
  assert.throws(
    () => parseSafetensors(cut, 'model.safetensors'),
    /^Error: model\.safetensors: truncated: header promises 4096 data bytes but only 1000 follow$/,
  );
  withTempDir((dir) => {
    const path = join(dir, 'model.safetensors');
    writeFileSync(path, cut);
    const message = new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: truncated: header promises 4096 data bytes but only 1000 follow`);
    assert.throws(() => loadSafetensors(path), message);
    assert.throws(() => readSafetensorsHeader(path), message);
    assert.throws(() => loadSafetensors(join(dir, 'missing.safetensors')), /missing\.safetensors: cannot read safetensors file: ENOENT/);
  });
});

// ---------------------------------------------------------------------------
// Writing: validation and atomicity.

test('serialize rejects invalid names, non-tensors, inconsistent tensors and metadata', () => {
  assert.throws(() => serializeSafetensors({ '': f32([1], [1]) }), /tensor names must be non-empty strings/);
  assert.throws(() => serializeSafetensors({ __metadata__: f32([1], [1]) }), /"__metadata__" is reserved for metadata/);
  assert.throws(() => serializeSafetensors({ w: [1, 2] as unknown as Tensor }), /state\["w"\] must be a Tensor/);
  const broken = f32([1, 2, 3, 4], [2, 2]);
  broken.data = new Float32Array(3);
  assert.throws(() => serializeSafetensors({ w: broken }), /tensor "w" has 3 elements but shape \[2, 2\] needs 4/);
  assert.throws(() => serializeSafetensors({ w: f32([1], [1]) }, { epochs: 3 as unknown as string }), /metadata\["epochs"\] must be a string/);
  assert.throws(() => serializeSafetensors({ ['bad\uD800']: f32([1], [1]) }), /lone UTF-16 surrogate/);
});

test('atomic save: an invalid state dict leaves no temp file and no partial or changed target', () => {
  withTempDir((dir) => {
    const path = join(dir, 'model.safetensors');
    assert.throws(() => saveSafetensors(path, { '': f32([1], [1]) }), /tensor names must be non-empty strings/);
    assert.deepEqual(readdirSync(dir), [], 'nothing written for a fresh target');

    saveSafetensors(path, { w: f32([1, 2], [2]) });
    const before = readFileSync(path);
    const broken = f32([1, 2], [2]);
    broken.data = new Float32Array(5);
    assert.throws(() => saveSafetensors(path, { ok: f32([3], [1]), w: broken }), /has 5 elements/);
    assert.deepEqual(readdirSync(dir), ['model.safetensors'], 'no temporary file left');
    assert.deepEqual(readFileSync(path), before, 'the previous file is untouched');
  });
});

test('atomic save: a write that fails names the target and leaves no temp file', () => {
  withTempDir((dir) => {
    const path = join(dir, 'no-such-dir', 'model.safetensors');
    assert.throws(() => saveSafetensors(path, { w: f32([1], [1]) }), /no-such-dir\/model\.safetensors: cannot write safetensors file: ENOENT/);
    // The target is a non-empty directory: the rename fails after the temp file was written and fsynced,
    // so this checks the clean-up path.
    const target = join(dir, 'taken');
    mkdirSync(join(target, 'inner'), { recursive: true });
    assert.throws(() => saveSafetensors(target, { w: f32([1], [1]) }), /taken: cannot write safetensors file/);
    assert.deepEqual(readdirSync(dir), ['taken']);
  });
});
