"""Short items: a feed item whose page cannot be had (404, 403, paywall, timeout, a page rejected
as too short) but whose feed gives a title and a summary is still news. It becomes an Article
whose text is the summary, marked with a note ``short item: <reason>``, and goes through the
normal analyse -> dedupe -> store -> stories path like any page.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta

import lxml.html
from lxml import etree

from newsloom.errors import FetchError, HTTPStatusError, InvalidURL, PrivateAddress, RetryLater
from newsloom.models import Article, Feed, FeedItem, utcnow

NOTE = "short item: "
MIN_SUMMARY_CHARS = 20  # "Read more" or a lone date is not a summary
_BLOCKS = {"p", "div", "br", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section"}
_SPACE = re.compile(r"[ \t\r\f\v\u00a0]+")
# feed boilerplate glued to summaries ("The post X appeared first on Y", "Continue reading ...")
_TAIL = re.compile(r"\s*(?:\[(?:…|\.\.\.|&#8230;)\]|…|Continue reading.*|Read more.*|"
                   r"The post .{0,200} appeared first on .{0,200})\s*$", re.I | re.S)


def strip_html(summary: str) -> str:
    """Plain text of a feed summary, one paragraph per block element."""
    if "<" not in summary:
        return _tidy(html.unescape(summary))
    try:
        root = lxml.html.fragment_fromstring(summary, create_parent="div")
    except (etree.ParserError, ValueError):
        return _tidy(html.unescape(re.sub(r"<[^>]+>", " ", summary)))
    for bad in root.xpath(".//script|.//style|.//figcaption"):
        bad.drop_tree()
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.lower() in _BLOCKS:
            el.tail = "\n\n" + (el.tail or "")
    return _tidy(root.text_content())


def _tidy(text: str) -> str:
    paras = [_SPACE.sub(" ", p).strip() for p in re.split(r"\n\s*\n|\n", text)]
    text = "\n\n".join(p for p in paras if p)
    return _TAIL.sub("", text).strip()


def reason_of(error: BaseException) -> str | None:
    """Why the page is missing, or None when the item must not become a short item now: the
    host said "later" (the page is fetched on a later pass) or the link itself is unusable."""
    if isinstance(error, (RetryLater, InvalidURL, PrivateAddress)):
        return None
    if isinstance(error, HTTPStatusError):
        return None if error.code == 429 else f"HTTP {error.code}"
    if isinstance(error, FetchError):
        return error.status.replace("_", " ")
    return None


def short_article(item: FeedItem, feed: Feed | None, reason: str) -> Article | None:
    """The item as a short Article, or None when it has no title or no real summary."""
    title = (item.title or "").strip()
    text = strip_html(item.summary or "")
    if not title or len(text) < MIN_SUMMARY_CHARS or text == title:
        return None
    published = item.published
    if published is not None and published > utcnow() + timedelta(days=1):
        published = None  # a feed date in the future is a wrong date, as for pages
    return Article(
        url=item.url,
        title=title,
        text=text,
        description=text,
        published=published,
        lang=item.lang,
        source_id=feed.source_id if feed else None,
        feed_id=feed.id if feed else None,
        notes=[f"{NOTE}{reason}"],
    )
