"""The store's rights queries on both backends: what a request matches (no look-alike hosts),
the suppression list (exact URL, prefix, domain and parents, content hash), and the purge."""

from __future__ import annotations

from newsloom.app import rights as uc
from newsloom.config import Settings
from newsloom.models import Article, Revision, Suppression
from newsloom.rights.suppression import parent_domains
from newsloom.store.base import Store

URLS = ["https://example.com/a", "http://news.example.com/b", "https://example.com:8443/c",
        "https://example.com", "https://notexample.com/d", "https://evil.org/x.example.com/e",
        "https://example.com.evil.org/f", "https://EXAMPLE.com/News/g", "https://example.com/news/h"]


def test_candidates_never_match_look_alikes(store: Store) -> None:
    for i, u in enumerate(URLS):
        store.add_article(Article(url=u, title=f"t{i}", text=f"text {i}", content_hash=f"h{i}"))
    settings = Settings(db=store.url)

    def match(kind: str, target: str) -> set[str]:
        req = uc.takedowns.new_request(kind, target, "R", "r@example.com", "x", True, settings)[0]
        ids, copies, _ = uc.matching_ids(store, req)
        return {store.get_article(i).url for i in ids + copies}

    assert match("domain", "example.com") == {"https://example.com/a", "http://news.example.com/b",
                                              "https://example.com:8443/c", "https://example.com",
                                              "https://EXAMPLE.com/News/g", "https://example.com/news/h"}
    assert match("prefix", "https://example.com/news/") == {"https://example.com/news/h"}  # case kept
    assert match("url", "https://example.com/a") == {"https://example.com/a"}
    assert match("url", "https://example.com/never") == set()


def test_suppression_list_and_purge(store: Store) -> None:
    a = store.add_article(Article(url="https://pub.example.com/x", title="Secret words", text="unique marmalade",
                                  content_hash="hx", description="d", minhash=b"\x00\x01"))
    store.add_revision(Revision(article_id=a.id, title="old", text="older", content_hash="h0"))  # type: ignore[arg-type]
    store.save_embedding(a.id, "m", b"\x00" * 8)  # type: ignore[arg-type]
    assert store.add_suppressions([Suppression("url", a.url), Suppression("hash", "hx"),
                                   Suppression("prefix", "https://p.example.net/news/"),
                                   Suppression("domain", "gone.example.org"), Suppression("url", a.url)]) == 4
    s = store.suppression_for  # type: ignore[attr-defined]
    assert s([a.url], [], None).kind == "url"
    assert s(["https://other.example/y"], [], "hx").kind == "hash"
    assert s(["https://p.example.net/news/2024/a"], [], None).kind == "prefix"
    assert s(["https://p.example.net/sport/a"], [], None) is None
    assert s(["https://a.b.gone.example.org/z"], parent_domains("a.b.gone.example.org"), None).kind == "domain"
    assert s(["https://notgone.example.org/z"], parent_domains("notgone.example.org"), None) is None
    assert store.count_suppressions() == {"url": 1, "hash": 1, "prefix": 1, "domain": 1}  # type: ignore[attr-defined]
    store.purge_article(a.id, "removed at the publisher's request (takedown 1)")  # type: ignore[arg-type,attr-defined]
    gone = store.get_article(a.id)  # type: ignore[arg-type]
    assert (gone.status, gone.title, gone.text, gone.description, gone.minhash) == ("removed", None, "", None, None)
    assert gone.notes[-1].startswith("removed at the publisher's request")
    assert store.list_revisions(a.id) == [] and store.get_embedding(a.id, "m") is None  # type: ignore[arg-type]
    assert store.search_articles("marmalade") == [] and store.search_articles("secret") == []


def test_a_takedown_never_reaches_an_earlier_original_on_another_site(store: Store) -> None:
    """Copying a competitor's article onto your own domain and asking for your domain's pages to
    be removed must not remove the competitor's original, nor suppress its text."""
    from datetime import UTC, datetime

    t0 = datetime(2026, 11, 1, 8, tzinfo=UTC)
    original = store.add_article(Article(url="https://first.example.net/scoop", title="Scoop", text="same words",
                                         content_hash="hs", published=t0))
    mine = store.add_article(Article(url="https://copier.example.org/scoop", title="Scoop", text="same words",
                                     content_hash="hs", published=t0.replace(hour=11)))
    settings = Settings(db=store.url)
    req = uc.takedowns.new_request("domain", "copier.example.org", "C", "c@copier.example.org", "x", True,
                                   settings)[0]
    assert uc.matching_ids(store, req) == ([mine.id], [], set())
    # the other way round: the requester had it first, so the later copy elsewhere goes too
    req2 = uc.takedowns.new_request("domain", "first.example.net", "F", "f@first.example.net", "x", True,
                                    settings)[0]
    assert uc.matching_ids(store, req2) == ([original.id], [mine.id], {"hs"})
