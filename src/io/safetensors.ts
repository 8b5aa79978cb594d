/**
 * The safetensors format (Hugging Face): an 8-byte little-endian unsigned
 * header length N, then N bytes of UTF-8 JSON mapping each tensor name to
 * `{dtype, shape, data_offsets: [begin, end]}` (offsets into the byte buffer
 * that follows the header) plus an optional `"__metadata__"` map of strings,
 * then the tensors' bytes, row-major and little-endian.
 *
 * State dicts use PyTorch's names and layout (`encoder.0.weight` of shape
 * [out, in], like `torch.nn.Linear`), so files written here load with
 * `safetensors.torch.load_file` and files written by PyTorch load here.
 *
 * Spec: https://github.com/huggingface/safetensors (README, "Format").
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { writeFileAtomic } from './atomic.js';
import { Tensor, type FloatArray } from '../tensor/tensor.js';
import { formatShape } from '../tensor/shape.js';

/** Named tensors, keyed by PyTorch-style dotted names such as `encoder.0.weight`. */
export type StateDict = Record<string, Tensor>;

/** The dtypes of the safetensors format that this module recognizes in a header. */
export type SafetensorsDType =
  | 'F64' | 'F32' | 'F16' | 'BF16'
  | 'I64' | 'I32' | 'I16' | 'I8'
  | 'U64' | 'U32' | 'U16' | 'U8'
  | 'BOOL' | 'F8_E5M2' | 'F8_E4M3';

/** One tensor's entry in a safetensors header. */
export interface SafetensorsTensorInfo {
  readonly name: string;
  readonly dtype: SafetensorsDType;
  readonly shape: readonly number[];
  /** [begin, end) in bytes, relative to the start of the data buffer (after the header). */
  readonly dataOffsets: readonly [number, number];
}

/** What {@link readSafetensorsHeader} reports about a file without reading its tensor data. */
export interface SafetensorsHeader {
  /** The tensors, sorted by name. */
  readonly tensors: readonly SafetensorsTensorInfo[];
  readonly metadata: Record<string, string>;
  /** N, the length of the JSON header in bytes (not counting the 8-byte length prefix). */
  readonly headerLength: number;
  /** File offset of the data buffer: 8 + N. */
  readonly dataStart: number;
  /** Length of the data buffer in bytes. */
  readonly dataLength: number;
}

const METADATA_KEY = '__metadata__';

/**
 * The format's reference implementation refuses headers above 100 MB; so do
 * we, so that a corrupt length cannot make us allocate gigabytes.
 */
const MAX_HEADER_LENGTH = 100_000_000;

const DTYPE_SIZE: Readonly<Record<SafetensorsDType, number>> = {
  F64: 8, F32: 4, F16: 2, BF16: 2,
  I64: 8, I32: 4, I16: 2, I8: 1,
  U64: 8, U32: 4, U16: 2, U8: 1,
  BOOL: 1, F8_E5M2: 1, F8_E4M3: 1,
};

/** Dtypes we can turn into tensors: F64 stays float64, everything else becomes float32. */
const READABLE: readonly SafetensorsDType[] = [
  'F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U64', 'U32', 'U16', 'U8', 'BOOL',
];

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function isDType(s: string): s is SafetensorsDType {
  return Object.prototype.hasOwnProperty.call(DTYPE_SIZE, s);
}

