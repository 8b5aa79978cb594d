// The benchmark workloads in this engine. Each has a twin of the same name
// in bench/torch_twin.py; shapes, models and objectives match line for line.
// Each side in its fastest form: here the fused ops (ops/fused.ts:
// `linear` with its activation, conv2d/convTranspose2d with theirs,
// `bernoulliLogProbFromLogits`, `gaussianKLStandard`); there F.linear
// (addmm) and the Bernoulli log-likelihood written out (PyTorch's
// binary_cross_entropy_with_logits is slower; see torch_twin.py).
import * as L from '../src/index.js';
import type { Activation, Tensor } from '../src/index.js';

export interface Measure {
  /** What is counted: GFLOP/s, training examples/s or evaluated images/s. */
  unit: string;
  value: number;
}

/** A workload made ready to time: `step` does `amount` units of work (FLOPs, examples, images). */
export interface Prepared {
  step: () => void;
  amount: number;
  /** Timed repeats after the warm-up; the best counts. */
  reps: number;
  /** A shorter run of the same work, instead of the default warm-up (for the evaluation, which is one long pass). */
  warmup?: () => void;
}

export interface Workload {
  name: string;
  title: string;
  unit: string;
  /** Scale of `amount` in the printed value (1e-9 for GFLOP/s). */
  scale?: number;
  setup(opts: { quick: boolean; images: number }): Prepared;
}

/**
 * The warm-up both sides use (bench/torch_twin.py, warm_up): at least 3
 * calls and at least 0.25 s, so that the JIT, the caches and the allocator
 * (memory freed by earlier calls) are in their steady state and the timed
 * calls measure the work, not first-touch page faults.
 */
export function warmUp(fn: () => void): void {
  const t0 = performance.now();
  for (let i = 0; i < 3 || performance.now() - t0 < 250; i++) fn();
}

/** Best time of `reps` runs of fn after the warm-up, in seconds. */
export function bestOf(fn: () => void, reps: number, warmup?: () => void): number {
  if (warmup) warmup();
  else warmUp(fn);
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best / 1e3;
}

/** Prepares and times a workload: amount / best time, scaled. */
export function measure(w: Workload, opts: { quick: boolean; images: number }): Measure {
  const p = w.setup(opts);
  const sec = bestOf(p.step, p.reps, p.warmup);
  return { unit: w.unit, value: (p.amount / sec) * (w.scale ?? 1) };
}

const LOG_2PI = Math.log(2 * Math.PI);

/** log N(z; mu, exp(logvar)) summed over the last axis. */
function normalLogProb(z: Tensor, mu: Tensor, logvar: Tensor): Tensor {
  const d = L.sub(z, mu);
  return L.mul(L.sum(L.add(L.add(L.div(L.square(d), L.exp(logvar)), logvar), LOG_2PI), -1), -0.5);
}

/** Linear layers (PyTorch's initialization, as nn.Linear) with an activation fused into each but the last (unless `outputActivation`). */
class Mlp {
  readonly layers: L.Linear[] = [];
  constructor(sizes: number[], readonly activation: Activation, readonly outputActivation: boolean, rng: L.Generator) {
    for (let i = 0; i + 1 < sizes.length; i++) this.layers.push(new L.Linear(sizes[i], sizes[i + 1], { rng }));
  }
  parameters(): Tensor[] {
    return this.layers.flatMap((l) => l.parameters());
  }
  forward(x: Tensor): Tensor {
    const last = this.layers.length - 1;
    return this.layers.reduce((h, l, i) => L.linear(h, l.weight, l.bias, i < last || this.outputActivation ? this.activation : 'identity'), x);
  }
}

