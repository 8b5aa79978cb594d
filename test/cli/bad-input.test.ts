// Issue 9: a counted corpus of bad inputs for every reader and every command.
// Each case must give exit code 1 (a user error: never 2, never a stack
// trace), a message naming the input and what was expected, and no partial
// output: the output path (file or model directory) must not exist
// afterwards, or, if it existed, be byte for byte unchanged.
//
// Spawning the CLI costs about a second a case here, so the corpus drives
// the command layer in-process (bad-input-harness.ts: the same commands
// and the same error-to-exit-code mapping as cli/main.ts); a sample of cases
// is also run through cli/main.ts in a child process to check that the two agree.
import { after, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { encodeIdx, encodeNpy, loadSafetensors, saveSafetensors, tensor } from '../../src/index.js';
import { lcg } from '../helpers.js';
import { latentInProcess, snapshot, type RunResult } from './bad-input-harness.js';

const main = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'latent-bad-input-'));
after(() => rmSync(root, { recursive: true, force: true }));
const f = (name: string) => join(root, name);
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface Case {
  /** The reader or command the case is counted under. */
  group: string;
  argv: string[];
  /** The message must match (it names the input and what was expected). */
  expect: RegExp;
  /** Paths that must not appear or change (default: the --out/--map values, or the train --out directory). */
  outputs?: string[];
}

const cases: Case[] = [];
const add = (group: string, argv: string[], expect: RegExp, outputs?: string[]) => cases.push({ group, argv, expect, outputs });

// ---------------------------------------------------------------------------
// Fixture files: 20 images of 8 x 8, and bad variants of each format.

const N = 20;
const noise = lcg(9);
const px = Uint8Array.from({ length: N * 64 }, () => Math.floor(256 * noise()));
const unit = Float32Array.from(px, (b) => b / 255);
const withValue = (v: number) => { const a = unit.slice(); a[77] = v; return a; };

