"""Streamlit-aware shared code: sidebar controls, URL state, cached compute, charts, page text.

Importing this package limits BLAS to one thread for the whole server process. Streamlit serves
every session from one process, and the matrices here are small (at most 1024 wide), so
OpenBLAS's thread pool buys little on an idle machine but, with several sessions computing at
once on a 2-core host, its spinning threads oversubscribe the cores: a 300-step training run
measured 0.4 s single-threaded and 29 s with the default pool under load.

It also turns off Altair's debug mode, which validates every schema object against the
Vega-Lite schema as it is constructed (a scale, a mark, a filter: 18 % of the time to build a
per-layer chart). The charts are still validated, as the browser receives them:
tests/pages/test_chart_schema.py checks every chart every page draws against the schema.
"""

import numpy  # noqa: F401 - loads OpenBLAS first: threadpoolctl only limits loaded libraries
from altair.utils import schemapi
from threadpoolctl import threadpool_limits

threadpool_limits(limits=1, user_api="blas")
schemapi.disable_debug_mode()
