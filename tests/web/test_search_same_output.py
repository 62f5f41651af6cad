"""What makes search and the story feed cheaper changes none of their output: matches are read
as plain rows and only the hits shown become articles with a snippet (app/search.py), a row
becomes the same article as before, and the story feed reads only the columns an entry shows.
The search page's hits and story headings are worked out in Python (web/pages_search.py) for a
template that only prints them. The references below are the code as it was before (commit 95906fb)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jinja2 import ChoiceLoader, DictLoader
from starlette.requests import Request
from store_backends import drop_schema, pg_schema_url, require_pg

from newsloom.app import search as search_uc
from newsloom.app import stories as uc
from newsloom.app.search import Group, Hit, SearchResult, clean_query
from newsloom.app.stories import since_of, snippet, source_name
from newsloom.models import Article, Source, Story
from newsloom.store import _codec, _reader, open_store
from newsloom.config import Settings
from newsloom.web import create_app, feeds, i18n, render
from newsloom.web.pages_stories import facets
from newsloom.web.templating import ui_environment

T0 = datetime(2026, 11, 20, tzinfo=timezone.utc)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if request.param == "postgres":
        require_pg()
        schema = f"newsloom_same_{uuid.uuid4().hex[:12]}"
        url = pg_schema_url(schema)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('same') / 's.db'}"
    try:
        with open_store(url) as s:
            _fill(s)
            yield s
    finally:
        if request.param == "postgres":
            drop_schema(schema)


def _fill(s: Any) -> None:
    srcs = [s.add_source(Source(name=f"Outlet {c}", url=f"https://{c.lower()}.example.com/", country=c,
                                language=lang)) for c, lang in (("PT", "pt"), ("DE", "de"), ("US", "en"))]
    descs = [None, "", "  \n ", "A harbour strike <b>described</b>."]
    rights = [{}, {"nosnippet": True}, {"max_snippet": 30}, {"noarchive": True},
              {"nosnippet_text": ["walked out"]}]
    n = 0
    for story_no in range(30):  # 30 stories (more than a page's 20 groups), the first with 12 hits
        members = []
        for k in range(12 if story_no == 0 else 1 + story_no % 3):
            src = srcs[(n + k) % 3]
            n += 1
            when = T0 - timedelta(days=n % 40, hours=n)
            members.append(s.add_article(Article(
                url=f"{src.url}s{story_no}/{k}" if n % 11 else f"javascript:alert({n})",
                title=None if n % 13 == 0 else f"Harbour strike {story_no}.{k} <i>{src.language}</i>",
                text=("Dock   workers in the harbour walked out on Monday over pay.\n\n" * (1 + n % 15)),
                lang=src.language, source_id=src.id, source=src.name if n % 7 else None, country=src.country,
                published=None if n % 5 == 0 else when, fetched_at=when + timedelta(minutes=n % 3),
                description=descs[n % 4], rights=rights[n % 5], lineage=("first", "copy", None)[n % 3],
                primary_url=f"https://orig.example.org/{n}" if n % 4 == 0 else None, is_copy=n % 6 == 0)))
        story = s.save_story(Story(
            id=members[0].id, headlines={a.lang: a.title or "" for a in members},
            languages=[a.lang for a in members], countries=[a.country for a in members],
            sources=[a.source or "" for a in members], first_seen=T0, last_updated=T0,
            article_count=len(members)))
        for k, a in enumerate(members):
            a.story_id = story.id
            a.status = "removed" if k % 5 == 4 else "ok"  # marked removed, still matched by words
            s.update_article(a)
    # a story of more articles than its feed lists (100), several at the same time
    big = [s.add_article(Article(url=f"https://big.example.com/{k}", title=f"Big harbour strike {k}",
                                 text="harbour strike big " * 30, lang="en", source=f"Outlet {k % 4}",
                                 published=T0 - timedelta(hours=k // 3) if k % 9 else None,
                                 fetched_at=T0 - timedelta(hours=k), rights=rights[k % 5]))
           for k in range(110)]
    story = s.save_story(Story(id=big[0].id, headlines={"en": "Big"}, languages=["en"], first_seen=T0,
                               last_updated=T0, article_count=len(big)))
    for k, a in enumerate(big):
        a.story_id, a.status = story.id, "removed" if k == 1 else "ok"
        s.update_article(a)
    # articles outside any story, one of them purged at the publisher's request
    for k in range(6):  # (the third untitled, its link not http(s))
        a = s.add_article(Article(url=f"https://loose.example.com/{k}" if k != 2 else "javascript:void(0)",
                                  title=f"Loose harbour strike {k}" if k != 2 else None,
                                  text="harbour strike loose " * 50, lang="en", fetched_at=T0 - timedelta(days=k * 9)))
    s.purge_article(a.id, "test")


def _old_search(store: Any, query: str, *, semantic: Any = None, lang: str | None = None,
                country: str | None = None, source_id: int | None = None, range_key: str | None = None,
                limit: int = 20, snippet_chars: int = 200) -> SearchResult:
    """app/search.py search() before: every match an article with a snippet; the snippet
    now the one a story page shows (the publisher's rights obeyed)."""
    text = clean_query(query)
    since = since_of(range_key)
    src = source_name(store, source_id) if source_id is not None else None
    if not text:
        return SearchResult(query, [], semantic is not None)
    fts = store.search_light(text, limit=search_uc._FTS_LIMIT)
    sem = semantic.query(text) if semantic is not None else []
    score: dict[int, float] = {}
    how: dict[int, str] = {}
    for rank, a in enumerate(fts):
        score[a.id] = score.get(a.id, 0.0) + 1.0 / (60 + rank)
        how[a.id] = "text"
    for rank, (aid, _) in enumerate(sem):
        score[aid] = score.get(aid, 0.0) + 1.0 / (60 + rank)
        how[aid] = "both" if aid in how else "meaning"
    known = {a.id: a for a in fts}
    known.update({a.id: a for a in store.light_articles([i for i in score if i not in known])})

    def keep(a: Article) -> bool:
        if a.status == "removed" or (lang and a.lang != lang) or (country and (a.country or "").upper() != country.upper()):
            return False
        if src and a.source != src:
            return False
        when = a.published or a.fetched_at
        return not (since and when and when < since)

    ranked = [known[i] for i in sorted(score, key=lambda i: -score[i]) if i in known and keep(known[i])]
    groups: dict[object, Group] = {}
    for a in ranked:
        key = a.story_id if a.story_id is not None else f"a{a.id}"
        if key not in groups:
            if len(groups) >= limit:
                continue
            groups[key] = Group(None)
        # the snippet a story page shows of the article (the whole stored article, its rights
        # obeyed): search read no rights before, and showed snippets the publisher withheld
        groups[key].hits.append(Hit(a, snippet(store.get_article(a.id), snippet_chars), how[a.id]))
    stories = store.story_cards([k for k in groups if isinstance(k, int)])
    for k, g in groups.items():
        g.story = stories.get(k) if isinstance(k, int) else None
        g.hits = g.hits[:8]
    return SearchResult(query, list(groups.values()), semantic is not None)


def _old_light(r: Any) -> Article:
    """store/_reader.py _light before."""
    d = {c: r[c] for c in _reader._LIGHT}
    for k in ("published", "fetched_at"):
        d[k] = _codec.parse_dt(d[k])
    d["is_copy"] = bool(d["is_copy"])
    if d["fetched_at"] is None:
        d.pop("fetched_at")
    d["rights"] = _codec.load_json(d["rights"]) or {}  # (read since: a hit's snippet obeys them)
    return Article(**d, text=r["text"] or "")


def test_rows_become_the_same_articles(store: Any) -> None:
    rows = store._rows(f"SELECT {_reader._LIGHT_COLS} FROM articles a ORDER BY a.id")
    assert len(rows) > 150
    assert [_reader._row(r).article() for r in rows] == [_old_light(r) for r in rows]


class _Meaning:
    """Stands in for the semantic index: fixed ids by meaning (removed, loose, unknown ones too)."""

    def __init__(self, ids: list[int]) -> None:
        self.ids = ids

    def query(self, text: str, k: int = 50) -> list[tuple[int, float]]:
        return [(i, 0.9 - n / 100) for n, i in enumerate(self.ids)]


def test_search_gives_the_same_hits_and_snippets(store: Any) -> None:
    srcs = store.list_sources()
    all_ids = [int(r["id"]) for r in store._rows("SELECT id FROM articles ORDER BY id")]
    meaning = _Meaning(all_ids[::7][:40] + [all_ids[-1], 10**9])
    capped = withheld = cut_short = 0
    for q in ("harbour strike", "harbour", "dock workers monday", "big", "Loose", "nothing matches this", ""):
        for kw in ({}, {"lang": "pt"}, {"country": "de"}, {"source_id": srcs[2].id}, {"range_key": "7d"},
                   {"range_key": "30d", "lang": "en"}, {"limit": 3}, {"limit": 50}, {"snippet_chars": 40},
                   {"semantic": meaning}, {"semantic": meaning, "lang": "de", "range_key": "all"}):
            new, old = search_uc.search(store, q, **kw), _old_search(store, q, **kw)
            assert new == old, (q, kw)
            capped += any(len(g.hits) == 8 for g in new.groups)
            hits = [h for g in new.groups for h in g.hits]
            withheld += any(h.article.rights.get("nosnippet") and not h.snippet for h in hits)
            cut_short += any(h.article.rights.get("max_snippet") == 30 and 0 < len(h.snippet) <= 31 for h in hits)
            assert not any("walked out" in h.snippet for h in hits if h.article.rights.get("nosnippet_text"))
    assert capped  # a group cut at its 8 best hits
    assert withheld and cut_short  # the publisher's nosnippet and max-snippet obeyed


def _old_story_feed(store: Any, story_id: int, fmt: str) -> bytes:
    """web/feeds.py story_feed before: whole articles, sorted in Python."""
    story = uc.resolve_story(store, story_id)
    arts = [a for a in store.story_articles(int(story.id)) if a.status != "removed"]
    arts.sort(key=lambda a: (a.published or a.fetched_at, a.id or 0), reverse=True)
    title = uc.card(story, 0.0, None).headline
    base = "http://testserver"
    entries = [feeds._article_entry(a, 200) for a in arts[:100]]
    return feeds.render(feeds.FeedView(f"newsloom: {title}", f"{base}/stories/{story.id}",
                                       f"{base}/feeds/story/{story_id}.{fmt}", entries), fmt)


def test_story_feed_same_bytes(store: Any) -> None:
    story_ids = [int(r["id"]) for r in store._rows("SELECT id FROM stories ORDER BY id")]
    big = max(story_ids, key=lambda i: store.get_stories([i])[i].article_count)
    with TestClient(create_app(store, Settings(db=store.url), semantic=False)) as client:
        for sid in [*story_ids[:6], big]:
            for fmt in ("atom", "rss", "json"):
                got = client.get(f"/feeds/story/{sid}.{fmt}")
                assert got.status_code == 200 and got.content == _old_story_feed(store, sid, fmt), (sid, fmt)
        assert client.get(f"/feeds/story/{big}.json").json()["items"].__len__() == 100


_OLD_SEARCH_HTML = """{% extends "base.html" %}
{% from "_filters.html" import place_filters with context %}
{% block feeds %}{% if q %}
<link rel="alternate" type="application/atom+xml" href="/feeds/search.atom?q={{ q|urlencode }}">
<link rel="alternate" type="application/rss+xml" href="/feeds/search.rss?q={{ q|urlencode }}">
<link rel="alternate" type="application/feed+json" href="/feeds/search.json?q={{ q|urlencode }}">
{% endif %}{% endblock %}
{% block main %}
<h1>{{ _("Search") }}{% if q %}: <q>{{ q }}</q>{% endif %}</h1>
<form class="filters" method="get" action="/search">
  <input type="hidden" name="q" value="{{ q }}">
{{ place_filters(facets, f) }}
  <button type="submit">{{ _("Filter") }}</button>
</form>
{% if q %}
<h2>{{ _("Results") }}</h2>
{% for g in result.groups %}
<section class="group card">
  {% if g.story %}<h2><a href="/stories/{{ g.story.id }}">{{ g.story.headlines.get(reader) or (g.story.headlines.values()|first) or ("#" ~ g.story.id) }}</a></h2>
  <p class="meta">{{ num(g.story.sources|length) }} {{ _("sources") }} · {{ num(g.story.languages|length) }} {{ _("languages") }} · {{ num(g.story.article_count) }} {{ _("articles") }}</p>{% endif %}
  <ul class="articles">{% for h in g.hits %}{% set a = h.article %}{% set link = (a.url|safe_url) %}
    <li class="art"><h4>{% if link %}<a class="primary" href="{{ link }}" rel="noopener noreferrer nofollow">{{ a.title or a.url }}</a>{% else %}{{ a.title }}{% endif %} <span class="tag">{{ a.lang }}</span>{% if a.lineage %} <span class="mark mark-{{ a.lineage }}">{{ _(a.lineage) }}</span>{% endif %}</h4>
    <p class="meta">{{ a.source or (a.url|host) }} · <time datetime="{{ iso(a.published or a.fetched_at) }}">{{ when(a.published or a.fetched_at) }}</time></p>
    {% if h.snippet %}<p class="snippet">{{ h.snippet }}</p>{% endif %}</li>
  {% endfor %}</ul>
</section>
{% else %}<p>{{ _("No results.") }}</p>{% endfor %}
{% endif %}
{% endblock %}
{% block footer %}{% if q %} · {{ _("Feeds") }}: <a href="/feeds/search.atom?q={{ q|urlencode }}">Atom</a> <a href="/feeds/search.rss?q={{ q|urlencode }}">RSS</a> <a href="/feeds/search.json?q={{ q|urlencode }}">JSON Feed</a>{% endif %}{% endblock %}
"""


def test_search_page_same_bytes_as_the_template_before(store: Any) -> None:
    app = create_app(store, Settings(db=store.url), semantic=False)
    loader = ChoiceLoader([DictLoader({"search.html": _OLD_SEARCH_HTML}), render.env.loader])
    old_env = render.env.overlay(loader=loader, cache_size=20)
    src = store.list_sources()[2].id
    pages = 0
    with TestClient(app) as client:
        for ui in i18n.UI_LANGS:
            old = ui_environment(old_env, lambda m, ui=ui: i18n.gettext(ui, m)).get_template("search.html")
            for q, f in (("dock workers", {}), ("monday", {"lang": "pt"}), ("walked", {"country": "DE"}),
                         ("pay", {"source": src}), ("harbour strike", {"range": "30d"}), ("loose", {}), ("zzz", {}),
                         ("", {})):
                # (the middleware drops an empty "q=": no q at all for the empty search)
                qs = "&".join(f"{k}={v}" for k, v in {"q": q.replace(" ", "+"), **f, "ui": ui}.items() if v)
                got = client.get(f"/search?{qs}")
                request = Request({"type": "http", "method": "GET", "path": "/search", "query_string": qs.encode(),
                                   "headers": [(b"host", b"testserver")], "app": app, "root_path": ""})
                result = search_uc.search(store, q, lang=f.get("lang"), country=f.get("country"),
                                          source_id=f.get("source"), range_key=f.get("range"))
                want = old.render(render.context(
                    request, result=result, q=q, facets=facets(request), reader=ui, title="Search",
                    f={"lang": f.get("lang"), "country": f.get("country"), "source": f.get("source"),
                       "range": f.get("range")}))
                assert got.status_code == 200 and got.text == want, (ui, q, f)
                pages += "mark mark-" in want and 'class="snippet"' in want
    assert pages  # hits with lineage marks and snippets were compared


def _old_squeeze_and_cut(article: Article, chars: int) -> str:
    """rights/policy.py snippet_for before: the whole text squeezed, then cut."""
    from newsloom.rights import policy

    if article.status == "removed" or (limit := policy.snippet_limit(article, None, chars)) <= 0:
        return ""
    r = article.rights or {}
    source = article.description or ""
    if not source.strip() and not (r.get("noarchive") or r.get("tdm_reserved")):
        source = article.text or ""
    text = " ".join(source.split())
    if r.get("nosnippet_text"):
        text = policy._without_nosnippet(text, [" ".join(str(f).split()) for f in r["nosnippet_text"]])
    return policy.cut(text, limit)


def test_snippet_cut_from_the_squeezed_opening_is_the_same() -> None:
    import random

    rng = random.Random(5)
    spaces = [" ", "  ", "\n", "\n\n", "\t", "\u00a0", "\u2003", "\r\n"]
    words = ["a", "harbour", "strike,", "x;", "Δοκιμή", "日本語のテキスト", "—", ":", "z" * 60]
    for _ in range(4000):
        parts = [rng.choice(spaces) * rng.choice([0, 1, 300])]
        for _ in range(rng.choice([0, 3, 40, 150, 400])):
            parts += [rng.choice(words), rng.choice(spaces) * (1 if rng.random() < 0.9 else rng.randint(2, 300))]
        text = "".join(parts)
        rights = rng.choice([{}, {"max_snippet": rng.randint(-1, 300)}, {"nosnippet_text": ["harbour strike,"]}])
        a = Article(url="u", text=text, description=rng.choice([None, " ", text[:40]]), rights=rights)
        for chars in (0, 1, 10, 200, 333):
            assert snippet(a, chars) == _old_squeeze_and_cut(a, chars), (text[:60], chars, rights)
