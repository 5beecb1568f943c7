"""Speed of core.networks and core.probe, as ratios measured in one run.

1. Forward + backward of a 20-layer, 512-wide MLP on a batch of 1024 (float64), compared with
   * the GEMM bound: the bare matrix products of the same shapes (3 per layer: ``h W``,
     ``h^T dz``, ``dz W^T``) written into preallocated outputs -- pure BLAS time, no
     activation, no allocation;
   * PyTorch eager (``torch.nn.Linear`` + activation, ``loss.backward()``) in float64 and
     float32, when ``torch`` is importable.
   PyTorch is timed in a separate block after the NumPy ones (see ``bench_mlp``).
2. ``core.probe.propagate`` cost versus depth (25, 50, 100, 200 at width 256) and versus width
   (128 ... 1024 at depth 25), as time per layer and as a ratio to the GEMM bound of the same
   shapes (the probe's statistics and histograms are the overhead).

Timings are interleaved (bound, candidate, bound, ...) and the minimum over repeats is used, so
the ratios stay meaningful on a shared machine. Run from the repository root:

    python benchmarks/bench_core.py [--repeats 7] [--quick]

On a busy machine, multi-threaded BLAS timings swing wildly; pin the threads of both NumPy's
OpenBLAS and PyTorch for a per-core comparison:

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 python benchmarks/bench_core.py --clock cpu

(``--clock cpu`` measures process CPU time, which excludes the time other processes hold the
cores; it is only meaningful single-threaded.)
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.nets import make_net  # noqa: E402
from core.probe import propagate  # noqa: E402

CLOCK: Callable[[], float] = time.perf_counter


def best_of(fns: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Minimum time of each function, measured interleaved after one warm-up call."""
    for f in fns.values():
        f()
    best = {k: float("inf") for k in fns}
    for _ in range(repeats):
        for k, f in fns.items():
            t0 = CLOCK()
            f()
            best[k] = min(best[k], CLOCK() - t0)
    return best


def gemm_bound(shapes: list[tuple[int, int]], batch: int, rng: np.random.Generator) -> Callable:
    """3 GEMMs per dense layer of the given (fan_in, fan_out) shapes, preallocated outputs."""
    ws = [rng.standard_normal(s) for s in shapes]
    x = rng.standard_normal((batch, shapes[0][0]))
    fwd = [np.empty((batch, s[1])) for s in shapes]
    dws = [np.empty(s) for s in shapes]
    das = [np.empty((batch, s[0])) for s in shapes]
    g_top = rng.standard_normal((batch, shapes[-1][1]))

    def run() -> None:
        h = x
        for w, o in zip(ws, fwd, strict=True):
            np.matmul(h, w, out=o)
            h = o
        g = g_top
        for i in range(len(ws) - 1, -1, -1):
            inp = fwd[i - 1] if i > 0 else x
            np.matmul(inp.T, g, out=dws[i])
            np.matmul(g, ws[i].T, out=das[i])
            g = das[i]

    return run


def torch_runner(depth, width, d_in, n_out, batch, activation, dtype_name):
    try:
        import torch
    except ImportError:
        return None
    dtype = getattr(torch, dtype_name)
    torch.manual_seed(0)
    layers = []
    for i in range(depth):
        layers.append(torch.nn.Linear(d_in if i == 0 else width, width, dtype=dtype))
        layers.append(torch.nn.ReLU() if activation == "relu" else torch.nn.Tanh())
    layers.append(torch.nn.Linear(width, n_out, dtype=dtype))
    model = torch.nn.Sequential(*layers)
    x = torch.randn(batch, d_in, dtype=dtype)
    y = torch.randint(0, n_out, (batch,))
    loss_fn = torch.nn.CrossEntropyLoss()

    def run() -> None:
        model.zero_grad(set_to_none=True)
        loss_fn(model(x), y).backward()

    return run, torch.__version__, torch.get_num_threads()


