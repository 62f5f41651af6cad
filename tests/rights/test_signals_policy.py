"""Publisher signals (meta robots, X-Robots-Tag, data-nosnippet, TDMRep) and the snippet policy."""

from __future__ import annotations

from datetime import timedelta

from newsloom.config import Settings
from newsloom.models import Article, utcnow
from newsloom.rights import policy, signals

PAGE = b"""<html><head><meta name="robots" content="max-snippet:40, noarchive">
<meta name="googlebot" content="noindex"></head><body><p>Lead paragraph here.</p>
<p data-nosnippet>Secret passage not for snippets.</p></body></html>"""


def test_meta_robots_ignores_other_agents_and_reads_nosnippet_elements() -> None:
    r = signals.read(PAGE, {"content-type": "text/html"})
    assert r["max_snippet"] == 40 and r["noarchive"] is True
    assert "noindex" not in r  # googlebot's rule is not ours
    assert r["nosnippet_text"] == ["Secret passage not for snippets."]


def test_x_robots_tag_for_our_agent_and_dates_with_commas() -> None:
    r = signals.read(b"", {"X-Robots-Tag": "googlebot: nosnippet, newsloom: noindex"})
    assert r == {"noindex": True}
    r = signals.read(b"", {"x-robots-tag": "unavailable_after: Friday, 25-Jun-2027 15:00:00 GMT, noarchive"})
    assert r["unavailable_after"].startswith("2027-06-25T15:00:00") and r["noarchive"]
    assert signals.read(b"", {"x-robots-tag": "max-snippet: 0"}) == {"nosnippet": True}
    assert signals.read(b"", {"x-robots-tag": "max-snippet: lots"}) == {}  # malformed: no limit
    assert signals.read(b"", {"x-robots-tag": "none"}) == {"noindex": True, "nosnippet": True}


def test_newsloom_meta_and_tdm_reservation() -> None:
    html = b'<meta name="newsloom" content="nosnippet"><meta name="tdm-reservation" content="1">'
    assert signals.read(html, {}) == {"nosnippet": True, "tdm_reserved": True}
    assert signals.read(b"<p>plain</p>", {"tdm-reservation": "1"}) == {"tdm_reserved": True}
    assert signals.read(b"<p>nothing here</p>", {}) == {}
    assert signals.tdmrep_reserves([{"location": "/news/*", "tdm-reservation": 1}], "/news/a")
    assert not signals.tdmrep_reserves([{"location": "/news/*", "tdm-reservation": 1}], "/sport/a")


def _art(**kw: object) -> Article:
    base = dict(url="https://ex.com/a", title="T", text="word " * 200, country="DE", source="Ex")
    base.update(kw)
    return Article(**base)  # type: ignore[arg-type]


def test_snippet_lengths_global_country_source_and_signals() -> None:
    s = Settings(snippet_chars=100)
    assert len(policy.snippet_for(_art(), s)) <= 101
    s = Settings(snippet_chars=100, snippet_chars_by_country={"de": 30})
    assert len(policy.snippet_for(_art(), s)) <= 31
    s = Settings(snippet_chars=100, snippet_chars_by_country={"DE": 30}, snippet_chars_by_source={"Ex": 60})
    assert 31 < len(policy.snippet_for(_art(), s)) <= 61
    assert len(policy.snippet_for(_art(rights={"max_snippet": 12}), s)) <= 13
    assert policy.snippet_for(_art(rights={"nosnippet": True}), s) == ""
    assert policy.snippet_for(_art(status="removed"), s) == ""
    # noarchive: the page's description only, never the stored text
    assert policy.snippet_for(_art(rights={"noarchive": True}), s) == ""
    assert policy.snippet_for(_art(rights={"noarchive": True}, description="Desc."), s) == "Desc."
    art = _art(text="Open. Hidden bit here. Close.", rights={"nosnippet_text": ["Hidden bit here."]})
    assert policy.snippet_for(art, s) == "Open. Close."


def test_visibility_expiry_and_mining_text() -> None:
    past = (utcnow() - timedelta(days=1)).isoformat()
    future = (utcnow() + timedelta(days=1)).isoformat()
    assert not policy.visible(_art(rights={"unavailable_after": past}))
    assert policy.visible(_art(rights={"unavailable_after": future}))
    assert not policy.visible(_art(rights={"noindex": True}))
    assert policy.mining_text(_art(rights={"tdm_reserved": True})) == ""
    assert policy.mining_text(_art(text="x")) == "x"


def test_app_snippet_helper_delegates_to_the_policy() -> None:
    from newsloom.app.stories import snippet

    assert snippet(_art(rights={"nosnippet": True}), 200) == ""
    assert snippet(_art(text="short text"), 200) == "short text"
