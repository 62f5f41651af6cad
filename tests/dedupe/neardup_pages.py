"""Pages whose texts are far apart unless one is a copy: seeded words from a small vocabulary
with numbers, and a copy that changes one word of 160 (Jaccard ~0.98)."""

from __future__ import annotations

import random

WORDS = ("river council harbour minister railway budget storm village school hospital bridge court "
         "farmers election museum factory police festival airport forest mayor union teachers drought "
         "satellite market energy workers coast library tunnel vaccine").split()


def words(seed: int, n: int = 160) -> list[str]:
    rnd = random.Random(seed)
    return [rnd.choice(WORDS) + str(rnd.randrange(50)) for _ in range(n)]


def near_copy(ws: list[str]) -> list[str]:
    return [*ws[:-1], "changed"]  # one word of 160: Jaccard ~0.98


def page(ws: list[str], title: str) -> str:
    paras = [" ".join(ws[i : i + 40]) + "." for i in range(0, len(ws), 40)]
    return (f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
            + "".join(f"<p>{p}</p>" for p in paras) + "</article></body></html>")
