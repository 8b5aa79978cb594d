// The explorer server (`latent serve`): what it serves, and what it refuses,
// with real HTTP requests against a server on a free port. Requests are sent
// with node:http so that their targets reach the server exactly as written
// (fetch would normalize `..` away).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { connect } from 'node:net';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as L from '../../src/index.js';
import { startExplorer, type RunningExplorer } from '../../cli/commands/serve.js';
import { buildBrowserBundle } from '../../web/bundle.js';
import { pathSegments } from '../../web/server.js';
import { CLI, ROOT, tinyModelDir } from './fixture.js';

let explorer: RunningExplorer;
let port = 0;
let dir = '';
let secret = '';

before(async () => {
  dir = tinyModelDir();
  // A file outside the model directory, and a symlink inside it that points there.
  const outside = mkdtempSync(join(tmpdir(), 'latent-outside-'));
  secret = join(outside, 'secret.txt');
  writeFileSync(secret, 'not for the page\n');
  mkdirSync(join(dir, 'sub'), { recursive: true });
  writeFileSync(join(dir, 'sub', 'note.txt'), 'inside\n');
  try { symlinkSync(secret, join(dir, 'escape.txt')); } catch { /* already there from an earlier run in this process */ }
  try { symlinkSync(outside, join(dir, 'escape-dir')); } catch { /* idem */ }
  explorer = await startExplorer(dir, { port: 0, host: '127.0.0.1', limit: 200 });
  port = Number(new URL(explorer.url).port);
});

after(async () => {
  await explorer?.close();
});

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }

function send(method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** Sends raw bytes and returns the status code of the reply (for requests node:http would not send as written). */
function sendRaw(text: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(text));
    let got = '';
    s.on('data', (d) => { got += d.toString('latin1'); });
    s.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(got)?.[1] ?? 0)));
    s.on('error', reject);
  });
}

test('the server listens on 127.0.0.1 by default and prints its URL', () => {
  assert.match(explorer.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const addr = explorer.server.address();
  assert.ok(addr && typeof addr === 'object' && addr.address === '127.0.0.1');
});

test('serves the page, the bundle and the model directory read-only', async () => {
  const page = await send('GET', '/');
  assert.equal(page.status, 200);
  assert.match(page.body.toString(), /<script type="module" src="\/app.js">/);
  assert.match(String(page.headers['content-security-policy']), /default-src 'self'/);
  const js = await send('GET', '/app.js');
  assert.equal(js.status, 200);
  assert.match(String(js.headers['content-type']), /javascript/);
  const info = JSON.parse((await send('GET', '/api/info')).body.toString());
  assert.equal(info.config.kind, 'vae');
  assert.equal(info.testSet.n, 200);
  assert.deepEqual(info.testSet.shape, [1, 28, 28]);
  assert.equal(info.testSet.labels.length, 200);
  // The weights are the model directory's bytes, and parse to the model's tensors.
  const weights = await send('GET', '/api/weights');
  const { tensors } = L.parseSafetensors(new Uint8Array(weights.body), 'api/weights');
  assert.deepEqual(tensors['muHead.weight'].shape, [3, 64]);
  const testset = await send('GET', '/api/testset');
  assert.equal(testset.body.length, 200 * 784);
  const metrics = (await send('GET', '/api/metrics')).body.toString().trim().split('\n');
  assert.equal(metrics.length, 2);
  assert.equal((await send('GET', '/files/samples.png')).headers['content-type'], 'image/png');
  assert.equal((await send('GET', '/files/sub/note.txt')).body.toString(), 'inside\n');
  const head = await send('HEAD', '/api/config');
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
  assert.ok(Number(head.headers['content-length']) > 0);
  assert.equal((await send('GET', '/nothing-here')).status, 404);
  assert.equal((await send('GET', '/files/missing.png')).status, 404);
});

test('path traversal is refused: .., encoded %2e%2e and separators, absolute paths, symlinks out of the directory', async () => {
  const refused = [
    '/files/../config.json',
    '/files/../../../../etc/passwd',
    '/files/%2e%2e/%2e%2e/etc/passwd',
    '/files/%2E%2E%2Fconfig.json',
    '/files/..%2f..%2fetc%2fpasswd',
    '/files/sub/..%5c..%5cetc',
    '/files//etc/passwd',
    '/files/%2Fetc%2Fpasswd',
    '/files/./config.json',
    '/files/escape.txt',
    '/files/escape-dir/secret.txt',
    '/files/config.json%00.png',
    '/../../etc/passwd',
  ];
  for (const path of refused) {
    const r = await send('GET', path);
    assert.ok(r.status === 403, `${path}: expected 403, got ${r.status} ${r.body.toString().trim()}`);
    assert.doesNotMatch(r.body.toString(), /not for the page|root:/, path);
  }
  // Double encoding decodes once, to a literal file name that does not exist.
  assert.equal((await send('GET', '/files/%252e%252e/config.json')).status, 404);
  // Invalid percent-encoding.
  assert.equal((await send('GET', '/files/%E0%A4%A')).status, 400);
  // An absolute-form target (proxy style) is not a path.
  assert.equal(await sendRaw(`GET http://127.0.0.1:${port}/etc/passwd HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`), 400);
  assert.throws(() => pathSegments('/a/%2e%2e/b'), /traversal/);
});

test('methods other than GET and HEAD get 405, with nothing written', async () => {
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
    const r = await send(method, '/api/weights', { 'Content-Type': 'text/plain' }, method === 'DELETE' || method === 'OPTIONS' ? undefined : 'x');
    assert.equal(r.status, 405, method);
    assert.equal(r.headers.allow, 'GET, HEAD');
  }
  assert.equal((await send('PUT', '/files/new.txt', {}, 'data')).status, 405);
  assert.equal((await send('GET', '/files/new.txt')).status, 404);
});

