"""The page's main text: trafilatura's fast path, checked, with trafilatura's own fallbacks.

The fast path (no readability/jusText comparison) is right on most pages and about a third
cheaper, but on some it returns the site's navigation ("Subscribe / My Times / Sign In") or a
fragment. Its result is therefore judged by general signals -- length, how much of
it is link text of the page, site words -- and when it looks wrong trafilatura's full mode runs and
the better of the two by the same signals is kept. When neither finds anything, trafilatura's
recall mode and its baseline (every text block of the page) are tried before giving up; recall
mode also when both found only a few lines.

Thresholds were fitted on half of trafilatura-eval (the ids whose SHA-1 is even) and checked on
the other half and on AEB; see the README's extraction section.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lxml.html import HtmlElement
from trafilatura import bare_extraction
from trafilatura.baseline import _JSON_HOOKS_RE, _collect_json_content, _render_text, baseline

# Options measured on the AEB corpus: comments are never article text; images come from
# <figure> parsing (inline markers would pollute the text).
TRAFILATURA_OPTIONS: dict[str, Any] = {
    "include_comments": False,
    "include_tables": True,
    "include_images": False,
}

# Ideographic scripts pack a word into one or two characters; counting them twice keeps
# character thresholds comparable across languages.
WIDE_CHARS = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")

# A fast-path result shorter than this (wide characters counted twice) is checked against full
# mode: on the fitting half, fragments under 1,000 characters were where full mode found more.
SHORT_CHARS = 1000
# Lines this short on average are menu-like; alone they do not make navigation (ingredient lists,
# tables and specifications are short lines too: as a navigation test it moved the fitting half
# +0.0003 and the held-out half -0.0011, see benchmarks/extraction_ablation.py). Used by the brief
# check in html.py, where a short text of five or more such lines is refused.
NAV_MEAN_LINE = 40
# Navigation: this share of the characters in lines that are the text of a link on the page ...
NAV_LINK_SHARE = 0.5
# ... or this many lines that are site words (account, subscription, log-in prompts).
NAV_SITE_LINES = 2
# A result with less than this share of its characters in prose lines (40+ characters, not a
# link's text) is a widget or a table (an availability calendar, a score table), checked against
# full mode like a fragment; full mode must still hold half its content to replace it.
LITTLE_PROSE = 0.2
_SHORT_LINE = 40
# Under this many characters after fast and full mode, recall mode is tried too (trafilatura's
# own MIN_EXTRACTED_SIZE, not fitted): a page where both find only a caption or a teaser.
RESCUE_CHARS = 250
# A line that is, word for word, the text of a link on the page and at least this long is a
# teaser of another page ("Skyrim finally truly beaten as fanatical player does ..."), not a
# paragraph: inline links are parts of sentences. Fitted on the fitting half (2-15 words tried).
TEASER_WORDS = 6

_SITE_WORDS = re.compile(
    r"(?:subscribe(?: now)?|sign (?:in|up|out)|log ?(?:in|out)|my account|register|my times|"
    r"account|newsletters?|e-?paper|today'?s paper|menu|search|home|"
    r"abonnieren|abonnement|anmelden|abmelden|mein konto|registrieren|suche|startseite|"
    r"s'abonner|abonnez-vous|se connecter|connexion|mon compte|rechercher|accueil|"
    r"suscr[ií]bete|suscribirse|iniciar sesi[oó]n|mi cuenta|registrarse|buscar|inicio|portada|"
    r"assine|assinar|entrar|minha conta|pesquisar|"
    r"abbonati|accedi|il mio account|registrati|cerca|"
    r"inloggen|abonneren|mijn account|zoeken|"
    r"zaloguj(?: się)?|subskrybuj|moje konto|szukaj|"
    r"войти|выйти|подписаться|мой аккаунт|регистрация|поиск|главная|"
    r"giriş(?: yap)?|abone ol|hesabım|"
    r"تسجيل الدخول|اشترك|حسابي|بحث|الرئيسية|"
    r"登录|注册|订阅|我的账户|首页|登入|註冊|訂閱|"
    r"ログイン|会員登録|購読|マイページ|"
    r"로그인|회원가입|구독|마이페이지|"
    r"लॉग इन|सदस्यता लें)",
    re.IGNORECASE,
)
_EDGE = " \t|•·»›>-–—:/"


@dataclass
class MainText:
    text: str
    mode: str  # "fast" | "full" | "recall" | "structured" | "baseline"
    notes: list[str] = field(default_factory=list)


def effective_length(text: str) -> int:
    return len(text) + len(WIDE_CHARS.findall(text))


def anchor_texts(tree: HtmlElement) -> set[str]:
    """The whitespace-normalised text of every link on the page."""
    out: set[str] = set()
    for a in tree.iter("a"):
        label = a.text or "" if not len(a) else "".join(a.itertext())
        if label:
            out.add(" ".join(label.split()))
    return out


@dataclass
class Signals:
    length: int  # effective characters
    mean_line: float
    link_share: float  # of the characters, in lines that are a link's text
    site_lines: int
    prose: int = 0  # effective characters in lines that are not a link's text and read as prose
    short: bool = False
    little_prose: bool = False
    nav: list[str] = field(default_factory=list)  # why it looks like navigation

    @property
    def suspicious(self) -> bool:
        return self.short or self.little_prose or bool(self.nav)

    @property
    def content(self) -> float:
        """Characters that are not navigation: what a choice between two results maximises."""
        return self.length * (1 - self.link_share)


def signals(text: str, anchors: set[str] | None) -> Signals:
    """How much ``text`` looks like an article rather than a menu or a fragment."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if line]
    total = sum(len(line) for line in lines) or 1
    linked = sum(len(line) for line in lines if anchors and line in anchors)
    site = sum(
        1 for line in lines if len(line) <= _SHORT_LINE and _SITE_WORDS.fullmatch(line.strip(_EDGE))
    )
    length = effective_length(text)
    prose = sum(n for line in lines if (n := effective_length(line)) >= _SHORT_LINE
                and not (anchors and line in anchors))
    sig = Signals(
        length=length,
        # ideographs counted twice here too: a 30-character Chinese paragraph is not a menu item
        mean_line=(total + length - len(text)) / max(1, len(lines)),
        link_share=linked / total,
        site_lines=site,
        prose=prose,
    )
    sig.short = sig.length < SHORT_CHARS
    sig.little_prose = prose < LITTLE_PROSE * length
    if sig.link_share >= NAV_LINK_SHARE:
        sig.nav.append(f"{sig.link_share:.0%} link text")
    if site >= NAV_SITE_LINES:
        sig.nav.append(f"{site} site-word lines")
    return sig


