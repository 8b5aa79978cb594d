/**
 * NumPy's `.npy` format (NEP 1, "A simple file format for NumPy arrays";
 * numpy.lib.format): the magic string `\x93NUMPY`, a major and minor version
 * byte, the header length (uint16 little-endian in version 1.0, uint32 in
 * 2.0 and 3.0), a header that is a Python dict literal
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }` (latin-1 in
 * 1.0/2.0, UTF-8 in 3.0), then the raw values.
 *
 * Supported dtypes: float `f2 f4 f8`, signed `i1 i2 i4 i8`, unsigned
 * `u1 u2 u4 u8`, bool `b1`, in either byte order (`<`, `>`, `|`, `=`).
 * Fortran-order arrays are transposed to C order on load. Structured,
 * string, object (pickled), complex and datetime dtypes are refused.
 */
import { endianness } from 'node:os';
import { formatShape } from '../tensor/shape.js';
import { DataError } from './errors.js';
import type { RawArray } from './raw.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** A parsed `.npy` header. */
export interface NpyHeader {
  /** Format version, e.g. [1, 0]. */
  version: [number, number];
  /** The dtype string, e.g. `<f4`. */
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  /** Byte offset of the values in the file. */
  dataOffset: number;
}

type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue };

/** A parser for the Python literals that appear in `.npy` headers. */
class PyLiteralParser {
  private pos = 0;
  private depth = 0;
  constructor(
    private readonly text: string,
    private readonly fail: (why: string) => never,
  ) {}

  parseAll(): PyValue {
    const v = this.value();
    this.ws();
    if (this.pos !== this.text.length) this.fail(`unexpected ${JSON.stringify(this.text.slice(this.pos, this.pos + 10))} after the header dict`);
    return v;
  }

  private ws(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  private value(): PyValue {
    this.ws();
    const c = this.text[this.pos];
    if (c === undefined) this.fail('the header ends early');
    if (c === '{' || c === '(' || c === '[') {
      if (++this.depth > 16) this.fail('nested too deeply');
      const v = c === '{' ? this.dict() : this.sequence(c === '(' ? ')' : ']');
      this.depth--;
      return v;
    }
    if (c === "'" || c === '"') return this.string();
    const word = /^(True|False|None|[+-]?\d+L?)/.exec(this.text.slice(this.pos, this.pos + 40));
    if (word === null) this.fail(`unexpected ${JSON.stringify(this.text.slice(this.pos, this.pos + 10))} in the header`);
    this.pos += word[0].length;
    if (word[0] === 'True') return true;
    if (word[0] === 'False') return false;
    if (word[0] === 'None') return null;
    return Number(word[0].replace('L', ''));
  }

  private string(): string {
    const quote = this.text[this.pos++];
    let out = '';
    while (this.pos < this.text.length && this.text[this.pos] !== quote) {
      if (this.text[this.pos] === '\\') this.pos++;
      out += this.text[this.pos++];
    }
    if (this.pos >= this.text.length) this.fail('unterminated string in the header');
    this.pos++;
    return out;
  }

  private sequence(close: string): PyValue[] {
    this.pos++;
    const out: PyValue[] = [];
    for (;;) {
      this.ws();
      if (this.text[this.pos] === close) {
        this.pos++;
        return out;
      }
      out.push(this.value());
      this.ws();
      if (this.text[this.pos] === ',') this.pos++;
      else if (this.text[this.pos] !== close) this.fail(`expected ',' or '${close}' in the header`);
    }
  }

  private dict(): { [key: string]: PyValue } {
    this.pos++;
    const out: { [key: string]: PyValue } = Object.create(null);
    for (;;) {
      this.ws();
      if (this.text[this.pos] === '}') {
        this.pos++;
        return out;
      }
      const key = this.value();
      if (typeof key !== 'string') this.fail('header dict keys must be strings');
      this.ws();
      if (this.text[this.pos] !== ':') this.fail(`expected ':' after '${key}' in the header`);
      this.pos++;
      out[key] = this.value();
      this.ws();
      if (this.text[this.pos] === ',') this.pos++;
      else if (this.text[this.pos] !== '}') this.fail("expected ',' or '}' in the header");
    }
  }
}

/**
 * Reads the header of a `.npy` file's bytes. Throws a `DataError` naming
 * `source` for a bad magic string, an unknown version, or a malformed header.
 *
 * @example
 * parseNpyHeader(readFileSync('x.npy'), 'x.npy').shape; // e.g. [100, 784]
 */
export function parseNpyHeader(bytes: Uint8Array, source: string): NpyHeader {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new DataError(source, `bad NPY magic string; expected a .npy file starting with \\x93NUMPY (got ${bytes.length < 10 ? `${bytes.length} bytes` : JSON.stringify(Buffer.from(bytes.subarray(0, 6)).toString('latin1'))})`);
  }
  const major = bytes[6];
  const minor = bytes[7];
  if (!((major === 1 || major === 2 || major === 3) && minor === 0)) {
    throw new DataError(source, `unsupported NPY format version ${major}.${minor}; expected 1.0, 2.0 or 3.0`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) throw new DataError(source, 'truncated NPY header');
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lenBytes;
  if (bytes.length < start + headerLen) {
    throw new DataError(source, `truncated NPY header: it declares ${headerLen} header bytes but the file has ${bytes.length - start} after the length field`);
  }
  const text = Buffer.from(bytes.buffer, bytes.byteOffset + start, headerLen).toString(major === 3 ? 'utf8' : 'latin1');
  const fail = (why: string): never => {
    throw new DataError(source, `malformed NPY header ${JSON.stringify(text.trim().slice(0, 120))}: ${why}`);
  };
  const dict = new PyLiteralParser(text, fail).parseAll();
  if (typeof dict !== 'object' || dict === null || Array.isArray(dict)) fail('expected a dict');
  const d = dict as { [key: string]: PyValue };
  for (const key of ['descr', 'fortran_order', 'shape']) if (!(key in d)) fail(`missing key '${key}'`);
  const extra = Object.keys(d).filter((k) => !['descr', 'fortran_order', 'shape'].includes(k));
  if (extra.length > 0) fail(`unexpected key(s) ${extra.join(', ')}`);
  if (typeof d.descr !== 'string') {
    throw new DataError(source, `structured NPY dtype ${JSON.stringify(d.descr)} is not supported; expected a plain numeric array (e.g. '<f4')`);
  }
  if (typeof d.fortran_order !== 'boolean') fail("'fortran_order' must be True or False");
  const shape = d.shape;
  if (!Array.isArray(shape) || !shape.every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0)) {
    fail("'shape' must be a tuple of non-negative integers");
  }
  return {
    version: [major, minor],
    descr: d.descr,
    fortranOrder: d.fortran_order as boolean,
    shape: shape as number[],
    dataOffset: start + headerLen,
  };
}

