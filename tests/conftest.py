"""Shared test configuration.

BLAS runs single-threaded in tests, as in the app (see ``explorer/__init__.py``): results are
reproducible bit for bit and timings do not depend on what else the machine is running.

In-process runs (AppTest, unit tests) compute inline in the script thread (``WIE_WORKERS=0``,
see ``explorer/offload.py``): tests/explorer/test_offload.py checks the worker pool itself,
and the browser tests' servers run with it, as in production.
"""

import os

from threadpoolctl import threadpool_limits

threadpool_limits(limits=1, user_api="blas")

os.environ.setdefault("WIE_WORKERS", "0")
# No background warm-up of the default views (explorer/warmup.py) in in-process runs.
os.environ.setdefault("WIE_WARMUP", "0")
