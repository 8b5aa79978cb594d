"""PyTorch twin of latent's CNF density (src/models/cnf): the same dynamics
(Linear layers that also see the time, h W^T + b + t w_t, tanh or softplus
between them), log p(x) = log N(z(T)) + integral of tr(df/dz) dt with the
exact trace from torch.autograd.grad, integrated by classical RK4 with a very
small step (written here: torchdiffeq is not installed), so its error is far
below the comparison's tolerance.

  /usr/bin/python3 bench/cnf_twin.py --fixture   # writes test/fixtures/cnf_torch.json
  /usr/bin/python3 bench/cnf_twin.py --train rings --iters 2000   # bench/cnf_toys.ts's training, in PyTorch

--train runs the toy benchmark's recipe (64-64-64 tanh, T = 0.5, exact trace,
backpropagation through dopri5 at rtol = atol = 1e-3, Adam 5e-3 cosine-decayed
to a tenth, 256 fresh draws per step; test log-likelihood on 10,000 fresh
draws with dopri5 at 1e-5) with PyTorch's default initialization and
generator: a reference for what the same budget reaches, not the same numbers.

The fixture holds random float64 weights (numpy seed 0), a few points, the
log-densities and the gradient of their mean with respect to every weight
(backpropagation through the RK4 steps); test/models/cnf-torch.test.ts
compares latent's dopri5 solve, direct and adjoint, against them.
"""
import json
import math
import sys

import numpy as np
import torch

torch.set_default_dtype(torch.float64)
RK4_STEPS = 1000  # h = 5e-4 over T = 0.5: RK4's global error ~h^4 ~ 1e-13 on these O(1) dynamics


def dynamics(params, activation, t, z):
    h = z
    for i, (w, b, wt) in enumerate(params):
        a = h @ w.T + b + t * wt
        if i == len(params) - 1:
            h = a
        elif activation == "tanh":
            h = torch.tanh(a)
        else:
            h = torch.nn.functional.softplus(a)
    return h


def rhs(params, activation, t, z):
    """f(z, t) and tr(df/dz) per row, differentiable (create_graph) for the weights' gradients."""
    dz = dynamics(params, activation, t, z)
    div = torch.zeros(z.shape[0])
    for i in range(z.shape[1]):
        div = div + torch.autograd.grad(dz[:, i].sum(), z, create_graph=True)[0][:, i]
    return dz, div


def log_prob(params, activation, x, t1):
    z = x.clone().requires_grad_(True)
    l = torch.zeros(x.shape[0])
    h = t1 / RK4_STEPS
    for s in range(RK4_STEPS):
        t = s * h
        k1 = rhs(params, activation, t, z)
        k2 = rhs(params, activation, t + h / 2, z + h / 2 * k1[0])
        k3 = rhs(params, activation, t + h / 2, z + h / 2 * k2[0])
        k4 = rhs(params, activation, t + h, z + h * k3[0])
        z = z + h / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0])
        l = l + h / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1])
    d = x.shape[1]
    return -0.5 * (z * z).sum(1) - d / 2 * math.log(2 * math.pi) + l


def case(rng, activation, hidden, t1, n_points):
    sizes = [2] + hidden + [2]
    params, state = [], {}
    for i in range(len(sizes) - 1):
        fan_in = sizes[i] + 1
        w = torch.tensor(rng.normal(0, 1.5 / math.sqrt(fan_in), (sizes[i + 1], sizes[i])), requires_grad=True)
        b = torch.tensor(rng.normal(0, 0.5, sizes[i + 1]), requires_grad=True)
        wt = torch.tensor(rng.normal(0, 1.0, sizes[i + 1]), requires_grad=True)
        params.append((w, b, wt))
        for name, p in (("weight", w), ("bias", b), ("timeWeight", wt)):
            state[f"dynamics.layers.{i}.{name}"] = p
    x = torch.tensor(rng.normal(0, 1.5, (n_points, 2)))
    lp = log_prob(params, activation, x, t1)
    names = list(state)
    grads = torch.autograd.grad(lp.mean(), [state[k] for k in names])
    return {
        "activation": activation,
        "hidden": hidden,
        "t1": t1,
        "state": {k: {"shape": list(v.shape), "data": v.detach().reshape(-1).tolist()} for k, v in state.items()},
        "x": x.tolist(),
        "logp": lp.detach().tolist(),
        "grad_mean_logp": {k: g.reshape(-1).tolist() for k, g in zip(names, grads)},
    }


