"""Near-duplicates: MinHash signatures of word 3-gram shingles (character 5-grams for scripts
written without spaces) and an LSH index over them (rensa).

LSH only proposes candidates; a candidate is a near-duplicate when its *estimated* Jaccard
similarity (share of equal signature slots) reaches the threshold. Signatures are
deterministic (fixed seed, rensa's fixed token hash) and serialise to bytes, so the index is
rebuilt from ``Article.minhash`` at start-up without re-reading the texts.

>>> text = " ".join(f"word{i}" for i in range(200))
>>> index = NearDupIndex(threshold=0.8)
>>> index.add(1, index.signature(text))
True
>>> [article_id for article_id, _jaccard in index.query(index.signature(text + " Read more!"))]
[1]
>>> Sig.from_bytes(index.signature(text).to_bytes()) == index.signature(text)
True
"""

from __future__ import annotations

import hashlib
import struct
import threading
from collections.abc import Iterable

import regex
from rensa import RMinHash, RMinHashLSH

from newsloom.dedupe.hashing import normalise_text
from newsloom.errors import ConfigError, SignatureError

__all__ = ["NearDupIndex", "Sig", "choose_bands", "shingles", "signature"]

#: Fixed so that signatures written by one process are comparable with another's.
SEED = 20240611
WORD_NGRAM = 3
CHAR_NGRAM = 5
#: Languages written without spaces between words: word shingles would be whole clauses.
NO_SPACE_LANGS = frozenset({"zh", "ja", "th", "lo", "km", "my", "bo"})
#: Texts with fewer shingles are never near-duplicates (captions, "Read more" pages): a handful
#: of shingles makes the estimate meaningless and any two stubs look alike. Exact hashes still
#: catch identical short texts.
MIN_SHINGLES = 8

_NO_SPACE_SCRIPT = regex.compile(
    r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}\p{Tibetan}]"
)
_MAGIC = b"NLMH"
_FORMAT = 1
_HEADER = struct.Struct("<4sBHII")  # magic, format, num_perm, seed, shingle count


def _char_mode(norm: str, lang: str | None) -> bool:
    if lang and lang.lower()[:2] in NO_SPACE_LANGS:
        return True
    # the language may be unknown or mislabelled: let the script decide
    if norm.isascii() or _NO_SPACE_SCRIPT.search(norm) is None:  # cheap common case first
        return False
    letters = len(norm) - norm.count(" ")
    return len(_NO_SPACE_SCRIPT.findall(norm)) / letters > 0.5


def shingles(text: str, lang: str | None = None, *, normalised: bool = False) -> list[str]:
    """Shingles of :func:`~newsloom.dedupe.hashing.normalise_text` ``(text)``: word 3-grams, or
    character 5-grams (spaces removed) for zh/ja/th/... and texts mostly in those scripts. A
    text shorter than one shingle is one shingle; an empty text has none. ``normalised=True``
    says ``text`` is already normalised."""
    norm = text if normalised else normalise_text(text)
    if _char_mode(norm, lang):
        s = norm.replace(" ", "")
        if len(s) <= CHAR_NGRAM:
            return [s] if s else []
        return [s[i : i + CHAR_NGRAM] for i in range(len(s) - CHAR_NGRAM + 1)]
    words = norm.split()
    if len(words) <= WORD_NGRAM:
        return [" ".join(words)] if words else []
    return [" ".join(words[i : i + WORD_NGRAM]) for i in range(len(words) - WORD_NGRAM + 1)]