class MlpVae {
  readonly enc: Mlp;
  readonly mu: L.Linear;
  readonly logvar: L.Linear;
  readonly dec: Mlp;
  constructor(sizes: number[], latent: number, activation: 'relu' | 'tanh', rng: L.Generator) {
    this.enc = new Mlp(sizes, activation, true, rng);
    const h = sizes[sizes.length - 1];
    this.mu = new L.Linear(h, latent, { rng });
    this.logvar = new L.Linear(h, latent, { rng });
    this.dec = new Mlp([latent, ...[...sizes].reverse().slice(0, -1), sizes[0]], activation, false, rng);
  }
  parameters(): Tensor[] {
    return [...this.enc.parameters(), ...this.mu.parameters(), ...this.logvar.parameters(), ...this.dec.parameters()];
  }
  encode(x: Tensor): [Tensor, Tensor] {
    const h = this.enc.forward(x);
    return [this.mu.forward(h), this.logvar.forward(h)];
  }
  decode(z: Tensor): Tensor {
    return this.dec.forward(z);
  }
}

/** Negative ELBO per example with the reparameterization trick and analytic KL. */
function vaeLoss(vae: MlpVae, x: Tensor, eps: Tensor): Tensor {
  const [mu, logvar] = vae.encode(x);
  const z = L.add(mu, L.mul(L.exp(L.mul(logvar, 0.5)), eps));
  const elbo = L.sub(L.bernoulliLogProbFromLogits(x, vae.decode(z)), L.gaussianKLStandard(mu, logvar));
  return L.neg(L.mean(elbo));
}

function training(batch: number, params: Tensor[], loss: () => Tensor, reps: number): Prepared {
  const opt = new L.Adam(params, { lr: 1e-3 });
  return {
    step: () => {
      opt.zeroGrad();
      loss().backward();
      opt.step();
    },
    amount: batch,
    reps,
  };
}

function binaryImages(n: number, rng: L.Generator): Tensor {
  return L.bernoulli(L.full([n, 784], 0.3), rng);
}

function gemmWorkload(transA: boolean, transB: boolean): Workload {
  const name = `gemm_${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}`;
  return {
    name,
    title: `GEMM ${name.slice(5)} 128x784x400 (GFLOP/s)`,
    unit: 'GFLOP/s',
    scale: 1e-9,
    setup({ quick }) {
      const rng = new L.Generator(0);
      const [M, K, N] = [128, 784, 400];
      const a = L.randn(transA ? [K, M] : [M, K], rng);
      const b = L.randn(transB ? [N, K] : [K, N], rng);
      return { step: () => void L.matmul(a, b, { transA, transB }), amount: 2 * M * K * N, reps: quick ? 10 : 50 };
    },
  };
}

function mlpVaeWorkload(name: string, title: string, sizes: number[], latent: number, act: 'relu' | 'tanh', batch: number): Workload {
  return {
    name,
    title,
    unit: 'train examples/s',
    setup({ quick }) {
      const rng = new L.Generator(0);
      const vae = new MlpVae(sizes, latent, act, rng);
      const x = binaryImages(batch, rng);
      const eps = L.randn([batch, latent], rng);
      return training(batch, vae.parameters(), () => vaeLoss(vae, x, eps), quick ? 5 : 20);
    },
  };
}

