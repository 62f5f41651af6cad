"""Cheap cross-lingual signals: what survives translation nearly unchanged.

Numbers, names, dates, links and quotes are mostly written the same way in every Latin-script
language (and numbers in every script), so their overlap tells "same event" apart from "same
topic" where embeddings blur the two. Everything here is a few regexes per article (~1 ms).

Hand-written rather than an NER/number-parsing library because we need only normalised sets of
tokens for overlap, in 15+ languages, at no model cost; entity extraction proper lives in
``newsloom.analyse.entities``.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field

from newsloom.analyse.translit import to_latin

# --- normalisation ----------------------------------------------------------------------------

def fold(s: str) -> str:
    """Casefold, strip accents and write alphabetic scripts in Latin letters (the project's one
    transliteration, ``newsloom.analyse.translit``): "Müller"->"muller", "Путин"->"putin".
    Other scripts (Arabic, CJK, Thai...) pass through casefolded, without their combining
    marks (still matches same-script text)."""
    s = unicodedata.normalize("NFKD", to_latin(s))
    return "".join(ch for ch in s if not unicodedata.combining(ch))


# --- numbers ----------------------------------------------------------------------------------

# Letters that may touch a number in running text: Arabic script glues clitics and units to it
# ("لـ107", "بـ٦ مدن", "٢٤ساعة", "2020م"), Chinese, Japanese and Korean write units and counters
# against it ("2020年", "3人", "10월"). A Latin/Cyrillic/Greek letter next to digits makes a code
# ("A320", "MH17", "G7") that is not a quantity, so only those block a number.
_GLUED_SCRIPTS = (
    "\u0620-\u064a\u066e-\u06d3\u06d5\u06fa-\u06ff\u0750-\u077f\u08a0-\u08ff"  # Arabic, tatweel
    "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"  # kana, CJK ideographs, Hangul
)
_BLOCKING = rf"[^\W{_GLUED_SCRIPTS}]"
# 1,000 / 1.000 / 1 000 / 1'000 / 3,5 / 3.5 / 40% ; \d also matches Arabic-Indic and Persian
# digits, and the Arabic separators are read too: ٬ groups thousands, ٫ is the decimal point,
# ٪ the percent sign.
# Scale words after a number, by power of ten. Languages write one amount differently: "$16.6
# billion" (en) is "16.600 millones de $" (es), "16,6 milliards" (fr), "16,6 Milliarden" (de);
# without the scale they shared no number (16.6 vs 16600), and a Spanish translation failed the
# lineage test that its numbers match its original's (13 of 20 missed on MEANTIME). "billion"
# is 10^12 in the long-scale languages (de Billion, fr billion, nl biljoen, es billón...): see
# _LONG_SCALE.
_SCALES: tuple[tuple[int, str], ...] = (
    (9, r"mil millones|mil milhões|млрд\.?|миллиард(?:а|ов)?|milliards?|miliard(?:i|o|y|ów|a)?|milliarden?"
        r"|mrd\.?|miljard(?:en)?|bilh(?:ão|ões)|bn"),
    (12, r"trillions?|billones|billón|biljoen(?:en)?|bilion(?:e|i|y|ów)?|трлн\.?|триллион(?:а|ов)?"),
    (-9, r"billions?|billionen"),  # 10^9 in English, 10^12 in _LONG_SCALE languages
    (6, r"millions?|millones|millón|milion(?:e|i|y|ów)?|millionen|mio\.?|miljoen(?:en)?|mln\.?|млн\.?"
        r"|миллион(?:а|ов)?|milh(?:ão|ões)"),
    (3, r"thousands?|mil|mille|tausend|tsd\.?|duizend|тыс\.?|тысяч[аи]?"),
)
_SCALE_OF = [(re.compile(rf"(?:{alt})$", re.IGNORECASE), power) for power, alt in _SCALES]
_LONG_SCALE = frozenset({"de", "fr", "nl", "es", "it", "pl", "pt", "sv", "da", "no", "fi", "cs", "sk", "hu"})
_NUM = re.compile(
    rf"(?<!{_BLOCKING}|[.,\u066b\u066c])(\d{{1,3}}(?:[.,\u00a0\u202f' \u066c]\d{{3}})+|\d+)"
    rf"(?:([.,\u066b])(\d+))?(?!{_BLOCKING})\s*"
    r"(?:(%|\u066a|per ?cent|prozent|por ?ciento|pour ?cent|per ?cento|procent|процент"
    r"|بالمئة|بالمائة|في المئة|في المائة)"
    rf"|({'|'.join(alt for _, alt in _SCALES)})(?!\w))?",
    re.IGNORECASE,
)


def _ascii_digits(s: str) -> str:
    """Digits of any script as ASCII ("٢٥", "۲۵" -> "25"): one spelling per number, so an
    Arabic report and an English one share it."""
    return "".join(str(unicodedata.digit(c)) for c in s if c.isdigit())


def _scaled(token: str, scale: str, lang: str | None) -> str:
    """``token`` times its scale word, as a plain integer where it is one ("16.6" "billion" ->
    "16600000000")."""
    power = next((p for rx, p in _SCALE_OF if rx.match(scale)), 0)
    if power == -9:
        power = 12 if (lang or "").split("-")[0].lower() in _LONG_SCALE else 9
    whole, _, frac = token.partition(".")
    if len(frac) > power:
        return token  # more decimals than the scale has zeros: not a real-world amount
    return str(int(whole + frac.ljust(power, "0")))


def _number_token(int_part: str, sep: str | None, frac: str | None, pct: str | None) -> str | None:
    digits = re.sub(r"\D", "", int_part)
    if frac is not None:
        frac = _ascii_digits(frac)
    try:
        value = int(digits)  # int() reads any Unicode decimal digits
    except ValueError:
        return None
    if frac is not None:
        if sep != "\u066b" and len(frac) == 3 and re.fullmatch(r"\d{1,3}", int_part):
            # "1,000" / "1.000": a group separator in every language we meet, not a decimal.
            value = value * 1000 + int(frac)
            token = str(value)
        else:
            token = f"{value}.{frac.rstrip('0') or '0'}".rstrip(".")
            if token.endswith(".0"):
                token = token[:-2]
    else:
        token = str(value)
    if pct:
        return token + "%"
    return token


# Small counts ("two", "3 people") are everywhere; they say little about the event.
def _informative_number(token: str) -> bool:
    if token.endswith("%"):
        return True
    try:
        v = float(token)
    except ValueError:
        return False
    return v >= 13 or "." in token


def extract_numbers(text: str, lang: str | None = None) -> set[str]:
    """Normalised numbers: "1,000", "1.000" and "1 000" all give "1000"; "3,5" -> "3.5";
    "40 %" / "40 per cent" -> "40%"; with a scale word, the whole amount ("16.6 billion",
    "16.600 millones" -> "16600000000"; ``lang`` says what "billion" means). Numbers below 13
    (counts, clock hours) are dropped."""
    out = set()
    for m in _NUM.finditer(text):
        tok = _number_token(m.group(1), m.group(2), m.group(3), m.group(4))
        if tok and m.group(5):
            tok = _scaled(tok, m.group(5), lang)
        if tok and _informative_number(tok):
            out.add(tok)
    return out


def extract_years(numbers: set[str]) -> set[str]:
    return {n for n in numbers if n.isdigit() and 1900 <= int(n) <= 2099}


# --- dates ------------------------------------------------------------------------------------

_MONTHS: dict[str, int] = {}
for _m, _names in enumerate(
    [
        "january januar janvier enero gennaio januari styczen stycznia январь января ocak janeiro",
        "february februar fevrier febrero febbraio februari luty lutego февраль февраля subat fevereiro",
        "march marz mars marzo maart marzec marca март марта mart marco",
        "april avril abril aprile kwiecien kwietnia апрель апреля nisan",
        "may mai mayo maggio mei maj maja май мая mayis maio",
        "june juni juin junio giugno czerwiec czerwca июнь июня haziran junho",
        "july juli juillet julio luglio lipiec lipca июль июля temmuz julho",
        "august aout agosto augustus sierpien sierpnia август августа agustos",
        "september septembre septiembre settembre wrzesien wrzesnia сентябрь сентября eylul setembro",
        "october oktober octobre octubre ottobre oktober pazdziernik pazdziernika октябрь октября ekim outubro",
        "november novembre noviembre listopad listopada ноябрь ноября kasim novembro",
        "december dezember decembre diciembre dicembre grudzien grudnia декабрь декабря aralik dezembro",
    ],
    start=1,
):
    for _n in _names.split():
        _MONTHS[fold(_n)] = _m

_MONTH_ALT = "|".join(sorted((re.escape(k) for k in _MONTHS), key=len, reverse=True))
_DATE_DM = re.compile(rf"\b(\d{{1,2}})\.?\s*(?:de\s+)?({_MONTH_ALT})\b")
_DATE_MD = re.compile(rf"\b({_MONTH_ALT})\s+(\d{{1,2}})\b")
_DATE_NUM = re.compile(r"\b(\d{1,2})[./](\d{1,2})[./](?:19|20)?\d{2}\b|\b(?:19|20)\d{2}-(\d{2})-(\d{2})\b")


def extract_dates(text: str) -> set[str]:
    """Day-month mentions as "MM-DD": "24 April", "April 24", "24. April", "24 de abril",
    "24.04.2020", "2020-04-24" all give "04-24". The year is left out: it is often omitted."""
    folded = fold(text)
    out = set()
    for m in _DATE_DM.finditer(folded):
        d, mo = int(m.group(1)), _MONTHS[m.group(2)]
        if 1 <= d <= 31:
            out.add(f"{mo:02d}-{d:02d}")
    for m in _DATE_MD.finditer(folded):
        d, mo = int(m.group(2)), _MONTHS[m.group(1)]
        if 1 <= d <= 31:
            out.add(f"{mo:02d}-{d:02d}")
    for m in _DATE_NUM.finditer(folded):
        if m.group(1):
            d, mo = int(m.group(1)), int(m.group(2))
        else:
            mo, d = int(m.group(3)), int(m.group(4))
        if 1 <= d <= 31 and 1 <= mo <= 12:
            out.add(f"{mo:02d}-{d:02d}")
    return out


# --- names ------------------------------------------------------------------------------------

_WORD = re.compile(r"[^\W\d_][\w'’\-]*", re.UNICODE)
_SENT_START = re.compile(r"(?:^|[.!?:;\"«»“”„()\[\]|—–]\s*|\n)$")
# Capitalised function words that start clauses or titles in many languages.
_STOP = {
    fold(w)
    for w in (
        "the a an and but or in on at of for to by with from this that these those it he she we they "
        "his her its their there here when where while after before as if not no yes new "
        "der die das den dem des ein eine einer und oder aber in im am an auf aus bei mit nach von vor "
        "zu zum zur er sie es wir ihr sein seine nicht auch noch wie was wer wenn als "
        "el la los las un una y o pero en de del al con por para sin sobre tras este esta estos "
        "le les un une et ou mais dans du des au aux avec pour par sur sans ce cette ces il elle ils "
        "il lo gli i una e o ma nel nella con per su da dei delle questo questa "
        "het een en of maar met voor van op naar bij uit dit deze "
        "w i z na do od po dla to jest nie o "
        "в и на с по за из к от не что это как о "
        "bir ve ile bu da de için"
    ).split()
}


def _name_key(word: str) -> str | None:
    f = fold(word).strip("'’-")
    f = re.sub(r"['’].*$", "", f)  # possessive / clitic: "Trump's", "Merkel’in"
    if len(f) < 3 or f in _STOP:
        return None
    # A 6-letter prefix matches inflected forms (Trumpa, Merkels, Soleimanis) across languages.
    return f[:6]


def extract_names(text: str) -> tuple[set[str], set[str]]:
    """Capitalised tokens that do not start a sentence (folded, 6-letter prefixes) and
    multi-word names as adjacent pairs within runs of capitalised tokens ("vladim_putin"); pairs
    rather than whole runs, so "President Vladimir Putin" still meets "Vladimir Putin"."""
    tokens: set[str] = set()
    multi: set[str] = set()
    run: list[str] = []
    prev_end = 0
    for m in _WORD.finditer(text):
        w = m.group(0)
        gap = text[prev_end : m.start()]
        prev_end = m.end()
        is_cap = w[0].isupper() and not w.isupper() or (w.isupper() and 2 <= len(w) <= 6)
        sentence_start = bool(_SENT_START.search(text[max(0, m.start() - 3) : m.start()])) or m.start() == 0
        key = _name_key(w) if is_cap else None
        contiguous = gap.strip() == "" and "\n" not in gap
        if key and not sentence_start:
            tokens.add(key)
        if key and (contiguous or not run):
            run.append(key)
        else:
            multi.update(f"{x}_{y}" for x, y in zip(run, run[1:]))
            run = [key] if key else []
    multi.update(f"{x}_{y}" for x, y in zip(run, run[1:]))
    return tokens, multi


# --- links, handles, quotes ---------------------------------------------------------------------

_URL = re.compile(r"\bhttps?://([^\s/\"'<>)]+)|\bwww\.([^\s/\"'<>)]+)", re.IGNORECASE)
_HANDLE = re.compile(r"(?<!\w)[@#]([A-Za-z0-9_]{3,30})")
_QUOTE = re.compile(r"[\"“”„«»‹›「『]([^\"“”„«»‹›「」『』]{12,300})[\"“”„«»‹›」』]")


def extract_domains(text: str) -> set[str]:
    out = set()
    for m in _URL.finditer(text):
        host = (m.group(1) or m.group(2) or "").lower().rstrip(".,;:")
        if host.startswith("www."):
            host = host[4:]
        if "." in host:
            out.add(host)
    out |= {"@" + h.lower() for h in _HANDLE.findall(text)}
    return out


def extract_quotes(text: str) -> set[str]:
    """Quoted passages as folded word 3-gram shingles (a quote reused verbatim, same language)."""
    out = set()
    for q in _QUOTE.findall(text):
        words = re.findall(r"\w+", fold(q))
        out |= {" ".join(words[i : i + 3]) for i in range(max(0, len(words) - 2))}
    return out


# --- the bundle --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signals:
    """Normalised sets of cross-lingual tokens from one article (title + text)."""

    lang: str | None = None
    numbers: frozenset[str] = field(default_factory=frozenset)
    years: frozenset[str] = field(default_factory=frozenset)
    dates: frozenset[str] = field(default_factory=frozenset)
    names: frozenset[str] = field(default_factory=frozenset)
    multi_names: frozenset[str] = field(default_factory=frozenset)
    title_names: frozenset[str] = field(default_factory=frozenset)
    domains: frozenset[str] = field(default_factory=frozenset)
    quotes: frozenset[str] = field(default_factory=frozenset)


def extract_signals(title: str | None, text: str | None, lang: str | None = None) -> Signals:
    return _signals(title or "", text or "", lang)


# A new article's signals are asked twice in a row, by the clusterer's item and by lineage
# (~5 ms each, 20 % of `run`'s processing thread): the last few are kept. Signals are frozen.
@functools.lru_cache(maxsize=64)
def _signals(title: str, text: str, lang: str | None) -> Signals:
    whole = f"{title}\n{text}" if title else text
    numbers = extract_numbers(whole, lang)
    names, multi = extract_names(whole)
    tnames, _ = extract_names("\n" + title) if title else (set(), set())
    # Sentence-initial capitals in a title are usually the names themselves ("Trump says ...").
    if title:
        first = _WORD.search(title)
        k = _name_key(first.group(0)) if first and first.group(0)[0].isupper() else None
        if k:
            tnames.add(k)
            if lang != "de":  # German capitalises every noun; keep the filter there
                names.add(k)
    return Signals(
        lang=lang,
        numbers=frozenset(n for n in numbers if n not in extract_years(numbers)),
        years=frozenset(extract_years(numbers)),
        dates=frozenset(extract_dates(whole)),
        names=frozenset(names),
        multi_names=frozenset(multi),
        title_names=frozenset(tnames),
        domains=frozenset(extract_domains(whole)),
        quotes=frozenset(extract_quotes(whole)),
    )


def overlap(a: frozenset[str] | set[str], b: frozenset[str] | set[str], smooth: float = 1.0) -> float:
    """|A∩B| / (min(|A|,|B|) + smooth): 0 when either is empty; the smoothing keeps one lucky
    shared token between two near-empty sets from counting as full agreement."""
    if not a or not b:
        return 0.0
    return len(a & b) / (min(len(a), len(b)) + smooth)


SIGNAL_KINDS = ("numbers", "years", "dates", "names", "multi_names", "title_names", "domains", "quotes")


def signal_overlaps(a: Signals, b: Signals) -> dict[str, float]:
    """Per-kind overlap in [0, 1) for two articles (see :func:`overlap`)."""
    return {k: overlap(getattr(a, k), getattr(b, k)) for k in SIGNAL_KINDS}
