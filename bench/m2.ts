// Semi-supervised M2 (Kingma et al. 2014) with 100 labels (10 per class,
// drawn by stratifiedIndices with a fixed seed) against the same classifier
// trained on those 100 labels alone, on the bundled digits (8,000 train /
// 2,000 test: 7,900 unlabeled) and Fashion-MNIST (60,000 / 10,000: 59,900
// unlabeled). Each run is `latent train m2 ... --json`, the command a user
// would type; this script runs them and writes the table.
//
//   node --import tsx bench/m2.ts --write                    # the BENCHMARKS.md figures
//   node --import tsx bench/m2.ts --data mnist --epochs 2    # a smoke run
//
// --alphas lists multiples of N (the training set size): alpha = m N for
// each m (Kingma et al.: m = 0.1); one M2 run per dataset and multiple.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getBackend } from '../src/index.js';
import { writeBenchmarkSection } from './benchmarks-md.js';

const argv = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : def;
};
const flag = (name: string) => argv.includes(`--${name}`);
const datasets = arg('data', 'mnist,fashion-mnist').split(',');
const epochsFor: Record<string, string> = Object.fromEntries(datasets.map((d, i) => [d, arg('epochs', '40,5').split(',')[i] ?? arg('epochs', '40,5').split(',')[0]]));
const alphas = arg('alphas', '5').split(',').map(Number);
const lr = arg('lr', '3e-3');
const seed = arg('seed', '0');
const common = ['--labeled', '100', '--hidden', arg('hidden', '256'), '--latent', arg('latent', '50'), '--activation', arg('activation', 'softplus'),
  '--batch', arg('batch', '100'), '--lr', lr, '--seed', seed, '--binarize', arg('binarize', 'dynamic')];
const sizes: Record<string, number> = { mnist: 8000, 'fashion-mnist': 60000 };

const main = fileURLToPath(new URL('../cli/main.ts', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'latent-m2-bench-'));

interface Run {
  data: string; alphaMultiple: number; alpha: number; epochs: number; minutes: number;
  m2: number; baseline: number; curve: number[];
}
const runs: Run[] = [];
for (const data of datasets) {
  for (const m of alphas) {
    const alpha = m * sizes[data];
    const out = join(root, `${data}-${m}`);
    const args = ['train', 'm2', '--data', data, '--epochs', epochsFor[data], '--alpha', String(alpha), ...common, '--out', out, '--json', '--no-progress'];
    process.stderr.write(`latent ${args.join(' ')}\n`);
    const t0 = performance.now();
    const r = spawnSync(process.execPath, ['--import', 'tsx', main, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (r.status !== 0) throw new Error(`latent train m2 failed (exit ${r.status})`);
    const s = JSON.parse(r.stdout.trim().split('\n').pop()!);
    const curve = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).test_accuracy as number);
    const run: Run = { data, alphaMultiple: m, alpha, epochs: s.epochs, minutes: (performance.now() - t0) / 60e3, m2: s.m2_accuracy, baseline: s.baseline_accuracy, curve };
    runs.push(run);
    process.stderr.write(`  ${data}, alpha ${alpha}: M2 ${(100 * run.m2).toFixed(2)}%, labels only ${(100 * run.baseline).toFixed(2)}% (${run.minutes.toFixed(1)} min)\n`);
  }
}
rmSync(root, { recursive: true, force: true });

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
const table = [
  '| data | unlabeled | alpha | epochs (steps) | M2 test accuracy | labels-only test accuracy | M2 - labels only | minutes |',
  '|---|---|---|---|---|---|---|---|',
  ...runs.map((r) => `| ${r.data} | ${sizes[r.data] - 100} | ${r.alphaMultiple} N = ${r.alpha} | ${r.epochs} (${r.epochs * Math.ceil((sizes[r.data] - 100) / Number(arg('batch', '100')))}) | ${pct(r.m2)} | ${pct(r.baseline)} | ${((r.m2 - r.baseline) * 100).toFixed(2)} points | ${r.minutes.toFixed(1)} |`),
].join('\n');
const curves = runs.map((r) => `- ${r.data}, alpha ${r.alphaMultiple} N: ${r.curve.map((a) => (100 * a).toFixed(1)).join(', ')}`).join('\n');
process.stdout.write(table + '\n\nM2 test accuracy after each epoch (%):\n' + curves + '\n');
if (flag('json')) process.stdout.write(JSON.stringify({ runs, backend: getBackend() }) + '\n');

if (flag('write')) {
  const cmd = `node --import tsx bench/m2.ts --write${argv.filter((a) => a !== '--write').map((a) => ' ' + a).join('')}`;
  const cli = `latent train m2 --labeled 100 --data DATA --epochs E --alpha A ${common.slice(2).join(' ')}`;
  writeBenchmarkSection('Semi-supervised M2', `
Command: \`${cmd}\`, which runs \`${cli}\` for each row (${getBackend()} kernels).

Kingma et al. (2014) M2: q(y | x) an MLP 784-${arg('hidden', '256')}-10, q(z | x, y) and
p(x | y, z) a conditional VAE 784-${arg('hidden', '256')}-${arg('latent', '50')} (${arg('activation', 'softplus')}, Bernoulli pixels), p(y) uniform;
unlabeled images sum y out (the 10 label hypotheses stacked in one pass,
sharing one noise draw), each step one unlabeled batch of ${arg('batch', '100')} and one labeled batch
(the 100 labels, cycled), Adam ${lr}, ${arg('binarize', 'dynamic')} binarization, seed ${seed}. The labeled
examples are 10 per class from \`stratifiedIndices\` with a fixed seed; the
rest of the training set is unlabeled. The labels-only baseline is the same
classifier network trained by cross-entropy on the same 100 labeled batches,
with the same optimizer, epochs and number of steps. Neither run uses early
stopping or any validation labels: the accuracy is that of the last epoch on
the whole test split.

${table}

M2's test accuracy after each epoch (%; the run does not select on it):

${curves}
`);
  process.stderr.write('wrote the section "Semi-supervised M2" of BENCHMARKS.md\n');
}
