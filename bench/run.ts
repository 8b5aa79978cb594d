// `npm run bench`: every workload in this engine and its PyTorch twin
// (bench/torch_twin.py, Debian's python3-torch) in the same invocation, at
// the same thread count, with the ratio printed.
//
//   npm run bench -- [--quick] [--json] [--images N] [--full] [--only a,b]
//   --full evaluates log p(x) on 1,000 images (default 100: the same
//   images/s, in a tenth of the time).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { getBackend } from '../src/index.js';
import { workloads, type Measure } from './workloads.js';

export interface BenchOptions {
  quick?: boolean;
  json?: boolean;
  images?: number;
  only?: string[];
}

interface Row { name: string; title: string; latent: Measure; torch: Measure | null }

export function runBench(opts: BenchOptions): { rows: Row[]; torchNote: string } {
  const images = opts.images ?? (opts.quick ? 10 : 100);
  const selected = workloads.filter((w) => !opts.only?.length || opts.only.includes(w.name));
  const threads = 1;
  // From the source tree (tsx) or compiled in dist/bench/, where the .py is not copied.
  const script = [new URL('./torch_twin.py', import.meta.url), new URL('../../bench/torch_twin.py', import.meta.url)]
    .map((u) => fileURLToPath(u)).find((f) => existsSync(f))!;
  const pyArgs = [script, '--threads', String(threads), '--images', String(images), '--only', selected.map((w) => w.name).join(',')];
  if (opts.quick) pyArgs.push('--quick');
  const py = spawnSync('/usr/bin/python3', pyArgs, { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: String(threads) } });
  let torch: Record<string, Measure> = {};
  let torchNote = '';
  if (py.status === 0) torch = JSON.parse(py.stdout.trim().split('\n').pop()!).results;
  else torchNote = `PyTorch twin not run (${(py.stderr || String(py.error)).trim().split('\n').pop()}): apt-get install python3-torch for side-by-side ratios`;
  const rows = selected.map((w) => {
    if (!opts.json) process.stderr.write(`  ${w.name}...\n`);
    return { name: w.name, title: w.title, latent: w.run({ quick: opts.quick ?? false, images }), torch: torch[w.name] ?? null };
  });
  return { rows, torchNote };
}

export function formatBench(rows: Row[], torchNote: string): string {
  const f = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(2));
  const lines = [
    `latent bench: ${getBackend()} kernels vs PyTorch, 1 thread, ${new Date().toISOString().slice(0, 10)}`,
    '',
    '| workload | latent | PyTorch | latent / PyTorch |',
    '|---|---|---|---|',
  ];
  for (const r of rows) {
    const ratio = r.torch ? (r.latent.value / r.torch.value).toFixed(3) : '-';
    lines.push(`| ${r.title} | ${f(r.latent.value)} | ${r.torch ? f(r.torch.value) : '-'} | ${ratio} |`);
  }
  if (torchNote) lines.push('', torchNote);
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const argv = process.argv.slice(2);
  const flag = (f: string) => argv.includes(f);
  const value = (f: string) => { const i = argv.indexOf(f); return i >= 0 ? argv[i + 1] : undefined; };
  const opts: BenchOptions = {
    quick: flag('--quick'),
    json: flag('--json'),
    images: flag('--full') ? 1000 : value('--images') ? Number(value('--images')) : undefined,
    only: value('--only')?.split(','),
  };
  const { rows, torchNote } = runBench(opts);
  if (opts.json) process.stdout.write(JSON.stringify({ backend: getBackend(), rows, torchNote }) + '\n');
  else process.stdout.write(formatBench(rows, torchNote) + '\n');
}