/** Two stride-2 convolutions each way: 28 -> 14 -> 7 and back, 20 latent dimensions. */
const convVae: Workload = {
  name: 'conv_vae',
  title: 'conv VAE 1-32-64 k4 s2, batch 128 (train examples/s)',
  unit: 'train examples/s',
  setup({ quick }) {
    const rng = new L.Generator(0);
    const batch = 128;
    const c1 = new L.Conv2d(1, 32, 4, { stride: 2, padding: 1, rng });
    const c2 = new L.Conv2d(32, 64, 4, { stride: 2, padding: 1, rng });
    const mu = new L.Linear(64 * 7 * 7, 20, { rng });
    const lv = new L.Linear(64 * 7 * 7, 20, { rng });
    const fc = new L.Linear(20, 64 * 7 * 7, { rng });
    const d1 = new L.ConvTranspose2d(64, 32, 4, { stride: 2, padding: 1, rng });
    const d2 = new L.ConvTranspose2d(32, 1, 4, { stride: 2, padding: 1, rng });
    const params = [c1, c2, mu, lv, fc, d1, d2].flatMap((m) => m.parameters());
    const x = L.reshape(binaryImages(batch, rng), [batch, 1, 28, 28]);
    const eps = L.randn([batch, 20], rng);
    // The layers' parameters through the ops with their activation fused (conv2d's options.activation).
    const relu = { stride: 2, padding: 1, activation: 'relu' } as const;
    const loss = () => {
      const h1 = L.conv2d(x, c1.weight, c1.bias, relu);
      const h = L.reshape(L.conv2d(h1, c2.weight, c2.bias, relu), [batch, 64 * 7 * 7]);
      const m = mu.forward(h);
      const v = lv.forward(h);
      const z = L.add(m, L.mul(L.exp(L.mul(v, 0.5)), eps));
      const g = L.reshape(L.linear(z, fc.weight, fc.bias, 'relu'), [batch, 64, 7, 7]);
      const g1 = L.convTranspose2d(g, d1.weight, d1.bias, relu);
      const logits = L.reshape(L.convTranspose2d(g1, d2.weight, d2.bias, { stride: 2, padding: 1 }), [batch, 784]);
      const elbo = L.sub(L.bernoulliLogProbFromLogits(L.reshape(x, [batch, 784]), logits), L.gaussianKLStandard(m, v));
      return L.neg(L.mean(elbo));
    };
    return training(batch, params, loss, quick ? 3 : 15);
  },
};

/**
 * log p(x) by importance sampling with the encoder as proposal, k = 5000
 * samples per image (Burda et al. 2016, eq. 10 evaluated with large k):
 * logmeanexp_k [log p(x | z_k) + log p(z_k) - log q(z_k | x)].
 */
const importanceEval: Workload = {
  name: 'is_eval',
  title: 'log p(x), k=5000, IWAE-paper VAE (images/s)',
  unit: 'images/s',
  setup({ images }) {
    const rng = new L.Generator(0);
    const vae = new MlpVae([784, 200, 200], 50, 'tanh', rng);
    const x = binaryImages(images, rng);
    const k = 5000;
    const chunk = 1000; // samples per decoder pass: bounds memory at 1000 x 784
    const evaluate = (n: number) => L.noGrad(() => {
      const [mu, logvar] = vae.encode(L.slice(x, 0, 0, n));
      for (let i = 0; i < n; i++) {
        const xi = L.slice(x, 0, i, i + 1);
        const mi = L.slice(mu, 0, i, i + 1);
        const vi = L.slice(logvar, 0, i, i + 1);
        const parts: Tensor[] = [];
        for (let s = 0; s < k; s += chunk) {
          const z = L.add(mi, L.mul(L.exp(L.mul(vi, 0.5)), L.randn([chunk, 50], rng)));
          const logPz = L.mul(L.sum(L.add(L.square(z), LOG_2PI), -1), -0.5);
          parts.push(L.sub(L.add(L.bernoulliLogProbFromLogits(xi, vae.decode(z)), logPz), normalLogProb(z, mi, vi)));
        }
        const w = L.concat(parts);
        L.sub(L.logsumexp(w, 0), Math.log(k)).item();
      }
    });
    // One timed pass over all images, after a pass over two.
    return { step: () => evaluate(images), amount: images, reps: 1, warmup: () => evaluate(Math.min(2, images)) };
  },
};

export const workloads: Workload[] = [
  gemmWorkload(false, false),
  gemmWorkload(true, false),
  gemmWorkload(false, true),
  gemmWorkload(true, true),
  mlpVaeWorkload('vae_mlp', 'VAE 784-400-20 ReLU, batch 128 (train examples/s)', [784, 400], 20, 'relu', 128),
  mlpVaeWorkload('iwae_vae_b20', 'IWAE-paper VAE 784-200-200-50 tanh, batch 20 (train examples/s)', [784, 200, 200], 50, 'tanh', 20),
  mlpVaeWorkload('iwae_vae_b100', 'IWAE-paper VAE 784-200-200-50 tanh, batch 100 (train examples/s)', [784, 200, 200], 50, 'tanh', 100),
  convVae,
  importanceEval,
];
