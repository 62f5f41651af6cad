"""Page bytes -> str.

Order of evidence: a byte-order mark (it cannot lie, so it beats the header, as in the WHATWG
encoding-sniffing algorithm), the HTTP ``Content-Type`` charset, a ``<meta charset>`` /
``http-equiv`` declaration in the first bytes, strict UTF-8, then charset-normalizer's guess.
A body that is binary (NUL bytes, too few printable characters) raises ``ExtractionError``.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping

from charset_normalizer import from_bytes

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
    "ascii": "cp1252",
    "us-ascii": "cp1252",
    "shift_jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
}

_CHARSET_PARAM = re.compile(r"""charset\s*=\s*["']?\s*([\w.:\-]+)""", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:\-]+)""", re.IGNORECASE)
_SNIFF_BYTES = 4096  # where HTML5 says a meta charset must appear (we are lenient: 4 KB)
_BINARY_SAMPLE = 8192
_MIN_PRINTABLE = 0.90


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
    encoding: str | None = None
    for bom, name in _BOMS:
        if body.startswith(bom):
            encoding = name
            break
    if encoding is None:
        encoding = (
            _normalise(declared)
            or charset_from_content_type(content_type)
            or charset_from_content_type(_header(headers or {}, "content-type"))
        )
    if encoding is None:
        m = _META_CHARSET.search(body[:_SNIFF_BYTES])
        if m:
            encoding = _normalise(m.group(1).decode("ascii", "replace"))
            # A page served as bytes cannot really be UTF-16 if the meta tag was readable as ASCII.
            if encoding and encoding.startswith("utf-16"):
                encoding = "utf-8"
    wide = bool(encoding and encoding.startswith(("utf-16", "utf-32")))
    if not wide and b"\x00" in body[:_BINARY_SAMPLE]:
        raise ExtractionError(where, "body is binary (contains NUL bytes), not a text page")
    text: str | None = None
    if encoding is not None:
        text = body.decode(encoding, errors="replace")
    else:
        try:
            text, encoding = body.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            best = from_bytes(body).best()
            if best is None:
                raise ExtractionError(
                    where, "body is binary (no text encoding fits it), not a text page"
                ) from None
            encoding = best.encoding
            text = str(best)
    if _looks_binary(text[:_BINARY_SAMPLE]):
        raise ExtractionError(
            where, f"body is binary (too few printable characters as {encoding}), not a text page"
        )
    return text, encoding
