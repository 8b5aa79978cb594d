// Bounded fuzzing (issue 9) of the model files: safetensors (loadSafetensors,
// readSafetensorsHeader), checkpoints (loadCheckpoint) and model directories'
// config.json (loadVaeDir). Seeded random mutations of valid files — bit
// flips, truncations, inserted and deleted bytes, and forged header lengths,
// shapes, offsets, dtypes and config values — must either load or fail with a
// plain Error whose message starts with the file's path: never a RangeError,
// TypeError or SyntaxError, never a hang, and never an allocation beyond what
// the file holds (a parsed file's tensors hold at most one value per byte
// of the file).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Adam, Generator, Tensor, VAE, defaultVaeConfig, loadCheckpoint, loadSafetensors, loadVaeDir, readSafetensorsHeader,
  saveCheckpoint, saveModelWeights, serializeSafetensors, tensor, writeModelConfig,
} from '../../src/index.js';
import { lcg } from '../helpers.js';

const root = mkdtempSync(join(tmpdir(), 'latent-fuzz-'));
after(() => rmSync(root, { recursive: true, force: true }));
// LATENT_FUZZ_CASES raises the count for a longer local run.
const CASES = Number(process.env.LATENT_FUZZ_CASES ?? 600);

type Rand = () => number;
const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)];

/** Values a forger might put anywhere in a header or a config. */
const WILD: readonly unknown[] = [
  -1, 0, 1, 2, 3, 7, 1.5, -0.5, 255, 65536, 2 ** 31, 2 ** 32 + 1, 2 ** 53, 2 ** 53 + 2, 1e18, 1e300, Number.MAX_VALUE,
  'F32', 'F8_E4M3', 'X', '', '784', null, true, false, [], [1], [-1, 2], [2 ** 40, 2 ** 40], [0, 2 ** 53], [1e9, 1e9, 1e9], {}, { a: 1 },
];

// ---------------------------------------------------------------------------
// Mutations.

type Mutator = (b: Uint8Array, r: Rand) => Uint8Array;

const byteMutators: Mutator[] = [
  (b, r) => { const o = b.slice(); for (let k = 1 + int(r, 4); k > 0; k--) { const at = r() < 0.7 ? int(r, Math.min(o.length, 8 + headerLength(b))) : int(r, o.length); o[at] ^= 1 << int(r, 8); } return o; },
  (b, r) => { const o = b.slice(); for (let k = 1 + int(r, 3); k > 0; k--) o[int(r, o.length)] = int(r, 256); return o; },
  (b, r) => b.slice(0, int(r, b.length)),
  (b, r) => { const at = int(r, b.length); const n = 1 + int(r, 16); return Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + n)]); },
  (b, r) => { const at = int(r, b.length); return Uint8Array.from([...b.subarray(0, at), ...Array.from({ length: 1 + int(r, 16) }, () => int(r, 256)), ...b.subarray(at)]); },
  (b, r) => Uint8Array.from([...b, ...Array.from({ length: 1 + int(r, 64) }, () => int(r, 256))]),
  // Forge the 8-byte header length.
  (b, r) => {
    const o = b.slice();
    const n = BigInt(headerLength(b));
    const forged = pick(r, [0n, 1n, 2n, n - 1n, n + 1n, n + 8n, BigInt(o.length), BigInt(o.length - 8), 100_000_001n, 2n ** 32n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n]);
    if (o.length >= 8) new DataView(o.buffer).setBigUint64(0, forged < 0n ? 0n : forged, true);
    return o;
  },
];

function headerLength(b: Uint8Array): number {
  if (b.length < 8) return 0;
  const n = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  return n > BigInt(b.length) ? b.length - 8 : Number(n);
}

/** Rewrites the header's JSON with a forged field and a correct length prefix, so the deeper checks are reached. */
const forgeHeader: Mutator = (b, r) => {
  const n = headerLength(b);
  let header: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  try {
    header = JSON.parse(new TextDecoder().decode(b.subarray(8, 8 + n)));
  } catch {
    return b;
  }
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  const name = pick(r, names);
  const entry = header[name];
  switch (int(r, 9)) {
    case 0: entry.shape = pick(r, WILD); break;
    case 1: entry.shape = [...entry.shape]; entry.shape[int(r, entry.shape.length + 1)] = pick(r, WILD); break;
    case 2: entry.data_offsets = pick(r, WILD); break;
    case 3: entry.data_offsets = [entry.data_offsets[0] + pick(r, [-8, -1, 1, 4, 2 ** 31]), entry.data_offsets[1] + pick(r, [-4, 0, 1, 2 ** 40])]; break;
    case 4: entry.dtype = pick(r, ['F16', 'BF16', 'I64', 'U8', 'BOOL', 'F8_E5M2', 'f32', 'F128', 7]); break;
    case 5: header[pick(r, ['__proto__', 'constructor', '', 'toString', name + '.x'])] = entry; break;
    case 6: header.__metadata__ = pick(r, [{ a: 1 }, [], 'x', null, { 'latent.checkpoint': '{"version": 1' }, { 'latent.checkpoint': '{"version": 1, "trainer": null, "optimizer": null, "rngs": {}}' }]); break;
    case 7: delete header[name]; break;
    default: header[name] = pick(r, WILD); break;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + (b.length - 8 - n));
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(b.subarray(8 + n), 8 + json.length);
  return out;
};

