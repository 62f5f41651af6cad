"""A web page followed as a feed was reported as "malformed XML: <unknown>:2:144: mismatched tag";
it is now said to be an HTML page, with the feed it advertises when it has one."""

from __future__ import annotations

import pytest

from newsloom.errors import FeedParseError
from newsloom.fetch.feeds import parse_feed

PAGE = (b"<!DOCTYPE html>\n<html><head><title>News</title>%s</head><body><p>Hello<br></p>"
        b"<img src='a.png'></body></html>")


def test_html_page_naming_its_feed() -> None:
    body = PAGE % b'<link rel="alternate" type="application/rss+xml" title="RSS" href="/feeds/all.rss">'
    with pytest.raises(FeedParseError) as exc:
        parse_feed(body, "https://news.example/world/", "text/html")
    message = str(exc.value)
    assert "an HTML page, not a feed" in message and "https://news.example/feeds/all.rss" in message
    assert "malformed XML" not in message


def test_html_page_without_a_feed_link() -> None:
    with pytest.raises(FeedParseError, match="an HTML page, not a feed; give the address"):
        parse_feed(PAGE % b"<link rel='stylesheet' href='s.css'>", "https://news.example/", None)


def test_a_feed_is_still_a_feed() -> None:
    rss = (b"<?xml version='1.0'?><rss version='2.0'><channel><title>T</title><item><title>A</title>"
           b"<link>https://news.example/a</link></item></channel></rss>")
    assert [i.url for i in parse_feed(rss, "https://news.example/rss").items] == ["https://news.example/a"]
