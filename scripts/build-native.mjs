#!/usr/bin/env node
// Builds the native kernels (native/, a Node-API addon) with node-gyp. Run by
// `npm install` / `npm ci` (the "install" script) and by hand:
//
//   node scripts/build-native.mjs
//
// It never fails the install: if anything goes wrong it prints one warning
// line with the reason and exits 0, and the library runs on its TypeScript
// kernels. LATENT_SKIP_NATIVE=1 skips the build. The compiler output goes to
// native/build-native.log.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, 'native');
const logFile = join(nativeDir, 'build-native.log');
const addon = join(nativeDir, 'build', 'Release', 'latent_native.node');

function giveUp(reason) {
  console.warn(`latent: native kernels not built (${reason}); using the TypeScript kernels`);
  process.exit(0);
}

if (process.env.LATENT_SKIP_NATIVE === '1') giveUp('LATENT_SKIP_NATIVE=1');
if (!existsSync(join(nativeDir, 'binding.gyp'))) giveUp('native/binding.gyp is missing');

/** node-gyp: the one npm hands to lifecycle scripts, else npm's bundled copy, else one on PATH. */
function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  const prefix = resolve(dirname(process.execPath), '..');
  candidates.push(
    join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
    '/usr/local/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
  );
  for (const c of candidates) if (existsSync(c)) return { cmd: process.execPath, args: [c] };
  const which = spawnSync('sh', ['-c', 'command -v node-gyp'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) return { cmd: which.stdout.trim(), args: [] };
  return null;
}

/** Node's headers where this node is installed (the offline case; otherwise node-gyp downloads them). */
function nodedirArgs() {
  if (process.env.npm_config_nodedir) return [];
  const prefix = resolve(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [];
}

/** The line of the build output that best says what went wrong. */
function firstError(output) {
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean);
  const hit = lines.find((l) => /: (fatal )?error: /.test(l)) // the compiler
    ?? lines.find((l) => /^[A-Za-z]*Error: /.test(l)) // a Python or Node exception
    ?? lines.find((l) => /not found|No such file|command not found/i.test(l))
    ?? lines.find((l) => /^gyp ERR! stack Error: /.test(l))
    ?? lines.find((l) => /^gyp ERR!/.test(l));
  return hit ? hit.replace(/^gyp ERR! (stack )?/, '').replace(/\s+/g, ' ').slice(0, 200) : 'node-gyp failed';
}

const gyp = findNodeGyp();
if (!gyp) giveUp('node-gyp not found: it comes with npm; or install it with `npm install -g node-gyp`');

const jobs = ['--jobs', 'max'];
const r = spawnSync(gyp.cmd, [...gyp.args, 'rebuild', ...jobs, ...nodedirArgs()], {
  cwd: nativeDir,
  encoding: 'utf8',
  env: { ...process.env, npm_config_loglevel: process.env.npm_config_loglevel ?? 'warn' },
  maxBuffer: 64 * 1024 * 1024,
});
const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
try {
  mkdirSync(nativeDir, { recursive: true });
  writeFileSync(logFile, output);
} catch {
  // a read-only checkout: the log is a convenience
}
if (r.error) giveUp(`could not run node-gyp: ${r.error.message}`);
if (r.status !== 0) giveUp(`${firstError(output)}; full log in native/build-native.log`);
if (!existsSync(addon)) giveUp('node-gyp finished but native/build/Release/latent_native.node is missing');

// Load it once in a fresh process, so a broken binary is reported here and not at first use.
const check = spawnSync(process.execPath, ['-e', `const a = require(${JSON.stringify(addon)}); process.stdout.write(a.isa())`], {
  encoding: 'utf8',
});
if (check.status !== 0) giveUp(`the built addon does not load: ${firstError(check.stderr || '')}`);
console.log(`latent: native kernels built (${check.stdout.trim()})`);
