"""Importing explorer limits NumPy's BLAS to one thread, whatever was imported before."""

from __future__ import annotations

import subprocess
import sys

from benchmarks.server import ROOT

PROBE = (
    "import explorer, threadpoolctl; "
    "print(max(i['num_threads'] for i in threadpoolctl.threadpool_info() "
    "if i['user_api'] == 'blas'))"
)


def test_explorer_first_in_a_fresh_interpreter_limits_blas_to_one_thread():
    # Before the fix, importing explorer ahead of numpy found no BLAS library to limit, and
    # OpenBLAS then started its default pool: training ran 12-30x slower on a busy server.
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"OPENBLAS_NUM_THREADS": "2", "PATH": "/usr/bin:/bin"},
    )
    assert result.stdout.strip() == "1"
