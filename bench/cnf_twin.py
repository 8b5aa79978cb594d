"""PyTorch twin of latent's CNF density (src/models/cnf): the same dynamics
(Linear layers that also see the time, h W^T + b + t w_t, tanh or softplus
between them), log p(x) = log N(z(T)) + integral of tr(df/dz) dt with the
exact trace from torch.autograd.grad, integrated by classical RK4 with a very
small step (written here: torchdiffeq is not installed), so its error is far
below the comparison's tolerance.

  /usr/bin/python3 bench/cnf_twin.py --fixture   # writes test/fixtures/cnf_torch.json

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


def main():
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
