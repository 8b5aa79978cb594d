/**
 * The IDX format of the MNIST files (LeCun et al., "Gradient-based learning
 * applied to document recognition", 1998; format described on the MNIST
 * page): a 4-byte magic number — two zero bytes, a type code, the number of
 * dimensions — then each dimension as a big-endian uint32, then the values,
 * row-major and big-endian.
 *
 * Type codes: 0x08 unsigned byte, 0x09 signed byte, 0x0B int16, 0x0C int32,
 * 0x0D float32, 0x0E float64.
 */
import { formatShape } from '../tensor/shape.js';
import { DataError } from './errors.js';
import type { RawArray } from './raw.js';

interface IdxType {
  name: string;
  size: number;
  kind: RawArray['kind'];
}

const IDX_TYPES: Readonly<Record<number, IdxType>> = {
  0x08: { name: 'ubyte', size: 1, kind: 'uint8' },
  0x09: { name: 'sbyte', size: 1, kind: 'int' },
  0x0b: { name: 'int16', size: 2, kind: 'int' },
  0x0c: { name: 'int32', size: 4, kind: 'int' },
  0x0d: { name: 'float32', size: 4, kind: 'float' },
  0x0e: { name: 'float64', size: 8, kind: 'float' },
};

/** The IDX type codes by name, for writers. */
export const IDX_TYPE_CODES = { ubyte: 0x08, sbyte: 0x09, int16: 0x0b, int32: 0x0c, float32: 0x0d, float64: 0x0e } as const;

const hex = (bytes: Uint8Array, n: number) =>
  Array.from(bytes.subarray(0, n), (b) => b.toString(16).padStart(2, '0')).join(' ');

/**
 * Decodes an IDX file's bytes (already gunzipped). `source` names the file
 * in errors: a bad magic number, an unknown type, a truncated header or
 * body, or a body whose length does not match the declared dimensions.
 *
 * @example
 * const raw = parseIdx(readFileSync('train-labels-idx1-ubyte'), 'train-labels-idx1-ubyte');
 * raw.shape; // [60000]
 */
export function parseIdx(bytes: Uint8Array, source: string): RawArray {
  if (bytes.length < 4) {
    throw new DataError(source, `is ${bytes.length} bytes long, too short for an IDX header (4-byte magic number, then dimensions)`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new DataError(
      source,
      `bad IDX magic number (first bytes ${hex(bytes, 4)}); expected 00 00 followed by a type code (08 for unsigned bytes) and the number of dimensions`,
    );
  }
  const type = IDX_TYPES[bytes[2]];
  if (type === undefined) {
    throw new DataError(
      source,
      `unknown IDX type code 0x${bytes[2].toString(16).padStart(2, '0')} in the magic number; expected 08 (ubyte), 09, 0b, 0c, 0d or 0e`,
    );
  }
  const ndim = bytes[3];
  if (ndim === 0) throw new DataError(source, 'IDX header declares 0 dimensions; expected at least 1 (the examples)');
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) {
    throw new DataError(source, `truncated IDX header: ${ndim} dimensions need ${headerBytes} header bytes, the file has ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let d = 0; d < ndim; d++) {
    const dim = view.getUint32(4 + 4 * d, false);
    shape.push(dim);
    count *= dim;
  }
  const expected = count * type.size;
  const actual = bytes.length - headerBytes;
  if (actual < expected) {
    throw new DataError(
      source,
      `truncated: the IDX header declares shape ${formatShape(shape)} of ${type.name}, ${expected} bytes of data, but only ${actual} bytes follow the header`,
    );
  }
  if (actual > expected) {
    throw new DataError(
      source,
      `the IDX header's dimensions ${formatShape(shape)} of ${type.name} (${expected} bytes of data) do not match the file: ${actual} bytes follow the header (${actual - expected} extra)`,
    );
  }
  const body = bytes.subarray(headerBytes);
  let values: RawArray['values'];
  switch (type.name) {
    case 'ubyte':
      values = body;
      break;
    case 'sbyte':
      values = Float64Array.from(new Int8Array(body.buffer, body.byteOffset, body.length));
      break;
    default: {
      const out = type.name === 'float32' ? new Float32Array(count) : new Float64Array(count);
      const bodyView = new DataView(body.buffer, body.byteOffset, body.byteLength);
      const read =
        type.name === 'int16'
          ? (i: number) => bodyView.getInt16(2 * i, false)
          : type.name === 'int32'
            ? (i: number) => bodyView.getInt32(4 * i, false)
            : type.name === 'float32'
              ? (i: number) => bodyView.getFloat32(4 * i, false)
              : (i: number) => bodyView.getFloat64(8 * i, false);
      for (let i = 0; i < count; i++) out[i] = read(i);
      values = out;
    }
  }
  return { shape, values, kind: type.kind, dtype: type.name };
}

/**
 * Encodes an array in the IDX format (uncompressed), e.g. to write MNIST-like
 * files. Values are written in the given type, big-endian; bytes are rounded
 * and must lie in range.
 *
 * @example
 * const bytes = encodeIdx(new Uint8Array([0, 255, 7, 9]), [2, 2], 'ubyte');
 * parseIdx(bytes, 'x').shape; // [2, 2]
 */
export function encodeIdx(values: ArrayLike<number>, shape: readonly number[], type: keyof typeof IDX_TYPE_CODES = 'ubyte'): Uint8Array {
  const code = IDX_TYPE_CODES[type];
  const info = IDX_TYPES[code];
  if (shape.length < 1 || shape.length > 255) throw new Error(`encodeIdx: shape must have 1 to 255 dimensions, got ${formatShape(shape)}`);
  let count = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0 || d > 0xffffffff) throw new Error(`encodeIdx: invalid dimension ${d} in ${formatShape(shape)}`);
    count *= d;
  }
  if (values.length !== count) throw new Error(`encodeIdx: ${values.length} values do not fill shape ${formatShape(shape)}`);
  const header = 4 + 4 * shape.length;
  const out = new Uint8Array(header + count * info.size);
  const view = new DataView(out.buffer);
  out[2] = code;
  out[3] = shape.length;
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  for (let i = 0; i < count; i++) {
    const v = values[i];
    const at = header + i * info.size;
    switch (type) {
      case 'ubyte':
      case 'sbyte': {
        const lo = type === 'ubyte' ? 0 : -128;
        if (!(v >= lo && v <= lo + 255)) throw new Error(`encodeIdx: value ${v} at ${i} does not fit ${type}`);
        if (type === 'ubyte') view.setUint8(at, Math.round(v));
        else view.setInt8(at, Math.round(v));
        break;
      }
      case 'int16':
        view.setInt16(at, v, false);
        break;
      case 'int32':
        view.setInt32(at, v, false);
        break;
      case 'float32':
        view.setFloat32(at, v, false);
        break;
      case 'float64':
        view.setFloat64(at, v, false);
        break;
    }
  }
  return out;
}
