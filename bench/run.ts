// `npm run bench`: every workload in this engine and its PyTorch twin
// (bench/torch_twin.py, Debian's python3-torch) in the same invocation, at
// the same thread count, with the ratio printed.
//
//   npm run bench -- [--quick] [--json] [--images N] [--full] [--only a,b] [--rounds R]
//   --full evaluates log p(x) on 1,000 images (default 100: the same
//   images/s, in a tenth of the time).
//
// The two sides take turns workload by workload (PyTorch first in odd
// rounds, this engine first in even ones), for R rounds (default 3; 1 with
// --quick); each figure is the median over the rounds of the best time
// within a round, and the ratio the median of the rounds' ratios. On a
// shared machine whose load changes by the minute, this compares each pair
// under the same conditions. The last column, best over the rounds against
// best, estimates the ratio on an unloaded machine (load only slows). The twin stays up between requests (one torch
// import), talking over two FIFOs, so that the run stays synchronous.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getBackend } from '../src/index.js';
import { measure, workloads, type Measure } from './workloads.js';

export interface BenchOptions {
  quick?: boolean;
  json?: boolean;
  images?: number;
  only?: string[];
  /** Rounds of alternating measurements (default 3, or 1 with quick). */
  rounds?: number;
}

export interface Row {
  name: string;
  title: string;
  /** Medians over the rounds. */
  latent: Measure;
  torch: Measure | null;
  /** latent / PyTorch in each round (empty without the twin). */
  ratios: number[];
  /** Best latent over the rounds / best PyTorch over the rounds: other jobs only ever slow a side down, so the bests estimate the unloaded speeds. */
  bestRatio: number | null;
}

const PYTHON = '/usr/bin/python3';

/** The PyTorch twin as a server: one request line in, one JSON line out, synchronously. */
class Twin {
  /** torch.__version__ of the twin. */
  version = '';

  private constructor(private readonly dir: string, private readonly pid: number, private readonly toTwin: number,
    private readonly fromTwin: number, private readonly errFile: string) {}

  /** Starts the twin and waits for it to import torch; a reason string when it cannot. */
  static start(threads: number): Twin | string {
    const script = [new URL('./torch_twin.py', import.meta.url), new URL('../../bench/torch_twin.py', import.meta.url)]
      .map((u) => fileURLToPath(u)).find((f) => existsSync(f));
    if (!script) return 'bench/torch_twin.py not found';
    if (!existsSync(PYTHON)) return `${PYTHON} not found`;
    const dir = mkdtempSync(join(tmpdir(), 'latent-bench-'));
    const req = join(dir, 'requests'), rep = join(dir, 'replies'), errFile = join(dir, 'stderr');
    const mk = spawnSync('mkfifo', [req, rep], { encoding: 'utf8' });
    if (mk.status !== 0) {
      rmSync(dir, { recursive: true, force: true });
      return `mkfifo failed (${(mk.stderr || String(mk.error)).trim()})`;
    }
    // Read and write ends opened without blocking (O_RDWR on a FIFO never
    // blocks on Linux; the replies' read end polls), so a twin that dies
    // before opening them cannot hang the run.
    const toTwin = openSync(req, constants.O_RDWR);
    const fromTwin = openSync(rep, constants.O_RDONLY | constants.O_NONBLOCK);
    const errFd = openSync(errFile, 'w');
    const child = spawn(PYTHON, [script, '--threads', String(threads), '--serve', req, rep], {
      stdio: ['ignore', 'ignore', errFd],
      env: { ...process.env, OMP_NUM_THREADS: String(threads) },
    });
    closeSync(errFd);
    child.unref();
    if (child.pid === undefined) return `could not start ${PYTHON}`;
    const twin = new Twin(dir, child.pid, toTwin, fromTwin, errFile);
    const hello = twin.readReply();
    if (typeof hello === 'string' || hello.error || !hello.ready) {
      twin.close();
      return typeof hello === 'string' ? hello : String(hello.error ?? 'no reply');
    }
    twin.version = String(hello.ready);
    return twin;
  }

  run(name: string, quick: boolean, images: number): Measure | string {
    writeSync(this.toTwin, JSON.stringify({ name, quick, images }) + '\n');
    const r = this.readReply();
    if (typeof r === 'string') return r;
    if (r.error) return String(r.error);
    return { unit: String(r.unit), value: Number(r.value) };
  }