function mutate(good: Uint8Array, r: Rand): Uint8Array {
  let b = good;
  for (let m = 1 + int(r, 2); m > 0; m--) b = r() < 0.4 ? forgeHeader(b, r) : pick(r, byteMutators)(b, r);
  return b;
}

/** The only acceptable failure: a plain Error naming `path`. */
function assertDocumented(e: unknown, path: string, what: string, bytes?: Uint8Array): string {
  const hex = bytes ? `\nbytes: ${Buffer.from(bytes).toString('hex').slice(0, 600)}` : '';
  if (!(e instanceof Error) || e.constructor !== Error) assert.fail(`${what}: expected a plain Error naming ${path}, got ${String(e)}\n${(e as Error)?.stack}${hex}`);
  assert.ok(e.message.startsWith(`${path}: `) || e.message.startsWith(`${join(path, '..')}: `), `${what}: message does not start with the path: ${e.message}`);
  return e.message.slice(path.length + 2).replace(/\d+/g, 'N').slice(0, 40);
}

// ---------------------------------------------------------------------------
// Seeds.

function seedState(): Record<string, Tensor> {
  return {
    'encoder.0.weight': tensor(Float32Array.from({ length: 24 }, (_, i) => i / 7 - 1), { shape: [4, 6] }),
    'encoder.0.bias': tensor([0.5, -0.5, 0, 1]),
    'scale': tensor(Float64Array.from([Math.PI, Math.E]), { shape: [2], dtype: 'float64' }),
    'empty': tensor(new Float32Array(0), { shape: [0, 3] }),
  };
}

/** A safetensors file with F16/BF16/I64/U8/BOOL tensors as well, written by hand. */
function mixedDtypes(): Uint8Array {
  const parts: [string, string, number[], Uint8Array][] = [
    ['half', 'F16', [3], Uint8Array.from([0x00, 0x3c, 0xff, 0x7b, 0x01, 0x00])],
    ['brain', 'BF16', [2], Uint8Array.from([0x80, 0x3f, 0x60, 0xc0])],
    ['count', 'I64', [1], Uint8Array.from([7, 0, 0, 0, 0, 0, 0, 0])],
    ['bytes', 'U8', [2, 2], Uint8Array.from([1, 2, 3, 255])],
    ['flags', 'BOOL', [3], Uint8Array.from([0, 1, 2])],
  ];
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const [name, dtype, shape, data] of parts) {
    header[name] = { dtype, shape, data_offsets: [offset, offset + data.length] };
    offset += data.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const [, , , data] of parts) { out.set(data, at); at += data.length; }
  return out;
}

test('fuzz: mutated safetensors files load or fail with an Error naming the file', (t) => {
  const r = lcg(20261121);
  const seeds: [string, Uint8Array][] = [
    ['state.safetensors', serializeSafetensors(seedState(), { format: 'pt', note: 'seed' })],
    ['mixed.safetensors', mixedDtypes()],
  ];
  let loaded = 0, refused = 0, headers = 0;
  const kinds = new Set<string>();
  for (const [name, good] of seeds) {
    const path = join(root, name);
    writeFileSync(path, good);
    assert.ok(Object.keys(loadSafetensors(path).tensors).length >= 4, `${name} loads unmutated`);
    for (let c = 0; c < CASES; c++) {
      const bytes = mutate(good, r);
      writeFileSync(path, bytes);
      try {
        const { tensors, metadata } = loadSafetensors(path);
        let values = 0;
        for (const [k, tt] of Object.entries(tensors)) {
          assert.equal(tt.data.length, tt.shape.reduce((a, d) => a * d, 1), `${name} case ${c}: tensor ${k} storage does not match its shape`);
          values += tt.data.length;
        }
        assert.ok(values <= bytes.length, `${name} case ${c}: ${values} values from a ${bytes.length}-byte file`);
        for (const v of Object.values(metadata)) assert.equal(typeof v, 'string');
        loaded++;
      } catch (e) {
        kinds.add(assertDocumented(e, path, `${name} case ${c}`, bytes));
        refused++;
      }
      try {
        readSafetensorsHeader(path);
        headers++;
      } catch (e) {
        assertDocumented(e, path, `${name} case ${c} (header only)`, bytes);
      }
    }
  }
  t.diagnostic(`safetensors: ${2 * seeds.length * CASES} reads of ${seeds.length * CASES} mutated files: ${loaded} loaded, ${refused} refused with ${kinds.size} kinds of message; ${headers} headers read`);
  assert.ok(refused > loaded / 2, 'most mutations are caught');
});

