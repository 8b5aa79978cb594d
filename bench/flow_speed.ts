// Training-step time of our 2-D FlowModel against its PyTorch twin
// (bench/flow_twin.py) in the same run: log p(x) of a batch of 512, mean NLL,
// backward, an Adam 2e-3 step, for the spline stack (8 rational-quadratic
// spline couplings, K = 16 bins on [-5, 5], conditioners 2-128-128-47 ReLU:
// one transformed coordinate of two, 3K - 1 spline parameters)
// and the RealNVP stack (8 affine couplings, 2-128-128-4, batch-norm flows
// between them), the recipe of bench/flow_toys.ts without its scheduler and
// fresh draws: both sides cycle eight fixed batches of the rings toy.
//
//   node --import tsx bench/flow_speed.ts [--flows spline,realnvp] [--steps 200] [--warmup 20] [--rounds 3] [--write]
//       [--note TEXT] (a last paragraph for the section) [--benchmarks-file PATH] (default: this checkout's BENCHMARKS.md;
//       e.g. to time a snapshot of another revision and write the figures into the working tree's file)
//
// Each round times STEPS steps after WARMUP untimed ones, on each side, one
// flow at a time (PyTorch first in odd rounds, ours first in even ones, as in
// bench/run.ts). Figures are medians over the rounds of ms per step; the ratio
// is PyTorch's time / ours (bench/run.ts's latent / PyTorch throughput: > 1
// means we are faster), the median of the rounds' ratios; best / best is the
// ratio of the best times, an estimate for an unloaded machine. CPU time per
// step (the whole process, all threads: process.cpuUsage, time.process_time)
// is printed beside the wall time: other jobs on the machine inflate it far
// less than wall time, so its ratio is the steadier one on a loaded machine. One thread on
// each side (LATENT_THREADS=1, torch.set_num_threads(1), OMP_NUM_THREADS=1).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as L from '../src/index.js';
import { BENCHMARKS_FILE, writeBenchmarkSection } from './benchmarks-md.js';
import { benchArgs } from './args.js';

const argv = process.argv.slice(2);
const { arg, flag } = benchArgs(argv);
const flows = arg('flows', 'spline,realnvp').split(',') as L.FlowKind[];
const steps = Number(arg('steps', '200'));
const warmup = Number(arg('warmup', '20'));
const rounds = Number(arg('rounds', '3'));
const batch = 512;
const layers = 8;
const hidden = [128, 128];
const bins = 16;
const tailBound = 5;
const lr = 2e-3;
for (const f of flows) if (f !== 'spline' && f !== 'realnvp') throw new Error(`flow_speed: --flows takes spline and realnvp, got ${f}`);
if (!(Number.isInteger(steps) && steps > 0 && Number.isInteger(rounds) && rounds > 0 && Number.isInteger(warmup) && warmup >= 0)) {
  throw new Error('flow_speed: --steps and --rounds must be positive integers, --warmup a non-negative one');
}

const PYTHON = '/usr/bin/python3';
const TWIN = fileURLToPath(new URL('./flow_twin.py', import.meta.url));
const load = () => loadavg().map((v) => v.toFixed(2)).join(', ');

const params = new Map<string, { ours: number; torch?: number }>();

/** Our training step time in ms (a fresh model each round, as the twin's is a fresh process). */
function ours(flow: L.FlowKind): { ms: number; cpu: number } {
  const model = new L.FlowModel({ eventShape: [2], flow, layers, hidden, activation: 'relu', ...(flow === 'spline' ? { bins, tailBound } : {}) }, new L.Generator(0));
  params.set(flow, { ...params.get(flow), ours: model.numParameters() });
  const opt = new L.Adam(model.parameters(), { lr });
  const rng = new L.Generator(1);
  const batches = Array.from({ length: 8 }, () => L.sampleToy2d('rings', batch, rng));
  let last = NaN;
  const step = (i: number) => {
    opt.zeroGrad();
    const loss = L.neg(L.mean(model.logProb(batches[i % batches.length])));
    loss.backward();
    opt.step();
    last = loss.item();
  };
  for (let i = 0; i < warmup; i++) step(i);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) step(i);
  const ms = (performance.now() - t0) / steps;
  const c = process.cpuUsage(c0);
  if (!Number.isFinite(last)) throw new Error(`flow_speed: our ${flow} loss is not finite (${last})`);
  return { ms, cpu: (c.user + c.system) / 1e3 / steps };
}

