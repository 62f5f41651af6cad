"""An article's story vectors computed ahead, in the stateless half of the pipeline.

The stories stage embeds an article's title + lead (USE-m3 where it covers the language, else
e5-small) and, where articles can land in two spaces, the e5-small vector of its title. That
is pure computation on the article's text, so ``newsloom.pipeline.analyse`` can do it in the
worker processes that extract the page, while the one processing thread stores and clusters
the pages before it. :func:`prepare` computes what ``StoryService.add`` would and keeps it on
the article (a transient attribute: never stored, not compared, gone once taken);
:func:`take` hands it over. Each vector travels with what its text was made of, and the
service uses it only if its own routing gives the same model and the article still has the
same title and minable body (a publisher's reservation found only once the store was asked
changes the body), so the result is what the service would have computed itself: same model,
same input, same batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from newsloom.config import Settings
from newsloom.models import Article
from newsloom.stories.spaces import FALLBACK_LEAD_CHARS, FALLBACK_MODEL, _NO_LANGUAGE, lead_text
from newsloom.stories.spaces import title_text as _shared_text

_ATTR = "_story_vectors"


@dataclass
class Prepared:
    model: str  # the space of ``vector``: the default embedder's name or FALLBACK_MODEL
    basis: tuple[str | None, str]  # what ``vector``'s text was made of (see :func:`basis`)
    vector: np.ndarray
    title: str | None = None  # the text ``title_vector`` embeds (None: not computed)
    title_vector: np.ndarray | None = None


def basis(article: Article) -> tuple[str | None, str]:
    """What the embedded lead is made of: the title and the body the stories stage may mine
    (``lead_text`` of the same basis and length is the same text). Compared, not recomputed:
    cleaning the lead of boilerplate costs as much as a quarter of embedding it. (Pickled
    with the article, the body is the article's own string, so the comparison is instant.)"""
    from newsloom.rights.policy import mining_text

    return article.title, mining_text(article)


def title_text(article: Article) -> str:
    """The text of the shared-space vector (``newsloom.stories.spaces.title_text``)."""
    return _shared_text(article)


def bridging(settings: Settings, model: str, covers_all: bool, forced: bool = False) -> bool:
    """Whether title vectors are wanted (as ``StoryService.bridging``)."""
    return settings.story_bridges and model != FALLBACK_MODEL and (forced or not covers_all)


def prepare(article: Article, settings: Settings) -> Prepared:
    """Compute and keep on ``article`` what ``StoryService.add`` would embed for it with these
    settings (no forced routing): the routed vector and, when spaces are bridged, the title's."""
    from newsloom.analyse.embed import centre_e5_vector, get_embedder
    from newsloom.stories.cluster import DEFAULT_LEAD_CHARS

    emb = get_embedder(settings.embedder, threads=settings.embed_threads)
    want_title = bridging(settings, emb.name, emb.covers(_NO_LANGUAGE)) and bool(title_text(article))
    title = title_text(article) if want_title else None
    if emb.covers(article.lang):
        lead = lead_text(article, DEFAULT_LEAD_CHARS)
        ready = Prepared(emb.name, basis(article), emb.embed([lead])[0])
        if title is not None:  # as StoryService.embed_title (the title, or a short item whole)
            e5 = get_embedder(FALLBACK_MODEL, threads=settings.embed_threads)
            ready.title, ready.title_vector = title, centre_e5_vector(e5.embed([title])[0])
    else:  # as StoryService.embed_article: lead and title in one batch
        lead = lead_text(article, FALLBACK_LEAD_CHARS)
        e5 = get_embedder(FALLBACK_MODEL, threads=settings.embed_threads)
        vecs = e5.embed([lead] + ([title] if title is not None else []))
        ready = Prepared(FALLBACK_MODEL, basis(article), centre_e5_vector(vecs[0]))
        if title is not None:
            ready.title, ready.title_vector = title, centre_e5_vector(vecs[1])
    setattr(article, _ATTR, ready)
    return ready


def take(article: Article) -> Prepared | None:
    """The vectors :func:`prepare` kept on ``article``, removed from it (None if none)."""
    return article.__dict__.pop(_ATTR, None)