test('oversized requests are refused: URL 414, headers 431, body 413', async () => {
  assert.equal((await send('GET', '/' + 'a'.repeat(3000))).status, 414);
  assert.equal((await send('GET', '/', { 'X-Big': 'b'.repeat(10_000) })).status, 431);
  assert.equal((await send('GET', '/', { 'Content-Length': '100000' }, Buffer.alloc(100_000))).status, 413);
  assert.equal((await send('GET', '/', { 'Content-Length': '1025' }, Buffer.alloc(1025))).status, 413);
  // A chunked body (no declared length) is counted as it arrives.
  assert.equal((await send('GET', '/', { 'Transfer-Encoding': 'chunked' }, Buffer.alloc(5000))).status, 413);
  // A small body with GET is read and ignored.
  assert.equal((await send('GET', '/api/config', { 'Content-Length': '4' }, 'tiny')).status, 200);
});

test('a Host header other than a loopback name is refused (DNS rebinding)', async () => {
  assert.equal((await send('GET', '/api/info', { Host: 'evil.example:80' })).status, 403);
  assert.equal((await send('GET', '/api/info', { Host: `localhost:${port}` })).status, 200);
});

test('the browser bundle holds the TypeScript kernels and no Node-only module', async () => {
  const { inputs } = await buildBrowserBundle({ minify: false });
  assert.ok(inputs.includes('src/kernels/cpu/gemm.ts'));
  assert.ok(inputs.includes('src/models/vae/inpaint.ts'));
  for (const nodeOnly of ['src/kernels/native.ts', 'src/data/files.ts', 'src/data/bundled.ts', 'src/data/fashion.ts', 'src/data/npy.ts', 'src/models/modeldir.ts', 'src/index.ts']) {
    assert.ok(!inputs.includes(nodeOnly), `${nodeOnly} is in the browser bundle`);
  }
});

test('latent serve refuses a directory that is not a VAE model directory', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'latent-empty-'));
  await assert.rejects(startExplorer(empty, { port: 0, host: '127.0.0.1', limit: 10 }), /not a model directory/);
  await assert.rejects(startExplorer(join(empty, 'nope'), { port: 0, host: '127.0.0.1', limit: 10 }), /does not exist/);
});

test('latent serve refuses a port in use, naming it', async () => {
  await assert.rejects(startExplorer(dir, { port, host: '127.0.0.1', limit: 10 }), new RegExp(`--port ${port}: the port is in use`));
});

test('the latent serve command: prints the URL on stdout, answers, stops on SIGTERM; bad input exits 1', async () => {
  const bad = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', CLI, 'serve', ...args], { encoding: 'utf8', cwd: ROOT });
  for (const [args, message] of [[['/nonexistent/run'], /does not exist/], [[dir, '--port', '70000'], /--port must be at most 65535/], [[dir, '--limit', '0'], /--limit/]] as const) {
    const r = bad([...args]);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve', dir, '--port', '0', '--limit', '50'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.trim());
      });
      child.on('exit', (code) => reject(new Error(`latent serve exited with ${code} before printing its URL`)));
    });
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const info = await fetch(`${url}api/info`).then((r) => r.json()) as { testSet: { n: number } };
    assert.equal(info.testSet.n, 50);
  } finally {
    if (child.exitCode === null) {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0, 'latent serve exits 0 on SIGTERM');
    }
  }
});
