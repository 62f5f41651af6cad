"""Page bytes -> str.

Order of evidence, as browsers take it (WHATWG encoding sniffing): a byte-order mark (it cannot
lie), the transport's charset (``RawDocument.encoding``, then the HTTP ``Content-Type``), a
``<meta charset>`` / ``http-equiv`` declaration in the first bytes. Unlike a browser, each label is
checked against the bytes before it is believed, because pages are re-encoded on their way
(archives, CDNs, CMS migrations) while their labels stay:

- a body that is valid UTF-8 and holds multibyte sequences is UTF-8, whatever a legacy label says
  (text in a legacy charset is almost never valid UTF-8 by accident);
- a label whose codec cannot decode the bytes (more than a few stray bytes) is skipped;
- a label whose decoding reads as mojibake (charset-normalizer's mess ratio on the non-ASCII part)
  is checked against charset-normalizer's own guess, and loses when the guess reads cleanly.

Without a usable label: strict UTF-8, then charset-normalizer's guess. A body that is binary (NUL
bytes, too few printable characters) raises ``ExtractionError``.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping

from charset_normalizer import from_bytes
from charset_normalizer.md import mess_ratio

from newsloom.errors import ExtractionError

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# Labels that browsers decode with a superset codec; pages declaring them rely on that.
_SUPERSETS = {
    "iso-8859-1": "cp1252",
    "latin-1": "cp1252",
    "latin1": "cp1252",
    "ascii": "cp1252",
    "us-ascii": "cp1252",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "big5": "big5hkscs",  # WHATWG's big5 is Big5-HKSCS
    "tis-620": "cp874",
    "iso-8859-11": "cp874",
    "iso-8859-9": "cp1254",
}

_CHARSET_PARAM = re.compile(r"""charset\s*=\s*["']?\s*([\w.:\-]+)""", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:\-]+)""", re.IGNORECASE)
_SNIFF_BYTES = 4096  # where HTML5 says a meta charset must appear (we are lenient: 4 KB)
_BINARY_SAMPLE = 8192
_MIN_PRINTABLE = 0.90
_NON_ASCII_BYTE = re.compile(rb"[\x80-\xff]")
# Real pages carry a few broken bytes (a truncated snippet, a pasted character); a wrong label
# breaks far more. Share of the non-ASCII characters that may come out as U+FFFD:
_MAX_BAD_SHARE = 0.02
# Mess ratio above which a label's decoding is compared with charset-normalizer's guess. Fitted
# on the 30 legacy-labelled pages of trafilatura-eval + AEB (right labels: <= 0.016) and checked on
# the sentences of tests/extract/test_charsets.py (wrong labels: 0.05-3.9, right ones 0.0).
# The guess must also read at least twice as cleanly, so a false alarm rarely changes anything.
_MESSY = 0.05
_SAMPLE_CHARS = 3000
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")


def _normalise(label: str | None) -> str | None:
    """A Python codec name for a charset label, or None when the label is unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _SUPERSETS.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def charset_from_content_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    m = _CHARSET_PARAM.search(content_type)
    return _normalise(m.group(1)) if m else None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


# C0/C1 controls other than whitespace, and U+FFFD from undecodable bytes.
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufffd]")


def _looks_binary(sample: str) -> bool:
    if not sample:
        return False
    return len(_UNPRINTABLE.findall(sample)) / len(sample) > 1 - _MIN_PRINTABLE


def _wide(encoding: str) -> bool:
    return encoding.startswith(("utf-16", "utf-32"))


def _labels(
    body: bytes, content_type: str | None, headers: Mapping[str, str] | None, declared: str | None
) -> list[str]:
    """Codec names the transport and the page declare, in the browser's order, without repeats."""
    found = [
        _normalise(declared),
        charset_from_content_type(content_type),
        charset_from_content_type(_header(headers or {}, "content-type")),
    ]
    m = _META_CHARSET.search(body[:_SNIFF_BYTES])
    if m:
        meta = _normalise(m.group(1).decode("ascii", "replace"))
        # A page whose meta tag was readable as ASCII cannot really be UTF-16 (as HTML5 says).
        found.append("utf-8" if meta and _wide(meta) else meta)
    return list(dict.fromkeys(x for x in found if x))


