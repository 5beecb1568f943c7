"""Training speed of the playground's default comparison, and its overhead over bare backprop.

Run from the repository root::

    python -m benchmarks.bench_training

The default comparison (issue [3/7]): four initializers, 300 full-batch SGD steps each, a 4 x 32
tanh MLP on 512 points of the moons data set. Target: the four runs together well under 2 s on
the project's 2-core machine. The "bare" time is the same number of forward + loss + backward
passes with no optimizer and no recording; the ratio train / bare is the cost of
:func:`core.training.train`'s bookkeeping (norms, update ratios, distinct neurons, finiteness
checks). Each figure is the best of ``--repeats`` runs, because the machine is shared; CPU
time (``time.process_time``) is reported next to wall time since it is less sensitive to other
processes (with several BLAS threads it adds up the threads' time).

OpenBLAS threads: tiny GEMMs (512 x 32) gain nothing from threads and, on a busy 2-core machine,
lose a lot to thread hand-offs; compare ``OPENBLAS_NUM_THREADS=1 python -m
benchmarks.bench_training`` with the default.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from benchmarks.nets import make_net
from core import datasets, networks, training

INITS = ("small_random", "lecun_normal", "glorot_uniform", "he_normal")
TARGET_SECONDS = 2.0


def build(init: str) -> networks.Network:
    return make_net("mlp", (2,), 2, 4, 32, "tanh", init)


def bare(net: networks.Network, x: np.ndarray, y: np.ndarray, steps: int) -> tuple[float, float]:
    """(wall, CPU) seconds of ``steps`` forward + loss + backward passes, nothing else."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(steps):
        trace = net.forward(x)
        _, dout = networks.loss_and_output_grad(trace.output, y, "cross_entropy")
        net.backward(trace, dout, need_input_grad=False)
    return time.perf_counter() - wall, time.process_time() - cpu


def timed_train(
    net: networks.Network, x: np.ndarray, y: np.ndarray, steps: int
) -> tuple[float, float]:
    """(wall, CPU) seconds of one :func:`core.training.train` run."""
    wall, cpu = time.perf_counter(), time.process_time()
    training.train(net, x, y, loss="cross_entropy", lr=0.1, steps=steps)
    return time.perf_counter() - wall, time.process_time() - cpu


def best(runs: list[tuple[float, float]]) -> tuple[float, float]:
    """Smallest wall and smallest CPU time over repeated runs."""
    return min(r[0] for r in runs), min(r[1] for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="repetitions (best is kept)")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--n", type=int, default=512)
    args = parser.parse_args()
    x, y = datasets.load("moons", args.n, seed=0)
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    print(
        f"moons n={args.n}, mlp 4 x 32 tanh, {args.steps} SGD steps, best of {args.repeats}, "
        f"OPENBLAS_NUM_THREADS={threads}"
    )
    print("| init | train wall (s) | train CPU (s) | bare CPU (s) | CPU ratio | final accuracy |")
    print("|---|---:|---:|---:|---:|---:|")
    total_wall = total_cpu = total_bare = 0.0
    for init in INITS:
        wall, cpu = best([timed_train(build(init), x, y, args.steps) for _ in range(args.repeats)])
        _, bare_cpu = best([bare(build(init), x, y, args.steps) for _ in range(args.repeats)])
        hist = training.train(build(init), x, y, loss="cross_entropy", lr=0.1, steps=args.steps)
        total_wall += wall
        total_cpu += cpu
        total_bare += bare_cpu
        print(
            f"| {init} | {wall:.3f} | {cpu:.3f} | {bare_cpu:.3f} | {cpu / bare_cpu:.2f} | "
            f"{hist.final_accuracy:.3f} |"
        )
    verdict = "OK" if total_wall < TARGET_SECONDS else "TOO SLOW"
    print(
        f"| **all four** | **{total_wall:.3f}** | {total_cpu:.3f} | {total_bare:.3f} | "
        f"{total_cpu / total_bare:.2f} | wall target < {TARGET_SECONDS:.0f} s: {verdict} |"
    )


if __name__ == "__main__":
    main()
