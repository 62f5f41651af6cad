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
# htmldate's extensive date search (pages without a machine-readable date) hands text to
# dateparser, whose first call compiles its regexes for every locale: ~3 s of CPU that each
# worker process paid again; compiled here once, every worker forked from here has them.
from htmldate.extractors import _external_date  # noqa: E402

_external_date("no date in this text 7")  # no locale matches: all are compiled
