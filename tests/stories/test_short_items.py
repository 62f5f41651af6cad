"""Short items across languages: what the clusterer compares them by (names counted once per
entity, by its cross-language key) and how much lower their join threshold is."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from newsloom.models import Article
from newsloom.stories.cluster import ClusterItem, StoryClusterer
from newsloom.stories.spaces import article_item, names_with_keys

T0 = datetime(2008, 9, 17, 12, tzinfo=UTC)


def _article(aid: int, lang: str, title: str, text: str, entities: list[dict]) -> Article:
    a = Article(url=f"https://example.org/{aid}", title=title, text=text, lang=lang, published=T0)
    a.id = aid
    a.entities = entities
    return a


def test_a_keyed_entity_counts_once_by_its_key() -> None:
    names = frozenset({"vereni", "staten", "vereni_staten", "rutte"})
    out = names_with_keys(names, [{"text": "Verenigde Staten", "type": "LOC", "key": "united states"}])
    # the Dutch spelling is gone (it would disagree with every other language), the key stays,
    # and a name no entity accounts for is kept
    assert out == frozenset({"@united states", "rutte"})
    # no keyed entity (a language the extractor does not know, a MISC entity): names unchanged
    assert names_with_keys(names, []) == names
    assert names_with_keys(names, [{"text": "Staten", "type": "MISC", "key": "staten"}]) == names


def test_translated_entity_names_agree_across_languages() -> None:
    """Two short reports of one event in Dutch and English name the same country in their own
    words: compared by keys, the names agree; by surface words they did not."""
    nl = _article(1, "nl", "Markten in problemen door kredietcrisis",
                  "De aandelenprijzen daalden vandaag in de Verenigde Staten.",
                  [{"text": "Verenigde Staten", "type": "LOC", "key": "united states"}])
    en = _article(2, "en", "Markets dragged down by credit crisis",
                  "Stock markets fell today in the United States.",
                  [{"text": "United States", "type": "LOC", "key": "united states"}])
    v = np.ones(8, dtype=np.float32)
    a, b = article_item(nl, v), article_item(en, v)
    assert "@united states" in a.names and "@united states" in b.names
    assert not {"vereni", "staten", "united", "states"} & (a.names | b.names)
    cl = StoryClusterer()
    sig_a, sig_b = cl._signals(a), cl._signals(b)
    # the only names left are the shared key and each title's first word: they overlap
    assert cl.pair_score(v / np.linalg.norm(v), sig_a, v / np.linalg.norm(v), sig_b) > 0.75


def test_short_item_joins_a_story_a_long_one_would_not() -> None:
    """The short-text allowance applies by length: the same cosine joins for a one-sentence
    item and not for a full article."""
    rng = np.random.default_rng(0)
    base = rng.standard_normal(32)
    base /= np.linalg.norm(base)
    noise = rng.standard_normal(32)
    noise -= (noise @ base) * base
    noise /= np.linalg.norm(noise)
    cos = 0.66  # below the 0.70 threshold, above 0.70 - SHORT_ALLOWANCE
    other = (cos * base + np.sqrt(1 - cos * cos) * noise).astype(np.float32)
    for words, joins in ((20, True), (300, False)):
        cl = StoryClusterer()
        cl.add(ClusterItem(1, base.astype(np.float32), lang="en", published=T0, n_words=words))
        out = cl.add(ClusterItem(2, other, lang="en", published=T0, n_words=words))
        assert (out.story_id == 1) is joins


def test_a_full_article_keeps_the_surface_words_of_its_entities() -> None:
    """Only a short item counts a keyed entity once; a full article keeps its names in both
    forms (many of them match in both spellings across languages)."""
    ents = [{"text": "Verenigde Staten", "type": "LOC", "key": "united states"}]
    long_text = "De aandelenprijzen daalden vandaag in de Verenigde Staten. " + "woord " * 150
    full = article_item(_article(3, "nl", "Markten in problemen", long_text, ents), np.ones(8, np.float32))
    assert {"@united states", "vereni", "staten"} <= full.names
    short = article_item(_article(4, "nl", "Markten in problemen", long_text[:60], ents), np.ones(8, np.float32))
    assert "@united states" in short.names and "vereni" not in short.names


def _at_cos(cos: float, dim: int = 32) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    a = rng.standard_normal(dim)
    a /= np.linalg.norm(a)
    r = rng.standard_normal(dim)
    r -= (r @ a) * a
    r /= np.linalg.norm(r)
    return a.astype(np.float32), (cos * a + np.sqrt(1 - cos * cos) * r).astype(np.float32)


def _item(aid: int, lang: str, vec: np.ndarray, names: set[str]) -> ClusterItem:
    return ClusterItem(article_id=aid, vector=vec, lang=lang, published=T0, names=frozenset(names),
                       n_words=25)


def test_across_languages_names_are_compared_by_entity_key_only() -> None:
    """A German and an English one-sentence report of one event (multilingual cosine 0.62,
    typical of such pairs): the German item's capitalised nouns and the English title's words
    are spellings of one language and cannot match the other's; counted, they outweighed the
    one entity both name. Across languages only the keys are compared, so the report joins."""
    de_vec, en_vec = _at_cos(0.62)
    cl = StoryClusterer()
    first = cl.add(_item(1, "de", de_vec, {"regierung", "grenze", "sommer", "@germany", "maas"}))
    joined = cl.add(_item(2, "en", en_vec, {"borders", "reopen", "@germany", "heiko", "heiko_maas"}))
    assert joined.story_id == first.story_id and not joined.is_new_story


def test_in_one_language_surface_names_still_decide() -> None:
    """The same two vectors in one language: the surface names are comparable there and they
    disagree (two events of one kind in one country), so the second report starts its own story."""
    a_vec, b_vec = _at_cos(0.62)
    cl = StoryClusterer()
    first = cl.add(_item(1, "en", a_vec, {"regierung", "grenze", "sommer", "@germany", "maas"}))
    other = cl.add(_item(2, "en", b_vec, {"borders", "reopen", "@germany", "heiko", "heiko_maas"}))
    assert other.is_new_story and other.story_id != first.story_id


def test_a_different_entity_key_still_disagrees_across_languages() -> None:
    """Keys mean the same in every language: two one-sentence reports naming different people
    do not meet on their cosine alone."""
    de_vec, en_vec = _at_cos(0.62)
    cl = StoryClusterer()
    first = cl.add(_item(1, "de", de_vec, {"@angela merkel", "grenze"}))
    other = cl.add(_item(2, "en", en_vec, {"@boris johnson", "borders"}))
    assert other.story_id != first.story_id


def _e5_item(aid: int, lang: str, vec: np.ndarray, names: set[str]) -> ClusterItem:
    item = _item(aid, lang, vec, names)
    item.space = "e5-small"
    return item


def test_in_a_space_of_its_own_scale_disjoint_keys_across_languages_are_no_evidence() -> None:
    """In centred e5-small (languages USE-m3 lacks) one-sentence translations meet at cosines
    around the threshold, and the tagger often names one entity differently per language
    ("@changi international airport" / "@aeropuerto internacional changi de singapur"): there
    keys that share nothing count neither way across languages, and the translation joins."""
    es_vec, nl_vec = _at_cos(0.62)
    cl = StoryClusterer(space_thresholds={"e5-small": 0.60})
    first = cl.add(_e5_item(1, "es", es_vec, {"@aeropuerto internacional changi de singapur", "@a380"}))
    joined = cl.add(_e5_item(2, "nl", nl_vec, {"@changi international airport", "@singapore"}))
    assert joined.story_id == first.story_id and not joined.is_new_story


def test_in_a_space_of_its_own_scale_keys_still_count_in_one_language_and_when_shared() -> None:
    a_vec, b_vec = _at_cos(0.62)
    cl = StoryClusterer(space_thresholds={"e5-small": 0.60})
    first = cl.add(_e5_item(1, "es", a_vec, {"@angela merkel", "berlin"}))
    other = cl.add(_e5_item(2, "es", b_vec, {"@boris johnson", "londres"}))  # one language: names decide
    assert other.story_id != first.story_id
    # across languages with one key in common, the keys are compared as before (scored, not skipped)
    from newsloom.stories.items import Signals, names_compared

    es = Signals({"@boris johnson": 1.0, "londres": 1.0}, {}, {"@boris johnson": 1.0}, "es")
    nl = Signals({"@boris johnson": 1.0, "@london": 1.0}, {}, {"@boris johnson": 1.0, "@london": 1.0}, "nl")
    assert names_compared(es, nl, agreement_only=True) == (es.keys, nl.keys)
    nl_other = Signals({"@london": 1.0}, {}, {"@london": 1.0}, "nl")
    assert names_compared(es, nl_other, agreement_only=True) == ({}, {})
    assert names_compared(es, nl_other) == (es.keys, nl_other.keys)  # the default space: they disagree
