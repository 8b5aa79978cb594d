// Bounded fuzzing of the file readers (issue 9): mutated IDX, NPY and CSV
// files must either load or fail with a DataError naming the file — never
// another exception (RangeError, TypeError...) and never a hang.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { DataError, encodeIdx, encodeNpy, readDataFile, readLabels, type ReadOptions } from '../../src/index.js';
import { lcg } from '../helpers.js';
import { tempDir, writeFile } from './helpers.js';

const dir = tempDir();
// LATENT_FUZZ_CASES raises the count for a longer local run.
const CASES_PER_SEED = Number(process.env.LATENT_FUZZ_CASES ?? 300);

type Mutator = (b: Uint8Array, r: () => number) => Uint8Array;
const int = (r: () => number, n: number) => Math.floor(r() * n);
const TEXT = Buffer.from(',\n\r."-+eE0123456789aN \t\'');

const mutators: Mutator[] = [
  // Flip 1-4 random bytes (biased towards the header, where the structure is).
  (b, r) => {
    const out = b.slice();
    for (let k = 1 + int(r, 4); k > 0; k--) {
      const at = r() < 0.6 ? int(r, Math.min(out.length, 140)) : int(r, out.length);
      out[at] = int(r, 256);
    }
    return out;
  },
  // Truncate.
  (b, r) => b.slice(0, int(r, b.length)),
  // Append junk.
  (b, r) => Uint8Array.from([...b, ...Array.from({ length: 1 + int(r, 9) }, () => int(r, 256))]),
  // Insert or delete a run of bytes.
  (b, r) => {
    const at = int(r, b.length);
    const n = 1 + int(r, 5);
    if (r() < 0.5) return Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + n)]);
    return Uint8Array.from([...b.subarray(0, at), ...Array.from({ length: n }, () => TEXT[int(r, TEXT.length)]), ...b.subarray(at)]);
  },
  // Text-ish substitutions (for CSV).
  (b, r) => {
    const out = b.slice();
    for (let k = 1 + int(r, 3); k > 0; k--) out[int(r, out.length)] = TEXT[int(r, TEXT.length)];
    return out;
  },
  // Gzip the result of another mutation, or a corrupt gzip stream.
  (b, r) => {
    const z = gzipSync(b);
    if (r() < 0.5) return z;
    const out = z.slice();
    out[10 + int(r, Math.max(1, out.length - 10))] ^= 1 + int(r, 255);
    return out;
  },
];

function seeds(): [string, Uint8Array, ReadOptions][] {
  const px = Uint8Array.from({ length: 4 * 16 }, (_, i) => (i * 53) % 256);
  const floats = Float32Array.from(px, (b) => b / 255);
  const csv = ['label,' + Array.from({ length: 16 }, (_, i) => `p${i}`).join(',')];
  for (let r = 0; r < 4; r++) csv.push([r % 3, ...Array.from(px.subarray(r * 16, r * 16 + 16))].join(','));
  return [
    ['fuzz-idx3-ubyte', encodeIdx(px, [4, 4, 4]), {}],
    ['fuzz-f.idx', encodeIdx(floats, [4, 16], 'float32'), {}],
    ['fuzz.npy', encodeNpy(px, [4, 4, 4]), {}],
    ['fuzz-f.npy', encodeNpy(floats, [4, 16]), { kind: 'any' }],
    ['fuzz.csv', Buffer.from(csv.join('\n')), { labelColumn: 'label' }],
  ];
}

test('fuzz: mutated IDX, NPY and CSV files load or fail with a DataError naming the file', (t) => {
  const r = lcg(20240601);
  let loaded = 0;
  let refused = 0;
  const messages = new Set<string>();
  for (const [name, good, opts] of seeds()) {
    assert.ok(readDataFile(writeFile(dir, name, good), opts).length > 0, `${name} loads unmutated`);
    for (let c = 0; c < CASES_PER_SEED; c++) {
      let bytes = good;
      for (let m = 1 + int(r, 2); m > 0; m--) bytes = mutators[int(r, mutators.length)](bytes, r);
      const path = writeFile(dir, name, bytes);
      try {
        const ds = readDataFile(path, opts);
        assert.ok(ds.length > 0);
        for (const v of ds.images.data) assert.ok(Number.isFinite(v), `${name}: a non-finite value was accepted`);
        if (opts.kind !== 'any') for (const v of ds.images.data) assert.ok(v >= 0 && v <= 1, `${name}: image value ${v} accepted`);
        loaded++;
      } catch (e) {
        if (!(e instanceof DataError)) {
          assert.fail(`${name} case ${c}: expected a DataError, got ${String(e)}\n${(e as Error).stack}\nbytes: ${Buffer.from(bytes).toString('hex').slice(0, 400)}`);
        }
        assert.ok(e.message.startsWith(`${path}: `), e.message);
        messages.add(e.message.slice(path.length + 2).replace(/\d+/g, 'N').slice(0, 50));
        refused++;
      }
      // The same bytes as a labels file.
      try {
        readLabels(path);
      } catch (e) {
        if (!(e instanceof DataError)) assert.fail(`${name} case ${c} as labels: expected a DataError, got ${String(e)}`);
      }
    }
  }
  t.diagnostic(`${loaded + refused} mutated files: ${loaded} loaded, ${refused} refused with ${messages.size} distinct kinds of message`);
  assert.ok(refused > loaded, 'most mutations are caught');
});
