// Where a workload's time goes: per step, the wall time (median and 10th
// percentile), the CPU time of the main thread (less sensitive than wall
// time to other processes on a shared machine), minor page faults, and with
// --kernels the time inside each kernel (by name, op and GEMM shape) and the
// rest, which is the engine's own overhead (ops, tape, allocation, GC).
//
//   node --import tsx bench/profile.ts [--only vae_mlp,iwae_vae_b20] [--steps N] [--kernels] [--images N]
//
// For a flame graph of the same loop: node --cpu-prof --import tsx bench/profile.ts --only vae_mlp.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { kernelFor, registerKernel, getBackend, type KernelName } from '../src/kernels/registry.js';
import { warmUp, workloads } from './workloads.js';

const KERNELS: KernelName[] = [
  'unary', 'binary', 'clamp', 'where', 'reduce', 'cumsum', 'gemm', 'stridedCopy', 'stridedAssign', 'im2col', 'col2im',
  'indexSelect', 'indexAdd', 'gather', 'scatterAdd', 'biasActivation', 'activationGrad', 'bernoulliLogits',
  'bernoulliLogitsGrad', 'gaussianKL', 'adamStep',
];

/** CPU time of this process's main thread in ms (Linux: utime + stime of /proc/self/task/<pid>/stat), or NaN. */
export function mainThreadCpuMs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks of 10 ms
  } catch {
    return NaN;
  }
}

/**
 * Wraps the active backend's kernels so that each call's time is added to
 * `times` under a key naming the call; returns the function that puts the
 * plain kernels back.
 */
function instrument(times: Map<string, { ms: number; calls: number }>): () => void {
  const backend = getBackend();
  const restore: (() => void)[] = [];
  for (const name of KERNELS) {
    const own = kernelFor(name, backend);
    const fn = (own ?? kernelFor(name, 'js')) as ((...a: unknown[]) => void) | undefined;
    if (!fn) continue;
    restore.push(() => (own ? registerKernel(name, backend, own) : undefined));
    const wrapped = (...args: unknown[]) => {
      let key: string = name;
      if (name === 'unary' || name === 'binary' || name === 'reduce' || name === 'biasActivation' || name === 'activationGrad') key += ` ${String(args[0])}`;
      if (name === 'gemm') key += ` ${args[2]}x${args[3]}x${args[4]} ${args[0] ? 'T' : 'N'}${args[1] ? 'T' : 'N'}${args[11] ? ' +=' : ''}`;
      const t0 = performance.now();
      fn(...args);
      const e = times.get(key) ?? { ms: 0, calls: 0 };
      e.ms += performance.now() - t0;
      e.calls++;
      times.set(key, e);
    };
    registerKernel(name, backend, wrapped as never);
  }
  return () => restore.forEach((r) => r());
}

export function profile(name: string, opts: { steps: number; kernels: boolean; images: number }): string {
  const w = workloads.find((x) => x.name === name);
  if (!w) throw new Error(`profile: no workload ${name}; one of ${workloads.map((x) => x.name).join(', ')}`);
  const p = w.setup({ quick: false, images: opts.images });
  if (p.warmup) p.warmup();
  else warmUp(p.step);
  const times = new Map<string, { ms: number; calls: number }>();
  const restore = opts.kernels ? instrument(times) : () => {};
  const walls: number[] = [];
  const faults0 = process.resourceUsage().minorPageFault;
  const cpu0 = mainThreadCpuMs();
  for (let s = 0; s < opts.steps; s++) {
    const t0 = performance.now();
    p.step();
    walls.push(performance.now() - t0);
  }
  const cpu = (mainThreadCpuMs() - cpu0) / opts.steps;
  const faults = (process.resourceUsage().minorPageFault - faults0) / opts.steps;
  walls.sort((a, b) => a - b);
  const lines = [
    `${name}: ${opts.steps} steps; wall median ${walls[walls.length >> 1].toFixed(3)} ms, p10 ${walls[Math.floor(walls.length / 10)].toFixed(3)} ms; ` +
      `main-thread CPU ${cpu.toFixed(3)} ms/step; ${faults.toFixed(1)} minor page faults/step`,
  ];
  if (opts.kernels) {
    const rows = [...times].sort((a, b) => b[1].ms - a[1].ms);
    const total = rows.reduce((s, [, v]) => s + v.ms, 0) / opts.steps;
    const wall = walls.reduce((s, v) => s + v, 0) / opts.steps;
    lines.push(`  kernels ${total.toFixed(3)} ms/step of a mean step of ${wall.toFixed(3)} ms (${(100 * total / wall).toFixed(0)}%); ` +
      `${rows.reduce((s, [, v]) => s + v.calls, 0) / opts.steps} kernel calls/step`);
    for (const [k, v] of rows) {
      lines.push(`  ${k.padEnd(34)} ${(v.ms / opts.steps).toFixed(4)} ms/step ${(v.calls / opts.steps).toFixed(1).padStart(6)} calls/step`);
    }
    // Put the plain kernels back for the next workload.
    for (const n of KERNELS) {
      const fn = kernelFor(n, getBackend() === 'js' ? 'js' : 'native');
      if (fn) registerKernel(n, getBackend(), fn);
    }
  }
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const argv = process.argv.slice(2);
  const value = (f: string) => { const i = argv.indexOf(f); return i >= 0 ? argv[i + 1] : undefined; };
  const only = value('--only')?.split(',') ?? ['vae_mlp', 'iwae_vae_b20', 'iwae_vae_b100', 'conv_vae'];
  for (const name of only) {
    const steps = Number(value('--steps') ?? (name === 'conv_vae' ? 40 : name === 'is_eval' ? 3 : 300));
    process.stdout.write(profile(name, { steps, kernels: argv.includes('--kernels'), images: Number(value('--images') ?? 5) }) + '\n');
  }
}