def drop_link_lines(text: str, anchors: set[str]) -> tuple[str, int]:
    """``text`` without the lines (after the first) that are a long link's whole text."""
    if not anchors:
        return text, 0
    lines = text.split("\n")
    kept = lines[:1]
    for line in lines[1:]:
        norm = " ".join(line.split()).strip(_EDGE)
        if norm.count(" ") + 1 >= TEASER_WORDS and norm in anchors:
            continue
        kept.append(line)
    return "\n".join(kept), len(lines) - len(kept)


def _run(tree: HtmlElement, url: str, **options: Any) -> str:
    doc = bare_extraction(tree, url=url, with_metadata=False, **TRAFILATURA_OPTIONS, **options)
    return (doc.text or "") if doc is not None else ""


def extract_main_text(
    tree: HtmlElement, url: str, anchors: set[str] | None = None
) -> MainText | None:
    """The main text of a parsed page, or None when no extractor finds any.

    ``anchors``: the page's link texts when the caller already has them (``anchor_texts``).
    Lines that are whole link texts (teasers of other pages) are dropped from the result.
    """
    if anchors is None:
        anchors = anchor_texts(tree)
    found = _choose(tree, url, anchors)
    if found is not None and found.mode not in ("baseline", "structured"):
        found.text, dropped = drop_link_lines(found.text, anchors)
        if dropped:
            found.notes.append(f"extraction: dropped {dropped} line(s) that are links to other pages")
    return found


