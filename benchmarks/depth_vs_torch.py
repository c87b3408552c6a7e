"""`simulate_depth` (Monte Carlo only, 1 seed) against the same network in PyTorch autograd.

Depth 100, width 1024, batch 128, He init (sigma_w2 = 2), float32, tanh and ReLU, weights drawn
fresh in both. PyTorch records dLoss/dz^l with retain_grad (Loss = sum(z^L * g), so
delta^L = g); its weights do not require gradients, so neither side computes weight gradients.
Target (issue 14): actcli at most 1.0x PyTorch. torch is not a dependency: without it this
prints so and exits 0. Usage: python benchmarks/depth_vs_torch.py [--repeats N] [--threads T]
(T sets OPENBLAS_NUM_THREADS / OMP_NUM_THREADS and torch.set_num_threads; default: all cores).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

DEPTH, WIDTH, BATCH = 100, 1024, 128
TARGET = 1.0


def torch_run(torch, name: str) -> list[float]:
    """The network in PyTorch: log10 ||delta^l|| / ||delta^L|| for l = 1..L."""
    act = {"tanh": torch.tanh, "relu": torch.relu}[name]
    a = torch.randn(WIDTH, BATCH)
    g = torch.randn(WIDTH, BATCH)
    scale = (2.0 / WIDTH) ** 0.5
    zs = []
    for layer in range(DEPTH):
        w = torch.randn(WIDTH, WIDTH) * scale
        z = w @ a
        if layer == 0:
            z.requires_grad_(True)
        else:
            z.retain_grad()
        zs.append(z)
        a = act(z)
    (zs[-1] * g).sum().backward()
    top = g.norm()
    return [float(torch.log10(z.grad.norm() / top)) for z in zs]


def best_interleaved(first, second, repeats: int) -> tuple[float, float]:
    """The best wall time of each over `repeats` rounds, the two run in turn, so that load on
    the machine hits them alike."""
    fastest = [float("inf"), float("inf")]
    for _ in range(repeats):
        for index, function in enumerate((first, second)):
            started = time.perf_counter()
            function()
            fastest[index] = min(fastest[index], time.perf_counter() - started)
    return fastest[0], fastest[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = str(args.threads)
    try:
        import torch
    except ImportError:
        print("torch is not installed: nothing to compare against (pip install torch)")
        return
    from actcli.api import load_activation
    from actcli.propagation import simulate_depth

    if args.threads:
        torch.set_num_threads(args.threads)
    threads = args.threads or os.cpu_count()
    print(f"depth {DEPTH}, width {WIDTH}, batch {BATCH}, float32, He init, 1 network")
    print(
        f"threads: torch {torch.get_num_threads()}, numpy BLAS {threads}; "
        f"torch {torch.__version__}, python {sys.version.split()[0]}"
    )
    for name in ("tanh", "relu"):
        activation = load_activation(name)
        activation.function(0), activation.function(1)  # compile outside the timing

        def actcli_run(activation=activation):
            return simulate_depth(
                [activation],
                mode="montecarlo",
                depth=DEPTH,
                width=WIDTH,
                batch=BATCH,
                init="he",
                seeds=1,
                dtype="float32",
            )

        ours, theirs = best_interleaved(
            actcli_run, lambda name=name: torch_run(torch, name), args.repeats
        )
        ratio = ours / theirs
        verdict = "ok" if ratio <= TARGET else "over target"
        print(
            f"{name:5s} actcli {ours:6.2f} s  torch {theirs:6.2f} s  "
            f"ratio {ratio:4.2f} (target <= {TARGET:g}: {verdict})"
        )


if __name__ == "__main__":
    main()
