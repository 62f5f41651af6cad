"""Imported once by the fork server of the extraction workers (``parallel.ordered_map``): loads
the extraction stack and the language model, so every worker forked from it starts warm.

Workers are one per core already, so BLAS must not spin threads of its own: a second
OpenBLAS thread per worker doubled the CPU cost of the language model's small products."""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from threadpoolctl import threadpool_limits  # noqa: E402

threadpool_limits(1)

from newsloom import pipeline  # noqa: E402,F401
from newsloom.analyse import language  # noqa: E402
from newsloom.dedupe import Deduper  # noqa: E402,F401
from newsloom.extract import html  # noqa: E402,F401

language.detect_article("warm", "The language model is loaded once, in the fork server.")