/** A .npy file with a hand-written header (for dtypes and shapes encodeNpy does not write). */
function npy(descr: string, shape: string, body: Uint8Array, fortran = false): Uint8Array {
  let dict = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${shape}, }`;
  dict += ' '.repeat((64 - ((10 + dict.length + 1) % 64)) % 64) + '\n';
  const head = new Uint8Array(10);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(head.buffer).setUint16(8, dict.length, true);
  return Buffer.concat([head, Buffer.from(dict, 'latin1'), body]);
}

const csvRows = (rows: (string | number)[][]) => rows.map((r) => r.join(',')).join('\n') + '\n';
const goodCsv = Array.from({ length: N }, (_, i) => Array.from(px.subarray(i * 64, i * 64 + 64)));

function writeFixtures(): void {
  const goodIdx = encodeIdx(px, [N, 8, 8]);
  const goodNpy = encodeNpy(px, [N, 8, 8]);
  const files: Record<string, Uint8Array | string> = {
    'good.npy': goodNpy,
    'good-idx3-ubyte': goodIdx,
    'good.csv': csvRows(goodCsv),
    'labels.npy': encodeNpy(Int32Array.from({ length: N }, (_, i) => i % 3), [N]),
    // IDX
    'truncated-idx3-ubyte': goodIdx.subarray(0, goodIdx.length - 10),
    'header-only-idx3-ubyte': goodIdx.subarray(0, 6),
    'tiny-idx3-ubyte': goodIdx.subarray(0, 3),
    'magic-idx3-ubyte': Uint8Array.from([1, 2, ...goodIdx.subarray(2)]),
    'typecode-idx3-ubyte': Uint8Array.from([0, 0, 0x07, ...goodIdx.subarray(3)]),
    'extra-idx3-ubyte': Uint8Array.from([...goodIdx, 1, 2, 3]),
    'empty-idx3-ubyte': encodeIdx(new Uint8Array(0), [0, 8, 8]),
    'vector-idx1-ubyte': encodeIdx(px.subarray(0, N), [N]),
    'nan.idx': encodeIdx(withValue(NaN), [N, 8, 8], 'float32'),
    'inf.idx': encodeIdx(withValue(Infinity), [N, 8, 8], 'float32'),
    'range.idx': encodeIdx(withValue(-0.5), [N, 8, 8], 'float32'),
    'corrupt-idx3-ubyte.gz': Uint8Array.from([...gzipSync(goodIdx).subarray(0, 30), 0xde, 0xad, 0xbe, 0xef]),
    'zero-bytes-idx3-ubyte': new Uint8Array(0),
    // NPY
    'truncated.npy': goodNpy.subarray(0, goodNpy.length - 100),
    'magic.npy': Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x58, ...goodNpy.subarray(6)]),
    'header-garbage.npy': npy('|u1', '(20, 8, 8)', px).map((b, i) => (i >= 10 && i < 20 ? 0x3f : b)),
    'complex.npy': npy('<c8', '(20, 8, 8)', new Uint8Array(N * 64 * 8)),
    'unicode.npy': npy('<U5', '(20,)', new Uint8Array(N * 20)),
    'object.npy': npy('|O', '(20,)', new Uint8Array(N * 8)),
    'shape-mismatch.npy': npy('|u1', '(30, 8, 8)', px),
    'nan.npy': encodeNpy(withValue(NaN), [N, 8, 8]),
    'inf.npy': encodeNpy(withValue(-Infinity), [N, 8, 8]),
    'range.npy': encodeNpy(withValue(2.5), [N, 8, 8]),
    'empty.npy': encodeNpy(new Uint8Array(0), [0, 8, 8]),
    'scalar.npy': npy('<f4', '()', new Uint8Array(4)),
    'vector.npy': encodeNpy(unit.subarray(0, N), [N]),
    'gray-5x5x5.npy': encodeNpy(new Uint8Array(N * 125), [N, 5, 5, 5]),
    // CSV
    'ragged.csv': csvRows([...goodCsv.slice(0, 5), goodCsv[5].slice(0, 60), ...goodCsv.slice(6)]),
    'text.csv': csvRows([...goodCsv.slice(0, 3), ['abc', ...goodCsv[3].slice(1)], ...goodCsv.slice(4)]),
    'nan.csv': csvRows([...goodCsv.slice(0, 3), ['nan', ...goodCsv[3].slice(1)], ...goodCsv.slice(4)]),
    'inf.csv': csvRows([...goodCsv.slice(0, 3), ['Infinity', ...goodCsv[3].slice(1)], ...goodCsv.slice(4)]),
    'range.csv': csvRows([...goodCsv.slice(0, 3), [300, ...goodCsv[3].slice(1)], ...goodCsv.slice(4)]),
    'negative.csv': csvRows([...goodCsv.slice(0, 3), [-1, ...goodCsv[3].slice(1)], ...goodCsv.slice(4)]),
    'nonsquare.csv': csvRows(goodCsv.map((r) => r.slice(0, 10))),
    'empty.csv': '',
    'header-only.csv': Array.from({ length: 64 }, (_, i) => `p${i}`).join(',') + '\n',
    'binary.csv': Uint8Array.from({ length: 200 }, (_, i) => (i * 97 + 13) % 256),
    // Labels, for good.npy's 20 examples
    'labels-count.npy': encodeNpy(Int32Array.from({ length: N - 1 }, (_, i) => i % 3), [N - 1]),
    'labels-negative.npy': encodeNpy(Int32Array.from({ length: N }, (_, i) => (i === 4 ? -1 : i % 3)), [N]),
    'labels-fraction.npy': encodeNpy(Float32Array.from({ length: N }, (_, i) => (i === 4 ? 1.5 : i % 3)), [N]),
    'labels-nan.npy': encodeNpy(Float32Array.from({ length: N }, (_, i) => (i === 4 ? NaN : i % 3)), [N]),
    'labels-2d.npy': encodeNpy(Int32Array.from({ length: N * 3 }, (_, i) => i % 3), [N, 3]),
    'labels-huge.npy': encodeNpy(Int32Array.from({ length: N }, (_, i) => (i === 4 ? 1_000_000_000 : i % 3)), [N]),
    'labels.txt': '0\n1\n',
    'labels-wide.csv': csvRows(Array.from({ length: N }, (_, i) => [i % 3, 1])),
    'labels-count-idx1-ubyte': encodeIdx(Uint8Array.from({ length: N + 5 }, (_, i) => i % 3), [N + 5]),
    'data.txt': 'not a known format\n',
    'a-file': 'just a file\n',
    'lowrank.npy': encodeNpy(Uint8Array.from({ length: N * 64 }, (_, i) => (i * 37) % 256), [N, 8, 8]),
  };
  for (const [name, content] of Object.entries(files)) writeFileSync(f(name), content);
  mkdirSync(f('a-folder.npy'));
}

// ---------------------------------------------------------------------------
// Model directories: a tiny VAE and CVAE, then damaged copies.

const tiny = ['--epochs', '1', '--hidden', '16', '--latent', '2', '--batch', '400', '--eval-k', '5', '--no-progress'];

function damagedCopy(name: string, from: string, damage: (dir: string) => void): string {
  const dir = f(name);
  cpSync(from, dir, { recursive: true });
  damage(dir);
  return dir;
}

const editConfig = (edit: (c: Record<string, any>) => unknown) => (dir: string) => { // eslint-disable-line @typescript-eslint/no-explicit-any
  const file = join(dir, 'config.json');
  const c = JSON.parse(readFileSync(file, 'utf8'));
  const r = edit(c);
  writeFileSync(file, JSON.stringify(r === undefined ? c : r));
};

/** Damaged model directories and the message each must give (any command that opens a model). */
const modelDirCases: [string, (dir: string) => void, RegExp][] = [
  ['weights-truncated', (d) => { const b = readFileSync(join(d, 'model.safetensors')); writeFileSync(join(d, 'model.safetensors'), b.subarray(0, b.length - 64)); },
    /model\.safetensors: truncated: header promises \d+ data bytes but only \d+ follow/],
  ['weights-garbage', (d) => writeFileSync(join(d, 'model.safetensors'), Buffer.from('{"this is": "not safetensors"}')),
    /model\.safetensors: header length \d+ exceeds the file/],
  ['weights-empty', (d) => writeFileSync(join(d, 'model.safetensors'), ''),
    /model\.safetensors: file is 0 bytes, shorter than the 8-byte header length prefix/],
  ['weights-header-json', (d) => {
    // The header's last byte (a '}' or padding) becomes '{'.
    const b = readFileSync(join(d, 'model.safetensors'));
    b[8 + Number(b.readBigUInt64LE(0)) - 1] = 0x7b;
    writeFileSync(join(d, 'model.safetensors'), b);
  },
    /model\.safetensors: header is not valid JSON/],
  ['weights-wrong-shape', (d) => { const t = loadSafetensors(join(d, 'model.safetensors')).tensors; t['encoder.0.weight'] = tensor(new Float32Array(16 * 10), { shape: [16, 10] }); saveSafetensors(join(d, 'model.safetensors'), t); },
    /model\.safetensors: does not fit the model in config\.json: .*encoder\.0\.weight.*\[16, 784\].*\[16, 10\]/],
  ['weights-missing-tensor', (d) => { const t = loadSafetensors(join(d, 'model.safetensors')).tensors; delete t['encoder.0.bias']; saveSafetensors(join(d, 'model.safetensors'), t); },
    /model\.safetensors: does not fit the model in config\.json: .*encoder\.0\.bias/],
  ['weights-nan', (d) => { const t = loadSafetensors(join(d, 'model.safetensors')).tensors; t['encoder.0.weight'].data[5] = NaN; saveSafetensors(join(d, 'model.safetensors'), t); },
    /model\.safetensors: tensor encoder\.0\.weight holds a non-finite value \(NaN at index 5\)/],
  ['weights-missing', (d) => rmSync(join(d, 'model.safetensors')), /no model\.safetensors/],
  ['config-missing', (d) => rmSync(join(d, 'config.json')), /not a model directory \(no config\.json\)/],
  ['config-not-json', (d) => writeFileSync(join(d, 'config.json'), '{"format": "latent-model", '), /config\.json: not valid JSON/],
  ['config-empty', (d) => writeFileSync(join(d, 'config.json'), ''), /config\.json: not valid JSON/],
  ['config-array', (d) => writeFileSync(join(d, 'config.json'), '[1, 2, 3]'), /config\.json: expected a latent model config with "format": "latent-model"/],
  ['config-format', editConfig((c) => { c.format = 'pytorch'; }), /config\.json: expected a latent model config with "format": "latent-model"/],
  ['config-version', editConfig((c) => { c.version = 2; }), /config\.json: config version 2 is not supported \(expected 1\)/],
  ['config-kind', editConfig((c) => { c.kind = 'gmm'; }), /holds a 'gmm' model, not a VAE/],
  ['config-model-null', editConfig((c) => { c.model = null; }), /config\.json: (expected a latent model config|model)/],
  ['config-latent', editConfig((c) => { c.model.latent = -3; }), /config\.json: model.*latent.*-3/],
  ['config-hidden', editConfig((c) => { c.model.hidden = 'many'; }), /config\.json: model.*hidden/],
  ['config-input-shape', editConfig((c) => { c.model.inputShape = [0, 28, 28]; }), /config\.json: model.*inputShape/],
  ['config-folder', (d) => { rmSync(join(d, 'config.json')); mkdirSync(join(d, 'config.json')); }, /config\.json: (not valid JSON|.*directory)/],
];

// ---------------------------------------------------------------------------
// The corpus.

function buildCorpus(vae: string, cvae: string, gmm: string): void {
  const out = (name: string) => f(`out-${name}`);
  // --- Readers, through `latent train vae --data FILE` (the CLI path of every reader).
  const trainData: [string, string, RegExp][] = [
    ['IDX', 'truncated-idx3-ubyte', /truncated: the IDX header declares shape \[20, 8, 8\] of ubyte, 1280 bytes of data, but only 1270/],
    ['IDX', 'header-only-idx3-ubyte', /truncated IDX header: 3 dimensions need 16 header bytes, the file has 6/],
    ['IDX', 'tiny-idx3-ubyte', /is 3 bytes long, too short for an IDX header/],
    ['IDX', 'zero-bytes-idx3-ubyte', /is 0 bytes long, too short for an IDX header/],
    ['IDX', 'magic-idx3-ubyte', /bad IDX magic number.*expected 00 00/],
    ['IDX', 'typecode-idx3-ubyte', /unknown IDX type code 0x07.*expected 08/],
    ['IDX', 'extra-idx3-ubyte', /do not match the file: 1283 bytes follow the header \(3 extra\)/],
    ['IDX', 'empty-idx3-ubyte', /has no examples \(shape \[0, 8, 8\]\); expected at least one/],
    ['IDX', 'vector-idx1-ubyte', /are not images/],
    ['IDX', 'nan.idx', /is NaN; expected pixel values in \[0, 1\]/],
    ['IDX', 'inf.idx', /is Infinity.*must hold pixel values in \[0, 1\]/],
    ['IDX', 'range.idx', /is -0\.5.*must hold pixel values in \[0, 1\]/],
    ['IDX', 'corrupt-idx3-ubyte.gz', /corrupt or truncated gzip data/],
    ['NPY', 'truncated.npy', /truncated|expected \d+ bytes/],
    ['NPY', 'magic.npy', /magic|not a \.npy file/i],
    ['NPY', 'header-garbage.npy', /header/],
    ['NPY', 'complex.npy', /<c8/],
    ['NPY', 'unicode.npy', /<U5/],
    ['NPY', 'object.npy', /\|O/],
    ['NPY', 'shape-mismatch.npy', /\(30, 8, 8\)|\[30, 8, 8\]/],
    ['NPY', 'nan.npy', /is NaN; expected pixel values in \[0, 1\]/],
    ['NPY', 'inf.npy', /is -Infinity.*pixel values in \[0, 1\]/],
    ['NPY', 'range.npy', /is 2\.5.*pixel values in \[0, 1\]/],
    ['NPY', 'empty.npy', /has no examples \(shape \[0, 8, 8\]\); expected at least one/],
    ['NPY', 'scalar.npy', /holds a single value \(shape \[\]\)/],
    ['NPY', 'vector.npy', /are not images/],
    ['NPY', 'gray-5x5x5.npy', /are not images/],
    ['NPY', 'a-folder.npy', /is a directory; expected a data file/],
    ['CSV', 'ragged.csv', /line 6.*60.*64|64.*60/],
    ['CSV', 'text.csv', /line 4, column 1.*"abc"/],
    ['CSV', 'nan.csv', /line 4, column 1.*(NaN|nan)/i],
    ['CSV', 'inf.csv', /line 4, column 1.*Infinity/],
    ['CSV', 'range.csv', /is 300; image values must all lie in \[0, 1\] or all be integer intensities 0\.\.255/],
    ['CSV', 'negative.csv', /is -1; image values must all lie in \[0, 1\]/],
    ['CSV', 'nonsquare.csv', /are not images/],
    ['CSV', 'empty.csv', /empty|no (rows|examples|data)/i],
    ['CSV', 'header-only.csv', /no (rows|examples|data)|empty/i],
    ['CSV', 'binary.csv', /expected a number|not|column/],
    ['files', 'does-not-exist.npy', /no such file/],
    ['files', 'data.txt', /unrecognized data file name; expected \.idx/],
  ];
  for (const [group, name, msg] of trainData) {
    add(group, ['train', 'vae', '--data', f(name), ...tiny, '--out', out(`data-${name}`)], new RegExp(`${esc(f(name))}: .*` + msg.source));
  }
  // The same readers behind --test-data and behind eval/reconstruct --data.
  add('NPY', ['train', 'vae', '--data', f('good.npy'), '--test-data', f('nan.npy'), ...tiny, '--out', out('test-nan')], new RegExp(`${esc(f('nan.npy'))}: .*is NaN`));
  add('IDX', ['train', 'vae', '--data', f('good.npy'), '--test-data', f('truncated-idx3-ubyte'), ...tiny, '--out', out('test-trunc')], /truncated-idx3-ubyte: truncated/);
  add('CSV', ['train', 'vae', '--data', f('good.npy'), '--test-data', f('ragged.csv'), ...tiny, '--out', out('test-ragged')], /ragged\.csv: /);

  // --- Labels.
  const labelCases: [string, string, RegExp][] = [
    ['labels-count.npy', 'cvae', /labels-count\.npy: has 19 labels but .*good\.npy has 20 examples; expected one label per example/],
    ['labels-count-idx1-ubyte', 'cvae', /labels-count-idx1-ubyte: has 25 labels but .*good\.npy has 20 examples/],
    ['labels-negative.npy', 'cvae', /labels-negative\.npy: .* is -1; expected a class label, an integer >= 0/],
    ['labels-fraction.npy', 'cvae', /labels-fraction\.npy: .* is 1\.5; expected a class label/],
    ['labels-nan.npy', 'cvae', /labels-nan\.npy: .* is NaN; expected a class label/],
    ['labels-2d.npy', 'cvae', /labels-2d\.npy: labels must be one integer per example \(shape \[N\] or \[N, 1\]\), got shape \[20, 3\]/],
    ['labels-huge.npy', 'cvae', /labels-huge\.npy: label 4 is 1000000000, which would make 1000000001 classes .*expected class labels below 100000/],
    ['labels.txt', 'cvae', /labels\.txt: unrecognized labels file name/],
    ['labels-wide.csv', 'cvae', /labels-wide\.csv: a labels CSV needs one column/],
    ['no-such-labels.npy', 'cvae', /no-such-labels\.npy: no such file/],
    ['labels-count.npy', 'm2', /labels-count\.npy: has 19 labels/],
    ['labels-negative.npy', 'm2', /labels-negative\.npy: .* is -1/],
    ['labels-count.npy', 'gmm', /labels-count\.npy: has 19 labels/],
    ['labels-count.npy', 'vae', /labels-count\.npy: has 19 labels/],
  ];
  for (const [name, model, msg] of labelCases) {
    add('labels', ['train', model, '--data', f('good.npy'), '--labels', f(name), ...tiny, ...(model === 'm2' ? ['--labeled', '3'] : []), '--out', out(`labels-${model}-${name}`)], msg);
  }
  add('labels', ['train', 'vae', '--data', 'mnist', '--labels', f('labels.npy'), ...tiny, '--out', out('labels-named')], /mnist: labels applies to data files/);
  add('labels', ['train', 'cvae', '--data', f('good.npy'), ...tiny, '--out', out('cvae-nolabels')], /train cvae: needs labels for .*good\.npy \(pass --labels PATH\)/);
  add('labels', ['train', 'm2', '--data', f('good.npy'), '--labeled', '10', ...tiny, '--out', out('m2-nolabels')], /good\.npy.*labels/);
  add('labels', ['train', 'cvae', '--data', f('good.npy'), '--labels', f('labels.npy'), '--test-data', f('good.npy'), ...tiny, '--out', out('cvae-test-nolabels')], /train cvae: needs labels for the test data/);
  add('labels', ['eval', cvae, '--data', f('good.npy'), '--iw', '5'], /eval: .*good\.npy has no labels, which the conditional model in .* needs|expects 1x28x28/);

  // --- train: impossible options (each model family).
  const opt: [string, string[], RegExp][] = [
    ['vae', ['--epochs', '0'], /--epochs must be a positive integer, got '0'/],
    ['vae', ['--epochs', '-3'], /--epochs must be a positive integer, got '-3'/],
    ['vae', ['--epochs', '1.5'], /--epochs must be a positive integer, got '1\.5'/],
    ['vae', ['--epochs', 'NaN'], /--epochs must be a positive integer, got 'NaN'/],
    ['vae', ['--batch', '0'], /--batch must be a positive integer, got '0'/],
    ['vae', ['--lr', '0'], /--lr must be a finite positive number, got '0'/],
    ['vae', ['--lr', '-1e-3'], /--lr must be a finite positive number, got '-1e-3'/],
    ['vae', ['--lr', 'NaN'], /--lr must be a finite positive number, got 'NaN'/],
    ['vae', ['--lr', 'Infinity'], /--lr must be a finite positive number, got 'Infinity'/],
    ['vae', ['--lr', ''], /--lr must be a finite positive number, got ''/],
    ['vae', ['--seed', '-1'], /--seed must be a non-negative integer, got '-1'/],
    ['vae', ['--seed', '99999999999999999999'], /--seed must be a non-negative integer/],
    ['vae', ['--latent', '0'], /--latent must be a positive integer, got '0'/],
    ['vae', ['--hidden', '0'], /--hidden must be comma-separated positive integers like 400,400, got '0'/],
    ['vae', ['--hidden', '400,,400'], /--hidden must be comma-separated positive integers/],
    ['vae', ['--hidden', ''], /--hidden must be comma-separated positive integers/],
    ['vae', ['--activation', 'sigmoid'], /option '--activation <name>' argument 'sigmoid' is invalid\. Allowed choices are relu, tanh, softplus/],
    ['vae', ['--arch', 'rnn'], /argument 'rnn' is invalid\. Allowed choices are mlp, conv/],
    ['vae', ['--likelihood', 'poisson'], /argument 'poisson' is invalid/],
    ['vae', ['--binarize', 'sometimes'], /argument 'sometimes' is invalid\. Allowed choices are dynamic, static, none/],
    ['iwae', ['--k', '0'], /--k must be a positive integer, got '0'/],
    ['vae', ['--beta', '-1'], /--beta must be a finite non-negative number, got '-1'/],
    ['vae', ['--beta', 'NaN'], /--beta must be a finite non-negative number, got 'NaN'/],
    ['vae', ['--warmup', '-5'], /--warmup must be a non-negative integer, got '-5'/],
    ['vae', ['--free-bits', '-0.5'], /--free-bits must be a finite non-negative number/],
    ['vae', ['--capacity', 'Infinity'], /--capacity must be a finite non-negative number/],
    ['vae', ['--gamma', '0'], /--gamma must be a finite positive number, got '0'/],
    ['vae', ['--eval-k', '0'], /--eval-k must be a positive integer, got '0'/],
    ['vae', ['--clip', '0'], /--clip must be a finite positive number, got '0'/],
    ['vae', ['--beta', '1e300'], /--beta must be at most 3\.40e\+38 \(the float32 range\), got '1e300'/],
    ['vae', ['--lr', '1e39'], /--lr must be at most 3\.40e\+38 \(the float32 range\), got '1e39'/],
    ['vae', ['--free-bits', '1e300'], /--free-bits must be at most 3\.40e\+38/],
    ['vae', ['--capacity', '1e300'], /--capacity must be at most 3\.40e\+38/],
    ['gmm', ['--reg-covar', '1e300'], /--reg-covar must be at most 3\.40e\+38/],
    ['vae', ['--clip', '-1'], /--clip must be a finite positive number, got '-1'/],
    ['vae', ['--mask', 'sideways'], /--mask: .*sideways/],
    ['vae', ['--mask', 'block:40'], /--mask block:40: /],
    ['vae', ['--mask', 'random:1.5'], /--mask: .*1\.5/],
    ['vae', ['--mask-loss', 'some'], /argument 'some' is invalid\. Allowed choices are observed, all/],
    ['vae', ['--mask-input'], /--mask-input applies to training with --mask SPEC/],
    ['vae', ['--frobnicate'], /unknown option '--frobnicate'/],
    ['vae', ['--data', ''], /--data: expected mnist, fashion-mnist or a path/],
    ['vae', ['--data', 'mnistt'], /mnistt: unrecognized data file name/],
    ['vae', ['--test-data', f('no-such.npy')], /no-such\.npy: no such file/],
    ['vae', ['--resume'], /--resume needs --out DIR, the run to continue/],
    ['rbm', [], /model must be one of vae, iwae, cvae, m2, gmm, ppca, flow, cnf, got 'rbm'/],
    ['m2', ['--labeled', '7'], /--labeled 7 must be a multiple of the 10 classes/],
    ['m2', ['--labeled', '100000'], /--labeled 100000 must be smaller than the 8000 training examples/],
    ['m2', ['--labeled', '0'], /--labeled must be a positive integer, got '0'/],
    ['m2', ['--alpha', '-2'], /--alpha must be a finite non-negative number, got '-2'/],
    ['m2', ['--labeled-batch', '0'], /--labeled-batch must be a positive integer/],
    ['m2', ['--classifier-hidden', 'x'], /--classifier-hidden must be comma-separated positive integers/],
    ['gmm', ['--k', '100000'], /--k 100000 is larger than the number of training points \(8000\)/],
    ['gmm', ['--pca', '1000'], /--pca 1000 is larger than the number of features \(784\)/],
    ['gmm', ['--pca', 'lots'], /--pca must be 'auto' or a non-negative integer, got 'lots'/],
    ['gmm', ['--covariance', 'banded'], /argument 'banded' is invalid\. Allowed choices are full, tied, diag, spherical/],
    ['gmm', ['--init', 'magic'], /argument 'magic' is invalid/],
    ['gmm', ['--max-iter', '0'], /--max-iter must be a positive integer, got '0'/],
    ['gmm', ['--tol', '0'], /--tol must be a finite positive number, got '0'/],
    ['gmm', ['--reg-covar', '-1'], /--reg-covar must be a finite non-negative number, got '-1'/],
    ['gmm', ['--n-init', '0'], /--n-init must be a positive integer, got '0'/],
    ['gmm', ['--data', f('nan.npy')], /nan\.npy: .*NaN/],
    ['gmm', ['--data', f('empty.npy')], /empty\.npy: has no examples/],
    ['ppca', ['--latent', '784'], /--latent 784 must be smaller than the number of features \(784\)/],
    ['ppca', ['--latent', '0'], /--latent must be a positive integer, got '0'/],
    ['ppca', ['--data', f('inf.npy')], /inf\.npy: .*-Infinity/],
    ['ppca', ['--data', f('header-only.csv')], /header-only\.csv: /],
  ];
  opt.forEach(([model, extra, msg], i) => {
    const o = out(`opt-${model}-${i}`);
    // Options given after the tiny defaults override them.
    const argv = ['train', model, ...(model === 'gmm' || model === 'ppca' ? ['--no-progress'] : tiny), ...extra];
    add(`train ${['vae', 'iwae', 'cvae', 'm2', 'gmm', 'ppca'].includes(model) ? model : 'vae'}`, extra.includes('--resume') ? argv : [...argv, '--out', o], msg, [o]);
  });
  // Output directories that cannot be used.
  add('train vae', ['train', 'vae', ...tiny, '--out', vae], /already exists and is not empty; choose another --out, or pass --resume/, [vae]);
  add('train gmm', ['train', 'gmm', '--out', gmm], /already exists and is not empty; choose another --out/, [gmm]);
  add('train vae', ['train', 'vae', ...tiny, '--out', f('a-file')], /a-file.*(not a directory|is a file)/, [f('a-file')]);
  add('train ppca', ['train', 'ppca', '--out', f('a-file')], /a-file.*(not a directory|is a file)/, [f('a-file')]);
  add('train vae', ['train', 'vae', ...tiny, '--out', join(f('a-file'), 'run')], /a-file.*(not a directory|is a file)/, [f('a-file')]);
  // Held-out images of another size than the training images: found only at the final evaluation, after the run directory is written.
  add('train vae', ['train', 'vae', ...tiny, '--data', f('good.npy'), '--test-data', 'mnist', '--out', out('test-other-size')], /mnist.*28x28.*8x8|8x8.*28x28/);
  add('train gmm', ['train', 'gmm', '--data', f('good.npy'), '--test-data', 'mnist', '--pca', '0', '--covariance', 'diag', '--k', '2', '--out', out('gmm-test-shape')], /mnist.*784.*64|64.*784|28x28.*8x8|8x8.*28x28/);
  add('train ppca', ['train', 'ppca', '--data', f('good.npy'), '--test-data', 'mnist', '--latent', '2', '--out', out('ppca-test-shape')], /mnist.*784.*64|64.*784|28x28.*8x8|8x8.*28x28/);
  add('train m2', ['train', 'm2', '--data', f('good.npy'), '--labels', f('labels.npy'), '--labeled', '3', '--test-data', 'mnist', ...tiny, '--out', out('m2-test-shape')], /mnist.*28x28.*8x8|8x8.*28x28/);
  // A learning rate that overflows the weights in the first steps: the run stops before its first checkpoint.
  add('train vae', ['train', 'vae', ...tiny, '--lr', '1e30', '--out', out('lr-huge')], /training stopped at step \d+: .* is not finite(?![\s\S]*last good checkpoint)/);
  add('train gmm', ['train', 'gmm', '--data', f('lowrank.npy'), '--pca', '5', '--out', out('gmm-lowrank')], /lowrank\.npy.*(subspace|noise variance)|PPCA/);
  // --resume without a usable checkpoint.
  add('train vae', ['train', 'vae', ...tiny, '--resume', '--out', f('never-trained')], /--resume: .*never-trained has no checkpoint \(checkpoint\/checkpoint\.safetensors\) to resume from/);
  add('train iwae', ['train', 'iwae', ...tiny, '--resume', '--out', vae], /--resume: .* holds a 'vae' model, not 'iwae'/, [vae]);
  add('train cvae', ['train', 'cvae', ...tiny, '--resume', '--out', vae], /--resume: .* holds a 'vae' model, not 'cvae'/, [vae]);
  const ckptDamage: [string, (dir: string) => void, RegExp][] = [
    ['ckpt-truncated', (d) => { const p = join(d, 'checkpoint', 'checkpoint.safetensors'); const b = readFileSync(p); writeFileSync(p, b.subarray(0, b.length - 16)); }, /checkpoint\.safetensors: truncated/],
    ['ckpt-empty', (d) => writeFileSync(join(d, 'checkpoint', 'checkpoint.safetensors'), ''), /checkpoint\.safetensors: file is 0 bytes/],
    ['ckpt-foreign', (d) => copyFileSync(join(d, 'model.safetensors'), join(d, 'checkpoint', 'checkpoint.safetensors')), /checkpoint\.safetensors: not a latent checkpoint/],
    ['ckpt-nan', (d) => {
      const p = join(d, 'checkpoint', 'checkpoint.safetensors');
      const { tensors, metadata } = loadSafetensors(p);
      tensors['model.encoder.0.weight'].data[3] = NaN;
      saveSafetensors(p, tensors, metadata);
    }, /checkpoint\.safetensors: .*encoder\.0\.weight.*NaN/],
    ['ckpt-bad-meta', (d) => {
      const p = join(d, 'checkpoint', 'checkpoint.safetensors');
      const { tensors } = loadSafetensors(p);
      saveSafetensors(p, tensors, { 'latent.checkpoint': '{"version": 1, "trainer": ' });
    }, /checkpoint\.safetensors: checkpoint metadata is not valid JSON/],
    ['ckpt-config-changed', editConfig((c) => { c.model.hidden = [32]; }), /checkpoint\.safetensors: cannot restore checkpoint: .*encoder\.0\.weight/],
  ];
  for (const [name, damage, msg] of ckptDamage) {
    const dir = damagedCopy(name, vae, damage);
    add('checkpoint', ['train', 'vae', ...tiny, '--epochs', '2', '--resume', '--out', dir], msg, [dir]);
  }

  // --- Commands that open a model directory: every damaged directory through each of them.
  const readers: [string, (dir: string) => string[]][] = [
    ['eval', (d) => ['eval', d, '--iw', '5', '--limit', '10']],
    ['sample', (d) => ['sample', d, '--out', out(`sample-${d.split('/').pop()}.png`)]],
    ['reconstruct', (d) => ['reconstruct', d, '--out', out(`recon-${d.split('/').pop()}.png`)]],
    ['interpolate', (d) => ['interpolate', d, '--out', out(`interp-${d.split('/').pop()}.png`)]],
    ['inpaint', (d) => ['inpaint', d, '--k', '10', '--iterations', '2', '--n', '2', '--out', out(`inpaint-${d.split('/').pop()}.png`)]],
    ['encode', (d) => ['encode', d, '--limit', '10', '--out', out(`encode-${d.split('/').pop()}.csv`), '--map', out(`encode-${d.split('/').pop()}.png`)]],
  ];
  for (const [name, damage, msg] of modelDirCases) {
    const dir = damagedCopy(name, vae, damage);
    for (const [cmd, argv] of readers) add(cmd, argv(dir), new RegExp(`${esc(dir)}.*` + msg.source));
    if (name.startsWith('weights-') && name !== 'weights-wrong-shape' && name !== 'weights-missing-tensor' && name !== 'weights-nan') {
      add('info', ['info', dir], name === 'weights-missing' ? /is a directory without model\.safetensors/ : msg);
    }
  }
  for (const [cmd, argv] of readers) {
    add(cmd, argv(f('no-such-dir')), /no-such-dir.*(does not exist|not a model directory)/);
    add(cmd, argv(gmm), /holds a 'gmm' model, not a VAE/);
  }
  // Default data that has gone missing, and --data that does not fit the model.
  const lostData = damagedCopy('data-moved', vae, editConfig((c) => { c.data.spec = f('moved-away.npy'); }));
  for (const [cmd, argv] of readers) {
    if (cmd === 'sample') continue;
    add(cmd, argv(lostData), /moved-away\.npy: no such file/);
    add(cmd, [...argv(vae), '--data', f('good.npy')], /good\.npy.*8x8.*28x28|28x28.*8x8/);
    add(cmd, [...argv(vae), '--data', f('nan.npy')], /nan\.npy: .*is NaN/);
    add(cmd, [...argv(vae), '--data', f('no-such.npy')], /no-such\.npy: no such file/);
  }

  // --- Per-command options.
  const png = (name: string) => out(`${name}.png`);
  const cmdOpts: [string, string[], RegExp, string[]?][] = [
    ['eval', ['eval', vae, '--iw', '0'], /--iw must be a positive integer, got '0'/],
    ['eval', ['eval', vae, '--k', '-1'], /--k must be a positive integer, got '-1'/],
    ['eval', ['eval', vae, '--limit', '0'], /--limit must be a positive integer, got '0'/],
    ['eval', ['eval', vae, '--seed', 'x'], /--seed must be a non-negative integer, got 'x'/],
    ['eval', ['eval'], /missing required argument 'dir'/],
    ['eval', ['eval', f('a-file')], /a-file.*(not a model directory|not a directory)/],
    ['sample', ['sample', vae, '--n', '0', '--out', png('s1')], /--n must be a positive integer, got '0'/],
    ['sample', ['sample', vae, '--out', join(f('no-such-folder'), 'x.png')], /--out .*x\.png: the folder .*no-such-folder does not exist/],
    ['sample', ['sample', vae, '--out', root], /--out .*: is a folder; name a file/],
    ['sample', ['sample', vae, '--out', join(f('a-file'), 'x.png')], /--out .*a-file\/x\.png: the folder .*a-file does not exist/],
    ['sample', ['sample', vae, '--label', '3', '--out', png('s2')], /--label applies to a conditional model/],
    ['sample', ['sample', cvae, '--label', '10', '--out', png('s3')], /--label 10 is out of range: the model in .* has classes 0\.\.9/],
    ['sample', ['sample', vae, '--grid', '1', '--out', png('s4')], /--grid must be at least 2, got 1/],
    ['sample', ['sample', vae, '--radius', '0', '--grid', '5', '--out', png('s5')], /--radius must be a finite positive number, got '0'/],
    ['sample', ['sample', vae, '--cols', '0', '--out', png('s6')], /--cols must be a positive integer, got '0'/],
    ['sample', ['sample', vae, '--grid', '3', '--radius', '1e300', '--out', png('s8')], /--radius must be at most 3\.40e\+38 \(the float32 range\)/],
    ['sample', ['sample', vae, '--scale', '-2', '--out', png('s7')], /--scale must be a positive integer, got '-2'/],
    ['reconstruct', ['reconstruct', vae, '--n', '0', '--out', png('r1')], /--n must be a positive integer, got '0'/],
    ['reconstruct', ['reconstruct', vae, '--out', root], /--out .*: is a folder; name a file/],
    ['reconstruct', ['reconstruct', cvae, '--data', f('good-idx3-ubyte'), '--out', png('r2')], /good-idx3-ubyte.*(has no labels|8x8)/],
    ['interpolate', ['interpolate', vae, '--steps', '1', '--out', png('i1')], /--steps must be at least 2 \(the endpoints\), got 1/],
    ['interpolate', ['interpolate', vae, '--from', '5000', '--out', png('i2')], /--from 5000 is out of range: .* has 2000 images \(indices 0\.\.1999\)/],
    ['interpolate', ['interpolate', vae, '--to', '-1', '--out', png('i3')], /--to must be a non-negative integer, got '-1'/],
    ['interpolate', ['interpolate', vae, '--method', 'cubic', '--out', png('i4')], /argument 'cubic' is invalid\. Allowed choices are linear, spherical/],
    ['inpaint', ['inpaint', vae, '--mask', 'diagonal', '--out', png('p1')], /--mask: .*diagonal/],
    ['inpaint', ['inpaint', vae, '--mask', 'block:99', '--out', png('p2')], /--mask block:99: /],
    ['inpaint', ['inpaint', vae, '--k', '7', '--out', png('p3')], /--k must be even with --is-proposal mixture/],
    ['inpaint', ['inpaint', vae, '--iterations', '0', '--out', png('p4')], /--iterations must be a positive integer, got '0'/],
    ['inpaint', ['inpaint', vae, '--method', 'magic', '--out', png('p5')], /argument 'magic' is invalid/],
    ['inpaint', ['inpaint', vae, '--proposal', 'prior', '--out', png('p6')], /argument 'prior' is invalid/],
    ['encode', ['encode', vae, '--size', '10', '--out', out('e1.csv'), '--map', png('e1')], /--size must be at least 40 pixels, got 10/, [out('e1.csv'), png('e1')]],
    ['encode', ['encode', vae, '--out', out('e2.csv'), '--map', root], /--map .*: is a folder; name a file/, [out('e2.csv')]],
    ['encode', ['encode', vae, '--out', join(f('no-such-folder'), 'x.csv'), '--map', png('e3')], /--out .*x\.csv: the folder .*no-such-folder does not exist/, [png('e3')]],
    ['encode', ['encode', vae, '--limit', '0', '--out', out('e4.csv'), '--map', png('e4')], /--limit must be a positive integer, got '0'/, [out('e4.csv'), png('e4')]],
    ['encode', ['encode', vae, '--point-size', '0', '--out', out('e5.csv'), '--map', png('e5')], /--point-size must be a positive integer/, [out('e5.csv'), png('e5')]],
    ['info', ['info', f('no-such.safetensors')], /info: .*no-such\.safetensors does not exist/],
    ['info', ['info', root], /is a directory without model\.safetensors/],
    ['info', ['info', f('good.npy')], /good\.npy: header length \d+ (exceeds the file|is larger than)/],
    ['info', ['info', f('a-file')], /a-file: header length \d+ (exceeds the file|is larger than)/],
  ];
  for (const [group, argv, msg, outputs] of cmdOpts) add(group, argv, msg, outputs);
}

/** The paths a case must leave alone: what it names with --out/--map, else the train --out. */
function outputsOf(c: Case): string[] {
  if (c.outputs) return c.outputs;
  const paths: string[] = [];
  for (const flag of ['--out', '--map']) {
    const i = c.argv.lastIndexOf(flag);
    if (i >= 0) paths.push(c.argv[i + 1]);
  }
  if (c.argv[0] === 'sample' || c.argv[0] === 'reconstruct' || c.argv[0] === 'interpolate' || c.argv[0] === 'inpaint' || c.argv[0] === 'encode') {
    // A default output name would land in the working directory.
    if (!paths.length) throw new Error(`case ${c.argv.join(' ')} names no --out`);
  }
  // A model directory the case reads from must not change either.
  const dir = ['eval', 'sample', 'reconstruct', 'interpolate', 'inpaint', 'encode'].includes(c.argv[0]) ? c.argv[1] : undefined;
  if (dir && dir.startsWith(root)) paths.push(dir);
  return paths;
}

/** A flow model directory (kind 'flow') through eval and sample: damaged copies, data of another shape, a VAE-only option. */
function addFlowCases(flow: string): void {
  const png = f('out-flow-sample.png');
  const damaged: [string, (dir: string) => void, RegExp][] = [
    ['flow-weights-missing', (d) => rmSync(join(d, 'model.safetensors')), /no model\.safetensors/],
    ['flow-weights-truncated', modelDirCases[0][1], modelDirCases[0][2]],
    ['flow-config-layers', editConfig((c) => { c.model.layers = 0; }), /config\.json: model: layers must be a positive integer, got 0/],
  ];
  for (const [name, damage, msg] of damaged) {
    const dir = damagedCopy(name, flow, damage);
    add('eval', ['eval', dir], new RegExp(`${esc(dir)}.*` + msg.source));
    add('sample', ['sample', dir, '--out', png], new RegExp(`${esc(dir)}.*` + msg.source));
  }
  add('eval', ['eval', flow, '--data', f('good.npy')], /good\.npy: has examples of shape \[8, 8\] but the model in .* expects points of 2 coordinates/);
  add('eval', ['eval', flow, '--iw', '5'], /--iw applies to VAEs .* holds a 'flow' model/);
}

let vaeDir = '';
before(async () => {
  writeFixtures();
  vaeDir = f('vae');
  for (const [kind, dir] of [['vae', vaeDir], ['cvae', f('cvae')]]) {
    const r = await latentInProcess(['train', kind, ...tiny, '--out', dir]);
    assert.equal(r.code, 0, r.stderr);
  }
  const g = await latentInProcess(['train', 'gmm', '--k', '2', '--max-iter', '2', '--pca', '0', '--covariance', 'diag', '--data', f('good.npy'), '--out', f('gmm')]);
  assert.equal(g.code, 0, g.stderr);
  buildCorpus(vaeDir, f('cvae'), f('gmm'));
  const fl = await latentInProcess(['train', 'flow', '--data', 'two-moons', '--layers', '2', '--hidden', '8', '--epochs', '1', '--batch', '4000', '--no-progress', '--out', f('flow')]);
  assert.equal(fl.code, 0, fl.stderr);
  addFlowCases(f('flow'));
});

function check(c: Case, r: RunResult, label: string): string[] {
  const problems: string[] = [];
  if (r.code !== 1) problems.push(`exit code ${r.code} (expected 1)`);
  if (!c.expect.test(r.stderr)) problems.push(`message does not match ${c.expect}`);
  if (/\n\s+at .*:\d+:\d+\)?\n/.test(r.stderr) || /internal error/.test(r.stderr)) problems.push('stack trace or internal error');
  return problems.map((p) => `${label}: ${p}\n    latent ${c.argv.join(' ')}\n    stderr: ${r.stderr.trim().slice(0, 600)}`);
}

async function runCases(list: Case[]): Promise<{ failures: string[]; counts: Map<string, number> }> {
  const failures: string[] = [];
  const counts = new Map<string, number>();
  for (const c of list) {
    const outputs = outputsOf(c);
    const before = outputs.map(snapshot);
    const r = await latentInProcess(c.argv);
    const problems = check(c, r, c.group);
    outputs.forEach((p, i) => {
      if (snapshot(p) !== before[i]) problems.push(`${c.group}: ${p} was ${before[i] === 'absent' ? 'created' : 'changed'}\n    latent ${c.argv.join(' ')}`);
    });
    failures.push(...problems);
    counts.set(c.group, (counts.get(c.group) ?? 0) + 1);
  }
  return { failures, counts };
}

test('bad inputs: every case exits 1 with a message naming the input, and writes nothing', { timeout: 300_000 }, async (t) => {
  const { failures, counts } = await runCases(cases);
  t.diagnostic(`${cases.length} bad inputs: ${[...counts].map(([g, n]) => `${g} ${n}`).join(', ')}`);
  for (const fl of failures) t.diagnostic(fl);
  assert.equal(failures.length, 0, `${failures.length} problems in ${cases.length} cases:\n${failures.join('\n')}`);
});

test('the in-process harness agrees with cli/main.ts in a child process', { timeout: 120_000 }, async () => {
  const sample = [0, 7, 17, 29, 61, 89, 131, 200, 260].map((i) => cases[Math.min(i, cases.length - 1)]);
  for (const c of sample) {
    const outputs = outputsOf(c);
    const before = outputs.map(snapshot);
    const r = spawnSync(process.execPath, ['--import', 'tsx', main, ...c.argv], { encoding: 'utf8' });
    const inProc = await latentInProcess(c.argv);
    assert.equal(r.status, inProc.code, `latent ${c.argv.join(' ')}: exit ${r.status} in a child, ${inProc.code} in process\n${r.stderr}`);
    assert.deepEqual(check(c, { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }, 'child'), []);
    assert.equal(r.stderr.split('\n')[0], inProc.stderr.split('\n')[0]);
    outputs.forEach((p, i) => assert.equal(snapshot(p), before[i], `${p} changed`));
  }
});
