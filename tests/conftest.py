"""Shared test configuration.

BLAS runs single-threaded in tests, as in the app (see ``explorer/__init__.py``): results are
reproducible bit for bit and timings do not depend on what else the machine is running.
"""

from threadpoolctl import threadpool_limits

threadpool_limits(limits=1, user_api="blas")
