/**
 * Numeric CSV: one example per line, one number per cell, an optional header
 * row of column names and an optional label column.
 */
import { DataError, describeValue } from './errors.js';
import type { RawArray } from './raw.js';

/** How to read a CSV file. */
export interface CsvOptions {
  /**
   * Whether the first non-blank line names the columns. `'auto'` (default):
   * it does when none of its cells is a number.
   */
  header?: boolean | 'auto';
  /** The column holding class labels: its name in the header, or its 0-based index (negative counts from the end). */
  labelColumn?: string | number;
  /** The cell separator, one character; default `,`. */
  delimiter?: string;
}

/** What `parseCsv` found: the numbers, the labels column if asked for, and the header. */
export interface CsvContents {
  /** The cells other than the label column, [rows, columns]. */
  data: RawArray;
  /** The label column, [rows], or null. */
  labels: RawArray | null;
  /** The column names from the header row, or null when there is none. */
  columns: string[] | null;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NAN = /^[+-]?nan$/i;
const INF = /^[+-]?(inf|infinity)$/i;

/** Splits one line into cells, honouring double quotes (used for the header). */
function splitQuoted(line: string, delim: string): string[] {
  const cells: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === delim) {
      cells.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  cells.push(cur.trim());
  return cells;
}

function stripQuotes(s: string): string {
  const t = s.trim();
  if (t.length >= 2 && ((t[0] === '"' && t[t.length - 1] === '"') || (t[0] === "'" && t[t.length - 1] === "'"))) return t.slice(1, -1).trim();
  return t;
}

/** A cell that reads as a number (including NaN and infinities, which are refused later with their place). */
function looksNumeric(cell: string): boolean {
  const t = stripQuotes(cell);
  return NUMBER.test(t) || NAN.test(t) || INF.test(t);
}

/**
 * Parses numeric CSV text. Every error names `source` and the line and
 * column (1-based) of the offending cell: a non-numeric or empty cell, NaN,
 * an infinity, or a row with the wrong number of cells. Blank lines are
 * skipped; `\r\n` line ends and a UTF-8 byte-order mark are accepted.
 *
 * @example
 * const { data, labels, columns } = parseCsv('label,a,b\n1,0.5,0.25\n0,1,0\n', 'x.csv', { labelColumn: 'label' });
 * data.shape;         // [2, 2]
 * labels!.values;     // Float64Array [1, 0]
 * columns;            // ['label', 'a', 'b']
 */
export function parseCsv(text: string, source: string, opts: CsvOptions = {}): CsvContents {
  const delim = opts.delimiter ?? ',';
  if (typeof delim !== 'string' || delim.length !== 1 || delim === '"' || delim === '\n' || delim === '\r') {
    throw new DataError(source, `CSV delimiter must be a single character other than a quote or line break, got ${describeValue(delim)}`);
  }
  const headerOpt = opts.header ?? 'auto';
  if (headerOpt !== 'auto' && typeof headerOpt !== 'boolean') {
    throw new DataError(source, `CSV header option must be true, false or 'auto', got ${describeValue(headerOpt)}`);
  }
  const delimCode = delim.charCodeAt(0);
  const len = text.length;
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let lineNo = 0;

  // Upper bound on the number of rows, to allocate once.
  let lineCount = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineCount++;

  let columns: string[] | null = null;
  let ncol = -1;
  let labelCol = -1;
  let firstDataLine = 0;
  let firstLine = 0;
  let values = new Float64Array(0);
  let labelValues: Float64Array | null = null;
  const rowLine = new Int32Array(lineCount);
  let rows = 0;

  const cellError = (line: number, col: number, what: string): never => {
    throw new DataError(source, `line ${line}, column ${col}: ${what}`);
  };

  /** Parses the cell [a, b) of `text` as a number; `line`/`col` for messages. */
  const parseCell = (a: number, b: number, line: number, col: number): number => {
    while (a < b && (text.charCodeAt(a) === 32 || text.charCodeAt(a) === 9)) a++;
    while (b > a && (text.charCodeAt(b - 1) === 32 || text.charCodeAt(b - 1) === 9)) b--;
    // Fast path: a plain non-negative integer of up to 15 digits.
    if (b > a && b - a <= 15) {
      let v = 0;
      let i = a;
      for (; i < b; i++) {
        const c = text.charCodeAt(i) - 48;
        if (c < 0 || c > 9) break;
        v = v * 10 + c;
      }
      if (i === b) return v;
    }
    const cell = stripQuotes(text.slice(a, b));
    if (NUMBER.test(cell)) return Number(cell);
    if (cell === '') return cellError(line, col, 'empty cell; expected a number');
    if (NAN.test(cell)) return cellError(line, col, 'NaN; expected a finite number');
    if (INF.test(cell)) return cellError(line, col, `${cell} is not finite; expected a finite number`);
    const hint = line === firstDataLine && rows === 0 && columns === null ? ' (if this line is a header, pass header: true)' : '';
    return cellError(line, col, `expected a number, got ${describeValue(cell)}${hint}`);
  };

  while (pos < len) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = len;
    lineNo++;
    let lineEnd = end;
    if (lineEnd > pos && text.charCodeAt(lineEnd - 1) === 13) lineEnd--;
    const lineStart = pos;
    pos = end + 1;
    // Skip blank lines.
    let k = lineStart;
    while (k < lineEnd && (text.charCodeAt(k) === 32 || text.charCodeAt(k) === 9)) k++;
    if (k === lineEnd) continue;

    if (ncol < 0) {
      // The first non-blank line: a header or the first row.
      const cells = splitQuoted(text.slice(lineStart, lineEnd), delim);
      ncol = cells.length;
      firstLine = lineNo;
      const isHeader = headerOpt === 'auto' ? cells.every((c) => !looksNumeric(c)) : headerOpt;
      if (isHeader) columns = cells.map((c) => c.trim());
      labelCol = resolveLabelColumn(opts.labelColumn, columns, ncol, source);
      const width = labelCol >= 0 ? ncol - 1 : ncol;
      if (width === 0) throw new DataError(source, `has only the label column; expected at least one data column`);
      // A row of ncol cells takes at least 2 * ncol characters (digit and separator or line end).
      const maxRows = Math.min(lineCount, Math.floor((len - lineStart + 1) / (2 * ncol)) + 1);
      values = new Float64Array(maxRows * width);
      if (labelCol >= 0) labelValues = new Float64Array(maxRows);
      if (isHeader) continue;
      firstDataLine = lineNo;
    }

    // A data row: cells separated by the delimiter.
    const width = labelCol >= 0 ? ncol - 1 : ncol;
    let out = rows * width;
    let col = 0;
    let a = lineStart;
    for (;;) {
      let b = a;
      while (b < lineEnd && text.charCodeAt(b) !== delimCode) b++;
      if (col >= ncol) {
        throw new DataError(source, `line ${lineNo} has more than ${ncol} cells; expected ${ncol} like line ${firstLine}`);
      }
      const v = parseCell(a, b, lineNo, col + 1);
      if (col === labelCol) labelValues![rows] = v;
      else values[out++] = v;
      col++;
      if (b >= lineEnd) break;
      a = b + 1;
    }
    if (col !== ncol) {
      throw new DataError(source, `line ${lineNo} has ${col} cells; expected ${ncol} like line ${firstLine}`);
    }
    rowLine[rows++] = lineNo;
  }
  if (ncol < 0) throw new DataError(source, 'is empty; expected CSV rows of numbers');
  if (rows === 0) throw new DataError(source, 'has a header but no data rows');
  const width = labelCol >= 0 ? ncol - 1 : ncol;
  const dataCols = new Int32Array(width);
  for (let c = 0, j = 0; c < ncol; c++) if (c !== labelCol) dataCols[j++] = c + 1;
  const data: RawArray = {
    shape: [rows, width],
    values: values.subarray(0, rows * width),
    kind: 'text',
    dtype: 'CSV number',
    locate: (i) => `line ${rowLine[Math.floor(i / width)]}, column ${dataCols[i % width]}`,
  };
  const labels: RawArray | null = labelValues
    ? {
        shape: [rows],
        values: labelValues.subarray(0, rows),
        kind: 'text',
        dtype: 'CSV number',
        locate: (i) => `line ${rowLine[i]}, column ${labelCol + 1} (label)`,
      }
    : null;
  return { data, labels, columns };
}

function resolveLabelColumn(spec: CsvOptions['labelColumn'], columns: string[] | null, ncol: number, source: string): number {
  if (spec === undefined) return -1;
  if (typeof spec === 'string') {
    if (columns === null) {
      throw new DataError(source, `label column ${JSON.stringify(spec)} given by name, but the file has no header row of column names; give its index instead`);
    }
    const i = columns.indexOf(spec);
    if (i < 0) {
      const shown = columns.slice(0, 12).map((c) => JSON.stringify(c)).join(', ') + (columns.length > 12 ? ', ...' : '');
      throw new DataError(source, `no column named ${JSON.stringify(spec)} for the labels; the header has ${shown}`);
    }
    return i;
  }
  if (typeof spec === 'number' && Number.isInteger(spec) && spec >= -ncol && spec < ncol) return spec < 0 ? ncol + spec : spec;
  throw new DataError(source, `label column ${describeValue(spec)} is not a column index in [${-ncol}, ${ncol}) for ${ncol} columns`);
}
