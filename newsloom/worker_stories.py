"""Imported once by the fork server of the worker processes when they also embed for the
stories stage (``newsloom.stories.vectors``): loads the embedders (USE-m3 or the configured
default, and e5-small for titles and the languages it lacks) so every worker forked from it
starts with them, sharing their weights with its siblings, instead of loading them itself at
each fetch pass (~1-2 s of CPU a worker). Both are numpy only, and ``newsloom.worker`` (imported
first) has limited BLAS to one thread, so forking after this is safe. The embedder named by
the settings of the command line, if another, is loaded by the workers when first needed."""

import signal
import threading

from newsloom import worker  # noqa: F401 - BLAS limits before numpy loads anything
from newsloom.analyse.embed import get_embedder
from newsloom.config import Settings
from newsloom.errors import NewsloomError
from newsloom.stories.spaces import FALLBACK_MODEL

# Ctrl-C while the models load: ignored here, as in newsloom.worker (the command stops the pool)
_sigint = signal.signal(signal.SIGINT, signal.SIG_IGN) if threading.current_thread() is threading.main_thread() \
    else None
try:
    _settings = Settings.load()
    for _name in dict.fromkeys((_settings.embedder, FALLBACK_MODEL)):
        get_embedder(_name, threads=_settings.embed_threads).embed(["The models are loaded in the fork server."])
except NewsloomError:  # a bad setting is reported where it is used, not here
    pass
finally:
    if _sigint is not None:
        signal.signal(signal.SIGINT, _sigint)
