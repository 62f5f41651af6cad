from __future__ import annotations

import pytest

from newsloom.dedupe.urls import canonical_url, registered_domain, same_site
from newsloom.errors import InvalidURL, NewsloomError


@pytest.mark.parametrize(
    "param",
    [
        "utm_source=rss",
        "utm_medium=social",
        "utm_campaign=x",
        "fbclid=IwAR0",
        "gclid=Cj0K",
        "msclkid=abc",
        "mc_cid=1",
        "igshid=2",
        "ocid=msn",
        "at_medium=RSS",
        "smid=tw-share",
        "_hsenc=p2AN",
        "cmpid=nl",
    ],
)
def test_tracking_parameter_is_stripped(param: str) -> None:
    assert canonical_url(f"https://example.com/news/story-1?{param}") == (
        "https://example.com/news/story-1"
    )


def test_content_parameters_are_kept_and_sorted() -> None:
    url = "https://example.com/article.php?page=2&utm_source=x&id=42&fbclid=y"
    assert canonical_url(url) == "https://example.com/article.php?id=42&page=2"


def test_scheme_and_host_case_default_port_fragment() -> None:
    url = "HTTPS://WWW.Example.COM:443/News/Story#comments"
    # the path is case-sensitive on most servers: kept as is
    assert canonical_url(url) == "https://www.example.com/News/Story"
    assert canonical_url("http://example.com:80/a") == "http://example.com/a"
    assert canonical_url("http://example.com:8080/a") == "http://example.com:8080/a"


def test_empty_path_dot_segments_and_credentials() -> None:
    assert canonical_url("https://example.com") == "https://example.com/"
    assert canonical_url("https://example.com/a/b/../c/./d") == "https://example.com/a/c/d"
    assert canonical_url("https://user:secret@example.com/a") == "https://example.com/a"


def test_ip_localhost_and_idn_hosts() -> None:
    assert canonical_url("http://127.0.0.1:8000/a?x=1") == "http://127.0.0.1:8000/a?x=1"
    assert canonical_url("http://localhost/x") == "http://localhost/x"
    # punycode and Unicode spellings of a host are one host
    assert canonical_url("https://xn--fsqu00a.xn--0zwm56d/x") == canonical_url(
        "https://例子.测试/x"
    )


def test_percent_encoding_is_normalised() -> None:
    assert canonical_url("https://example.com/caf%c3%a9") == canonical_url(
        "https://example.com/café"
    )


@pytest.mark.parametrize(
    "url",
    [
        "HTTPS://Example.COM:443/news/a?utm_source=x&id=3#c",
        "https://example.com/a/../b?b=1&a=2",
        "http://例子.测试/路径?q=a+b",
    ],
)
def test_idempotent(url: str) -> None:
    once = canonical_url(url)
    assert canonical_url(once) == once


def test_declared_canonical_on_same_domain_wins() -> None:
    url = "https://example.com/a?ref=feed"
    assert canonical_url(url, declared="/news/a") == "https://example.com/news/a"
    assert canonical_url(url, declared="https://example.com/news/a#top") == (
        "https://example.com/news/a"
    )
    # another subdomain of the same registered domain is the same site
    assert canonical_url("https://m.example.co.uk/a", declared="https://www.example.co.uk/a") == (
        "https://www.example.co.uk/a"
    )


def test_declared_canonical_on_other_domain_is_not_ours() -> None:
    url = "https://aggregator.net/2024/copy-of-story"
    assert canonical_url(url, declared="https://original.com/story") == url


def test_declared_homepage_canonical_is_a_cms_bug() -> None:
    url = "https://example.com/news/story-1"
    assert canonical_url(url, declared="https://example.com/") == url
    # but the home page may declare itself
    assert canonical_url("https://example.com/?ref=x", declared="/") == "https://example.com/"


@pytest.mark.parametrize("declared", ["", "   ", "javascript:void(0)", "mailto:x@y.z", "http://"])
def test_unusable_declared_canonical_is_ignored(declared: str) -> None:
    assert canonical_url("https://example.com/a", declared=declared) == "https://example.com/a"


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("ftp://example.com/a", "http(s)"),
        ("not a url", "http(s)"),
        ("mailto:a@b.c", "http(s)"),
        ("https://exa mple.com/", "host"),
        ("https:///path", "host"),
        ("http://a..b/", "host"),
        ("http://x.com:99999/", "port"),
    ],
)
def test_invalid_url_raises_clear_error(url: str, why: str) -> None:
    with pytest.raises(InvalidURL) as info:
        canonical_url(url)
    assert isinstance(info.value, NewsloomError)
    message = str(info.value)
    assert why.lower() in message.lower()
    if url.strip():
        assert url in message


def test_registered_domain() -> None:
    assert registered_domain("https://news.bbc.co.uk/x") == "bbc.co.uk"
    assert registered_domain("http://localhost:8000/") == "localhost"
    assert registered_domain("http://127.0.0.1:8000/") == "127.0.0.1"
    assert same_site("https://www.lemonde.fr/a", "https://abonnes.lemonde.fr/b")
    assert not same_site("https://lemonde.fr/a", "https://lefigaro.fr/a")