test('fuzz: mutated checkpoints restore or fail with an Error naming the file', (t) => {
  const r = lcg(77);
  const model = new VAE({ ...defaultVaeConfig, inputShape: [1, 4, 4], hidden: [5], latent: 2 }, new Generator(1));
  const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
  const rngs = { data: new Generator(2) };
  const path = join(root, 'checkpoint.safetensors');
  saveCheckpoint(path, { model, optimizer, rngs }, { epoch: 1, step: 3, batchInEpoch: 0, lrHalvings: 0 });
  const good = new Uint8Array(readFileSync(path));
  let restored = 0, refused = 0;
  for (let c = 0; c < CASES; c++) {
    const bytes = mutate(good, r);
    writeFileSync(path, bytes);
    try {
      loadCheckpoint(path, { model, optimizer, rngs });
      for (const p of model.parameters()) for (const v of p.data) assert.ok(Number.isFinite(v), `case ${c}: a non-finite weight was restored`);
      restored++;
    } catch (e) {
      assertDocumented(e, path, `checkpoint case ${c}`, bytes);
      refused++;
    }
  }
  t.diagnostic(`checkpoints: ${CASES} mutated files: ${restored} restored, ${refused} refused`);
});

// config.json: a valid model directory, then its config edited at random.
function forgeConfig(c: Record<string, any>, r: Rand): void { // eslint-disable-line @typescript-eslint/no-explicit-any
  const paths: (string | number)[][] = [];
  const walk = (o: unknown, p: (string | number)[]) => {
    if (o && typeof o === 'object') for (const [k, v] of Object.entries(o)) { paths.push([...p, Array.isArray(o) ? Number(k) : k]); walk(v, [...p, Array.isArray(o) ? Number(k) : k]); }
  };
  walk(c, []);
  for (let k = 1 + int(r, 2); k > 0; k--) {
    const p = pick(r, paths);
    let o: any = c; // eslint-disable-line @typescript-eslint/no-explicit-any
    for (const key of p.slice(0, -1)) o = o?.[key];
    if (!o || typeof o !== 'object') continue;
    const last = p[p.length - 1];
    if (r() < 0.15) delete o[last];
    else o[last] = pick(r, [...WILD, 1e6, 1e7, [1e6], [4096, 4096], [1, 1e5, 1e5], 'conv', 'gaussian-learned', 'tanh', 'cvae']);
  }
}

test('fuzz: mutated config.json files open or fail with an Error naming the model directory', (t) => {
  const r = lcg(4242);
  const good = join(root, 'model-good');
  mkdirSync(good);
  const config = { ...defaultVaeConfig, inputShape: [1, 8, 8] as [number, number, number], hidden: [6], latent: 2 };
  saveModelWeights(good, new VAE(config, new Generator(0)), 'vae');
  writeModelConfig(good, { format: 'latent-model', version: 1, kind: 'vae', model: config as unknown as Record<string, unknown>, data: { spec: 'mnist' }, training: { seed: 0 } });
  const text = new Uint8Array(readFileSync(join(good, 'config.json')));
  const dir = join(root, 'model-fuzz');
  rmSync(dir, { recursive: true, force: true });
  cpSync(good, dir, { recursive: true });
  let opened = 0, refused = 0;
  const kinds = new Set<string>();
  for (let c = 0; c < CASES; c++) {
    let bytes: Uint8Array;
    if (r() < 0.6) {
      const cfg = JSON.parse(new TextDecoder().decode(text));
      forgeConfig(cfg, r);
      bytes = new TextEncoder().encode(JSON.stringify(cfg));
    } else {
      bytes = pick(r, byteMutators.slice(0, 6))(text, r);
    }
    writeFileSync(join(dir, 'config.json'), bytes);
    try {
      const { vae } = loadVaeDir(dir);
      assert.ok(vae.config.latent >= 1);
      opened++;
    } catch (e) {
      if (!(e instanceof Error) || e.constructor !== Error) assert.fail(`config case ${c}: expected a plain Error, got ${String(e)}\n${(e as Error)?.stack}\nconfig: ${Buffer.from(bytes).toString().slice(0, 800)}`);
      assert.ok(e.message.startsWith(`${dir}: `) || e.message.startsWith(`${join(dir, 'config.json')}: `) || e.message.startsWith(`${join(dir, 'model.safetensors')}: `),
        `config case ${c}: message does not name the directory: ${e.message}`);
      kinds.add(e.message.slice(dir.length).replace(/\d+/g, 'N').slice(0, 60));
      refused++;
    }
  }
  if (process.env.LATENT_FUZZ_VERBOSE) for (const k of kinds) t.diagnostic(k);
  t.diagnostic(`config.json: ${CASES} mutated files: ${opened} opened, ${refused} refused with ${kinds.size} kinds of message`);
});