def _sample(text: str) -> str:
    """The non-ASCII stretches of ``text`` with a little context: where a wrong codec shows."""
    parts: list[str] = []
    size = 0
    for m in _NON_ASCII_RUN.finditer(text):
        part = text[max(0, m.start() - 8) : m.end() + 8]
        parts.append(part)
        size += len(part)
        if size >= _SAMPLE_CHARS:
            break
    return " ".join(parts)


def _try(body: bytes, encoding: str) -> str | None:
    """``body`` decoded, or None when the codec leaves too many bytes undecodable."""
    try:
        return body.decode(encoding)
    except UnicodeDecodeError:
        pass
    except LookupError:
        return None
    text = body.decode(encoding, errors="replace")
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    return text if text.count("\ufffd") <= _MAX_BAD_SHARE * max(non_ascii, 1) else None


def _guess(body: bytes) -> tuple[str, str] | None:
    best = from_bytes(body).best()
    return (str(best), best.encoding) if best is not None else None


def _choose(body: bytes, labels: list[str]) -> tuple[str, str] | None:
    """(text, codec) from the labels checked against the bytes, or None when none holds."""
    if _NON_ASCII_BYTE.search(body) is None:
        # pure ASCII: every ASCII-compatible label reads the same; 7-bit ISO-2022 or UTF-7 do not
        first = labels[0] if labels else "utf-8"
        return body.decode(first, errors="replace"), first
    if not any(_wide(x) for x in labels):
        try:
            return body.decode("utf-8"), "utf-8"  # valid UTF-8 with multibyte sequences wins
        except UnicodeDecodeError:
            pass
    for encoding in labels:
        text = _try(body, encoding)
        if text is None:
            continue
        sample = _sample(text)
        mess = mess_ratio(sample, 1.0) if sample else 0.0
        if mess >= _MESSY and (guess := _guess(body)) is not None and guess[1] != encoding:
            guess_sample = _sample(guess[0])
            if mess_ratio(guess_sample, 1.0) < mess / 2:
                return guess
        return text, encoding
    return None


def decode(
    body: bytes,
    *,
    content_type: str | None = None,
    headers: Mapping[str, str] | None = None,
    declared: str | None = None,
    where: str = "document",
) -> tuple[str, str]:
    """Decode a page body; returns ``(text, codec name)``.

    ``declared`` is an encoding the transport already parsed (``RawDocument.encoding``);
    ``where`` names the input in error messages (usually the URL).
    """
    if not body:
        return "", "utf-8"
    for bom, name in _BOMS:
        if body.startswith(bom):
            text = body.decode(name, errors="replace")
            if _looks_binary(text[:_BINARY_SAMPLE]):
                raise ExtractionError(
                    where, f"body is binary (too few printable characters as {name}), not a text page"
                )
            return text, name
    labels = _labels(body, content_type, headers, declared)
    if b"\x00" in body[:_BINARY_SAMPLE] and not any(_wide(x) for x in labels):
        raise ExtractionError(where, "body is binary (contains NUL bytes), not a text page")
    chosen = _choose(body, labels)
    if chosen is None:
        chosen = _guess(body)
    if chosen is None:
        if not labels:
            raise ExtractionError(where, "body is binary (no text encoding fits it), not a text page")
        chosen = body.decode(labels[0], errors="replace"), labels[0]
    text, encoding = chosen
    if _looks_binary(text[:_BINARY_SAMPLE]):
        raise ExtractionError(
            where, f"body is binary (too few printable characters as {encoding}), not a text page"
        )
    return text, encoding
