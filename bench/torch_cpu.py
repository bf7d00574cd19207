#!/usr/bin/env python3
"""PyTorch CPU reference numbers for the wasm rows of the benchmark suite (bench/rows/wasm.ts).

Optional and never a test dependency: run it beside `npm run bench -- --filter wasm` on the same
machine to put the wasm backend next to PyTorch's CPU kernels (MKL / oneDNN), one thread by default.
Same shapes as the suite's wasm rows: square float32 matmul, the conv / transposed-conv forwards
and forward + backward at batch 64, and the DCGAN G+D step of bench/rows/training.ts at batch 64.
Medians of timed samples after a warm-up, as bench/suite.ts does.

  python3 bench/torch_cpu.py               # one thread
  python3 bench/torch_cpu.py --threads 2
"""
import argparse
import os
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def median_ms(fn, budget_s=3.0, warmup=2, min_reps=5, max_reps=41):
    for _ in range(warmup):
        fn()
    samples = []
    t_end = time.perf_counter() + budget_s
    while len(samples) < min_reps or (time.perf_counter() < t_end and len(samples) < max_reps):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(samples)


def row(name, ms, flops=None):
    gflops = f"{flops / ms / 1e6:8.1f} GFLOP/s" if flops else ""
    print(f"{name:48s} {ms:10.3f} ms {gflops}")


def conv_rows(n):
    shapes = [((n, 1, 28, 28), 32, 3, 1, False), ((n, 32, 28, 28), 64, 3, 2, False),
              ((n, 64, 7, 7), 32, 4, 2, True), ((n, 64, 14, 14), 32, 4, 2, True)]
    for (x_shape, co, k, s, transposed) in shapes:
        _, c, h, w = x_shape
        x = torch.randn(x_shape, requires_grad=True)
        weight = (torch.randn((c, co, k, k) if transposed else (co, c, k, k)) * 0.1).requires_grad_()
        bias = torch.randn(co, requires_grad=True)
        if transposed:
            fwd = lambda: F.conv_transpose2d(x, weight, bias, stride=s, padding=1)
            macs = n * h * w * c * co * k * k
        else:
            fwd = lambda: F.conv2d(x, weight, bias, stride=s, padding=1)
            ho, wo = (h + 2 - k) // s + 1, (w + 2 - k) // s + 1
            macs = n * ho * wo * co * c * k * k
        dy = torch.randn_like(fwd())
        name = f"{'convTranspose2d' if transposed else 'conv2d'} {n}x{c}x{h}x{w}->{co} {k}x{k} s{s}"
        with torch.no_grad():
            row(f"{name} fwd", median_ms(fwd), 2 * macs)
        row(f"{name} fwd+bwd", median_ms(lambda: torch.autograd.grad(fwd(), [x, weight, bias], dy)), 6 * macs)


def dcgan_step(batch):
    """bench/rows/training.ts's DCGAN: one D update on real + fake, one G update through D."""
    z_dim = 100
    g = nn.Sequential(nn.Linear(z_dim, 64 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (64, 7, 7)),
                      nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(32, 1, 4, 2, 1), nn.Tanh())
    d = nn.Sequential(nn.Conv2d(1, 32, 3, 1, 1), nn.LeakyReLU(0.2), nn.Conv2d(32, 64, 3, 2, 1), nn.LeakyReLU(0.2),
                      nn.Flatten(), nn.Linear(64 * 14 * 14, 1))
    opt_g = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), 2e-4, betas=(0.5, 0.999))
    real = torch.rand(batch, 1, 28, 28) * 2 - 1
    ones, zeros = torch.ones(batch, 1), torch.zeros(batch, 1)
    bce = F.binary_cross_entropy_with_logits

    def step():
        fake = g(torch.randn(batch, z_dim))
        opt_d.zero_grad()
        (bce(d(real), ones) + bce(d(fake.detach()), zeros)).backward()
        opt_d.step()
        opt_g.zero_grad()
        bce(d(fake), ones).backward()
        opt_g.step()

    return step


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    load = os.getloadavg()
    print(f"PyTorch {torch.__version__} CPU, {args.threads} thread(s); load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    for n in (128, 256, 512, 1024):
        a, b = torch.randn(n, n), torch.randn(n, n)
        row(f"matmul {n}", median_ms(lambda: torch.matmul(a, b)), 2 * n ** 3)
    conv_rows(64)
    row("dcgan step b64", median_ms(dcgan_step(64), budget_s=10.0, min_reps=5, max_reps=11))


if __name__ == "__main__":
    main()