class Sig:
    """A MinHash signature plus the number of distinct shingles it was built from."""

    __slots__ = ("minhash", "num_perm", "seed", "size")

    def __init__(self, minhash: RMinHash, num_perm: int, seed: int, size: int):
        self.minhash = minhash
        self.num_perm = num_perm
        self.seed = seed
        self.size = size

    @classmethod
    def from_shingles(cls, items: Iterable[str], num_perm: int = 128, seed: int = SEED) -> Sig:
        distinct = set(items)
        mh = RMinHash(num_perm, seed)
        mh.update(list(distinct))
        return cls(mh, num_perm, seed, len(distinct))

    def jaccard(self, other: Sig) -> float:
        """Estimated Jaccard similarity of the two shingle sets; 0.0 if either is empty."""
        if (self.num_perm, self.seed) != (other.num_perm, other.seed):
            raise SignatureError(
                f"signatures with num_perm/seed {self.num_perm}/{self.seed} and "
                f"{other.num_perm}/{other.seed} cannot be compared"
            )
        if not self.size or not other.size:
            return 0.0
        return float(self.minhash.jaccard(other.minhash))

    def to_bytes(self) -> bytes:
        """Compact form for ``Article.minhash`` (~620 bytes at 128 permutations)."""
        # rensa's pickle state is its own versioned encoding; it refuses states written by
        # another algorithm version, which from_bytes turns into SignatureError
        state = self.minhash.__getstate__()
        return _HEADER.pack(_MAGIC, _FORMAT, self.num_perm, self.seed, self.size) + state

    @classmethod
    def from_bytes(cls, data: bytes) -> Sig:
        """Inverse of :meth:`to_bytes`; :class:`~newsloom.errors.SignatureError` if the bytes
        are not a signature this version can read (then recompute it from the text)."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise SignatureError(f"signature must be bytes, got {type(data).__name__}")
        data = bytes(data)
        if len(data) <= _HEADER.size or not data.startswith(_MAGIC):
            raise SignatureError(f"not a newsloom MinHash signature ({len(data)} bytes)")
        _magic, fmt, num_perm, seed, size = _HEADER.unpack_from(data)
        if fmt != _FORMAT:
            raise SignatureError(f"MinHash signature format {fmt} is not supported")
        mh = RMinHash(num_perm, seed)
        try:
            mh.__setstate__(data[_HEADER.size :])
        except (
            ValueError,
            TypeError,
        ) as exc:  # what rensa raises for a bad or old state
            raise SignatureError(f"unreadable MinHash signature ({exc})") from None
        return cls(mh, num_perm, seed, size)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Sig)
            and (self.num_perm, self.seed, self.size) == (other.num_perm, other.seed, other.size)
            and self.minhash.digest() == other.minhash.digest()
        )

    def __repr__(self) -> str:
        return f"Sig(num_perm={self.num_perm}, shingles={self.size})"


def signature(
    text: str, lang: str | None = None, *, num_perm: int = 128, normalised: bool = False
) -> Sig:
    """Deterministic MinHash signature of ``text`` (see :func:`shingles`)."""
    return Sig.from_shingles(shingles(text, lang, normalised=normalised), num_perm=num_perm)


def choose_bands(threshold: float, num_perm: int, recall: float = 0.9) -> int:
    """Number of LSH bands: the fewest (so the fewest spurious candidates and the least memory)
    that still make a pair at exactly ``threshold`` a candidate with probability >= ``recall``.

    At 0.8 and 128 permutations that is 16 bands of 8 rows: P(candidate) is 0.95 at J=0.8 and
    0.99 at J=0.85. 32 bands would reach ~1.0 at 0.8 but cost about twice the memory, for pairs
    whose *estimated* Jaccard falls under 0.8 half of the time anyway."""
    divisors = [b for b in range(1, num_perm + 1) if num_perm % b == 0]
    for bands in divisors:
        rows = num_perm // bands
        if 1.0 - (1.0 - threshold**rows) ** bands >= recall:
            return bands
    return num_perm


class NearDupIndex:
    """In-memory LSH index of article signatures (thread-safe).

    Memory is about 2 KB per article at 128 permutations (signature plus band tables).
    ``max_items`` bounds it: beyond that many, the earliest added are forgotten (copies of an
    article mostly appear within days of it).
    """

    def __init__(
        self,
        threshold: float = 0.8,
        num_perm: int = 128,
        min_shingles: int = MIN_SHINGLES,
        max_items: int | None = None,
    ):
        if not isinstance(threshold, (int, float)) or not 0.0 < threshold <= 1.0:
            raise ConfigError(f"near_duplicate_threshold={threshold!r}: expected 0 < t <= 1")
        if not isinstance(num_perm, int) or not 16 <= num_perm <= 4096:
            raise ConfigError(f"minhash_perms={num_perm!r}: expected an integer in 16..4096")
        self.threshold = float(threshold)
        self.num_perm = num_perm
        self.min_shingles = min_shingles
        if max_items is not None and max_items < 1:
            raise ConfigError(f"near_duplicate_window={max_items!r}: expected at least 1")
        self.max_items = max_items
        self.bands = choose_bands(self.threshold, num_perm)
        self._lsh = RMinHashLSH(self.threshold, num_perm, self.bands)
        self._sigs: dict[int, Sig] = {}
        self._lock = threading.Lock()

    def signature(self, text: str, lang: str | None = None, *, normalised: bool = False) -> Sig:
        return signature(text, lang, num_perm=self.num_perm, normalised=normalised)

    def band_keys(self, sig: Sig) -> list[int]:
        """The LSH band keys of ``sig`` as signed 64-bit integers (band number and that band's
        rows hashed together), for the shared index in the store (``store/_neardup.py``): two
        signatures are candidates when they share a key, with this index's number of bands. A
        text too short to compare has none."""
        self._check(sig)
        if sig.size < self.min_shingles:
            return []
        digest = sig.minhash.digest()
        rows = self.num_perm // self.bands
        keys = []
        for band in range(self.bands):
            part = struct.pack(f"<H{rows}I", band, *digest[band * rows : (band + 1) * rows])
            keys.append(int.from_bytes(hashlib.blake2b(part, digest_size=8).digest(), "little", signed=True))
        return keys

    def _check(self, sig: Sig) -> None:
        if sig.num_perm != self.num_perm or sig.seed != SEED:
            raise SignatureError(
                f"signature has num_perm/seed {sig.num_perm}/{sig.seed}, index expects "
                f"{self.num_perm}/{SEED}: recompute it from the text"
            )

    def add(self, article_id: int, sig: Sig) -> bool:
        """Index ``sig`` under ``article_id`` (replacing an earlier one, e.g. after a revision).
        Returns False, indexing nothing, when the text is too short to be compared."""
        self._check(sig)
        with self._lock:
            if article_id in self._sigs:
                self._lsh.remove(article_id)
                del self._sigs[article_id]
            if sig.size < self.min_shingles:
                return False
            self._lsh.insert(article_id, sig.minhash)
            self._sigs[article_id] = sig  # dicts keep insertion order: the first is the oldest
            if self.max_items is not None and len(self._sigs) > self.max_items:
                oldest = next(iter(self._sigs))
                del self._sigs[oldest]
                self._lsh.remove(oldest)
            return True

    def remove(self, article_id: int) -> bool:
        with self._lock:
            if self._sigs.pop(article_id, None) is None:
                return False
            self._lsh.remove(article_id)
            return True

    def query(self, sig: Sig, exclude: int | None = None) -> list[tuple[int, float]]:
        """Indexed articles whose estimated Jaccard with ``sig`` is >= the threshold, as
        ``(article_id, jaccard)``, most similar first (ties: lowest id first)."""
        self._check(sig)
        if sig.size < self.min_shingles:
            return []
        with self._lock:
            candidates = self._lsh.query(sig.minhash)
            scored = [
                (int(key), sig.jaccard(self._sigs[key]))
                for key in candidates
                if key != exclude and key in self._sigs
            ]
        hits = [(key, j) for key, j in scored if j >= self.threshold]
        hits.sort(key=lambda kj: (-kj[1], kj[0]))
        return hits

    def __len__(self) -> int:
        return len(self._sigs)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._sigs
