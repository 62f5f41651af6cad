"""What public pages, the API and feeds may show of an article, given the publisher's signals
(``Article.rights``, from :mod:`newsloom.rights.signals`), its status and the snippet settings.

Every front end goes through these functions: :func:`snippet_for` for the excerpt,
:func:`visible` before listing, :func:`tombstone` for a removed article, and the stories stage
uses :func:`mining_text` so a TDM reservation keeps the body out of embeddings and clustering.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from newsloom.config import Settings
from newsloom.models import Article, utcnow

REMOVED_NOTE = "removed at the publisher's request"
DEFAULT_SNIPPET_CHARS = 200


def _as_int(value: Any) -> int | None:
    if value is None:  # the usual case (no such setting or signal): no exception to raise and catch
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def snippet_limit(article: Article, settings: Settings | None = None, chars: int | None = None) -> int:
    """Characters of snippet allowed for ``article`` (0 = none): the global length (``chars``
    if given, else ``settings.snippet_chars``), replaced by a per-country then a per-source
    setting when one is configured, and never more than the page's ``max-snippet``."""
    limit = chars if chars is not None else (settings.snippet_chars if settings else DEFAULT_SNIPPET_CHARS)
    if settings is not None:
        by_country = {str(k).upper(): v for k, v in (settings.snippet_chars_by_country or {}).items()}
        if article.country and _as_int(by_country.get(article.country.upper())) is not None:
            limit = int(by_country[article.country.upper()])
        by_source = {str(k).lower(): v for k, v in (settings.snippet_chars_by_source or {}).items()}
        for key in (str(article.source_id) if article.source_id is not None else None,
                    (article.source or "").lower() or None):
            if key is not None and _as_int(by_source.get(key)) is not None:
                limit = int(by_source[key])
                break
    r = article.rights or {}
    if r.get("nosnippet"):
        return 0
    cap = _as_int(r.get("max_snippet"))
    if cap is not None and cap > 0:
        limit = min(limit, cap)
    return max(0, int(limit))


def _without_nosnippet(text: str, fragments: list[str]) -> str:
    """The text with data-nosnippet passages taken out (compared with whitespace collapsed,
    the way both were normalised)."""
    for frag in fragments:
        if frag:
            text = text.replace(frag, " ")
    return " ".join(text.split())


def cut(text: str, chars: int) -> str:
    """``text`` cut at a word to at most ``chars`` characters (plus an ellipsis)."""
    if chars <= 0:
        return ""
    if len(text) <= chars:
        return text
    head = text[:chars]
    return (head.rsplit(" ", 1)[0] if " " in head[chars // 2:] else head).rstrip(",;:") + "…"


def snippet_for(article: Article, settings: Settings | None = None, chars: int | None = None) -> str:
    """The excerpt a public page, the API or a feed may show: the description, else the
    opening of the stored text, cut at a word; nothing for a removed article or under
    ``nosnippet`` / ``max-snippet: 0``; ``data-nosnippet`` passages left out; under
    ``noarchive`` (or a TDM reservation) only the page's own description, never stored text."""
    if article.status == "removed":
        return ""
    limit = snippet_limit(article, settings, chars)
    if limit <= 0:
        return ""
    r = article.rights or {}
    source = article.description or ""
    if not source.strip() and not (r.get("noarchive") or r.get("tdm_reserved")):
        source = article.text or ""
    fragments = r.get("nosnippet_text") or []
    if fragments:
        text = _without_nosnippet(" ".join(source.split()), [" ".join(str(f).split()) for f in fragments])
    else:
        text = _squeezed_head(source, limit)
    return cut(text, limit)


def _squeezed_head(text: str, chars: int) -> str:
    """``" ".join(text.split())``, or a prefix of it longer than ``chars`` (all that
    :func:`cut` reads of a longer text): a story page cuts snippets from whole articles,
    whose text need not be split whole. The squeezed opening of ``text`` is always a prefix
    of the squeezed whole (its last word perhaps cut short)."""
    opening = 2 * chars + 80
    if len(text) > opening:
        head = " ".join(text[:opening].split())
        if len(head) > chars:
            return head
    return " ".join(text.split())


def expired(article: Article, now: datetime | None = None) -> bool:
    """Whether the page's ``unavailable_after`` date has passed."""
    when = (article.rights or {}).get("unavailable_after")
    if not when:
        return False
    try:
        at = datetime.fromisoformat(str(when))
    except ValueError:
        return False
    return at <= (now or utcnow())


def visible(article: Article, now: datetime | None = None) -> bool:
    """May the article be listed on pages, in search, the API and feeds at all?"""
    r = article.rights or {}
    return article.status != "removed" and not r.get("noindex") and not expired(article, now)


def mining_text(article: Article) -> str:
    """The body the stories stage may embed and mine for names: none under a TDM reservation
    (the headline alone is used), else the stored text."""
    return "" if (article.rights or {}).get("tdm_reserved") else (article.text or "")


def removal_reason(article: Article) -> str:
    """Why a removed article is gone: retracted at the source (the recrawl found 404/410 or a
    redirect to the home page, ``app/recrawl.py``) or, by default, the publisher's request."""
    for note in reversed(article.notes or []):
        if note.startswith(("retracted at the source", "withdrawn at the source")):
            return note.rsplit(" (", 1)[0] if note.endswith(")") and note.count(" (") > 1 else note
    return REMOVED_NOTE


def tombstone(article: Article) -> dict[str, Any]:
    """What the API and feeds say of a removed article."""
    return {"id": article.id, "url": article.url, "source": article.source, "status": "removed",
            "removed": removal_reason(article), "title": None, "snippet": ""}
