"""The gate every article passes before it is stored (``Pipeline.commit`` calls :func:`gate`):
publisher signals read from the page, and the suppression list, so no later crawl, syndicated
copy (same content hash), sitemap, archive or file import brings a removed page back."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from newsloom.models import Article, AuditEntry, RawDocument, Suppression
from newsloom.rights import policy, signals, tdmrep
from newsloom.store.base import Store

log = logging.getLogger("newsloom.rights")


def host_of(url: str | None) -> str | None:
    """The lower-case host of ``url`` without port (punycode as URLs carry it), or None."""
    if not url:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return host.rstrip(".").lower() if host else None


def parent_domains(host: str | None) -> list[str]:
    """``a.b.example.com`` -> itself, ``b.example.com``, ``example.com``, ``com``: a domain
    entry on the list covers its subdomains (a bare TLD is never listed: intake refuses it)."""
    if not host:
        return []
    parts = host.split(".")
    return [".".join(parts[i:]) for i in range(len(parts))]


def covering(store: Store, article: Article, raw: RawDocument | None = None) -> Suppression | None:
    """The suppression entry covering the article's URLs, hosts or content hash, if any."""
    urls = [article.url, article.canonical_url]
    if raw is not None:
        urls += [raw.url, raw.final_url]
    urls = [u for u in urls if u]
    hosts = [d for u in urls for d in parent_domains(host_of(u))]
    return store.suppression_for(urls, hosts, article.content_hash)


def gate(store: Store, article: Article, raw: RawDocument | None = None) -> tuple[str, str] | None:
    """Read the page's signals into ``article.rights``; then ``(status, message)`` when the
    article must not be stored — "suppressed" (a takedown removed it: recorded in the audit
    log) or "withheld" (noindex, or past its unavailable_after date) — else None."""
    if raw is not None:
        found = signals.read(raw.body, raw.headers, raw.content_type)
        if found:
            article.rights = {**(article.rights or {}), **found}
    if not (article.rights or {}).get("tdm_reserved") and tdmrep.reserved(store, article.url):
        article.rights = {**(article.rights or {}), "tdm_reserved": True, "tdm_source": "tdmrep.json"}
    hit = covering(store, article, raw)
    if hit is not None:
        msg = f"{article.url}: removed at the publisher's request (suppressed {hit.kind} {hit.value})"
        add = getattr(store, "add_audit", None)
        if add is not None:
            add(AuditEntry("suppress", "blocked", f"{hit.kind} {hit.value} kept out {article.url}",
                           request_id=hit.request_id))
        log.info("%s", msg)
        return "suppressed", msg
    r = article.rights or {}
    if r.get("noindex"):
        return "withheld", f"{article.url}: the publisher asks not to list it (noindex)"
    if policy.expired(article):
        return "withheld", f"{article.url}: past its unavailable_after date ({r.get('unavailable_after')})"
    return None
