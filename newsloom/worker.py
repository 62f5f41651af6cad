"""Imported once by the fork server of the extraction workers (``parallel.ordered_map``): loads
the extraction stack and the language model, so every worker forked from it starts warm.

It imports every module a worker runs (``pipeline.analyse`` and what it imports lazily, the
pool's initializer in ``newsloom.parallel``, the stories stage's vectors), so a worker never
reads code from disk: the code of a newsloom upgraded under a running daemon (``pip install
-U``, ``git pull``) never mixes with the code its parent runs (``newsloom.codeversion`` stops the
daemon instead). ``tests/faults/test_faults_upgrade.py`` checks that a worker's modules are the
fork server's. (Per-language word lists are still read when a language is first met.)

Workers are one per core already, so BLAS must not spin threads of its own: a second
OpenBLAS thread per worker doubled the CPU cost of the language model's small products."""

import os
import signal
import threading

# Ctrl-C in a terminal reaches the fork server too (same process group); while it preloads
# (seconds: the models) it ended in a KeyboardInterrupt traceback under the command's
# "interrupted" line. The command stops the pool itself, and the fork server ignores SIGINT
# once its preload is done (multiprocessing.forkserver), so it is ignored here until the end of
# this module (then the handler is put back: workers forked later keep the usual one).
_sigint = signal.signal(signal.SIGINT, signal.SIG_IGN) if threading.current_thread() is threading.main_thread() \
    else None

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from threadpoolctl import threadpool_limits  # noqa: E402

threadpool_limits(1)

from newsloom import pipeline  # noqa: E402,F401
from newsloom.analyse import language  # noqa: E402
from newsloom.dedupe import Deduper  # noqa: E402,F401
from newsloom.extract import html  # noqa: E402,F401

# what a worker would otherwise import lazily, after the fork, from whatever is on disk then
import psutil  # noqa: E402,F401 - parallel._orphan_watch

from newsloom import parallel, priority  # noqa: E402,F401 - the pool's initializer
from newsloom.analyse import entities, quotes  # noqa: E402,F401 - pipeline._names_and_quotes
from newsloom.analyse import boilerplate  # noqa: E402,F401 - stories.vectors.prepare
from newsloom.rights import policy  # noqa: E402,F401 - stories.vectors.prepare
from newsloom.stories import vectors  # noqa: E402,F401 - pipeline.analyse(embed=True)

language.detect_article("warm", "The language model is loaded once, in the fork server.")
_warm = "The mayor of Oslo, Anna Berg, opened the bridge. \"It is a great day,\" she said."
entities.extract_entities(_warm, "en")  # the shared tables (names, places) of the stories stage
quotes.extract_quotes(_warm, "en")
# htmldate's extensive date search (pages without a machine-readable date) hands text to
# dateparser, whose first call compiles its regexes for every locale: ~3 s of CPU that each
# worker process paid again; compiled here once, every worker forked from here has them.
from htmldate.extractors import _external_date  # noqa: E402

_external_date("no date in this text 7")  # no locale matches: all are compiled

if _sigint is not None:
    signal.signal(signal.SIGINT, _sigint)
