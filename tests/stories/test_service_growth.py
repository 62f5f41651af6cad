"""A story growing article by article: each arrival costs the same however big the story is,
and what is stored stays what recomputing the whole story would give (lineage marks exactly;
the record exactly in its counts, times, languages, countries and sources)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from newsloom.config import Settings
from newsloom.models import Article, Story
from newsloom.store.base import Store
from newsloom.stories import naming
from newsloom.stories.lineage import apply_lineage
from newsloom.stories.naming import describe_story, extend_story
from newsloom.stories.service import _LINEAGE_MAX, StoryService

T0 = datetime(2026, 11, 17, 8, tzinfo=UTC)
BASE = ("The river burst its banks at Kellerton on Monday night after 140 millimetres of rain fell in "
        "24 hours, flooding 300 homes, the regional fire service said. Mayor Ilse Brandt asked residents "
        "of the lower town to leave. Rail traffic between Kellerton and Ostheim was stopped.")


def service(store: Store) -> StoryService:
    return StoryService(store, Settings.load(stories=True, story_bridges=False), replay=False)


class Stream:
    """Articles of one event: vectors near one direction, so they all join one story."""

    def __init__(self, store: Store, svc: StoryService) -> None:
        self.store, self.svc, self.n = store, svc, 0
        self.rng = np.random.default_rng(7)
        base = self.rng.normal(size=512)
        self.base = base / np.linalg.norm(base)

    def add(self, text: str, minutes: float, lang: str = "en", **kw: object) -> Article:
        self.n += 1
        a = self.store.add_article(Article(url=kw.pop("url", f"https://s{self.n % 9}.example/{self.n}"),  # type: ignore[arg-type]
                                           title=str(kw.pop("title", f"Flood report {self.n}")), text=text,
                                           lang=lang, published=kw.pop("published", T0 + timedelta(minutes=minutes)),
                                           source=f"s{self.n % 9}.example", **kw))  # type: ignore[arg-type]
        v = self.base + 0.2 * self.rng.normal(size=512) / np.sqrt(512)
        self.svc.add(a, (v / np.linalg.norm(v)).astype(np.float32), self.svc.model)
        return a


def rewrite(rng: np.random.Generator, keep: float) -> str:
    words = BASE.split()
    return " ".join(w if rng.random() < keep else f"x{rng.integers(1000)}" for w in words)


def test_streamed_marks_equal_marking_the_whole_story(store: Store) -> None:
    svc = service(store)
    s = Stream(store, svc)
    rng = np.random.default_rng(3)
    first = s.add(BASE, 0)
    s.add(BASE + " Updates follow.", 5)  # a wire copy
    # an aggregator page whose primary source arrives later, in time as well as in the stream
    s.add(BASE, 6, is_copy=True, primary_url="https://paper.example/original")
    for i in range(25):
        s.add(rewrite(rng, [0.95, 0.6, 0.1][i % 3]), 10 + i)  # copies, rewrites, own reports
    s.add(rewrite(rng, 0.97), 60, url="https://paper.example/original")
    s.add(BASE, -30, url="https://early.example/1")  # an earlier report, arriving late
    for i in range(5):
        s.add(rewrite(rng, 0.9), 70 + i)
    sid = store.get_article(first.id).story_id  # type: ignore[arg-type]
    members = store.story_articles(sid)  # type: ignore[arg-type]
    assert len(members) == s.n and {a.story_id for a in store.iter_articles()} == {sid}
    streamed = {a.id: (a.lineage, a.lineage_of) for a in members}
    vectors, spaces = svc._vectors(a.id for a in members)  # type: ignore[misc]
    apply_lineage(members, vectors, spaces)
    assert streamed == {a.id: (a.lineage, a.lineage_of) for a in members}
    kinds = [m for m, _ in streamed.values()]
    assert kinds.count("first") == 1 and {"copy", "rewrite", None} <= set(kinds)
    early = store.find_article_by_url("https://early.example/1")
    assert early is not None and streamed[early.id] == ("first", None)


def test_big_story_record_is_extended_then_recomputed(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = naming.describe_story
    monkeypatch.setattr(naming, "describe_story", lambda *a, **k: calls.append(1) or real(*a, **k))
    svc = service(store)
    s = Stream(store, svc)
    rng = np.random.default_rng(5)
    n = _LINEAGE_MAX + 80
    for i in range(n):
        s.add(rewrite(rng, 0.3), i, lang="en" if i % 4 else "de", country="DE" if i % 5 else "AT")
    late_lang = s.add(rewrite(rng, 0.3), n + 1, lang="fr", title="Crue à Kellerton", country="FR")
    sid = store.get_article(late_lang.id).story_id  # type: ignore[arg-type]
    # past _LINEAGE_MAX members, most arrivals extend the record instead of recomputing it
    assert len(calls) < _LINEAGE_MAX + 20
    stored = store.get_story(sid)  # type: ignore[arg-type]
    whole = describe_story(store.story_articles(sid), story_id=sid)  # type: ignore[arg-type]
    for field in ("article_count", "first_seen", "last_updated", "first_article_id", "countries", "sources"):
        assert getattr(stored, field) == getattr(whole, field), field
    assert set(stored.languages) == set(whole.languages) == {"en", "de", "fr"}
    assert stored.headlines["fr"] == "Crue à Kellerton"
    assert any(e["why"] == "first report in fr" and e["article_id"] == late_lang.id for e in stored.timeline)
    assert len(stored.timeline) <= naming._TIMELINE_MAX
    # every new member got a lineage mark against the story's focus
    assert store.get_article(late_lang.id).lineage in (None, "rewrite", "copy", "translation")  # type: ignore[arg-type]


def test_extend_story_keeps_language_firsts_in_a_full_timeline() -> None:
    when = T0.isoformat()
    story = Story(id=1, headlines={"en": "Flood"}, languages=["en"], countries=["DE"], sources=["a"],
                  first_seen=T0, last_updated=T0, article_count=20, first_article_id=1,
                  timeline=[{"at": when, "article_id": 1, "why": "first report"}]
                  + [{"at": (T0 + timedelta(minutes=i)).isoformat(), "article_id": 10 + i, "why": f"first from s{i}"}
                     for i in range(1, 12)],
                  entities=[{"text": "Kellerton", "type": "LOC", "count": 3}],
                  quotes=[{"text": "Leave now", "speaker": "Brandt", "article_id": 1}])
    new = Article(id=99, url="https://fr.example/1", title="Crue à Kellerton", text="…", lang="fr", country="FR",
                  source="b", published=T0 - timedelta(hours=1),
                  entities=[{"text": "Kellerton", "type": "LOC", "count": 2}, {"text": "Ilse Brandt", "type": "PER"}],
                  quotes=[{"text": "leave now", "speaker": "Brandt"}, {"text": "Nous partons", "speaker": "X"}])
    out = extend_story(story, new)
    assert out.article_count == 21 and out.first_seen == new.published and out.first_article_id == 99
    assert out.last_updated == T0 and out.languages == ["en", "fr"] and out.countries == ["DE", "FR"]
    assert out.sources == ["a", "b"] and out.headlines == {"en": "Flood", "fr": "Crue à Kellerton"}
    assert len(out.timeline) == naming._TIMELINE_MAX
    whys = [e["why"] for e in out.timeline]
    assert "first report" in whys and "first report in fr" in whys and "first from s11" not in whys
    assert [e["at"] for e in out.timeline] == sorted(e["at"] for e in out.timeline)
    assert out.entities[0] == {"text": "Kellerton", "type": "LOC", "count": 5}
    assert [q["text"] for q in out.quotes] == ["Leave now", "Nous partons"]  # the same quote once
    # a removed article changes nothing
    assert extend_story(out, Article(url="https://x.example", status="removed", lang="it")).article_count == 21


def test_start_up_replay_reads_vectors_in_batches_and_rebuilds_the_same_memory(store: Store) -> None:
    svc = service(store)
    rng = np.random.default_rng(11)
    events = [v / np.linalg.norm(v) for v in rng.normal(size=(40, 512))]
    for i in range(620):  # more than one batch of 500
        a = store.add_article(Article(url=f"https://r.example/{i}", title=f"Event {i % 40} report",
                                      text=f"Report {i} about event {i % 40}.", lang="en",
                                      published=T0 + timedelta(minutes=i)))
        v = events[i % 40] + 0.2 * rng.normal(size=512) / np.sqrt(512)
        svc.add(a, (v / np.linalg.norm(v)).astype(np.float32), svc.model)
    calls = []
    real = store.get_embedding
    store.get_embedding = lambda *a: calls.append(a) or real(*a)  # type: ignore[method-assign]
    again = StoryService(store, Settings.load(stories=True, story_bridges=False))
    assert calls == []  # no per-article reads
    streamed = {a.id: a.story_id for a in store.iter_articles()}
    assert len(set(streamed.values())) == 40
    assert {aid: again.clusterer.resolve(again.clusterer.story_of(aid)) for aid in streamed} == streamed  # type: ignore[arg-type]


def test_skewed_dates_do_not_order_a_story(store: Store) -> None:
    """A report dated in the future of when it was fetched (a wrong clock or time zone) or before
    the web counts from its fetch time: it neither stays `first` forever by a 1970 date nor
    makes the story look updated in 2031."""
    svc = service(store)
    s = Stream(store, svc)
    now = datetime.now(UTC)
    epoch = s.add(BASE, 0, published=datetime(1970, 1, 1, tzinfo=UTC), url="https://epoch.example/1")
    s.add(BASE + " More to follow.", 0, published=datetime(2031, 1, 1, tzinfo=UTC),
          url="https://future.example/1")
    story = store.get_story(store.get_article(epoch.id).story_id)  # type: ignore[arg-type]
    assert story.last_updated is not None and story.last_updated < now + timedelta(minutes=5)
    assert story.first_seen is not None and story.first_seen.year >= 2026
    marks = {a.url: (a.lineage, a.lineage_of) for a in store.story_articles(story.id)}  # type: ignore[arg-type]
    assert marks["https://epoch.example/1"] == ("first", None)  # fetched first, so first
    assert marks["https://future.example/1"] == ("copy", epoch.id)
    notes = {a.url: " ".join(a.notes) for a in store.story_articles(story.id)}  # type: ignore[arg-type]
    assert "clock skew" in notes["https://future.example/1"]
    assert "implausibly old" in notes["https://epoch.example/1"]


def test_the_memory_bound_is_a_setting(store: Store) -> None:
    """story_window_items reaches the clusterer (a small machine lowers it); a bad value is
    refused with the setting's name, not a traceback from deep inside."""
    svc = StoryService(store, Settings.load(stories=True, story_bridges=False, story_window_items=7), replay=False)
    assert svc.clusterer.window_items == 7
    from newsloom.errors import ConfigError

    with pytest.raises(ConfigError, match="story_window_items"):
        StoryService(store, Settings.load(stories=True, story_bridges=False, story_window_items=0), replay=False)
