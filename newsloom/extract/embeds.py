"""Cleanup rules for embedded social posts: tweets, Instagram, YouTube, Facebook remnants.

An embed that an extractor flattened into the body (tweet text, "— Name (@handle) date",
pic.twitter.com / t.co links) is moved into ``Article.embeds``.
"""

from __future__ import annotations

import re

from newsloom.extract import patterns as pt
from newsloom.extract.paragraphs import WS, CleanResult, add_embed
from newsloom.models import Embed

_TW_LINK = re.compile(
    r"(?:https?://)?(?<![\w.-])(?:pic\.twitter\.com/\w+|t\.co/\w+|(?:www\.)?(?:twitter|x)\.com/\w+/status/\d+\S*)",
    re.IGNORECASE,
)
# "— Daily Mail Online (@MailOnline) March 2, 2022", possibly after the tweet text on one line.
_TW_ATTR = re.compile(
    r"(?P<lead>.*?)(?:^|\s)(?:—|–|--|-)\s*(?P<author>[^()\n—–]{1,80}?)\s*\(@(?P<handle>\w{1,15})\)"
    r"\s*(?P<date>[^()@]{3,40}?\d{4})\s*",
)
_MAX_TWEET_CHARS = 320  # 280 characters plus some room for extraction artefacts


def has_tw_link(text: str) -> bool:
    return "t.co/" in text or "twitter.com/" in text or "x.com/" in text


def _split_links(text: str) -> tuple[str, list[str]]:
    if not has_tw_link(text):
        return text, []
    links = _TW_LINK.findall(text)
    return WS.sub(" ", _TW_LINK.sub(" ", text)).strip(), links


def _status_url(links: list[str]) -> str | None:
    for link in links:
        if "/status/" in link:
            return link if link.startswith("http") else "https://" + link
    return None


def move_tweets(paras: list[str], res: CleanResult) -> list[str]:
    """Tweet text + ``— Name (@handle) date`` + pic.twitter.com/t.co links -> ``Embed("tweet")``."""
    moved = 0
    # Pass 1: attribution lines, which own the line before them when it holds the tweet text.
    first: list[str] = []
    for p in paras:
        m = _TW_ATTR.fullmatch(p) if "(@" in p else None
        if not m:
            first.append(p)
            continue
        lead = m["lead"].strip()
        if not lead and first:
            prev_text, prev_links = _split_links(first[-1])
            if prev_links or len(prev_text) <= _MAX_TWEET_CHARS:
                lead = first.pop()
        text, links = _split_links(lead)
        add_embed(
            res,
            Embed(
                kind="tweet",
                text=text or None,
                author=m["author"].strip(),
                handle=m["handle"],
                date=m["date"].strip(),
                url=_status_url(links),
                links=links,
            ),
        )
        moved += 1
    # Pass 2: a tweet whose attribution the extractor dropped still ends with its media link.
    out: list[str] = []
    for p in first:
        if not has_tw_link(p):
            out.append(p)
            continue
        text, links = _split_links(p)
        if links and (not text or (_TW_LINK.search(p[-40:]) and len(text) <= _MAX_TWEET_CHARS)):
            add_embed(
                res, Embed(kind="tweet", text=text or None, url=_status_url(links), links=links)
            )
            moved += 1
            continue
        out.append(p)
    if moved:
        res.fire("tweets", f"moved {moved} embedded tweet(s) to embeds")
    return out


# --- other social embeds ------------------------------------------------------------------

_IG_VIEW = re.compile(
    r"view this post on instagram|ver esta publicación en instagram|"
    r"ver ess[ae] (?:foto|publicação|post) no instagram|voir cette publication sur instagram|"
    r"diesen beitrag auf instagram ansehen|visualizza questo post su instagram|"
    r"посмотреть эту публикацию в instagram",
    re.IGNORECASE,
)
_IG_BY = re.compile(
    r"(?:a post shared by|una publicación compartida (?:de|por)|uma publicação compartilhada por|"
    r"une publication partagée par|ein beitrag geteilt von|un post condiviso da|публикация от)\s*"
    r"(?P<author>[^()@]*?)\s*(?:\(@(?P<handle>[\w.]+)\))?"
    r"(?:\s+(?:on|el|em|le|am|il|в)\s+(?P<date>.{3,60}))?",
    re.IGNORECASE,
)
_YT = re.compile(
    r"(?P<url>(?:https?://)?(?:www\.)?(?:youtube\.com/(?:watch\?v=|embed/|shorts/)|youtu\.be/)[\w\-?=&]+)"
    r"|watch (?:this video )?on youtube|ver en youtube|assista no youtube|regarder sur youtube|"
    r"auf youtube ansehen|guarda su youtube|смотреть на youtube",
    re.IGNORECASE,
)
_FB = re.compile(
    r"posted by (?P<author>.{1,80}?) on (?P<date>\w+day,? .{3,40}\d{4})|"
    r"(?P<url>(?:https?://)?(?:www\.)?facebook\.com/\S+/(?:posts|videos)/\S+)",
    re.IGNORECASE,
)


def move_social_embeds(paras: list[str], res: CleanResult) -> list[str]:
    """Instagram/YouTube/Facebook embed remnants -> ``Embed`` (or dropped when only a label)."""
    out: list[str] = []
    moved = 0
    for p in paras:
        s = p.strip(pt.EDGE_DECORATION)
        if _IG_VIEW.fullmatch(s):
            moved += 1
            continue
        if m := _IG_BY.fullmatch(s):
            add_embed(
                res,
                Embed(
                    kind="instagram", author=m["author"] or None, handle=m["handle"], date=m["date"]
                ),
            )
            moved += 1
            continue
        if m := _YT.fullmatch(s):
            if m["url"]:
                add_embed(res, Embed(kind="youtube", url=m["url"], links=[m["url"]]))
            moved += 1
            continue
        if m := _FB.fullmatch(s):
            add_embed(
                res,
                Embed(
                    kind="facebook",
                    author=m["author"],
                    date=m["date"],
                    url=m["url"],
                    links=[m["url"]] if m["url"] else [],
                ),
            )
            moved += 1
            continue
        out.append(p)
    if moved:
        res.fire("social", f"moved {moved} social embed remnant(s) to embeds")
    return out
