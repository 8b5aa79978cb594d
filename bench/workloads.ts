// The benchmark workloads in this engine. Each has a twin of the same name
// in bench/torch_twin.py; shapes, models and objectives match line for line.
import * as L from '../src/index.js';
import type { Module, Tensor } from '../src/index.js';

export interface Measure {
  /** What is counted: GFLOP/s, training examples/s or evaluated images/s. */
  unit: string;
  value: number;
}

export interface Workload {
  name: string;
  title: string;
  run(opts: { quick: boolean; images: number }): Measure;
}

/** Best time of `reps` runs of fn after one warm-up run, in seconds. */
function bestOf(fn: () => void, reps: number): number {
  fn();
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best / 1e3;
}

const LOG_2PI = Math.log(2 * Math.PI);

/** Bernoulli log-likelihood of binary x from logits, summed over pixels: x l - softplus(l). */
function bernoulliLogLik(x: Tensor, logits: Tensor): Tensor {
  return L.sum(L.sub(L.mul(x, logits), L.softplus(logits)), -1);
}

/** KL(N(mu, exp(logvar)) || N(0, I)) summed over latent dimensions (Kingma & Welling 2014, appendix B). */
function gaussianKL(mu: Tensor, logvar: Tensor): Tensor {
  return L.mul(L.sum(L.sub(L.sub(L.add(logvar, 1), L.square(mu)), L.exp(logvar)), -1), -0.5);
}

/** log N(z; mu, exp(logvar)) summed over the last axis. */
function normalLogProb(z: Tensor, mu: Tensor, logvar: Tensor): Tensor {
  const d = L.sub(z, mu);
  return L.mul(L.sum(L.add(L.add(L.div(L.square(d), L.exp(logvar)), logvar), LOG_2PI), -1), -0.5);
}

class MlpVae {
  readonly enc: Module;
  readonly mu: L.Linear;
  readonly logvar: L.Linear;
  readonly dec: Module;
  constructor(sizes: number[], latent: number, activation: 'relu' | 'tanh', rng: L.Generator) {
    this.enc = L.mlp(sizes, { activation, outputActivation: activation, rng });
    const h = sizes[sizes.length - 1];
    this.mu = new L.Linear(h, latent, { rng });
    this.logvar = new L.Linear(h, latent, { rng });
    this.dec = L.mlp([latent, ...[...sizes].reverse().slice(0, -1), sizes[0]], { activation, rng });
  }
  parameters(): Tensor[] {
    return [this.enc, this.mu, this.logvar, this.dec].flatMap((m) => m.parameters());
  }
  encode(x: Tensor): [Tensor, Tensor] {
    const h = this.enc.forward(x) as Tensor;
    return [this.mu.forward(h), this.logvar.forward(h)];
  }
  decode(z: Tensor): Tensor {
    return this.dec.forward(z) as Tensor;
  }
}

/** Negative ELBO per example with the reparameterization trick and analytic KL. */
function vaeLoss(vae: MlpVae, x: Tensor, eps: Tensor): Tensor {
  const [mu, logvar] = vae.encode(x);
  const z = L.add(mu, L.mul(L.exp(L.mul(logvar, 0.5)), eps));
  const elbo = L.sub(bernoulliLogLik(x, vae.decode(z)), gaussianKL(mu, logvar));
  return L.neg(L.mean(elbo));
}

function trainingThroughput(batch: number, params: Tensor[], loss: () => Tensor, reps: number): Measure {
  const opt = new L.Adam(params, { lr: 1e-3 });
  const sec = bestOf(() => {
    opt.zeroGrad();
    loss().backward();
    opt.step();
  }, reps);
  return { unit: 'train examples/s', value: batch / sec };
}

function binaryImages(n: number, rng: L.Generator): Tensor {
  return L.bernoulli(L.full([n, 784], 0.3), rng);
}

function gemmWorkload(transA: boolean, transB: boolean): Workload {
  const name = `gemm_${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}`;
  return {
    name,
    title: `GEMM ${name.slice(5)} 128x784x400 (GFLOP/s)`,
    run({ quick }) {
      const rng = new L.Generator(0);
      const [M, K, N] = [128, 784, 400];
      const a = L.randn(transA ? [K, M] : [M, K], rng);
      const b = L.randn(transB ? [N, K] : [K, N], rng);
      const sec = bestOf(() => L.matmul(a, b, { transA, transB }), quick ? 3 : 10);
      return { unit: 'GFLOP/s', value: (2 * M * K * N) / sec / 1e9 };
    },
  };
}

function mlpVaeWorkload(name: string, title: string, sizes: number[], latent: number, act: 'relu' | 'tanh', batch: number): Workload {
  return {
    name,
    title,
    run({ quick }) {
      const rng = new L.Generator(0);
      const vae = new MlpVae(sizes, latent, act, rng);
      const x = binaryImages(batch, rng);
      const eps = L.randn([batch, latent], rng);
      return trainingThroughput(batch, vae.parameters(), () => vaeLoss(vae, x, eps), quick ? 3 : 10);
    },
  };
}

/** Two stride-2 convolutions each way: 28 -> 14 -> 7 and back, 20 latent dimensions. */
const convVae: Workload = {
  name: 'conv_vae',
  title: 'conv VAE 1-32-64 k4 s2, batch 128 (train examples/s)',
  run({ quick }) {
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
    const loss = () => {
      const h = L.reshape(L.relu(c2.forward(L.relu(c1.forward(x)))), [batch, 64 * 7 * 7]);
      const m = mu.forward(h);
      const v = lv.forward(h);
      const z = L.add(m, L.mul(L.exp(L.mul(v, 0.5)), eps));
      const g = L.reshape(L.relu(fc.forward(z)), [batch, 64, 7, 7]);
      const logits = L.reshape(d2.forward(L.relu(d1.forward(g))), [batch, 784]);
      const elbo = L.sub(bernoulliLogLik(L.reshape(x, [batch, 784]), logits), gaussianKL(m, v));
      return L.neg(L.mean(elbo));
    };
    return trainingThroughput(batch, params, loss, quick ? 2 : 5);
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
  run({ images }) {
    const rng = new L.Generator(0);
    const vae = new MlpVae([784, 200, 200], 50, 'tanh', rng);
    const x = binaryImages(images, rng);
    const k = 5000;
    const chunk = 1000; // samples per decoder pass: bounds memory at 1000 x 784
    const t0 = performance.now();
    L.noGrad(() => {
      const [mu, logvar] = vae.encode(x);
      for (let i = 0; i < images; i++) {
        const xi = L.slice(x, 0, i, i + 1);
        const mi = L.slice(mu, 0, i, i + 1);
        const vi = L.slice(logvar, 0, i, i + 1);
        const parts: Tensor[] = [];
        for (let s = 0; s < k; s += chunk) {
          const z = L.add(mi, L.mul(L.exp(L.mul(vi, 0.5)), L.randn([chunk, 50], rng)));
          const logPz = L.mul(L.sum(L.add(L.square(z), LOG_2PI), -1), -0.5);
          parts.push(L.sub(L.add(bernoulliLogLik(xi, vae.decode(z)), logPz), normalLogProb(z, mi, vi)));
        }
        const w = L.concat(parts);
        L.sub(L.logsumexp(w, 0), Math.log(k)).item();
      }
    });
    return { unit: 'images/s', value: images / ((performance.now() - t0) / 1e3) };
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