/** A short rendering of an arbitrary JSON value for error messages. */
function show(value: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(value) ?? String(value);
  } catch {
    s = String(value);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** True when a JS string has no lone surrogates, i.e. encodes to UTF-8 without loss. */
function isWellFormed(s: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Assigns as an own property, so that a tensor named `__proto__` stays a tensor. */
function defineEntry<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

// ---------------------------------------------------------------------------
// Header parsing and validation, shared by the in-memory and file readers.

/** Reads and bounds-checks N from the 8-byte prefix; `available` is the number of bytes after the prefix. */
function readHeaderLength(prefix: Uint8Array, available: number, source: string): number {
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(available)) {
    throw new Error(`${source}: header length ${n} exceeds the file: only ${available} bytes follow the 8-byte length prefix`);
  }
  if (n > BigInt(MAX_HEADER_LENGTH)) {
    throw new Error(`${source}: header length ${n} is larger than the ${MAX_HEADER_LENGTH}-byte limit`);
  }
  return Number(n);
}

function parseShape(name: string, raw: unknown, source: string): number[] {
  if (!Array.isArray(raw) || !raw.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    throw new Error(`${source}: tensor ${show(name)}: shape must be a list of non-negative integers, got ${show(raw)}`);
  }
  return raw as number[];
}

function parseEntry(name: string, raw: unknown, source: string): SafetensorsTensorInfo {
  const where = `${source}: tensor ${show(name)}`;
  if (!isPlainObject(raw)) {
    throw new Error(`${where}: expected an object {dtype, shape, data_offsets}, got ${show(raw)}`);
  }
  const { dtype, shape: rawShape, data_offsets: rawOffsets } = raw;
  if (typeof dtype !== 'string') throw new Error(`${where}: dtype must be a string, got ${show(dtype)}`);
  if (!isDType(dtype)) {
    throw new Error(`${where}: unknown dtype ${show(dtype)} (known: ${Object.keys(DTYPE_SIZE).join(', ')})`);
  }
  const shape = parseShape(name, rawShape, source);
  if (
    !Array.isArray(rawOffsets) || rawOffsets.length !== 2 ||
    !rawOffsets.every((o) => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0) ||
    rawOffsets[0] > rawOffsets[1]
  ) {
    throw new Error(`${where}: data_offsets must be [begin, end] with integers 0 <= begin <= end, got ${show(rawOffsets)}`);
  }
  const [begin, end] = rawOffsets as [number, number];
  let numel = 1;
  for (const d of shape) numel *= d;
  const needed = numel * DTYPE_SIZE[dtype];
  if (!Number.isSafeInteger(needed)) {
    throw new Error(`${where}: shape ${formatShape(shape)} is too large to address`);
  }
  if (end - begin !== needed) {
    throw new Error(
      `${where}: data_offsets [${begin}, ${end}] span ${end - begin} bytes ` +
        `but dtype ${dtype} with shape ${formatShape(shape)} needs ${needed}`,
    );
  }
  return { name, dtype, shape: Object.freeze([...shape]), dataOffsets: Object.freeze([begin, end] as [number, number]) };
}

function parseMetadata(raw: unknown, source: string): Record<string, string> {
  if (!isPlainObject(raw)) {
    throw new Error(`${source}: ${METADATA_KEY} must be an object mapping strings to strings, got ${show(raw)}`);
  }
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string') {
      throw new Error(`${source}: ${METADATA_KEY}[${show(k)}] must be a string, got ${show(v)}`);
    }
    defineEntry(metadata, k, v);
  }
  return metadata;
}

/**
 * Checks that the tensors tile the data buffer exactly: the spec requires the
 * byte buffer to be fully indexed, with no gaps and no overlaps.
 */
function checkLayout(tensors: readonly SafetensorsTensorInfo[], dataLength: number, source: string): void {
  const byOffset = [...tensors].sort(
    (a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1],
  );
  let covered = 0;
  let previous: SafetensorsTensorInfo | null = null;
  for (const t of byOffset) {
    const [begin, end] = t.dataOffsets;
    if (begin < covered) {
      throw new Error(
        `${source}: tensor ${show(t.name)} at data_offsets [${begin}, ${end}] overlaps ` +
          `tensor ${show(previous!.name)} at [${previous!.dataOffsets[0]}, ${previous!.dataOffsets[1]}]`,
      );
    }
    if (begin > covered) {
      throw new Error(
        `${source}: data bytes [${covered}, ${begin}) are not covered by any tensor ` +
          `(the next tensor, ${show(t.name)}, starts at ${begin}); the byte buffer must be fully indexed`,
      );
    }
    covered = end;
    previous = t;
  }
  if (covered > dataLength) {
    throw new Error(`${source}: truncated: header promises ${covered} data bytes but only ${dataLength} follow`);
  }
  if (covered < dataLength) {
    throw new Error(
      `${source}: ${dataLength - covered} data bytes after offset ${covered} are not covered by any tensor; ` +
        'the byte buffer must be fully indexed',
    );
  }
}