  close(): void {
    closeSync(this.toTwin); // the twin reads end of file and exits
    closeSync(this.fromTwin);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** True while the twin runs (not exited; an exited child stays a zombie until the event loop reaps it). */
  private alive(): boolean {
    try {
      const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
      return !/^\d+ \(.*\) [ZX]/.test(stat);
    } catch {
      return false;
    }
  }

  private pending = '';

  /** The next reply line, polling every few ms (the replies' end is non-blocking); a message when the twin died. */
  private readReply(): Record<string, unknown> | string {
    const buf = Buffer.alloc(65536);
    const nap = new Int32Array(new SharedArrayBuffer(4));
    for (;;) {
      const nl = this.pending.indexOf('\n');
      if (nl >= 0) {
        const line = this.pending.slice(0, nl);
        this.pending = this.pending.slice(nl + 1);
        return JSON.parse(line) as Record<string, unknown>;
      }
      let n = 0;
      try {
        n = readSync(this.fromTwin, buf, 0, buf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      }
      if (n > 0) {
        this.pending += buf.toString('utf8', 0, n);
        continue;
      }
      if (!this.alive()) {
        const err = existsSync(this.errFile) ? readFileSync(this.errFile, 'utf8').trim().split('\n').pop() : '';
        return `the PyTorch twin exited${err ? `: ${err}` : ''}`;
      }
      Atomics.wait(nap, 0, 0, 5);
    }
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

export function runBench(opts: BenchOptions): { rows: Row[]; torchNote: string } {
  const quick = opts.quick ?? false;
  const images = opts.images ?? (quick ? 10 : 100);
  const rounds = opts.rounds ?? (quick ? 1 : 3);
  const selected = workloads.filter((w) => !opts.only?.length || opts.only.includes(w.name));
  const threads = 1;
  const twin = Twin.start(threads);
  let torchNote = typeof twin === 'string'
    ? `PyTorch twin not run (${twin}): apt-get install python3-torch for side-by-side ratios`
    : '';
  const latent = new Map<string, number[]>(selected.map((w) => [w.name, []]));
  const torch = new Map<string, number[]>(selected.map((w) => [w.name, []]));
  const ratios = new Map<string, number[]>(selected.map((w) => [w.name, []]));
  const units = new Map<string, string>();
  try {
    for (let r = 0; r < rounds; r++) {
      for (const w of selected) {
        if (!opts.json) process.stderr.write(`  ${w.name} (round ${r + 1}/${rounds})...\n`);
        let mine: Measure | null = null;
        let theirs: Measure | string | null = null;
        const runTwin = () => (typeof twin === 'string' ? null : twin.run(w.name, quick, images));
        if (r % 2 === 0) {
          theirs = runTwin();
          mine = measure(w, { quick, images });
        } else {
          mine = measure(w, { quick, images });
          theirs = runTwin();
        }
        units.set(w.name, mine.unit);
        latent.get(w.name)!.push(mine.value);
        if (typeof theirs === 'string') torchNote ||= `PyTorch twin failed on ${w.name}: ${theirs}`;
        else if (theirs) {
          torch.get(w.name)!.push(theirs.value);
          ratios.get(w.name)!.push(mine.value / theirs.value);
        }
      }
    }
  } finally {
    if (typeof twin !== 'string') twin.close();
  }
  const rows = selected.map((w) => {
    const t = torch.get(w.name)!;
    return {
      name: w.name,
      title: w.title,
      latent: { unit: units.get(w.name)!, value: median(latent.get(w.name)!) },
      torch: t.length ? { unit: units.get(w.name)!, value: median(t) } : null,
      ratios: ratios.get(w.name)!,
      bestRatio: t.length ? Math.max(...latent.get(w.name)!) / Math.max(...t) : null,
    };
  });
  return { rows, torchNote };
}

export function formatBench(rows: Row[], torchNote: string): string {
  const f = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(2));
  const rounds = Math.max(0, ...rows.map((r) => r.ratios?.length ?? 0));
  const lines = [
    `latent bench: ${getBackend()} kernels vs PyTorch, 1 thread, ${new Date().toISOString().slice(0, 10)}` +
      (rounds > 1 ? `; medians of ${rounds} alternating rounds` : ''),
    '',
    '| workload | latent | PyTorch | latent / PyTorch |' + (rounds > 1 ? ' ratio per round | best / best |' : ''),
    '|---|---|---|---|' + (rounds > 1 ? '---|---|' : ''),
  ];
  for (const r of rows) {
    const ratio = r.ratios?.length ? median(r.ratios).toFixed(3) : r.torch ? (r.latent.value / r.torch.value).toFixed(3) : '-';
    const each = rounds > 1 ? ` ${r.ratios.map((x) => x.toFixed(2)).join(', ')} | ${r.bestRatio === null ? '-' : r.bestRatio.toFixed(3)} |` : '';
    lines.push(`| ${r.title} | ${f(r.latent.value)} | ${r.torch ? f(r.torch.value) : '-'} | ${ratio} |${each}`);
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
    rounds: value('--rounds') ? Number(value('--rounds')) : undefined,
  };
  const { rows, torchNote } = runBench(opts);
  if (opts.json) process.stdout.write(JSON.stringify({ backend: getBackend(), rows, torchNote }) + '\n');
  else process.stdout.write(formatBench(rows, torchNote) + '\n');
}
