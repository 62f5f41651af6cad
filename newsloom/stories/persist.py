"""The story clusterer's state on disk (``Persistence``, mixed into
``newsloom.stories.cluster.StoryClusterer``). A daemon's restart rebuilds memory from the store
itself (``newsloom.stories.resume``); a saved state continues exactly where it stopped.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Self

from newsloom.errors import StoryError

# 6: members' signals carry entity keys and language; 7: and their length (items.Signals); 8: the
# language means of e5 vectors (stories.langmean)
_STATE_VERSION = 8


class Persistence:
    """``save`` and ``load`` of the whole clusterer (its indexes included)."""

    window_items: int

    def save(self, path: str | Path) -> None:
        """Write the whole state (index included) so a restart continues exactly."""
        Path(path).write_bytes(pickle.dumps((_STATE_VERSION, self), protocol=pickle.HIGHEST_PROTOCOL))

    @classmethod
    def load(cls, path: str | Path) -> Self:
        # pickle: the state file is written by this process for itself, never fetched input.
        try:
            version, obj = pickle.loads(Path(path).read_bytes())
        except FileNotFoundError:
            raise StoryError(f"{path}: clusterer state file not found") from None
        except Exception as exc:  # noqa: BLE001 - any unpickling failure means the same thing
            raise StoryError(f"{path}: not a clusterer state file ({type(exc).__name__})") from None
        if version != _STATE_VERSION or not isinstance(obj, cls):
            raise StoryError(f"{path}: clusterer state version {version!r}, expected {_STATE_VERSION}")
        obj.__dict__.setdefault("df_keys", 4 * obj.window_items)  # saved before the bound existed
        return obj

