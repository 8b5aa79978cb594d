"""PyTorch twin of bench/engine.ts: the same GEMMs and the same VAE training
step, at the same thread count, printed as one JSON object.
Usage: python3 bench/torch_engine.py THREADS REPEATS"""
import json
import sys
import time

import torch

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 20
torch.set_num_threads(threads)
torch.manual_seed(0)


def best_of(fn, reps):
    fn()  # warm-up
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


M, K, N = 128, 784, 400
gemm = {}
a, b = torch.randn(M, K), torch.randn(K, N)
at, bt = a.t().contiguous(), b.t().contiguous()
variants = {
    "NN": lambda: a @ b,
    "TN": lambda: at.t() @ b,
    "NT": lambda: a @ bt.t(),
    "TT": lambda: at.t() @ bt.t(),
}
for name, fn in variants.items():
    sec = best_of(fn, repeats)
    gemm[name] = 2 * M * K * N / sec / 1e9

# VAE 784-400-20, ReLU, Bernoulli decoder on logits, analytic KL, batch 128, Adam.
enc = torch.nn.Linear(784, 400)
mu_l, lv_l = torch.nn.Linear(400, 20), torch.nn.Linear(400, 20)
dec1, dec2 = torch.nn.Linear(20, 400), torch.nn.Linear(400, 784)
params = [p for m in (enc, mu_l, lv_l, dec1, dec2) for p in m.parameters()]
opt = torch.optim.Adam(params, lr=1e-3)
x = (torch.rand(128, 784) < 0.3).float()
eps = torch.randn(128, 20)


def step():
    opt.zero_grad()
    h = torch.relu(enc(x))
    mu, logvar = mu_l(h), lv_l(h)
    z = mu + torch.exp(0.5 * logvar) * eps
    logits = dec2(torch.relu(dec1(z)))
    rec = torch.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="sum")
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    loss = (rec + kl) / 128
    loss.backward()
    opt.step()


step_sec = best_of(step, repeats)
print(json.dumps({"torch": torch.__version__, "threads": threads, "gemm_gflops": gemm, "vae_step_ms": step_sec * 1e3}))