/** Parses and validates the JSON header; `dataLength` is the size of the byte buffer after it. */
function parseHeader(
  headerBytes: Uint8Array,
  dataLength: number,
  source: string,
): { tensors: SafetensorsTensorInfo[]; metadata: Record<string, string> } {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw new Error(`${source}: header is not valid UTF-8`);
  }
  // The spec requires the header to start with '{'; padding is trailing spaces.
  if (!text.startsWith('{')) {
    throw new Error(`${source}: header is not a JSON object: expected it to start with '{', got ${show(text.slice(0, 20))}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source}: header is not valid JSON (${(err as Error).message})`);
  }
  if (!isPlainObject(json)) {
    throw new Error(`${source}: header is not a JSON object, got ${show(json)}`);
  }
  let metadata: Record<string, string> = {};
  const tensors: SafetensorsTensorInfo[] = [];
  for (const [name, raw] of Object.entries(json)) {
    if (name === METADATA_KEY) metadata = parseMetadata(raw, source);
    else tensors.push(parseEntry(name, raw, source));
  }
  checkLayout(tensors, dataLength, source);
  tensors.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { tensors, metadata };
}

// ---------------------------------------------------------------------------
// Decoding element types.

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/**
 * IEEE 754 binary16 bits to a number, exactly (every half is a float32).
 * NaN payloads are not kept; any NaN comes back as NaN.
 *
 * @example
 * float16BitsToNumber(0x3c00);   // returns 1
 * float16BitsToNumber(0x7bff);   // returns 65504, the largest half
 * float16BitsToNumber(0x0001);   // returns 2 ** -24, the smallest subnormal
 */
export function float16BitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24; // zero and subnormals: mant * 2^-14 * 2^-10
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1024 + mant) * 2 ** (exp - 25); // (1 + mant/2^10) * 2^(exp-15)
}

/**
 * bfloat16 bits to a number, exactly: they are the top 16 bits of a float32.
 *
 * @example
 * bfloat16BitsToNumber(0x3f80);   // returns 1
 * bfloat16BitsToNumber(0xc060);   // returns -3.5
 */
export function bfloat16BitsToNumber(b: number): number {
  u32Scratch[0] = (b & 0xffff) << 16;
  return f32Scratch[0];
}

/** Decodes one tensor's bytes (little-endian) into float32, or float64 for F64. */
function decode(info: SafetensorsTensorInfo, bytes: Uint8Array, source: string): FloatArray {
  const { dtype } = info;
  if (!READABLE.includes(dtype)) {
    throw new Error(
      `${source}: tensor ${show(info.name)} has dtype ${dtype}, which latent cannot read (readable: ${READABLE.join(', ')})`,
    );
  }
  const n = bytes.length / DTYPE_SIZE[dtype];
  if ((dtype === 'F32' || dtype === 'F64') && LITTLE_ENDIAN_HOST) {
    // Copy into fresh storage: the source may be unaligned or a view of a larger (pooled) buffer.
    const out = dtype === 'F64' ? new Float64Array(n) : new Float32Array(n);
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === 'F64') {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, true);
    return out;
  }
  const out = new Float32Array(n);
  switch (dtype) {
    case 'F32': for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true); break;
    case 'F16': for (let i = 0; i < n; i++) out[i] = float16BitsToNumber(view.getUint16(2 * i, true)); break;
    case 'BF16': for (let i = 0; i < n; i++) out[i] = bfloat16BitsToNumber(view.getUint16(2 * i, true)); break;
    case 'I64': for (let i = 0; i < n; i++) out[i] = Number(view.getBigInt64(8 * i, true)); break;
    case 'U64': for (let i = 0; i < n; i++) out[i] = Number(view.getBigUint64(8 * i, true)); break;
    case 'I32': for (let i = 0; i < n; i++) out[i] = view.getInt32(4 * i, true); break;
    case 'U32': for (let i = 0; i < n; i++) out[i] = view.getUint32(4 * i, true); break;
    case 'I16': for (let i = 0; i < n; i++) out[i] = view.getInt16(2 * i, true); break;
    case 'U16': for (let i = 0; i < n; i++) out[i] = view.getUint16(2 * i, true); break;
    case 'I8': for (let i = 0; i < n; i++) out[i] = view.getInt8(i); break;
    case 'U8': for (let i = 0; i < n; i++) out[i] = view.getUint8(i); break;
    case 'BOOL': for (let i = 0; i < n; i++) out[i] = view.getUint8(i) !== 0 ? 1 : 0; break;
    default: throw new Error(`${source}: tensor ${show(info.name)}: no decoder for dtype ${dtype}`);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Public API.