interface NpyType {
  kind: 'f' | 'i' | 'u' | 'b';
  size: number;
  little: boolean;
}

function parseDescr(descr: string, source: string): NpyType {
  const m = /^([<>|=])([a-zA-Z])(\d+)$/.exec(descr);
  const supported = "float '<f4' '<f8' '<f2', int '<i1'..'<i8', unsigned '|u1'..'<u8', bool '|b1' (either byte order)";
  if (m === null) throw new DataError(source, `unsupported NPY dtype ${JSON.stringify(descr)}; expected ${supported}`);
  const [, order, kind, sizeText] = m;
  const size = Number(sizeText);
  const ok =
    (kind === 'f' && (size === 2 || size === 4 || size === 8)) ||
    ((kind === 'i' || kind === 'u') && (size === 1 || size === 2 || size === 4 || size === 8)) ||
    (kind === 'b' && size === 1);
  if (!ok) {
    const names: Record<string, string> = { U: 'unicode strings', S: 'byte strings', O: 'Python objects (pickled)', c: 'complex numbers', M: 'datetimes', m: 'timedeltas', V: 'raw bytes' };
    const what = names[kind] ? ` (${names[kind]})` : '';
    throw new DataError(source, `unsupported NPY dtype ${JSON.stringify(descr)}${what}; expected ${supported}`);
  }
  const little = order === '<' || order === '|' || (order === '=' && endianness() === 'LE');
  return { kind: kind as NpyType['kind'], size, little };
}

/** A float16 bit pattern as a number. */
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * Decodes a `.npy` file's bytes into C-order values. Throws a `DataError`
 * naming `source` for a bad header, an unsupported dtype, or a body whose
 * length does not match the declared shape (truncated or with extra bytes).
 *
 * @example
 * const raw = parseNpy(readFileSync('x.npy'), 'x.npy');
 * raw.shape; raw.values; // [2, 3], Float32Array for '<f4'
 */
