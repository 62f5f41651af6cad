"""Where an article's vectors live: the embedding models (spaces) of the stories stage, the text
each embeds, and the clusterer's item built from a stored article. Shared by the service and
its start-up (``newsloom.stories.service``, ``newsloom.stories.resume``) and the record keeping
(``newsloom.stories.record``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from newsloom.models import Article

if TYPE_CHECKING:
    from newsloom.stories.items import ClusterItem

ENTITY_KEYS_AS_NAMES = True
FALLBACK_MODEL = "e5-small"
FALLBACK_LEAD_CHARS = 300
# Centred e5 cosines run lower than USE-m3's for the same pair. Measured by clustering all of
# MEANTIME in the e5 space (as if no language were covered): BCubed F1 0.898 at 0.70 (recall
# 0.82), 0.990 at 0.60, 0.984 at 0.50 (precision 0.97).
FALLBACK_THRESHOLD = 0.60
# The key of the e5-small title vectors in the store: the space every article shares, through
# which an article joins a story of the other space (see newsloom.stories.cluster).
TITLE_MODEL = "e5-small:title"
# A language code reserved for local use (ISO 639-2 "qaa"), never a real one: an embedder that
# claims it covers every language, so nothing is ever routed to the fallback.
_NO_LANGUAGE = "qaa"


def lead_text(article: Article, chars: int) -> str:
    """Title + the first ``chars`` characters of the body, without site boilerplate sentences
    (a consent banner or log-in prompt inside a paragraph, which the page cleanup keeps, would
    pull the vector towards every page of that site: ``newsloom.analyse.boilerplate``)."""
    from newsloom.analyse.boilerplate import strip_boilerplate
    from newsloom.analyse.embed import article_text
    from newsloom.rights.policy import mining_text

    return article_text(article.title, strip_boilerplate(mining_text(article)), chars)


def article_item(article: Article, vector: np.ndarray | None, space: str | None = None,
          title_vector: np.ndarray | Callable[[], np.ndarray | None] | None = None) -> "ClusterItem":
    from newsloom.stories.cluster import DEFAULT_SPACE, make_item

    item = make_item(article, vector)
    item.space = space or DEFAULT_SPACE
    item.title_vector = title_vector
    if ENTITY_KEYS_AS_NAMES:
        # entity keys are transliterated and canonical across languages ("Путин" = "Putin"),
        # so they let names count across scripts where the surface names cannot match
        item.names = item.names | {f"@{e['key']}" for e in article.entities
                                   if e.get("key") and e.get("type") in ("PER", "LOC", "ORG")}
    if article.raw_id is None and article.doc_id is not None:
        # a document imported from a JSONL corpus: its fetched_at is the import time, not a
        # news time; using it would make the stream clock jump to today and close every
        # dated story of an archive at once
        item.arrival = None
    return item
