// The explorer page's HTTP server (`latent serve DIR`): the static page, its
// script, and read-only views of one model directory. Decoding runs in the
// browser, so the server only hands out bytes: it has no endpoint that writes
// anything, and reads nothing outside the page's own files and DIR.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { CONFIG_FILE, METRICS_FILE, WEIGHTS_FILE } from '../src/index.js';
import { projectRoot, type BrowserBundle } from './bundle.js';

/** Request limits: a longer URL gets 414, larger headers 431, a body over MAX_BODY_BYTES 413. */
export const LIMITS = Object.freeze({
  /** The page's URLs are short; 2 KiB is the common safe maximum. */
  maxUrlBytes: 2048,
  /** Node's parser answers 431 beyond this (request line included); browsers send well under 2 KiB. */
  maxHeaderBytes: 8192,
  /** No endpoint takes a body; a small one (some clients send one with GET) is read and ignored. */
  maxBodyBytes: 1024,
});

/** The held-out images the page encodes, interpolates and inpaints, as the server hands them out. */
export interface ExplorerTestSet {
  /** Where they come from (a dataset spec), for the page's caption. */
  spec: string;
  /** [channels, height, width]. */
  shape: [number, number, number];
  /** n * C * H * W pixel values in [0, 255] (value / 255 is what the model sees). */
  pixels: Uint8Array;
  /** One label per image, or null. */
  labels: ArrayLike<number> | null;
  numClasses: number | null;
}

export interface ExplorerServerOptions {
  /** The model directory. */
  dir: string;
  /** The VAE page's held-out images; null for a density model (flow, CNF), whose page draws its own points. */
  testSet: ExplorerTestSet | null;
  bundle: BrowserBundle;
  /**
   * Host names accepted in the Host header (DNS rebinding protection for a
   * server on the loopback interface); null accepts any.
   */
  allowedHosts: readonly string[] | null;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8', '.jsonl': 'text/plain; charset=utf-8', '.png': 'image/png',
  '.csv': 'text/csv; charset=utf-8', '.txt': 'text/plain; charset=utf-8', '.safetensors': 'application/octet-stream',
};

const SECURITY_HEADERS: Record<string, string> = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
  // 'unsafe-eval': the TypeScript kernels compile loops specialized to each op with new Function (src/kernels/cpu).
  'Content-Security-Policy': "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self' 'unsafe-eval'; connect-src 'self'; frame-ancestors 'none'",
};

/** Host names of the loopback interface, as they appear in a Host header. */
export const LOOPBACK_HOSTS = Object.freeze(['localhost', '127.0.0.1', '[::1]']);