export function parseNpy(bytes: Uint8Array, source: string): RawArray {
  const header = parseNpyHeader(bytes, source);
  const type = parseDescr(header.descr, source);
  const { shape } = header;
  let count = 1;
  for (const d of shape) count *= d;
  const expected = count * type.size;
  const actual = bytes.length - header.dataOffset;
  if (actual < expected) {
    throw new DataError(
      source,
      `truncated: the NPY header declares shape ${formatShape(shape)} of ${header.descr}, ${expected} bytes of data, but only ${actual} bytes follow the header`,
    );
  }
  if (actual > expected) {
    throw new DataError(
      source,
      `the NPY header's shape ${formatShape(shape)} of ${header.descr} (${expected} bytes of data) does not match the file: ${actual} bytes follow the header (${actual - expected} extra)`,
    );
  }
  const body = bytes.subarray(header.dataOffset);
  let values: RawArray['values'];
  let kind: RawArray['kind'];
  if (type.size === 1 && (type.kind === 'u' || type.kind === 'b')) {
    values = new Uint8Array(body);
    kind = type.kind === 'u' ? 'uint8' : 'bool';
    if (kind === 'bool') for (let i = 0; i < values.length; i++) values[i] = values[i] ? 1 : 0;
  } else if (type.little === (endianness() === 'LE') && (type.kind === 'f' ? type.size >= 4 : type.size === 4 || type.size === 2)) {
    // Native byte order: one aligned copy viewed as the typed array.
    const copy = new Uint8Array(body).buffer; // not body.slice(): on a Buffer that is a view
    if (type.kind === 'f') {
      values = type.size === 4 ? new Float32Array(copy) : new Float64Array(copy);
      kind = 'float';
    } else {
      const ints = type.size === 4 ? (type.kind === 'i' ? new Int32Array(copy) : new Uint32Array(copy)) : type.kind === 'i' ? new Int16Array(copy) : new Uint16Array(copy);
      values = Float64Array.from(ints);
      kind = 'int';
    }
  } else {
    const v = new DataView(body.buffer, body.byteOffset, body.byteLength);
    const le = type.little;
    const out = type.kind === 'f' && type.size === 4 ? new Float32Array(count) : new Float64Array(count);
    const s = type.size;
    if (type.kind === 'f') {
      if (s === 2) for (let i = 0; i < count; i++) out[i] = halfToNumber(v.getUint16(2 * i, le));
      else if (s === 4) for (let i = 0; i < count; i++) out[i] = v.getFloat32(4 * i, le);
      else for (let i = 0; i < count; i++) out[i] = v.getFloat64(8 * i, le);
      kind = 'float';
    } else {
      const signed = type.kind === 'i';
      if (s === 1) for (let i = 0; i < count; i++) out[i] = v.getInt8(i);
      else if (s === 2) for (let i = 0; i < count; i++) out[i] = signed ? v.getInt16(2 * i, le) : v.getUint16(2 * i, le);
      else if (s === 4) for (let i = 0; i < count; i++) out[i] = signed ? v.getInt32(4 * i, le) : v.getUint32(4 * i, le);
      else for (let i = 0; i < count; i++) out[i] = Number(signed ? v.getBigInt64(8 * i, le) : v.getBigUint64(8 * i, le));
      kind = 'int';
    }
    values = out;
  }
  if (header.fortranOrder && shape.length > 1) values = fortranToC(values, shape);
  return { shape: [...shape], values, kind, dtype: header.descr };
}

/** Reorders column-major (Fortran) storage to row-major (C) storage. */
function fortranToC<T extends RawArray['values']>(src: T, shape: readonly number[]): T {
  const out = new (src.constructor as new (n: number) => T)(src.length);
  const nd = shape.length;
  const cStrides = new Array<number>(nd);
  let s = 1;
  for (let d = nd - 1; d >= 0; d--) {
    cStrides[d] = s;
    s *= shape[d];
  }
  const coords = new Array<number>(nd).fill(0);
  let dest = 0;
  for (let i = 0; i < src.length; i++) {
    out[dest] = src[i];
    // Advance the Fortran-order odometer: the first axis moves fastest.
    for (let d = 0; d < nd; d++) {
      coords[d]++;
      dest += cStrides[d];
      if (coords[d] < shape[d]) break;
      dest -= coords[d] * cStrides[d];
      coords[d] = 0;
    }
  }
  return out;
}

/**
 * Encodes values as a version 1.0 `.npy` file (C order, little-endian):
 * Float32Array as `<f4`, Float64Array as `<f8`, Uint8Array as `|u1`,
 * Int32Array as `<i4`. For handing data to NumPy/PyTorch scripts.
 *
 * @example
 * writeFileSync('train.npy', encodeNpy(train.images.data, train.images.shape));
 */
export function encodeNpy(values: Float32Array | Float64Array | Uint8Array | Int32Array, shape: readonly number[]): Uint8Array {
  let count = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new Error(`encodeNpy: invalid dimension ${d} in ${formatShape(shape)}`);
    count *= d;
  }
  if (values.length !== count) throw new Error(`encodeNpy: ${values.length} values do not fill shape ${formatShape(shape)}`);
  const descr =
    values instanceof Float32Array ? '<f4' : values instanceof Float64Array ? '<f8' : values instanceof Uint8Array ? '|u1' : '<i4';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = 10 + dict.length + 1;
  dict += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const headerLen = dict.length;
  if (headerLen > 0xffff) throw new Error('encodeNpy: header too long for format 1.0');
  const bytes = new Uint8Array(10 + headerLen + values.byteLength);
  bytes.set(MAGIC, 0);
  bytes[6] = 1;
  bytes[7] = 0;
  new DataView(bytes.buffer).setUint16(8, headerLen, true);
  bytes.set(Buffer.from(dict, 'latin1'), 10);
  const body = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  if (endianness() === 'LE' || values instanceof Uint8Array) {
    bytes.set(body, 10 + headerLen);
  } else {
    const size = values.BYTES_PER_ELEMENT;
    for (let i = 0; i < body.length; i += size) for (let b = 0; b < size; b++) bytes[10 + headerLen + i + b] = body[i + size - 1 - b];
  }
  return bytes;
}
