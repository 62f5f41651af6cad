"""Synthetic worlds for the tests of stories across vector spaces: events, each with a direction
in two incomparable spaces (say USE-m3 and e5-small) and one in the title space all share."""

from __future__ import annotations

import numpy as np

DIMS = {"a": 64, "b": 48}  # two incomparable spaces
TITLE_DIM = 32


def unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v)).astype(np.float32)


class BaseWorld:
    """The events' directions; test modules add the ``item`` they need."""

    def __init__(self, n_events: int = 4, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)
        self.own = {s: [unit(self.rng.standard_normal(d)) for _ in range(n_events)] for s, d in DIMS.items()}
        self.title = [unit(self.rng.standard_normal(TITLE_DIM)) for _ in range(n_events)]
        self.n = 0
