"""PyTorch twins of bench/workloads.ts: the same shapes, models and objectives,
timed the same way (best of N after a warm-up), printed as one JSON object
{name: {"unit": ..., "value": ...}}.
Usage: python3 bench/torch_twin.py --threads 1 [--quick] [--images N] [--only a,b]"""
import argparse
import json
import math
import time

import torch
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--threads", type=int, default=1)
p.add_argument("--quick", action="store_true")
p.add_argument("--images", type=int, default=100)
p.add_argument("--only", default="")
args = p.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)
LOG_2PI = math.log(2 * math.pi)


def best_of(fn, reps):
    fn()
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def bernoulli_log_lik(x, logits):
    return (x * logits - F.softplus(logits)).sum(-1)


def gaussian_kl(mu, logvar):
    return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(-1)


def normal_log_prob(z, mu, logvar):
    return -0.5 * ((z - mu).pow(2) / logvar.exp() + logvar + LOG_2PI).sum(-1)


def mlp(sizes, act, output_act=False):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2 or output_act:
            layers.append(act())
    return torch.nn.Sequential(*layers)


class MlpVae(torch.nn.Module):
    def __init__(self, sizes, latent, act):
        super().__init__()
        self.enc = mlp(sizes, act, output_act=True)
        self.mu = torch.nn.Linear(sizes[-1], latent)
        self.logvar = torch.nn.Linear(sizes[-1], latent)
        self.dec = mlp([latent] + list(reversed(sizes))[:-1] + [sizes[0]], act)

    def encode(self, x):
        h = self.enc(x)
        return self.mu(h), self.logvar(h)


def vae_loss(vae, x, eps):
    mu, logvar = vae.encode(x)
    z = mu + torch.exp(0.5 * logvar) * eps
    return -(bernoulli_log_lik(x, vae.dec(z)) - gaussian_kl(mu, logvar)).mean()


def training_throughput(batch, params, loss, reps):
    opt = torch.optim.Adam(params, lr=1e-3)

    def step():
        opt.zero_grad()
        loss().backward()
        opt.step()

    return {"unit": "train examples/s", "value": batch / best_of(step, reps)}


def images(n):
    return (torch.rand(n, 784) < 0.3).float()


def gemm(ta, tb):
    def run():
        M, K, N = 128, 784, 400
        a = torch.randn(K, M) if ta else torch.randn(M, K)
        b = torch.randn(N, K) if tb else torch.randn(K, N)
        fn = lambda: (a.t() if ta else a) @ (b.t() if tb else b)
        return {"unit": "GFLOP/s", "value": 2 * M * K * N / best_of(fn, 3 if args.quick else 10) / 1e9}
    return run


def mlp_vae(sizes, latent, act, batch):
    def run():
        vae = MlpVae(sizes, latent, act)
        x, eps = images(batch), torch.randn(batch, latent)
        return training_throughput(batch, list(vae.parameters()), lambda: vae_loss(vae, x, eps), 3 if args.quick else 10)
    return run


def conv_vae():
    batch = 128
    c1 = torch.nn.Conv2d(1, 32, 4, stride=2, padding=1)
    c2 = torch.nn.Conv2d(32, 64, 4, stride=2, padding=1)
    mu, lv = torch.nn.Linear(64 * 49, 20), torch.nn.Linear(64 * 49, 20)
    fc = torch.nn.Linear(20, 64 * 49)
    d1 = torch.nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1)
    d2 = torch.nn.ConvTranspose2d(32, 1, 4, stride=2, padding=1)
    params = [p for m in (c1, c2, mu, lv, fc, d1, d2) for p in m.parameters()]
    x = images(batch).reshape(batch, 1, 28, 28)
    eps = torch.randn(batch, 20)

    def loss():
        h = F.relu(c2(F.relu(c1(x)))).reshape(batch, -1)
        m, v = mu(h), lv(h)
        z = m + torch.exp(0.5 * v) * eps
        g = F.relu(fc(z)).reshape(batch, 64, 7, 7)
        logits = d2(F.relu(d1(g))).reshape(batch, 784)
        return -(bernoulli_log_lik(x.reshape(batch, 784), logits) - gaussian_kl(m, v)).mean()

    return training_throughput(batch, params, loss, 2 if args.quick else 5)


def is_eval():
    vae = MlpVae([784, 200, 200], 50, torch.nn.Tanh)
    n, k, chunk = args.images, 5000, 1000
    x = images(n)
    t0 = time.perf_counter()
    with torch.no_grad():
        mu, logvar = vae.encode(x)
        for i in range(n):
            xi, mi, vi = x[i:i + 1], mu[i:i + 1], logvar[i:i + 1]
            parts = []
            for _ in range(0, k, chunk):
                z = mi + torch.exp(0.5 * vi) * torch.randn(chunk, 50)
                log_pz = -0.5 * (z.pow(2) + LOG_2PI).sum(-1)
                parts.append(bernoulli_log_lik(xi, vae.dec(z)) + log_pz - normal_log_prob(z, mi, vi))
            (torch.logsumexp(torch.cat(parts), 0) - math.log(k)).item()
    return {"unit": "images/s", "value": n / (time.perf_counter() - t0)}


workloads = {
    "gemm_NN": gemm(False, False), "gemm_TN": gemm(True, False),
    "gemm_NT": gemm(False, True), "gemm_TT": gemm(True, True),
    "vae_mlp": mlp_vae([784, 400], 20, torch.nn.ReLU, 128),
    "iwae_vae_b20": mlp_vae([784, 200, 200], 50, torch.nn.Tanh, 20),
    "iwae_vae_b100": mlp_vae([784, 200, 200], 50, torch.nn.Tanh, 100),
    "conv_vae": conv_vae,
    "is_eval": is_eval,
}
only = set(filter(None, args.only.split(",")))
out = {name: fn() for name, fn in workloads.items() if not only or name in only}
print(json.dumps({"torch": torch.__version__, "threads": args.threads, "results": out}))
