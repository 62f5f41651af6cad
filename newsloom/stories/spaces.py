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
# 0.82), 0.990 at 0.60, 0.984 at 0.50 (precision 0.97). Checked by leaving one corpus out
# (2026-12-05; MEANTIME, Primer, SemEval dev, every language in e5, thresholds 0.55-0.70, each
# corpus scored at the threshold best on the other two): mean BCubed F1 0.966 full text and 0.942
# title + first sentence, against 0.966 and 0.948 with 0.60 fixed; the undated corpora alone
# would choose 0.65-0.70 (with no dates, a series such as one tournament's matches has no time
# window to keep its reports apart), the dated one 0.60. See the README (stories, e5 space).
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


def title_text(article: Article) -> str:
    """The text of an article's vector in the shared space (``TITLE_MODEL``, what bridges,
    cross-space merges and cross-space translation marks compare): its title, or for a short
    item (title + text under ``SHORT_WORDS[1]`` words, where the short-text allowance starts:
    a feed item's title and summary) the whole item, title + text as its lead is embedded.
    A title alone says little of an event, and a short item has no more to say than its one
    sentence, which costs e5-small no more than a title: with es/it/nl routed to e5-small,
    title + first sentence, BCubed F1 (cross-language recall), nothing fitted: MEANTIME
    0.936 -> 0.939 (0.868 -> 0.876), MEANTIME + Primer 0.951 -> 0.953 (0.760 -> 0.786);
    SemEval-2022 dev titles with es/it/fr/de routed 0.932 -> 0.930 (precision 0.956 -> 0.951)."""
    from newsloom.stories.cluster import DEFAULT_LEAD_CHARS, SHORT_WORDS

    title = " ".join((article.title or "").split())
    words = len((article.text or "").split())
    if title and words and len(title.split()) + words < SHORT_WORDS[1]:
        return lead_text(article, DEFAULT_LEAD_CHARS)
    return title


def names_with_keys(names: frozenset[str], entities: list[dict], once: bool = True) -> frozenset[str]:
    """The names an item is compared by: its capitalised words plus the key of every
    recognised entity; with ``once``, each keyed entity counts once, by its key.

    Entity keys are transliterated and canonical across languages ("Путин" = "Putin",
    "Verenigde Staten" = "United States"), so they let names count across scripts and
    languages where the surface names cannot match. With ``once`` (short items, see
    :func:`article_item`) the surface words of a keyed entity ("vereni", "staten",
    "vereni_staten") are dropped: kept, they count one entity two or three times, and in
    another language they are a *disagreement* (Dutch "Verenigde Staten" vs English "United
    States") that outweighs the shared key in an item with one or two names.
    """
    from newsloom.analyse.features import extract_names

    keys: set[str] = set()
    covered: set[str] = set()
    for e in entities or ():
        if e.get("key") and e.get("type") in ("PER", "LOC", "ORG"):
            keys.add(f"@{e['key']}")
            if once:
                # read as a name in running text, not at a sentence start (see extract_names)
                tokens, pairs = extract_names("\n x " + str(e.get("text") or ""))
                covered |= tokens | pairs
    if not keys:
        return names
    return frozenset(n for n in names if n not in covered) | keys


def article_item(article: Article, vector: np.ndarray | None, space: str | None = None,
          title_vector: np.ndarray | Callable[[], np.ndarray | None] | None = None) -> "ClusterItem":
    from newsloom.stories.cluster import DEFAULT_SPACE, SHORT_WORDS, make_item

    item = make_item(article, vector)
    item.space = space or DEFAULT_SPACE
    item.title_vector = title_vector
    if ENTITY_KEYS_AS_NAMES:
        # Each keyed entity once in a short item (fewer words than the short-text allowance
        # reaches, SHORT_WORDS[1]). Measured, title + first sentence, BCubed F1 (nothing
        # fitted): Primer 0.956 -> 0.968 (precision 0.927 -> 0.948), MEANTIME + Primer 0.953 ->
        # 0.962, MEANTIME 0.961 -> 0.961; SemEval-2022 dev pairs (title + first sentence), ROC-AUC
        # of the pair score across languages 0.859 -> 0.863, same language 0.866 -> 0.865. Not
        # in full articles, where many names match in both spellings: there it cost MEANTIME +
        # Primer cross-language recall 0.886 -> 0.880 and MEANTIME shuffled 1.000 -> 0.998.
        short = item.n_words is not None and item.n_words < SHORT_WORDS[1]
        item.names = names_with_keys(item.names, article.entities, once=short)
    if article.raw_id is None and article.doc_id is not None:
        # a document imported from a JSONL corpus: its fetched_at is the import time, not a
        # news time; using it would make the stream clock jump to today and close every
        # dated story of an archive at once
        item.arrival = None
    return item