/**
 * Parses a safetensors file held in memory.
 *
 * F32 tensors become float32 and F64 tensors float64. Every other readable
 * dtype is converted to float32: F16 and BF16 exactly; I8, U8, I16, U16 and
 * BOOL (as 0/1) exactly; I32, U32, I64 and U64 exactly up to 2^24 in
 * magnitude and rounded to the nearest float32 beyond (PyTorch's I64 tensors,
 * such as BatchNorm's `num_batches_tracked`, are small counters). F8 dtypes
 * are recognized but rejected.
 *
 * The header is validated in full, and errors name `source` and what was
 * expected: a file shorter than 8 bytes, a header length beyond the file,
 * a header that is not a JSON object, an unknown dtype, a bad shape,
 * `data_offsets` that do not match the dtype size times the element count,
 * tensors that overlap or leave gaps in the data buffer, and truncation.
 *
 * @param bytes The whole file.
 * @param source A name for the bytes in error messages, usually the file path.
 * @returns The tensors (own storage, not views of `bytes`) and the `__metadata__` map (empty if absent).
 *
 * @example
 * const bytes = serializeSafetensors({ 'fc.bias': new Tensor(new Float32Array([1, 2]), [2]) });
 * const { tensors } = parseSafetensors(bytes);
 * tensors['fc.bias'].toArray();   // returns [1, 2]
 */
export function parseSafetensors(
  bytes: Uint8Array,
  source = '<buffer>',
): { tensors: StateDict; metadata: Record<string, string> } {
  if (bytes.length < 8) {
    throw new Error(`${source}: file is ${bytes.length} bytes, shorter than the 8-byte header length prefix of a safetensors file`);
  }
  const n = readHeaderLength(bytes.subarray(0, 8), bytes.length - 8, source);
  const dataStart = 8 + n;
  const { tensors: infos, metadata } = parseHeader(bytes.subarray(8, dataStart), bytes.length - dataStart, source);
  const tensors: StateDict = {};
  for (const info of infos) {
    const [begin, end] = info.dataOffsets;
    const data = decode(info, bytes.subarray(dataStart + begin, dataStart + end), source);
    defineEntry(tensors, info.name, new Tensor(data, info.shape));
  }
  return { tensors, metadata };
}

/**
 * Serializes a state dict to safetensors bytes.
 *
 * Tensors are laid out in sorted name order (JavaScript string order), each
 * as F32 or F64 after its dtype, row-major and little-endian. The header is
 * padded with spaces to a multiple of 8 bytes so that the data starts
 * aligned. NaN and infinite values are written as they are.
 *
 * @param state Tensors by name; names must be non-empty strings other than `__metadata__`.
 * @param metadata Optional string-to-string map stored as `__metadata__` (omitted when empty).
 * @throws If a name or a metadata entry is invalid, or a value is not a tensor with a consistent shape.
 *
 * @example
 * const w = new Tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);  // nn.Linear(3, 2).weight
 * const bytes = serializeSafetensors({ 'encoder.0.weight': w }, { format: 'pt' });
 * bytes.length % 8;   // returns 0 (8-byte prefix + padded header + 24 data bytes)
 */