/** The twin's step time in ms, or why it could not run. */
function theirs(flow: L.FlowKind): { ms: number; cpu: number; torch: string } | string {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  const r = spawnSync(PYTHON, [TWIN, '--flow', flow, '--steps', String(steps), '--warmup', String(warmup), '--threads', '1',
    '--batch', String(batch), '--layers', String(layers), '--hidden', hidden.join(','), '--bins', String(bins), '--tail-bound', String(tailBound), '--lr', String(lr)],
  { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
  const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  try {
    const j = JSON.parse(line);
    if (j.error) return String(j.error);
    if (typeof j.ms_per_step === 'number') {
      params.set(flow, { ...(params.get(flow) ?? { ours: NaN }), torch: Number(j.params) });
      return { ms: j.ms_per_step, cpu: Number(j.cpu_ms_per_step), torch: String(j.torch) };
    }
  } catch { /* falls through */ }
  return `the twin failed (exit ${r.status}): ${(r.stderr || String(r.error ?? '')).trim().split('\n').slice(-3).join(' / ')}`;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

interface Row { flow: L.FlowKind; ours: number[]; torch: number[]; ratios: number[]; oursCpu: number[]; torchCpu: number[]; cpuRatios: number[] }
const rows: Row[] = flows.map((flow) => ({ flow, ours: [], torch: [], ratios: [], oursCpu: [], torchCpu: [], cpuRatios: [] }));
let skipped: string | null = null;
let torchVersion = '';
const loadBefore = load();
process.stderr.write(`flow_speed: ${L.getBackend()} kernels, LATENT_THREADS=${process.env.LATENT_THREADS ?? '(unset: 1)'}, load ${loadBefore}\n`);
for (let r = 0; r < rounds; r++) {
  for (const row of rows) {
    const torchFirst = r % 2 === 0;   // round 1, 3, ...: PyTorch first
    let t: { ms: number; cpu: number } | null = null;
    let o = { ms: NaN, cpu: NaN };
    const runTwin = () => {
      if (skipped) return;
      const res = theirs(row.flow);
      if (typeof res === 'string') {
        skipped = res;
        process.stderr.write(`flow_speed: PyTorch twin not run (${res}); timing ours only\n`);
      } else {
        t = { ms: res.ms, cpu: res.cpu };
        torchVersion = res.torch;
      }
    };
    if (torchFirst) runTwin();
    o = ours(row.flow);
    if (!torchFirst) runTwin();
    row.ours.push(o.ms);
    row.oursCpu.push(o.cpu);
    const tt = t as { ms: number; cpu: number } | null;
    if (tt !== null) {
      row.torch.push(tt.ms);
      row.ratios.push(tt.ms / o.ms);
      row.torchCpu.push(tt.cpu);
      row.cpuRatios.push(tt.cpu / o.cpu);
    }
    process.stderr.write(`round ${r + 1} ${row.flow}: ours ${o.ms.toFixed(2)} ms/step (CPU ${o.cpu.toFixed(2)}), PyTorch ${tt === null ? '-' : `${tt.ms.toFixed(2)} ms/step (CPU ${tt.cpu.toFixed(2)})`}, load ${load()}\n`);
  }
}
const loadAfter = load();

const f2 = (x: number) => x.toFixed(2);
const table = [
  '| flow | ours (ms/step) | PyTorch (ms/step) | PyTorch / ours | ratio per round | best / best | CPU ms/step, ours / PyTorch | CPU ratio (PyTorch / ours) |',
  '|---|---|---|---|---|---|---|---|',
  ...rows.map((r) => r.torch.length
    ? `| ${r.flow} | ${f2(median(r.ours))} | ${f2(median(r.torch))} | ${median(r.ratios).toFixed(3)} | ${r.ratios.map((x) => x.toFixed(2)).join(', ')} | ${(Math.min(...r.torch) / Math.min(...r.ours)).toFixed(3)} | ${f2(median(r.oursCpu))} / ${f2(median(r.torchCpu))} | ${median(r.cpuRatios).toFixed(3)} |`
    : `| ${r.flow} | ${f2(median(r.ours))} | - | - | - | - | ${f2(median(r.oursCpu))} / - | - |`),
].join('\n');
process.stdout.write(table + '\n');
if (skipped) process.stdout.write(`PyTorch twin not run: ${skipped} (apt-get install python3-torch for the ratios)\n`);
process.stdout.write(`load average (1, 5, 15 min): ${loadBefore} before, ${loadAfter} after\n`);
// The twin must be the same model: the same parameter count is a cheap check of the architecture.
const paramLine = [...params.entries()].map(([f, c]) => `${f} ${c.ours}${c.torch === undefined ? '' : c.torch === c.ours ? ' (both)' : ` ours, ${c.torch} PyTorch: NOT THE SAME MODEL`}`).join('; ');
process.stdout.write(`parameters: ${paramLine}\n`);

if (flag('write')) {
  // The command without --note TEXT and --benchmarks-file PATH (where the text went, not how the figures were made).
  const hidden2 = new Set<number>();
  for (const o of ['--note', '--benchmarks-file']) {
    const i = argv.indexOf(o);
    if (i >= 0) hidden2.add(i).add(i + 1);
  }
  const shown = argv.filter((a, i) => a !== '--write' && !hidden2.has(i));
  const cmd = `node --import tsx bench/flow_speed.ts --write${shown.map((a) => ' ' + a).join('')}`;
  writeBenchmarkSection('Spline and affine flows against PyTorch, training step time', `
Command: \`${cmd}\` (${L.getBackend()} kernels, LATENT_THREADS=${process.env.LATENT_THREADS ?? '1'};
PyTorch ${torchVersion || 'not run'} with torch.set_num_threads(1), OMP_NUM_THREADS=1, from \`bench/flow_twin.py\`).
Load average (1, 5, 15 min) on the 2-vCPU machine, shared with other jobs: ${loadBefore} before, ${loadAfter} after.

One training step of a 2-D FlowModel on a batch of ${batch}: log p(x), mean NLL, backward, an Adam ${lr} step;
${steps} timed steps after ${warmup} untimed ones, ${rounds} round(s), each side taking turns, eight fixed batches of the rings toy.
spline: ${layers} rational-quadratic spline couplings (K = ${bins} bins on [-${tailBound}, ${tailBound}], identity tails), alternating masks,
conditioners 2-${hidden.join('-')}-${3 * bins - 1} (ReLU; splines for the one transformed coordinate); realnvp: ${layers} affine couplings
(2-${hidden.join('-')}-4) with a batch-norm flow between them. Parameters: ${paramLine}.
Figures are medians over the rounds; PyTorch / ours is the time ratio (> 1: we are faster), the median of the rounds' ratios;
best / best, the ratio of the best rounds, estimates an unloaded machine. CPU time (the whole process, all threads: GC helpers included)
is inflated far less by other jobs than wall time; its ratio (median over rounds) is the steadier figure on a loaded machine.

${table}

The twin's spline is checked against ours to 1e-10 in float64 (values, log-derivatives, gradients; \`test/flows/spline-torch.test.ts\`).
${arg('note', '') ? '\n' + arg('note', '') + '\n' : ''}`, arg('benchmarks-file', BENCHMARKS_FILE));
  process.stderr.write('wrote the BENCHMARKS.md section\n');
}