def bench_mlp(repeats: int) -> list[tuple[str, str, str]]:
    depth, width, d_in, n_out, batch = 20, 512, 512, 10, 1024
    rng = np.random.default_rng(0)
    shapes = [(d_in, width)] + [(width, width)] * (depth - 1) + [(width, n_out)]
    bound = gemm_bound(shapes, batch, rng)
    x = rng.standard_normal((batch, d_in))
    y = rng.integers(0, n_out, batch)
    rows = []
    for act in ("relu", "tanh"):
        init = "he_normal" if act == "relu" else "glorot_normal"
        net = make_net("mlp", (d_in,), n_out, depth, width, act, init, rng)
        dout = rng.standard_normal((batch, n_out)) / batch

        def fwd_bwd(net=net, dout=dout) -> None:
            net.backward(net.forward(x), dout)

        def loss_grads(net=net) -> None:
            net.loss_and_grads(x, y, "cross_entropy")

        t = best_of({"bound": bound, "fb": fwd_bwd, "lg": loss_grads}, repeats)
        # PyTorch is timed in its own block: interleaved with it, whichever NumPy call runs
        # next pays for the allocator state PyTorch leaves behind (first-touch page faults).
        torch_fns: dict[str, Callable] = {}
        torch_info = {}
        for dt in ("float64", "float32"):
            r = torch_runner(depth, width, d_in, n_out, batch, act, dt)
            if r is not None:
                torch_fns[f"torch_{dt}"] = r[0]
                torch_info = {"version": r[1], "threads": r[2]}
        if torch_fns:
            t.update(best_of(torch_fns, repeats))
        b = t["bound"]
        label = f"MLP 20x512, batch 1024, {act}"
        rows.append((label, "GEMM bound (3 matmuls/layer, out=)", f"{b * 1e3:.1f} ms"))
        rows.append((label, "networks forward+backward", f"{t['fb'] * 1e3:.1f} ms"))
        rows.append((label, "**ratio fwd+bwd / GEMM bound**", f"**{t['fb'] / b:.2f}**"))
        rows.append((label, "loss_and_grads / GEMM bound", f"{t['lg'] / b:.2f}"))
        for dt in ("float64", "float32"):
            key = f"torch_{dt}"
            if key in t:
                rows.append((label, f"PyTorch eager {dt} (torch {torch_info['version']})",
                             f"{t[key] * 1e3:.1f} ms"))  # fmt: skip
                rows.append((label, f"**ratio networks / PyTorch {dt}**",
                             f"**{t['fb'] / t[key]:.2f}**"))  # fmt: skip
        if not torch_info:
            rows.append((label, "PyTorch eager", "not installed (comparison skipped)"))
    return rows


def bench_probe(repeats: int, quick: bool) -> list[tuple[str, str, str]]:
    rows = []
    batch = 256
    rng = np.random.default_rng(1)

    def one(depth: int, width: int) -> tuple[float, float]:
        def run() -> None:
            propagate(
                network="mlp",
                activation="tanh",
                init="glorot_normal",
                depth=depth,
                width=width,
                batch=batch,
                seed=0,
            )

        bound = gemm_bound([(width, width)] * depth, batch, rng)
        t = best_of({"probe": run, "bound": bound}, repeats)
        return t["probe"], t["bound"]

    depths = (25, 50) if quick else (25, 50, 100, 200)
    base = None
    for d in depths:
        tp, tb = one(d, 256)
        per = tp / d
        base = base or per
        rows.append(
            (
                f"probe mlp tanh, width 256, batch {batch}",
                f"depth {d}",
                f"{tp * 1e3:.1f} ms ({per * 1e3:.2f} ms/layer, x{per / base:.2f} of depth "
                f"{depths[0]}); / GEMM bound {tp / tb:.2f}",
            )
        )
    widths = (128, 256) if quick else (128, 256, 512, 1024)
    for w in widths:
        tp, tb = one(25, w)
        rows.append(
            (
                f"probe mlp tanh, depth 25, batch {batch}",
                f"width {w}",
                f"{tp * 1e3:.1f} ms; / GEMM bound {tp / tb:.2f}",
            )
        )
    for net, width, b in (("cnn", 32, 8), ("rnn", 256, 256), ("resmlp", 256, 256)):

        def run(net=net, width=width, b=b) -> None:
            propagate(
                network=net,
                activation="tanh",
                init="glorot_normal",
                depth=50,
                width=width,
                batch=b,
                seed=0,
            )

        t = best_of({"p": run}, repeats)["p"]
        rows.append((f"probe {net}, depth 50", f"width {width}, batch {b}", f"{t * 1e3:.1f} ms"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="fewer probe sizes")
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="cpu = process CPU time: robust on a busy machine, but only meaningful with "
        "single-threaded BLAS/OpenMP (OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1)",
    )
    parser.add_argument("--only", choices=("all", "mlp", "probe"), default="all")
    args = parser.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    env = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")
    threads = ", ".join(f"{k}={os.environ.get(k, 'unset')}" for k in env)
    print(
        f"# core benchmark (Python {platform.python_version()}, numpy {np.__version__}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs, {threads}, {args.clock} clock, "
        f"min of {args.repeats})\n"
    )
    print("| case | measurement | result |")
    print("|---|---|---|")
    rows = []
    if args.only in ("all", "mlp"):
        rows += bench_mlp(args.repeats)
    if args.only in ("all", "probe"):
        rows += bench_probe(args.repeats, args.quick)
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
