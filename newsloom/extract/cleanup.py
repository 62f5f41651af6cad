"""newsloom's cleanup layer: small named rules for what extractors leave behind.

Each rule takes the list of paragraphs and returns a new list; when it fires it appends
``"<rule>: <what>"`` to the cleanup log and may move material into structured fields (images with
captions and credits, embedded social posts). ``cleanup(article)`` re-runs every rule from
``Article.raw_text``, so improving a rule can be applied to stored articles.

Extractors (trafilatura included) are generic; these rules target the remnants seen on news
pages and aggregator copies, which no library covers: scraper-repeated blocks, aggregator
about-us blurbs, credit fragments cut off from their caption, inlined tweets.
"""

from __future__ import annotations

import re

from newsloom.extract import patterns as pt
from newsloom.extract.embeds import has_tw_link, move_social_embeds, move_tweets
from newsloom.extract.paragraphs import (
    QUOTES,
    CleanResult,
    Rule,
    add_image,
    ends_sentence,
    key,
    split_paragraphs,
    words,
)
from newsloom.models import Article, Image

__all__ = [
    "RULES",
    "CleanResult",
    "clean_text",
    "cleanup",
    "drop_boilerplate",
    "drop_repeats",
    "drop_team_byline",
    "drop_title",
    "move_captions",
    "move_social_embeds",
    "move_tweets",
    "split_paragraphs",
]


# --- headline ------------------------------------------------------------------------------

_TITLE_SUFFIX = re.compile(r"\s+[-–—|:·•]\s+\S.*$")


def drop_title(paras: list[str], res: CleanResult) -> list[str]:
    """Drop a first paragraph that repeats the headline (it lives in ``Article.title``)."""
    if not paras or not res.title:
        return paras
    first, title = key(paras[0]), key(res.title)
    if first == title or first == key(_TITLE_SUFFIX.sub("", res.title)):
        res.fire("title", "dropped the headline repeated as first paragraph")
        return paras[1:]
    return paras


# --- captions and credits -----------------------------------------------------------------


_LIST_MARKER = re.compile(r"^(?:\d{1,3}|[a-z])\)\s", re.IGNORECASE)
_CREDIT_HINT = re.compile(
    rf"/| via |\bimages?\b|\bphoto|\bfoto|\bpicture|\bcredit|{pt.AGENCY_WORD_RE.pattern}",
    re.IGNORECASE,
)


def credit_of(p: str) -> str | None:
    """The credit when ``p`` is a photo-credit fragment on its own line, else None."""
    if len(p) > 100:
        return None
    letters = 0
    for ch in p:  # only "at least two letters" matters: stop counting there
        if ch.isalpha():
            letters += 1
            if letters == 2:
                break
    if letters < 2:
        return None
    n_words = words(p)
    # "Polaris / eyevine)": the opening "(Image:" stayed with the caption or was dropped.
    if (
        p.endswith(")")
        and p.count("(") < p.count(")")
        and n_words <= 8
        and not _LIST_MARKER.match(p)
        and _CREDIT_HINT.search(p)
    ):
        return p[:-1].strip(" ,;(")
    if m := pt.CREDIT_LABEL_RE.fullmatch(p):
        return m["credit"].strip()
    if n_words <= 8 and pt.AGENCY_ONLY_RE.fullmatch(p):
        return p.strip("() .")
    if n_words <= 5 and pt.COPYRIGHT_RE.fullmatch(p) and "rights" not in p.lower():
        return p
    return None


def _caption_like(p: str, max_words: int = 30) -> bool:
    n = words(p)
    if n == 0 or n > max_words or len(p) > 280:
        return False
    if p[0] in QUOTES or p.rstrip().endswith(":") or has_tw_link(p):
        return False
    if p.startswith("(") and p.endswith(")"):
        return False  # "(Reporting by ...; Editing by ...)": a wire sign-off, not a caption
    # Captions are usually noun phrases without a full stop; a short sentence may be one too.
    return not ends_sentence(p) or n <= 12


