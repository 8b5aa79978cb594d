// Baseline of the engine on its TypeScript kernels, with the PyTorch twin
// (bench/torch_engine.py) run in the same invocation when Debian's
// python3-torch is installed, and the ratios printed.
//
//   npm run bench                 # full
//   npm run bench -- --quick      # fewer repeats
//   npm run bench -- --json       # one JSON object
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as L from '../src/index.js';

const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const repeats = quick ? 3 : 10;
const threads = 1;

function bestOf(fn: () => void, reps: number): number {
  fn(); // warm-up: lets V8 optimize the kernels before timing
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best / 1e3;
}

const rng = new L.Generator(0);
const [M, K, N] = [128, 784, 400];
const a = L.randn([M, K], rng);
const b = L.randn([K, N], rng);
const at = L.transpose(a);
const bt = L.transpose(b);
const gemm: Record<string, number> = {};
const variants: Record<string, () => L.Tensor> = {
  NN: () => L.matmul(a, b),
  TN: () => L.matmul(at, b, { transA: true }),
  NT: () => L.matmul(a, bt, { transB: true }),
  TT: () => L.matmul(at, bt, { transA: true, transB: true }),
};
for (const [name, fn] of Object.entries(variants)) gemm[name] = (2 * M * K * N) / bestOf(fn, repeats) / 1e9;

// VAE 784-400-20, ReLU, Bernoulli decoder on logits, analytic KL, batch 128, Adam
// (the architecture of shared/REFERENCES.md's speed table).
const enc = new L.Linear(784, 400, { rng });
const muL = new L.Linear(400, 20, { rng });
const lvL = new L.Linear(400, 20, { rng });
const dec1 = new L.Linear(20, 400, { rng });
const dec2 = new L.Linear(400, 784, { rng });
const params = [enc, muL, lvL, dec1, dec2].flatMap((m) => m.parameters());
const opt = new L.Adam(params, { lr: 1e-3 });
const x = L.bernoulli(L.full([128, 784], 0.3), rng);
const eps = L.randn([128, 20], rng);

function vaeStep(): void {
  opt.zeroGrad();
  const h = L.relu(enc.forward(x));
  const mu = muL.forward(h);
  const logvar = lvL.forward(h);
  const z = L.add(mu, L.mul(L.exp(L.mul(logvar, 0.5)), eps));
  const logits = dec2.forward(L.relu(dec1.forward(z)));
  // Bernoulli negative log-likelihood from logits: softplus(l) - x l.
  const rec = L.sum(L.sub(L.softplus(logits), L.mul(x, logits)));
  const kl = L.mul(L.sum(L.sub(L.sub(L.add(logvar, 1), L.square(mu)), L.exp(logvar))), -0.5);
  const loss = L.div(L.add(rec, kl), 128);
  loss.backward();
  opt.step();
}
const stepSec = bestOf(vaeStep, quick ? 2 : 5);

interface TorchResult { torch: string; gemm_gflops: Record<string, number>; vae_step_ms: number }
let torch: TorchResult | null = null;
let torchNote = '';
const script = fileURLToPath(new URL('./torch_engine.py', import.meta.url));
const py = spawnSync('/usr/bin/python3', [script, String(threads), String(repeats)], { encoding: 'utf8' });
if (py.status === 0) torch = JSON.parse(py.stdout.trim().split('\n').pop()!) as TorchResult;
else torchNote = 'PyTorch twin not run: install Debian\'s python3-torch (apt-get install python3-torch) for side-by-side ratios';

const result = {
  date: new Date().toISOString().slice(0, 10),
  backend: L.getBackend(),
  threads,
  gemm_gflops: gemm,
  vae_step_ms: stepSec * 1e3,
  vae_examples_per_s: 128 / stepSec,
  torch,
};

if (args.has('--json')) {
  process.stdout.write(JSON.stringify(result) + '\n');
} else {
  const f = (v: number) => v.toFixed(2);
  const lines = [`latent engine bench (${result.backend} kernels, ${threads} thread, best of ${repeats})`, ''];
  lines.push('| measure | latent | PyTorch | latent / PyTorch |', '|---|---|---|---|');
  for (const k of Object.keys(gemm)) {
    const t = torch?.gemm_gflops[k];
    lines.push(`| GEMM ${k} 128x784x400, GFLOP/s | ${f(gemm[k])} | ${t ? f(t) : '-'} | ${t ? (gemm[k] / t).toFixed(3) : '-'} |`);
  }
  const tStep = torch?.vae_step_ms;
  lines.push(`| VAE 784-400-20 step (batch 128, Adam), ms | ${f(result.vae_step_ms)} | ${tStep ? f(tStep) : '-'} | ${tStep ? (tStep / result.vae_step_ms).toFixed(3) : '-'} |`);
  lines.push(`| VAE training examples / s | ${result.vae_examples_per_s.toFixed(0)} | ${tStep ? (128e3 / tStep).toFixed(0) : '-'} | ${tStep ? (tStep / result.vae_step_ms).toFixed(3) : '-'} |`);
  if (torchNote) lines.push('', torchNote);
  process.stdout.write(lines.join('\n') + '\n');
}