export function serializeSafetensors(state: StateDict, metadata?: Record<string, string>): Uint8Array {
  const what = 'serializeSafetensors';
  if (!isPlainObject(state)) throw new Error(`${what}: state must be an object mapping names to tensors, got ${show(state)}`);
  const names = Object.keys(state).sort();
  const parts: string[] = [];
  if (metadata !== undefined) {
    if (!isPlainObject(metadata)) throw new Error(`${what}: metadata must be an object mapping strings to strings, got ${show(metadata)}`);
    const keys = Object.keys(metadata).sort();
    for (const k of keys) {
      const v = metadata[k];
      if (typeof v !== 'string') throw new Error(`${what}: metadata[${show(k)}] must be a string, got ${show(v)}`);
      if (!isWellFormed(k) || !isWellFormed(v)) throw new Error(`${what}: metadata[${show(k)}] contains a lone UTF-16 surrogate`);
    }
    if (keys.length > 0) {
      parts.push(`${JSON.stringify(METADATA_KEY)}:{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`).join(',')}}`);
    }
  }
  const tensors: Tensor[] = [];
  let offset = 0;
  for (const name of names) {
    const t: unknown = state[name];
    if (name === '') throw new Error(`${what}: tensor names must be non-empty strings`);
    if (name === METADATA_KEY) throw new Error(`${what}: ${show(name)} is reserved for metadata and cannot name a tensor`);
    if (!isWellFormed(name)) throw new Error(`${what}: tensor name ${show(name)} contains a lone UTF-16 surrogate`);
    if (!(t instanceof Tensor)) throw new Error(`${what}: state[${show(name)}] must be a Tensor, got ${show(t)}`);
    const { shape, data } = t;
    if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new Error(`${what}: tensor ${show(name)} has shape ${formatShape(shape)}; dimensions must be finite non-negative integers`);
    }
    if (!(data instanceof Float32Array || data instanceof Float64Array)) {
      throw new Error(`${what}: tensor ${show(name)} must hold a Float32Array or Float64Array`);
    }
    let numel = 1;
    for (const d of shape) numel *= d;
    if (data.length !== numel) {
      throw new Error(`${what}: tensor ${show(name)} has ${data.length} elements but shape ${formatShape(shape)} needs ${numel}`);
    }
    const dtype = data instanceof Float64Array ? 'F64' : 'F32';
    const end = offset + data.byteLength;
    parts.push(`${JSON.stringify(name)}:{"dtype":"${dtype}","shape":[${shape.join(',')}],"data_offsets":[${offset},${end}]}`);
    tensors.push(t);
    offset = end;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let pos = 8 + headerLength;
  for (const t of tensors) {
    const data = t.data;
    if (LITTLE_ENDIAN_HOST) {
      out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), pos);
    } else if (data instanceof Float64Array) {
      for (let i = 0; i < data.length; i++) view.setFloat64(pos + 8 * i, data[i], true);
    } else {
      for (let i = 0; i < data.length; i++) view.setFloat32(pos + 4 * i, data[i], true);
    }
    pos += data.byteLength;
  }
  return out;
}

/**
 * Writes a state dict to a safetensors file atomically: the bytes go to a
 * temporary file in the same directory, which is flushed to disk (fsync) and
 * then renamed over `path`. A crash or an error never leaves a partial file
 * at `path`; an invalid state dict is rejected before anything is written.
 *
 * @example
 * saveSafetensors('runs/vae/model.safetensors', model.stateDict(), { format: 'pt' });
 */
export function saveSafetensors(path: string, state: StateDict, metadata?: Record<string, string>): void {
  writeFileAtomic(path, serializeSafetensors(state, metadata), 'safetensors file');
}

/**
 * Reads a safetensors file into a state dict; see {@link parseSafetensors}
 * for the dtype conversions and the validation. Errors name `path`.
 *
 * @example
 * const { tensors, metadata } = loadSafetensors('runs/vae/model.safetensors');
 * tensors['encoder.0.weight'].shape;   // returns [400, 784]
 */
export function loadSafetensors(path: string): { tensors: StateDict; metadata: Record<string, string> } {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new Error(`${path}: cannot read safetensors file: ${(err as Error).message}`, { cause: err });
  }
  return parseSafetensors(bytes, path);
}

/**
 * Reads and validates only the header of a safetensors file: names, dtypes,
 * shapes and offsets of its tensors and its metadata, without reading the
 * tensor data (the layout is still checked against the file's size, so a
 * truncated file is reported). Any dtype of the format is listed, including
 * those {@link loadSafetensors} cannot convert.
 *
 * @example
 * const { tensors } = readSafetensorsHeader('model.safetensors');
 * tensors.map((t) => `${t.name} ${t.dtype} [${t.shape}]`);
 * // returns ['decoder.weight F32 [784,400]', ...]
 */
export function readSafetensorsHeader(path: string): SafetensorsHeader {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new Error(`${path}: cannot read safetensors file: ${(err as Error).message}`, { cause: err });
  }
  try {
    const size = fstatSync(fd).size;
    if (size < 8) {
      throw new Error(`${path}: file is ${size} bytes, shorter than the 8-byte header length prefix of a safetensors file`);
    }
    const prefix = new Uint8Array(8);
    readFully(fd, prefix, 0, path);
    const headerLength = readHeaderLength(prefix, size - 8, path);
    const headerBytes = new Uint8Array(headerLength);
    readFully(fd, headerBytes, 8, path);
    const dataStart = 8 + headerLength;
    const { tensors, metadata } = parseHeader(headerBytes, size - dataStart, path);
    return { tensors, metadata, headerLength, dataStart, dataLength: size - dataStart };
  } finally {
    closeSync(fd);
  }
}

function readFully(fd: number, into: Uint8Array, position: number, source: string): void {
  let got = 0;
  while (got < into.length) {
    const n = readSync(fd, into, got, into.length - got, position + got);
    if (n === 0) throw new Error(`${source}: unexpected end of file at byte ${position + got} (did the file change while being read?)`);
    got += n;
  }
}
