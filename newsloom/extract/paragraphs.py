"""Paragraph helpers and the result type shared by the cleanup rules."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from dataclasses import dataclass, field

from newsloom.models import Embed, Image


@dataclass
class CleanResult:
    text: str
    paragraphs: list[str]
    images: list[Image] = field(default_factory=list)
    embeds: list[Embed] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    title: str | None = None

    def fire(self, rule: str, detail: str) -> None:
        self.log.append(f"{rule}: {detail}")


Rule = Callable[[list[str], CleanResult], list[str]]

WS = re.compile(r"[ \t\u00a0\u2009\u200b]+")
TERMINAL = tuple(".!?…:;")
QUOTES = "\"'“”‘’«»„"


def split_paragraphs(text: str) -> list[str]:
    """One paragraph per non-empty line, inner whitespace collapsed."""
    return [s for s in (WS.sub(" ", line).strip() for line in text.splitlines()) if s]


@lru_cache(maxsize=4096)
def key(p: str) -> str:
    """``p`` compared loosely: whitespace collapsed, case folded. Cached: the cleanup rules ask
    for the key of the same paragraph several times (repeats, captions, headline)."""
    return WS.sub(" ", p).strip().casefold()


def words(p: str) -> int:
    return len(p.split())


def ends_sentence(p: str) -> bool:
    return p.rstrip(QUOTES + ")").endswith(TERMINAL)


def add_image(res: CleanResult, image: Image) -> None:
    if image not in res.images:
        res.images.append(image)


def add_embed(res: CleanResult, embed: Embed) -> None:
    if embed not in res.embeds:
        res.embeds.append(embed)