/** True when `host` (a --host value) is a loopback address. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

/** The decoded path segments of a request target, refusing anything that could name a file outside where it is served from. */
export function pathSegments(target: string): string[] {
  if (!target.startsWith('/')) throw new HttpError(400, 'the request target must be a path starting with /');
  const path = target.split(/[?#]/, 1)[0];
  const raw = path.slice(1).split('/');
  if (raw.length === 1 && raw[0] === '') return [];
  return raw.map((s) => {
    let seg: string;
    try {
      seg = decodeURIComponent(s);
    } catch {
      throw new HttpError(400, 'the path is not valid percent-encoded UTF-8');
    }
    // '' is an absolute path after a '/' (//etc/passwd); '.' and '..' walk the tree; a decoded '/' or '\' would make
    // one segment several (%2e%2e%2f); NUL truncates paths in C APIs.
    if (seg === '' || seg === '.' || seg === '..' || /[/\\\0]/.test(seg) || seg.includes(':')) {
      throw new HttpError(403, 'path traversal refused');
    }
    return seg;
  });
}

/** A regular file inside `root` (after resolving symlinks), or an HttpError. */
function fileInside(root: string, segments: string[]): string {
  const realRoot = realpathSync(root);
  const candidate = join(realRoot, ...segments);
  if (!existsSync(candidate)) throw new HttpError(404, 'no such file in the model directory');
  const real = realpathSync(candidate);
  if (real !== realRoot && !real.startsWith(realRoot + sep)) throw new HttpError(403, 'the file is outside the model directory');
  if (!statSync(real).isFile()) throw new HttpError(404, 'not a file');
  return real;
}

/**
 * The explorer's HTTP server (not yet listening). Routes, all GET or HEAD:
 *
 * - `/`, `/style.css`, `/app.js`: the page;
 * - `/api/info`: JSON about the model and its test set (config, labels, file versions; `testSet` null for a flow or CNF);
 * - `/api/config`, `/api/weights`, `/api/metrics`: DIR's config.json, model.safetensors, metrics.jsonl (empty when absent);
 * - `/api/testset`: the test images as bytes (see {@link ExplorerTestSet}; 404 for a flow or CNF);
 * - `/files/<path>`: any regular file under DIR (samples.png, ...).
 *
 * Refused: other methods (405), URLs over 2 KiB (414), headers over 8 KiB
 * (431), bodies over 1 KiB (413), path traversal by `..`, encoded `%2e%2e`,
 * encoded separators, absolute paths or symlinks leading out of DIR (403),
 * and, when `allowedHosts` is set, other Host headers (403).
 */
export function createExplorerServer(o: ExplorerServerOptions): Server {
  const dir = resolve(o.dir);
  const webDir = join(projectRoot(), 'web');
  const page = (name: string) => readFileSync(join(webDir, name));
  const version = (name: string) => {
    const f = join(dir, name);
    if (!existsSync(f)) return null;
    const s = statSync(f);
    return `${s.mtimeMs}-${s.size}`;
  };
  const t = o.testSet;
  const testSetBytes = t ? Buffer.from(t.pixels.buffer, t.pixels.byteOffset, t.pixels.byteLength) : null;

  const route = (segments: string[]): { body: Uint8Array | string; type: string } => {
    const p = segments.join('/');
    switch (p) {
      case '': return { body: page('index.html'), type: TYPES['.html'] };
      case 'style.css': return { body: page('style.css'), type: TYPES['.css'] };
      case 'app.js': return { body: o.bundle.js, type: TYPES['.js'] };
      case 'api/config': return { body: readFileSync(join(dir, CONFIG_FILE)), type: TYPES['.json'] };
      case 'api/weights': return { body: readFileSync(join(dir, WEIGHTS_FILE)), type: TYPES['.safetensors'] };
      case 'api/metrics': return { body: existsSync(join(dir, METRICS_FILE)) ? readFileSync(join(dir, METRICS_FILE)) : '', type: TYPES['.jsonl'] };
      case 'api/testset':
        if (!testSetBytes) throw new HttpError(404, 'this model directory holds a density model; its page has no held-out images');
        return { body: testSetBytes, type: 'application/octet-stream' };
      case 'api/info': {
        const info = {
          name: dir.split(sep).pop(),
          config: JSON.parse(readFileSync(join(dir, CONFIG_FILE), 'utf8')),
          testSet: t ? { spec: t.spec, n: t.pixels.length / (t.shape[0] * t.shape[1] * t.shape[2]), shape: t.shape, labels: t.labels ? Array.from(t.labels) : null, numClasses: t.numClasses } : null,
          versions: { weights: version(WEIGHTS_FILE), metrics: version(METRICS_FILE) },
          files: ['samples.png', 'reconstructions.png', 'density.png'].filter((f) => existsSync(join(dir, f))),
        };
        return { body: JSON.stringify(info), type: TYPES['.json'] };
      }
    }
    if (segments[0] === 'files' && segments.length > 1) {
      const file = fileInside(dir, segments.slice(1));
      return { body: readFileSync(file), type: TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream' };
    }
    throw new HttpError(404, 'not found');
  };

  const answer = (req: IncomingMessage, res: ServerResponse) => {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, `${req.method} is not allowed; this server is read-only`, { Allow: 'GET, HEAD' });
      const target = req.url ?? '/';
      if (Buffer.byteLength(target) > LIMITS.maxUrlBytes) throw new HttpError(414, `the URL is longer than ${LIMITS.maxUrlBytes} bytes`);
      if (o.allowedHosts) {
        const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
        if (!o.allowedHosts.includes(host)) throw new HttpError(403, `Host ${JSON.stringify(req.headers.host ?? '')} refused; this server answers only on ${o.allowedHosts.join(', ')}`);
      }
      const { body, type } = route(pathSegments(target));
      const bytes = typeof body === 'string' ? Buffer.from(body) : body;
      res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': String(bytes.byteLength) });
      res.end(req.method === 'HEAD' ? undefined : bytes);
    } catch (e) {
      const err = e instanceof HttpError ? e : new HttpError(500, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'the model directory is missing a file' : 'internal error');
      const status = err.status === 500 && (e as NodeJS.ErrnoException).code === 'ENOENT' ? 404 : err.status;
      const msg = `${status} ${err.message}\n`;
      res.writeHead(status, { ...SECURITY_HEADERS, ...err.headers, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(msg)) });
      res.end(req.method === 'HEAD' ? undefined : msg);
    }
  };

  const server = createServer({ maxHeaderSize: LIMITS.maxHeaderBytes }, (req, res) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (!(declared <= LIMITS.maxBodyBytes)) {
      refuseBody(res);
      return;
    }
    // A chunked body has no declared length: count it as it comes.
    let received = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > LIMITS.maxBodyBytes && !refused) {
        refused = true;
        refuseBody(res);
      }
    });
    req.on('end', () => {
      if (!refused) answer(req, res);
    });
    req.on('error', () => {});
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // Bytes after a refused body: the 413 is on its way and closes the connection when sent.
    if (err.code === 'HPE_CLOSED_CONNECTION') return;
    if (!socket.writable) return socket.destroy();
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : err.code === 'HPE_URI_TOO_LONG' ? '414 URI Too Long' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });
  return server;
}

function refuseBody(res: ServerResponse): void {
  const msg = `413 request bodies over ${LIMITS.maxBodyBytes} bytes are refused; this server takes none\n`;
  res.writeHead(413, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(msg)), Connection: 'close' });
  // The body is left unread: close the connection once the answer is out, rather than parse the rest as requests.
  res.end(msg, () => res.socket?.destroy());
}