def move_captions(paras: list[str], res: CleanResult) -> list[str]:
    """Credit fragments and the caption line just before them -> ``Image(caption, credit)``.

    Also: "caption (Photo: X)" on one line, and a short caption line printed twice in a row.
    """
    out: list[str] = []
    moved = 0
    for i, p in enumerate(paras):
        credit = credit_of(p)
        if credit is not None:
            caption = None
            if out and _caption_like(out[-1]) and credit_of(out[-1]) is None:
                caption = out.pop()
                if out and key(out[-1]) == key(caption):
                    out.pop()  # the same caption printed twice
            add_image(res, Image(caption=caption, credit=credit))
            moved += 1
            continue
        if p.rstrip(". ").endswith(")") and (m := pt.TRAILING_CREDIT_RE.search(p)):
            rest = p[: m.start()].strip()
            if rest and _caption_like(rest, max_words=40):
                add_image(res, Image(caption=rest, credit=m["credit"].strip()))
                moved += 1
                continue
            if rest:
                add_image(res, Image(credit=m["credit"].strip()))
                out.append(rest)
                moved += 1
                continue
        if (
            out
            and key(out[-1]) == key(p)
            and words(p) <= 20
            and not ends_sentence(p)
            and _caption_like(p)
            and not (i + 1 < len(paras) and credit_of(paras[i + 1]) is not None)
        ):
            out.pop()
            add_image(res, Image(caption=p))
            moved += 1
            continue
        out.append(p)
    if moved:
        res.fire("captions", f"moved {moved} caption/credit line(s) to images")
    return out


# --- repeats ------------------------------------------------------------------------------

# A repeated run counts as a scraper artefact only when it carries real prose: schedules, recipes
# and interviews legitimately repeat short lines ("Pre-workout meal", the same question).
_MIN_BLOCK = 2
_MIN_BLOCK_CHARS = 150
_MIN_LONGEST_PARA = 80
_MAX_POSITIONS = 64  # bounds the work on pages with hundreds of identical lines


def _repeated_run(keys: list[str], i: int, positions: dict[str, list[int]]) -> tuple[int, bool]:
    """Longest run starting at ``i`` that already appeared, whole, before ``i``; and whether
    that earlier copy ends right at ``i`` (a back-to-back repeat, the scraper signature)."""
    best, tandem = 0, False
    for j in positions.get(keys[i], [])[-_MAX_POSITIONS:]:
        n = 0
        while i + n < len(keys) and j + n < i and keys[j + n] == keys[i + n]:
            n += 1
        if n > best or (n == best and j + n == i):
            best, tandem = n, j + n == i
    return best, tandem


def _scraper_repeat(run: list[str], tandem: bool) -> bool:
    if len(run) < _MIN_BLOCK or sum(map(len, run)) < _MIN_BLOCK_CHARS:
        return False
    if tandem:
        return max(map(len, run)) >= _MIN_LONGEST_PARA
    # Apart from its first copy, only a run of several prose paragraphs is surely an artefact
    # (menus, schedules and recipe plans repeat groups of short lines on purpose).
    return len(run) >= 3 and min(map(len, run)) >= _MIN_LONGEST_PARA


def drop_repeats(paras: list[str], res: CleanResult) -> list[str]:
    """Keep the first copy of a repeated block of paragraphs and of a line printed twice in a row."""
    keys = [key(p) for p in paras]
    positions: dict[str, list[int]] = {}
    out: list[str] = []
    blocks = lines = 0
    i = 0
    while i < len(paras):
        n, tandem = _repeated_run(keys, i, positions)
        if _scraper_repeat(paras[i : i + n], tandem):
            blocks += 1
            i += n
            continue
        if out and key(out[-1]) == keys[i]:
            lines += 1
        else:
            out.append(paras[i])
        positions.setdefault(keys[i], []).append(i)
        i += 1
    if blocks:
        res.fire("repeats", f"dropped {blocks} repeated block(s) of paragraphs")
    if lines:
        res.fire("repeats", f"dropped {lines} line(s) printed twice in a row")
    return out


# --- boilerplate --------------------------------------------------------------------------


def _headline_like(rest: str, has_sep: bool, title: str | None) -> bool:
    rest = rest.strip()
    if not rest or words(rest) > 25:
        return False
    if title and key(rest)[:30] == key(title)[:30]:
        return True
    if has_sep:
        return True
    # "Read more about it in our report." is a sentence; "Read more Putin's war ..." a link.
    return (rest[0].isupper() or rest[0].isdigit() or rest[0] in QUOTES) and not rest.endswith(".")


