"""PyTorch twin of `latent train vae` for bench/vae_compare.ts: the same
architecture (MLP encoder D-h..., linear heads for mu and log-variance,
mirrored decoder, Bernoulli logits, output bias from the pixel means), the same
data (read from the NPY files the TypeScript side exported), the same
objective (ELBO with closed-form KL, or IWAE-k), optimizer (Adam), batch size,
epochs and dynamic binarization, and the same evaluation (log p(x) by
importance sampling with k samples, in nats, on the exported statically
binarized test images). Prints one JSON object.
Usage: python3 bench/vae_twin.py DIR --hidden 400 --latent 20 --activation relu
       --epochs 20 --batch 100 --lr 1e-3 --k 1 --eval-k 1000 --seed 0 --threads 1"""
import argparse
import json
import math
import time

import numpy as np
import torch
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("dir")
p.add_argument("--hidden", default="400")
p.add_argument("--latent", type=int, default=20)
p.add_argument("--activation", default="relu")
p.add_argument("--epochs", type=int, default=20)
p.add_argument("--batch", type=int, default=100)
p.add_argument("--lr", type=float, default=1e-3)
p.add_argument("--k", type=int, default=1)
p.add_argument("--eval-k", type=int, default=1000)
p.add_argument("--seed", type=int, default=0)
p.add_argument("--threads", type=int, default=1)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(a.seed)
np.random.seed(a.seed)

train = torch.from_numpy(np.load(f"{a.dir}/train.npy")).float()
test = torch.from_numpy(np.load(f"{a.dir}/test_binarized.npy")).float()
hidden = [int(h) for h in a.hidden.split(",")]
D = train.shape[1]
act = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "softplus": torch.nn.Softplus}[a.activation]


def mlp(sizes, out_act):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2 or out_act:
            layers.append(act())
    return torch.nn.Sequential(*layers)


enc = mlp([D] + hidden, True)
mu_l = torch.nn.Linear(hidden[-1], a.latent)
lv_l = torch.nn.Linear(hidden[-1], a.latent)
dec = mlp([a.latent] + hidden[::-1] + [D], False)
with torch.no_grad():
    m = train.mean(0).clamp(1e-3, 1 - 1e-3)
    dec[-1].bias.copy_(torch.log(m) - torch.log1p(-m))
params = [q for mod in (enc, mu_l, lv_l, dec) for q in mod.parameters()]
opt = torch.optim.Adam(params, lr=a.lr)
LOG2PI = math.log(2 * math.pi)


def log_weights(x, k):
    h = enc(x)
    mu, lv = mu_l(h), lv_l(h)
    std = torch.exp(0.5 * lv)
    eps = torch.randn(k, *mu.shape)
    z = mu + std * eps
    logits = dec(z)
    ll = (x * logits - F.softplus(logits)).sum(-1)
    log_pz = -0.5 * (z.pow(2) + LOG2PI).sum(-1)
    log_qz = -0.5 * (eps.pow(2) + lv + LOG2PI).sum(-1)
    return ll + log_pz - log_qz, mu, lv


def loss_fn(x):
    if a.k == 1:
        h = enc(x)
        mu, lv = mu_l(h), lv_l(h)
        z = mu + torch.exp(0.5 * lv) * torch.randn_like(mu)
        logits = dec(z)
        rec = (x * logits - F.softplus(logits)).sum(-1)
        kl = -0.5 * (1 + lv - mu.pow(2) - lv.exp()).sum(-1)
        return -(rec - kl).mean()
    lw, _, _ = log_weights(x, a.k)
    return -(torch.logsumexp(lw, 0) - math.log(a.k)).mean()


t0 = time.perf_counter()
n = train.shape[0]
for epoch in range(a.epochs):
    perm = torch.randperm(n)
    for i in range(0, n, a.batch):
        x = torch.bernoulli(train[perm[i:i + a.batch]])
        opt.zero_grad()
        loss_fn(x).backward()
        opt.step()
train_s = time.perf_counter() - t0

t1 = time.perf_counter()
with torch.no_grad():
    elbo_sum, logpx_sum = 0.0, 0.0
    for i in range(0, test.shape[0], 100):
        x = test[i:i + 100]
        h = enc(x)
        mu, lv = mu_l(h), lv_l(h)
        z = mu + torch.exp(0.5 * lv) * torch.randn_like(mu)
        logits = dec(z)
        rec = (x * logits - F.softplus(logits)).sum(-1)
        kl = -0.5 * (1 + lv - mu.pow(2) - lv.exp()).sum(-1)
        elbo_sum += (rec - kl).sum().item()
        # log p(x) by importance sampling, streamed over chunks of samples.
        chunk = max(1, 4000 // x.shape[0])
        parts = []
        done = 0
        while done < a.eval_k:
            c = min(chunk, a.eval_k - done)
            lw, _, _ = log_weights(x, c)
            parts.append(torch.logsumexp(lw, 0))
            done += c
        logpx_sum += (torch.logsumexp(torch.stack(parts), 0) - math.log(a.eval_k)).sum().item()
eval_s = time.perf_counter() - t1
N = test.shape[0]
print(json.dumps({"torch": torch.__version__, "test_elbo": elbo_sum / N, "test_logpx": logpx_sum / N, "test_nll": -logpx_sum / N,
                  "train_seconds": train_s, "eval_seconds": eval_s, "n_test": N}))
