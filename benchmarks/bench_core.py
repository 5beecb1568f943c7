"""Speed of core.networks and core.probe, as ratios measured in one run.

1. Forward + backward of a 20-layer, 512-wide MLP on a batch of 1024 (float64), compared with
   * the GEMM bound: the bare matrix products of the same shapes (3 per layer: ``h W``,
     ``h^T dz``, ``dz W^T``) written into preallocated outputs -- pure BLAS time, no
     activation, no allocation;
   * the plain GEMM bound: the same three products written as plain ``h @ w``, ``h.T @ dz``,
     ``dz @ w.T`` (fresh outputs, as a straightforward NumPy implementation would do);
   * PyTorch eager (``torch.nn.Linear`` + activation, ``loss.backward()``) in float64 and
     float32, when ``torch`` is importable.
   PyTorch is timed in a separate block after the NumPy ones (see ``bench_mlp``).
2. ``core.probe.propagate`` cost versus depth (25, 50, 100, 200 at width 256) and versus width
   (128 ... 1024 at depth 25), as time per layer and as a ratio to the GEMM bound of the same
   shapes (the probe's statistics and histograms are the overhead).

Timings are interleaved (bound, candidate, bound, ...) and the minimum over repeats is used, so
the ratios stay meaningful on a shared machine. Run from the repository root:

    python benchmarks/bench_core.py [--repeats 7] [--quick] [--threads 1,2] [--clock auto]

``--threads 1,2`` runs the whole MLP comparison once per thread count in one invocation: NumPy's
OpenBLAS is limited with ``threadpoolctl.threadpool_limits`` and PyTorch with
``torch.set_num_threads``, so both sides always use the same number of threads. ``--clock auto``
(the default) measures process CPU time single-threaded -- it excludes the time other processes
hold the cores, the robust choice on a shared machine -- and wall time for more threads (CPU
time would add the threads up). The equivalent one-thread-count-per-process commands are

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 python benchmarks/bench_core.py --clock cpu
    OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2 python benchmarks/bench_core.py --clock wall

The 1-minute load average is printed at the start and at the end of the run.

The header names the BLAS kernel in use. On a machine that forces an older OpenBLAS kernel
through ``OPENBLAS_CORETYPE`` (this project's development machines set ``Haswell`` on an
AVX-512 AMD EPYC), measure with the kernel OpenBLAS would choose by itself, as on a user's
laptop or on Community Cloud, by unsetting the override for this command alone:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_core.py --threads 1,2
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
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.nets import make_net  # noqa: E402
from core.probe import propagate  # noqa: E402

CLOCK: Callable[[], float] = time.perf_counter


def blas_kernel() -> str:
    """Name of the BLAS and of the kernel it runs, e.g. ``openblas 0.3.31 SkylakeX``.

    OpenBLAS picks its kernels for the processor at load time unless ``OPENBLAS_CORETYPE``
    forces one: some machines force an older kernel (``Haswell`` on an AVX-512 processor) to
    work around bugs of old OpenBLAS builds, which makes every GEMM ~30 % slower. Benchmark
    with the kernel the processor gets by default (unset ``OPENBLAS_CORETYPE`` and
    ``OPENBLAS_L2_SIZE`` for the benchmark command alone) and read it here.
    """
    from threadpoolctl import threadpool_info

    for lib in threadpool_info():
        if lib.get("user_api") == "blas":
            version = str(lib.get("version") or "")
            return f"{lib.get('internal_api')} {version} {lib.get('architecture') or ''}".strip()
    return "unknown"


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


def plain_gemm_bound(
    shapes: list[tuple[int, int]], batch: int, rng: np.random.Generator
) -> Callable:
    """3 GEMMs per dense layer written as plain ``h @ w``, ``h.T @ dz``, ``dz @ w.T``.

    Every product returns a fresh array (no ``out=``), as a straightforward NumPy forward and
    backward pass would; the forward outputs are kept for the backward products, as a network
    must keep them.
    """
    ws = [rng.standard_normal(s) for s in shapes]
    x = rng.standard_normal((batch, shapes[0][0]))
    g_top = rng.standard_normal((batch, shapes[-1][1]))

    def run() -> None:
        hs = [x]
        for w in ws:
            hs.append(hs[-1] @ w)
        g = g_top
        dws = [None] * len(ws)
        for i in range(len(ws) - 1, -1, -1):
            dws[i] = hs[i].T @ g
            g = g @ ws[i].T

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


def torch_gemm_bound(shapes: list[tuple[int, int]], batch: int) -> Callable | None:
    """The GEMM bound of :func:`gemm_bound` computed by PyTorch (its BLAS, float64, ``out=``).

    Shows how much of the networks / PyTorch ratio is the BLAS library alone (NumPy links
    OpenBLAS, the PyTorch CPU wheels MKL).
    """
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(1)
    f64 = torch.float64
    ws = [torch.randn(s, dtype=f64) for s in shapes]
    x = torch.randn(batch, shapes[0][0], dtype=f64)
    fwd = [torch.empty(batch, s[1], dtype=f64) for s in shapes]
    dws = [torch.empty(s, dtype=f64) for s in shapes]
    das = [torch.empty(batch, s[0], dtype=f64) for s in shapes]
    g_top = torch.randn(batch, shapes[-1][1], dtype=f64)

    def run() -> None:
        h = x
        for w, o in zip(ws, fwd, strict=True):
            torch.mm(h, w, out=o)
            h = o
        g = g_top
        for i in range(len(ws) - 1, -1, -1):
            inp = fwd[i - 1] if i > 0 else x
            torch.mm(inp.T, g, out=dws[i])
            torch.mm(g, ws[i].T, out=das[i])
            g = das[i]

    return run


def set_torch_threads(n: int) -> None:
    """``torch.set_num_threads(n)`` when PyTorch is installed."""
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(n)


def bench_mlp(
    repeats: int, threads: int | None = None, rounds: int = 2
) -> list[tuple[str, str, str]]:
    depth, width, d_in, n_out, batch = 20, 512, 512, 10, 1024
    rng = np.random.default_rng(0)
    shapes = [(d_in, width)] + [(width, width)] * (depth - 1) + [(width, n_out)]
    bound = gemm_bound(shapes, batch, rng)
    plain = plain_gemm_bound(shapes, batch, rng)
    tag = f" [{threads} thread{'s' if threads != 1 else ''}]" if threads else ""
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

        numpy_fns = {"bound": bound, "plain": plain, "fb": fwd_bwd, "lg": loss_grads}
        # PyTorch is timed in its own block: interleaved call by call, whichever NumPy call runs
        # next pays for the allocator state PyTorch leaves behind (first-touch page faults).
        # The NumPy and PyTorch blocks alternate for ``rounds`` rounds (minimum per entry), so a
        # burst of load from other jobs hits both sides of the networks / PyTorch ratio.
        torch_fns: dict[str, Callable] = {}
        torch_info = {}
        for dt in ("float64", "float32"):
            r = torch_runner(depth, width, d_in, n_out, batch, act, dt)
            if r is not None:
                torch_fns[f"torch_{dt}"] = r[0]
                torch_info = {"version": r[1], "threads": r[2]}
        tgb = torch_gemm_bound(shapes, batch)
        if tgb is not None:
            torch_fns["torch_bound"] = tgb
        t: dict[str, float] = {}
        for _ in range(rounds):
            for fns in (numpy_fns, torch_fns):
                if fns:
                    for k, v in best_of(fns, repeats).items():
                        t[k] = min(v, t.get(k, float("inf")))
        b = t["bound"]
        label = f"MLP 20x512, batch 1024, {act}{tag}"
        rows.append((label, "GEMM bound (3 matmuls/layer, out=)", f"{b * 1e3:.1f} ms"))
        rows.append((label, "plain GEMM bound (h @ w, h.T @ dz, dz @ w.T)",
                     f"{t['plain'] * 1e3:.1f} ms"))  # fmt: skip
        rows.append((label, "networks forward+backward", f"{t['fb'] * 1e3:.1f} ms"))
        rows.append((label, "**ratio fwd+bwd / GEMM bound (out=)**", f"**{t['fb'] / b:.2f}**"))
        rows.append((label, "**ratio fwd+bwd / plain GEMM bound**",
                     f"**{t['fb'] / t['plain']:.2f}**"))  # fmt: skip
        rows.append((label, "loss_and_grads / GEMM bound", f"{t['lg'] / b:.2f}"))
        for dt in ("float64", "float32"):
            key = f"torch_{dt}"
            if key in t:
                rows.append((label, f"PyTorch eager {dt} (torch {torch_info['version']})",
                             f"{t[key] * 1e3:.1f} ms"))  # fmt: skip
                rows.append((label, f"**ratio networks / PyTorch {dt}**",
                             f"**{t['fb'] / t[key]:.2f}**"))  # fmt: skip
            if dt == "float64" and key in t:
                # Same work as PyTorch's run: cross-entropy loss, no input gradient.
                rows.append((label, "loss_and_grads / PyTorch float64 (same work)",
                             f"{t['lg'] / t[key]:.2f}"))  # fmt: skip
        if "torch_bound" in t:
            tb = t["torch_bound"]
            rows.append((label, "PyTorch GEMM bound (torch.mm, out=, float64)",
                         f"{tb * 1e3:.1f} ms"))  # fmt: skip
            rows.append((label, "NumPy GEMM bound / PyTorch GEMM bound (BLAS alone)",
                         f"{b / tb:.2f}"))  # fmt: skip
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
        choices=("auto", "wall", "cpu"),
        default="auto",
        help="cpu = process CPU time: robust on a busy machine, but only meaningful with "
        "single-threaded BLAS/OpenMP; auto = cpu for 1 thread, wall otherwise",
    )
    parser.add_argument(
        "--threads",
        default="",
        help="comma-separated thread counts for the MLP comparison (e.g. 1,2), each applied to "
        "NumPy's BLAS (threadpoolctl) and PyTorch (set_num_threads); default: the environment's",
    )
    parser.add_argument(
        "--rounds", type=int, default=2, help="alternations of the NumPy and PyTorch blocks"
    )
    parser.add_argument("--only", choices=("all", "mlp", "probe"), default="all")
    args = parser.parse_args()
    global CLOCK
    env = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
    env_threads = ", ".join(f"{k}={os.environ.get(k, 'unset')}" for k in env)
    kernel = blas_kernel()
    counts = [int(c) for c in args.threads.split(",") if c.strip()]

    def clock_for(n: int | None) -> Callable[[], float]:
        single = n == 1 or (n is None and os.environ.get("OPENBLAS_NUM_THREADS") == "1")
        cpu = args.clock == "cpu" or (args.clock == "auto" and single)
        return time.process_time if cpu else time.perf_counter

    print(
        f"# core benchmark (Python {platform.python_version()}, numpy {np.__version__}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs, BLAS kernel {kernel}, {env_threads}, "
        "threads "
        f"{args.threads or 'from the environment'}, {args.clock} clock (cpu single-threaded), "
        f"min of {args.repeats}; load average at start {os.getloadavg()[0]:.2f})\n"
    )
    print("| case | measurement | result |")
    print("|---|---|---|")
    rows = []
    if args.only in ("all", "mlp"):
        for n in counts or [None]:
            CLOCK = clock_for(n)
            if n is None:
                rows += bench_mlp(args.repeats, rounds=args.rounds)
                continue
            set_torch_threads(n)
            with threadpool_limits(n, "blas"):
                rows += bench_mlp(args.repeats, n, args.rounds)
            clock = "CPU" if CLOCK is time.process_time else "wall"
            rows.append((f"[{n} thread{'s' if n != 1 else ''}]", "clock", clock))
    if args.only in ("all", "probe"):
        CLOCK = clock_for(counts[0] if counts else None)
        rows += bench_probe(args.repeats, args.quick)
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