def boilerplate_reason(p: str, title: str | None = None) -> str | None:
    """Why ``p`` is site/aggregator boilerplate, or None when it is (or may be) real text."""
    s = p.strip(pt.EDGE_DECORATION)
    if not s:
        return None
    if len(s) <= 60 and pt.LABEL_RE.fullmatch(s):
        return "navigation/share label"
    if len(s) <= 60 and pt.DATE_ONLY_RE.fullmatch(s):
        return "dateline"
    if len(s) <= 220 and pt.SIGNUP_PROMPT_RE.fullmatch(s):
        return "sign-up prompt"
    if len(s) <= 300:
        if (m := pt.READ_MORE_PREFIX_RE.fullmatch(s)) and _headline_like(
            m["rest"], bool(m["sep"]), title
        ):
            return "read-more link"
        if (m := pt.SEP_PREFIX_RE.fullmatch(s)) and _headline_like(m["rest"], True, title):
            return "related link"
        low = s.lower()
        if (
            any(stem in low for stem in pt.NEWSLETTER_STEMS)
            and pt.NEWSLETTER_WORD_RE.search(s)
            and pt.NEWSLETTER_ACTION_RE.search(s)
        ):
            return "newsletter prompt"
    if len(s) <= 220 and pt.PLATFORM_RE.search(s) and pt.CHANNEL_INVITE_RE.search(s):
        return "app or channel promo"
    if len(s) <= 300 and pt.DISCLOSURE_RE.search(s):
        return "advertising disclosure"
    if len(s) <= 400 and "cookie" in s.lower() and pt.COOKIE_RE.search(s):
        return "cookie notice"
    if pt.aggregator_signal_count(s) >= 2:
        return "aggregator about-us blurb"
    if _mixed_script_words(s) >= 3:
        return "mixed-script words (text disguised with look-alike letters: an ad)"
    return None


# a Latin letter touching a Cyrillic one inside a word; "IT-компании", "iPhone'ом" (Russian
# inflecting a Latin name) have a hyphen or an apostrophe between the scripts
_SCRIPTS_TOUCH = re.compile(r"[A-Za-z][\u0400-\u04ff]|[\u0400-\u04ff][A-Za-z]")


def _mixed_script_words(s: str) -> int:
    """Words where Latin and Cyrillic letters touch ("Аdvеrtіѕе" with a Cyrillic А, е, і, ѕ): text
    disguised against filters, which a writer in either script does not produce."""
    return sum(1 for w in s.split() if _SCRIPTS_TOUCH.search(w))


def drop_boilerplate(paras: list[str], res: CleanResult) -> list[str]:
    """Drop whole-line site boilerplate: read-more/related/share/follow labels, newsletter and
    cookie prompts, datelines, aggregator about-us blurbs (en, es, pt, fr, de,
    it, ru; read-more prompts also nl, pl, tr)."""
    out: list[str] = []
    reasons: dict[str, int] = {}
    for p in paras:
        reason = boilerplate_reason(p, res.title)
        if reason:
            reasons[reason] = reasons.get(reason, 0) + 1
        else:
            out.append(p)
    if reasons:
        res.fire("boilerplate", ", ".join(f"{n}× {r}" for r, n in reasons.items()))
    return out


def drop_team_byline(paras: list[str], res: CleanResult) -> list[str]:
    """Drop a trailing "<Name> Team" / "Equipe <Name>" byline (only at the end of the text)."""
    out = list(paras)
    dropped = 0
    while out and dropped < 2:
        p = out[-1].strip(pt.EDGE_DECORATION)
        tokens = p.split()
        if (
            len(tokens) <= 6
            and pt.TEAM_BYLINE_RE.fullmatch(p)
            and all(w[0].isupper() or not w[0].isalpha() for w in tokens)
        ):
            out.pop()
            dropped += 1
        else:
            break
    if dropped:
        res.fire("team_byline", f"dropped {dropped} trailing team byline(s)")
    return out


RULES: list[tuple[str, Rule]] = [
    ("title", drop_title),
    ("tweets", move_tweets),
    ("social", move_social_embeds),
    ("captions", move_captions),
    ("repeats", drop_repeats),
    ("boilerplate", drop_boilerplate),
    ("team_byline", drop_team_byline),
]


def clean_text(
    text: str, *, title: str | None = None, rules: list[tuple[str, Rule]] | None = None
) -> CleanResult:
    """Run the cleanup rules over extractor output; paragraphs are joined with a blank line."""
    res = CleanResult(text="", paragraphs=[], title=title)
    paras = split_paragraphs(text)
    for _name, rule in rules if rules is not None else RULES:
        paras = rule(paras, res)
    res.paragraphs = paras
    res.text = "\n\n".join(paras)
    return res


def cleanup(article: Article) -> Article:
    """Re-run cleanup from ``article.raw_text`` (set on first run); updates the article in place."""
    if article.raw_text is None:
        article.raw_text = article.text
    res = clean_text(article.raw_text, title=article.title)
    article.text = res.text
    for image in res.images:
        if image not in article.images:
            article.images.append(image)
    for embed in res.embeds:
        if embed not in article.embeds:
            article.embeds.append(embed)
    # Lines from other stages (copy detection) stay: their evidence may not be in the text.
    article.cleanup_log = res.log + [
        line for line in article.cleanup_log if line.startswith("copy:")
    ]
    return article
