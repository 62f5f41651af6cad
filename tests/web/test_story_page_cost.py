"""What keeps the story page cheap changes no byte of it: translations compiled into each UI
language's templates, output escaped without Markup objects, plain functions called directly
(``web/templating.py``), and the story page reading only the columns it shows; a removed
article still leaves the page at once."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from jinja2 import DictLoader, Environment, pass_context, select_autoescape
from markupsafe import Markup, escape
from reader_world import XSS, story_ids

from newsloom.models import Article, Story
from newsloom.web import feeds, i18n, render
from newsloom.web.templating import escape_output, speed_up, ui_environment


class _Html:
    def __html__(self) -> str:
        return "<b>safe</b>"


@pytest.mark.parametrize("value", [XSS, "plain", "", "a & b 'c' \"d\"", 12, -7, 0, True, None, 1.5,
                                   Markup("<i>x</i>"), _Html(), ["<a>"], datetime(2026, 1, 1, tzinfo=timezone.utc)])
def test_escape_output_is_markupsafe_escape(value: object) -> None:
    out = escape_output(value)
    assert type(out) is str and out == str(escape(value))


def _envs(templates: dict[str, str]) -> tuple[Environment, Environment]:
    opts = {"loader": DictLoader(templates), "autoescape": select_autoescape(["html"], default_for_string=True),
            "trim_blocks": True, "lstrip_blocks": True}
    return Environment(**opts), speed_up(Environment(**opts))  # type: ignore[arg-type]


def test_literal_translations_are_compiled_in() -> None:
    src = ('{{ _("Top stories") }}|{{ _("articles")|capitalize }}|{{ _(word) }}|{{ _("Search") ~ "!" }}|'
           '<i title="{{ _(\'Language\') }}">{{ obj._("x") }}</i>|{{ _("no such message") }}')
    plain, fast = _envs({"t.html": src})
    for ui in i18n.UI_LANGS:
        ctx = {"_": lambda m, ui=ui: i18n.gettext(ui, m), "word": "copy", "obj": {"_": lambda m: f"<{m}>"}}
        want = plain.get_template("t.html").render(ctx)
        env = ui_environment(fast, lambda m, ui=ui: i18n.gettext(ui, m))
        assert env.get_template("t.html").render(ctx) == want
        assert i18n.gettext(ui, "Top stories") in want
        # the literals are part of the template: no call of _ is left for them
        calls: list[str] = []
        ctx["_"] = lambda m, ui=ui: calls.append(m) or i18n.gettext(ui, m)
        env.get_template("t.html").render(ctx)
        assert calls == ["copy"]


def test_direct_calls_keep_what_jinja_passes() -> None:
    @pass_context
    def who(context, suffix: str) -> str:  # type: ignore[no-untyped-def]
        return context["name"] + suffix

    def stop() -> str:
        raise StopIteration

    src = ('{% macro m(x) %}[{{ x }}]{% endmacro %}{{ who("!") }} {{ m(name) }} {{ d.get("k") }} '
           '{{ "a-b".split("-")|join(",") }} {{ stop() }}.{% for i in [1, 2] %}{% set n = i %}{{ who(n|string) }}{% endfor %}')
    plain, fast = _envs({"t.html": src})
    ctx = {"who": who, "name": "<Ana>", "d": {"k": "<v>"}, "stop": stop}
    assert fast.get_template("t.html").render(ctx) == plain.get_template("t.html").render(ctx)
    assert fast.get_template("t.html").render(ctx).startswith("&lt;Ana&gt;! [&lt;Ana&gt;] &lt;v&gt; a,b .")


def _plain_env() -> Environment:
    env = Environment(loader=render.env.loader, autoescape=select_autoescape(["html", "xml"], default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(render.env.filters)
    return env


def test_pages_are_byte_identical_to_plain_jinja(client, world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    ids = story_ids(client)
    paths = [f"/stories/{world['hostile_story']}", *(f"/stories/{i}" for i in ids.values()), "/",
             "/?lang=pt", "/blindspots?langs=en", "/search?q=earthquake", "/sources", "/feeds/front.atom"]
    fixed = datetime(2026, 12, 4, 12, 0, tzinfo=timezone.utc)
    for module in (render, feeds):  # "3 hours ago", a feed's <updated>: the same text both times
        monkeypatch.setattr(module, "utcnow", lambda: fixed, raising=False)
    pages = {}
    for ui in i18n.UI_LANGS:
        for p in paths:
            pages[ui, p] = client.get(p, headers={"Accept-Language": ui}).text
    plain = _plain_env()
    monkeypatch.setattr(render, "env", plain)
    monkeypatch.setattr(feeds, "env", plain)
    monkeypatch.setattr(render, "_UI_ENVS", {})
    for (ui, p), fast in pages.items():
        assert client.get(p, headers={"Accept-Language": ui}).text == fast, (ui, p)
    assert "&lt;script&gt;" in pages["en", f"/stories/{world['hostile_story']}"]
    assert 'class="copies"' in "".join(pages.values()) and 'class="cards"' in "".join(pages.values())


def test_a_removed_article_leaves_the_story_page_at_once(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from newsloom.store import open_store
    from newsloom.web import create_app

    t0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
    with open_store(f"sqlite:///{tmp_path / 's.db'}") as store:
        store.save_story(Story(id=1, headlines={"en": "Flood"}, languages=["en"], first_seen=t0, last_updated=t0,
                               article_count=2))
        a, b = (store.add_article(Article(url=f"https://{n}.example.com/flood", title=f"Report by {n}", text="Rain.",
                                          lang="en", source=n, story_id=1, published=t0)) for n in ("alpha", "beta"))
        client = TestClient(create_app(store, semantic=False))
        page = client.get("/stories/1").text
        assert "Report by alpha" in page and "Report by beta" in page
        b.status = "removed"
        store.update_article(b)
        page = client.get("/stories/1").text
        assert "Report by alpha" in page and "Report by beta" not in page and "beta.example.com" not in page
