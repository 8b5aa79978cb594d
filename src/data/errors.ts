/**
 * The error every data reader throws for bad input: a message that names the
 * file (or dataset) and says what was expected, and the offending source in
 * `.source`, so that a command can report it and exit non-zero.
 *
 * @example
 * try {
 *   loadDataset(opts.data, { labels: opts.labels });
 * } catch (e) {
 *   if (e instanceof DataError) { console.error(e.message); process.exit(1); }
 *   throw e;
 * }
 */
export class DataError extends Error {
  /** The file path or dataset name the problem was found in. */
  readonly source: string;

  /**
   * @example
   * throw new DataError('train.csv', 'line 3, column 2: expected a number, got "abc"');
   * // message: 'train.csv: line 3, column 2: expected a number, got "abc"'
   */
  constructor(source: string, detail: string, options?: { cause?: unknown }) {
    super(`${source}: ${detail}`, options);
    this.name = 'DataError';
    this.source = source;
  }
}

/** A short description of a bad argument for error messages. */
export function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' || v === null || v === undefined) {
    return String(v);
  }
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (typeof v === 'object') return `an object (${(v as object).constructor?.name ?? 'no prototype'})`;
  return `a ${typeof v}`;
}