# Dormand & Prince (1980) 5(4) with the controller of latent's odeint (HNW II.4).
DP_C = [0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1, 1]
DP_A = [[], [1 / 5], [3 / 40, 9 / 40], [44 / 45, -56 / 15, 32 / 9],
        [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
        [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
        [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84]]
DP_E = [71 / 57600, 0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40]


def dopri5(f, y, t0, t1, rtol, atol):
    """Integrates a tuple state y from t0 to t1 (t1 > t0); returns (y(t1), evaluations of f)."""
    nfe = [0]

    def ev(t, y):
        nfe[0] += 1
        return f(t, y)

    def rms(v, sc):
        return math.sqrt(sum(float(((a / s) ** 2).sum()) for a, s in zip(v, sc)) / sum(a.numel() for a in v))

    k1 = ev(t0, y)
    sc = [atol + rtol * a.detach().abs() for a in y]
    d0, d1 = rms([a.detach() for a in y], sc), rms([k.detach() for k in k1], sc)
    h0 = 1e-6 if d0 < 1e-5 or d1 < 1e-5 else 0.01 * d0 / d1
    with torch.no_grad():
        f1 = ev(t0 + h0, tuple(a.detach() + h0 * k.detach() for a, k in zip(y, k1)))
    d2 = rms([a.detach() - b.detach() for a, b in zip(f1, k1)], sc) / h0
    h = min(100 * h0, max(1e-6, h0 * 1e-3) if max(d1, d2) <= 1e-15 else (0.01 / max(d1, d2)) ** 0.2)
    t, rejected_last = t0, False
    while t < t1:
        last = h >= (t1 - t) * (1 - 1e-10)
        hs = t1 - t if last else h
        ks = [k1]
        for s in range(1, 7):
            stage = tuple(a + sum(DP_A[s][i] * hs * ks[i][j] for i in range(s) if DP_A[s][i] != 0) for j, a in enumerate(y))
            if s == 6:
                y5 = stage
            ks.append(ev(t1 if s == 6 and last else t + DP_C[s] * hs, stage))
        err = [sum(DP_E[i] * hs * ks[i][j].detach() for i in range(7) if DP_E[i] != 0) for j in range(len(y))]
        sc = [atol + rtol * torch.maximum(a.detach().abs(), b.detach().abs()) for a, b in zip(y, y5)]
        norm = rms(err, sc)
        accept = norm <= 1
        if accept:
            t = t1 if last else t + hs
            y, k1 = y5, ks[6]
        factor = 0.2 if math.isnan(norm) else (10 if norm == 0 else 0.9 * norm ** -0.2)
        factor = min(10 if accept and not rejected_last else 1, max(0.2, factor))
        rejected_last = not accept
        h = hs * factor
    return y, nfe[0]


def sample_rings(n, rng):
    r = np.array([0.75, 1.5, 2.25, 3.0])[rng.integers(0, 4, n)]
    a = 2 * math.pi * rng.random(n)
    return torch.tensor(np.stack([r * np.cos(a), r * np.sin(a)], 1) + 0.1 * rng.normal(size=(n, 2)))


def train(toy, iters):
    if toy != "rings":
        raise SystemExit("--train: only rings is written here")
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    sizes = [2, 64, 64, 64, 2]
    params = []
    for i in range(len(sizes) - 1):
        lin = torch.nn.Linear(sizes[i] + 1, sizes[i + 1])  # PyTorch's default initialization, time as one more input
        w = lin.weight.detach()[:, : sizes[i]].clone().float().requires_grad_(True)
        wt = lin.weight.detach()[:, sizes[i]].clone().float().requires_grad_(True)
        b = lin.bias.detach().clone().float().requires_grad_(True)
        params.append((w, b, wt))
    flat = [p for triple in params for p in triple]
    opt = torch.optim.Adam(flat, lr=5e-3)

    def nll(x, tol):
        def f(t, y):
            z = y[0]
            with torch.enable_grad():
                if not z.requires_grad:
                    z = z.requires_grad_(True)
                dz, div = rhs(params, "tanh", t, z)
            return dz, div
        (z1, l1), nfe = dopri5(f, (x, torch.zeros(x.shape[0], dtype=x.dtype)), 0.0, 0.5, tol, tol)
        return -(-0.5 * (z1 * z1).sum(1) - math.log(2 * math.pi) + l1), nfe

    import time
    t0, window = time.time(), 0.0
    for it in range(iters):
        for g in opt.param_groups:
            g["lr"] = 5e-3 * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * it / iters)))
        x = sample_rings(256, rng).float()
        loss, nfe = nll(x, 1e-3)
        loss = loss.mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        window += loss.item()
        if (it + 1) % 50 == 0:
            print(f"rings iter {it + 1}: train NLL {window / 50:.3f}, NFE {nfe}, {time.time() - t0:.0f} s", file=sys.stderr, flush=True)
            window = 0.0
    test = sample_rings(10000, np.random.default_rng(1000)).float()
    lps, nfes = [], []
    for s in range(0, 10000, 1000):
        v, nfe = nll(test[s : s + 1000], 1e-5)
        lps.append(-v.detach())
        nfes.append(nfe)
    lp = torch.cat(lps).double()
    print(json.dumps({"toy": toy, "iters": iters, "test_loglik": lp.mean().item(), "stderr": (lp.std() / math.sqrt(lp.numel())).item(),
                      "eval_nfe": sum(nfes) / len(nfes), "minutes": (time.time() - t0) / 60, "torch": torch.__version__}))


def main():
    if "--train" in sys.argv:
        i = sys.argv.index("--train")
        iters = int(sys.argv[sys.argv.index("--iters") + 1]) if "--iters" in sys.argv else 2000
        train(sys.argv[i + 1], iters)
        return
    if "--fixture" not in sys.argv:
        print(__doc__)
        return
    rng = np.random.default_rng(0)
    out = {
        "generator": "bench/cnf_twin.py --fixture",
        "torch": torch.__version__,
        "rk4_steps": RK4_STEPS,
        "cases": [case(rng, "tanh", [8, 8], 0.5, 6), case(rng, "softplus", [6], 1.0, 6)],
    }
    with open("test/fixtures/cnf_torch.json", "w") as f:
        json.dump(out, f)
    print("wrote test/fixtures/cnf_torch.json")


if __name__ == "__main__":
    main()