def _choose(tree: HtmlElement, url: str, anchors: set[str]) -> MainText | None:
    fast = _run(tree, url, fast=True)
    fast_sig = signals(fast, anchors)
    if fast and not fast_sig.suspicious:
        return MainText(fast, "fast")
    best, best_sig = (MainText(fast, "fast"), fast_sig) if fast else (None, fast_sig)
    full = _run(tree, url, fast=False)
    if full:
        full_sig = signals(full, anchors)
        why = "; ".join(fast_sig.nav) or (f"only {fast_sig.length} characters" if fast_sig.short else
                                          f"{fast_sig.prose / max(1, fast_sig.length):.0%} prose")
        # full mode unless it is the one that looks like navigation, or holds much less content;
        # when the fast path's result looks like navigation, content is its prose lines only: a
        # portal's menu is often unlinked labels, archive months and counts (a word or two a
        # line), which would otherwise outweigh a short article that full mode found
        navigation = bool(fast_sig.nav) and not full_sig.nav
        if (
            not fast
            or not (full_sig.nav and not fast_sig.nav)
            and (full_sig.prose >= 0.5 * fast_sig.prose if navigation
                 else full_sig.content >= 0.5 * fast_sig.content)
        ):
            best = MainText(full, "full", [f"extraction: full mode (fast path gave {why})"])
            best_sig = full_sig
    if best is None or best_sig.length < RESCUE_CHARS:
        recall = _run(tree, url, fast=False, favor_recall=True)
        recall_sig = signals(recall, anchors)
        if recall and (best is None or recall_sig.length > best_sig.length and not recall_sig.nav):
            found = f"{best_sig.length} characters" if best is not None else "nothing"
            best = MainText(
                recall, "recall", [f"extraction: recall mode (fast and full modes found {found})"]
            )
            best_sig = recall_sig
    if best is None or best_sig.short:
        structured = structured_text(tree)
        if structured and effective_length(structured) > (best_sig.length if best else 0):
            found = f"{best_sig.length} characters" if best is not None else "nothing"
            return MainText(
                structured,
                "structured",
                [f"extraction: the page's JSON-LD article body (the extractors found {found})"],
            )
    if best is not None:
        return best
    _body, text, _length = baseline(tree)
    if text.strip():
        return MainText(text, "baseline", ["extraction: trafilatura baseline (no main text found)"])
    return None


def structured_text(tree: HtmlElement) -> str:
    """The full text a page embeds as schema.org JSON-LD (``articleBody``, ``reviewBody``, ...).

    Pages rendered by script carry their article there while the HTML holds only a caption or a
    teaser; readers that parse schema.org take it from there. trafilatura's baseline reads it
    the same way, but only when no extractor found anything at all.
    """
    if not any(
        (script.get("type") or "").lower() == "application/ld+json"
        and script.text
        and _JSON_HOOKS_RE.search(script.text)
        for script in tree.iter("script")
    ):
        return ""
    bodies, _teasers = _collect_json_content(tree)
    texts = dict.fromkeys(t for t in map(_render_text, bodies) if t)  # pages embed blocks twice
    return "\n".join(texts)


_OG_ARTICLE = (
    '//meta[@property="og:type" or @name="og:type"]'
    '[starts-with(translate(@content, "ARTICLE", "article"), "article")]'
)
_JSONLD_ARTICLE = re.compile(
    r'"@type"\s*:\s*(?:\[[^\]]*)?"(?P<type>(?:News|Reportage|Analysis|Opinion|Review|Background|'
    r'Satirical|Scholarly|Tech)?Article|(?:Live)?BlogPosting)"'
)


def article_signal(tree: HtmlElement) -> str | None:
    """Where the page says it is an article (og:type, JSON-LD type, ``<article>``), or None.

    A short text on such a page is a brief (a wire flash, a one-paragraph update), not a
    fragment of something else.
    """
    if tree.xpath(_OG_ARTICLE):
        return "og:type article"
    for script in tree.iter("script"):
        if (script.get("type") or "").lower() == "application/ld+json" and script.text:
            if m := _JSONLD_ARTICLE.search(script.text):
                return f"JSON-LD {m['type']}"
    if next(tree.iter("article"), None) is not None:
        return "<article> element"
    return None
