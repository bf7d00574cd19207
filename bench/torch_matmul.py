#!/usr/bin/env python3
"""PyTorch reference row for the benchmark suite, run on a lent GPU machine next to the Node suite.

Times torch.matmul on square float32 matrices (TF32 off, so it is the same fp32 arithmetic as our
WGSL kernels) and a chain of 1,000 tiny adds, with the same method as bench/suite.ts: warm-up,
samples of k back-to-back ops followed by one torch.cuda.synchronize(), medians.

  python3 bench/torch_matmul.py                          # sizes 128..4096, prints a table
  python3 bench/torch_matmul.py --merge $OUT/node.json   # sizes from that result; adds a
        'reference' section to it and prints ours-vs-PyTorch for our 'auto' rows
"""
import argparse
import json
import os
import statistics
import sys
import time


def timed(fn, sync, k, reps, warmup=3):
    for _ in range(warmup):
        fn()
    sync()
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(k):
            fn()
        sync()
        samples.append((time.perf_counter() - t0) * 1e3 / k)
    return samples


def pick_k(fn, sync, sample_ms=10.0):
    t0 = time.perf_counter()
    fn()
    sync()
    one = (time.perf_counter() - t0) * 1e3
    return max(1, min(256, int(sample_ms / max(one, 1e-3)) + 1))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--sizes', default='128,256,512,1024,2048,4096')
    ap.add_argument('--reps', type=int, default=21)
    ap.add_argument('--device', default='cuda')
    ap.add_argument('--merge', help='result JSON of the Node suite to add the reference to (sizes taken from it)')
    args = ap.parse_args()

    import torch

    dev = torch.device(args.device)
    if dev.type == 'cuda':
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        sync = torch.cuda.synchronize
        name = torch.cuda.get_device_name(dev)
    else:
        sync = lambda: None  # noqa: E731
        name = args.device
    merged = None
    sizes = [int(s) for s in args.sizes.split(',') if s]
    if args.merge:
        with open(args.merge) as f:
            merged = json.load(f)
        found = sorted({int(r['id'].split()[1]) for r in merged['rows'] if r['id'].startswith('matmul') and r['device'] == 'webgpu'})
        sizes = found or sizes

    rows = []
    for n in sizes:
        g = torch.Generator(device=dev).manual_seed(n)
        a = torch.randn(n, n, device=dev, generator=g)
        b = torch.randn(n, n, device=dev, generator=g)
        fn = lambda: torch.matmul(a, b)  # noqa: E731
        k = pick_k(fn, sync)
        s = timed(fn, sync, k, args.reps)
        med = statistics.median(s)
        rows.append({'id': f'matmul {n} webgpu', 'unit': 'ms', 'median': med, 'min': min(s), 'max': max(s),
                     'reps': len(s), 'opsPerSample': k, 'gflops': 2 * n ** 3 / (med * 1e6)})
    for size in (1, 64):
        x0 = torch.ones(size, device=dev)
        y = torch.full((size,), 0.5, device=dev)

        def chain():
            x = x0
            for _ in range(1000):
                x = x + y
            return x
        s = [v * 1e3 / 1000 for v in timed(chain, sync, 1, max(5, args.reps // 2))]  # us per op
        rows.append({'id': f'add chain [{size}] webgpu', 'unit': 'us/op', 'median': statistics.median(s),
                     'min': min(s), 'max': max(s), 'reps': len(s), 'opsPerSample': 1000})

    ref = {'name': 'pytorch', 'version': torch.__version__, 'device': name, 'tf32': False, 'rows': rows}
    print(f'PyTorch {torch.__version__} on {name} (fp32, TF32 off)')
    print('| row | PyTorch median | GFLOP/s | reps |')
    print('| --- | ---: | ---: | ---: |')
    for r in rows:
        gf = f"{r['gflops']:.0f}" if 'gflops' in r else ''
        print(f"| {r['id']} | {r['median']:.4g} {r['unit']} | {gf} | {r['reps']}×{r['opsPerSample']} |")

    if merged is not None:
        merged.setdefault('reference', {})['pytorch'] = ref
        by_id = {r['id']: r for r in rows}
        print()
        print('| row | ours (auto) | PyTorch | ours / PyTorch time |')
        print('| --- | ---: | ---: | ---: |')
        for r in merged['rows']:
            t = by_id.get(r['id'])
            if r['variant'] != 'auto' or t is None or r.get('error'):
                continue
            ours = r['ours']['median']
            print(f"| {r['id']} | {ours:.4g} {r['unit']} | {t['median']:.4g} {t['unit']} | {ours / t['median']:.2f}x |")
        tmp = args.merge + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(merged, f, indent=2)
            f.write('\n')
        os.replace(tmp, args.merge)
        print(f'\nAdded the PyTorch reference to {args.merge}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
