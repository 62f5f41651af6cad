"""Direct quotations and who said them, in en/es/pt/fr/de/it/nl/ru.

Quote marks differ by language and typesetter: “…” ‘…’ "…" «…» „…“ ‚…‘ »…« 「…」, plus the
Russian dialogue dash (— Мы не уйдём, — сказал он). English runs one quotation over several
paragraphs by opening each with “ and closing only the last; that is one quote here.

The speaker is found the way a reader does it, with cheap rules rather than a parser: a speech verb
next to the quote ("…,” Rudenko said / said Rudenko / “…”, disse o ministro, Oleksii Reznikov /
Igor Rudenko told reporters that “…” / according to X, “…” / “…” — Name), the nearest person
name from :mod:`newsloom.analyse.entities`, and "he said" resolved to the last person who was the
subject of a sentence. Quotes of one to three words are scare quotes and are dropped; quotes
nobody is credited with are kept with ``speaker=None``.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

from newsloom.analyse.entities import Mention, _lang_key, mentions
from newsloom.errors import AnalyseError

MIN_WORDS = 4  # fewer words is a scare quote or a title, not a quotation


@dataclass(frozen=True)
class Quote:
    text: str
    speaker: str | None  # full name when the text gives one ("Igor Rudenko"), else None
    lang: str | None
    start: int  # offset of the opening quote mark in the input text
    verb: str | None = None  # the speech verb or preposition that credits the speaker

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- speech verbs ---------------------------------------------------------------------------

_VERBS: dict[str, str] = {
    "en": "said say says told tells added adds warned warns stated explained explains noted asked "
          "replied wrote writes insisted argued claimed declared announced urged continued recalled "
          "admitted acknowledged stressed emphasised emphasized commented tweeted concluded "
          "complained suggested confirmed promised vowed cautioned observed remarked apologised "
          "apologized begged pleaded shouted cried added: 'pointed out' 'went on'",
    "es": "dijo dice afirmó afirma declaró declara aseguró asegura explicó explica añadió agregó "
          "señaló señala indicó indica advirtió comentó manifestó subrayó destacó sostuvo insistió "
          "reconoció preguntó respondió escribió apuntó precisó expresó admitió anunció denunció "
          "relató contó aseveró",
    "pt": "disse diz afirmou afirma declarou declara explicou acrescentou destacou ressaltou "
          "salientou garantiu assegurou comentou alertou advertiu reconheceu perguntou respondeu "
          "escreveu apontou frisou sublinhou contou relatou narra narrou anunciou admitiu",
    "fr": "dit déclare affirme ajoute explique souligne indique précise estime assure confie lance "
          "poursuit martèle insiste prévient 'a dit' 'a déclaré' 'a affirmé' 'a ajouté' 'a expliqué' "
          "'a souligné' 'a indiqué' 'a précisé' 'a estimé' 'a assuré' 'a averti' 'a insisté' "
          "'a reconnu' 'a confié' 'a lancé' 'a écrit' 'a répondu' 'a annoncé' 'a martelé' "
          "'a poursuivi' 'a-t-il dit' 'a-t-elle dit' 'a-t-il déclaré' 'a-t-elle déclaré' "
          "'a-t-il ajouté' 'a-t-elle ajouté' 'a-t-il expliqué' 'a-t-elle expliqué' dit-il dit-elle "
          "ajoute-t-il ajoute-t-elle explique-t-il explique-t-elle",
    "de": "sagte sagt erklärte erklärt betonte betont meinte meint warnte warnt schrieb schreibt "
          "kritisierte forderte versicherte bestätigte berichtete ergänzte fügte 'hieß es' "
          "so",
    "it": "dice afferma dichiara aggiunge spiega sottolinea precisa osserva commenta avverte "
          "ribadisce scrive risponde annuncia conclude assicura 'ha detto' 'ha dichiarato' "
          "'ha affermato' 'ha aggiunto' 'ha spiegato' 'ha sottolineato' 'ha precisato' "
          "'ha osservato' 'ha commentato' 'ha avvertito' 'ha ribadito' 'ha scritto' "
          "'ha risposto' 'ha annunciato' 'ha concluso' 'ha assicurato' 'ha raccontato'",
    "nl": "zei zegt verklaarde stelde waarschuwde schreef benadrukte aldus 'voegde toe'",
    "ru": "сказал сказала сказали заявил заявила заявили отметил отметила отметили добавил "
          "добавила подчеркнул подчеркнула пояснил пояснила сообщил сообщила написал написала "
          "рассказал рассказала признал признала предупредил предупредила говорит считает "
          "уверен уверена",
}
# Prepositions that put the speaker right after them: "according to X, “…”".
_PREPS: dict[str, str] = {
    "en": "'according to'", "es": "según", "pt": "segundo conforme 'de acordo com'",
    "fr": "selon 'd'après'", "de": "laut", "it": "secondo", "nl": "volgens",
    "ru": "'по словам' 'по мнению' 'как заявил' 'как сказал'",
}
_PRONOUNS = {"he", "she", "they", "él", "ella", "ele", "ela", "il", "elle", "er", "sie", "lui",
             "lei", "hij", "zij", "ze", "он", "она", "они", "t-il", "t-elle", "dit-il",
             "dit-elle"}


def _alternation(spec: str) -> list[str]:
    return [w.strip("'") for w in re.findall(r"'[^']+'|\S+", spec)]


@lru_cache(maxsize=16)
def _verb_re(lang: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    langs = [lang] if lang in _VERBS else list(_VERBS)
    verbs = sorted({v for la in langs for v in _alternation(_VERBS[la])}, key=len, reverse=True)
    preps = sorted({p for la in langs for p in _alternation(_PREPS[la])}, key=len, reverse=True)
    def alt(words: list[str]) -> re.Pattern[str]:
        return re.compile(r"(?<![\w-])(" + "|".join(re.escape(w) for w in words) + r")(?![\w])",
                          re.IGNORECASE)
    return alt(verbs), alt(preps)


# --- quote spans ----------------------------------------------------------------------------

_PAIRS = {"“": "”", "„": "“”", "«": "»", "‘": "’", "‚": "‘’", "「": "」", "『": "』", '"': '"',
          "»": "«"}
_MARKS = re.compile("[" + re.escape("".join(_PAIRS)) + "]")
_OPENING_CONTEXT = " \t\n\u00a0([{:;,—–-…\"'“‘«»„‚"
_DASH_LINE = re.compile(r"^[ \t]*[—–―][ \u00a0]+(?P<q>[^\n]+?),?[ \u00a0]+[—–―][ \u00a0]+"
                        r"(?P<a>[^\n]+)$", re.M)


def _is_opening(text: str, i: int, c: str) -> bool:
    nxt = text[i + 1: i + 2]
    if not nxt or nxt.isspace() and c not in "«„":
        return False
    if c in "‘\"»" and i and text[i - 1] not in _OPENING_CONTEXT:
        return False  # an apostrophe (don’t), a closing straight quote or a French closer
    if c == "»" and not nxt.isalnum():
        return False
    return True


def _find_close(text: str, i: int, c: str) -> tuple[int, list[int]] | None:
    """Offset of the mark closing the quote opened at ``i``, and offsets of continuation marks."""
    closers = _PAIRS[c]
    cont: list[int] = []
    j, n, limit = i + 1, len(text), i + 3000
    while j < n and j < limit:
        ch = text[j]
        if ch in closers and j > i + 1:
            after = text[j + 1: j + 2]
            at_line_start = c == '"' and text[j - 1] == "\n"
            if not (c == "‘" and after.isalpha()) and not at_line_start:
                return j, cont
        if ch == "\n":
            k = j
            while k < n and text[k] in "\n \t\u00a0":
                k += 1
            if k < n and text[k] == c:  # next paragraph reopens: one quote over paragraphs
                cont.append(k)
                j = k + 1
                continue
            # A quotation may run over a line break (one sentence per line) if it closes
            # before another opens; otherwise it was never closed: end it at the paragraph.
            rest = text[j: min(n, j + 600)]
            close_at = min((p for p in (rest.find(x) for x in closers) if p > 0), default=-1)
            open_at = rest.find(c) if c not in closers else -1
            if close_at < 0 or (0 <= open_at < close_at) or "\n\n" in rest[:close_at]:
                return (j, cont) if cont else None
        j += 1
    return None


def _spans(text: str) -> list[tuple[int, int, str]]:
    """(opening offset, closing offset, quoted text) for every quotation mark pair."""
    out: list[tuple[int, int, str]] = []
    done = -1
    for mark in _MARKS.finditer(text):
        i, c = mark.start(), mark.group()
        if i <= done or not _is_opening(text, i, c):
            continue
        found = _find_close(text, i, c)
        if found:
            end, cont = found
            body, pos = [], i + 1
            for k in cont:
                body.append(text[pos:k])
                pos = k + 1
            body.append(text[pos:end])
            q = re.sub(r"[ \t\u00a0]*\n\s*", "\n", "".join(body)).strip(" \t\n\u00a0,")
            out.append((i, end, q))
            done = end
    for m in _DASH_LINE.finditer(text):  # — Мы не уйдём, — сказал он.
        if not any(s <= m.start() <= e for s, e, _ in out):
            out.append((m.start("q") - 2, m.end("q"), m.group("q").strip()))
    return sorted(out)


# --- attribution ----------------------------------------------------------------------------

_SENT_BREAK = re.compile(r"[.!?…]+[\"”’»]?(?=\s)|\n")
_ATTRIB_DASH = re.compile(r"^[\s,.]*[—–―]\s*")


def _sentence_before(text: str, start: int, floor: int) -> int:
    """Offset where the sentence holding ``start`` begins (not before ``floor``)."""
    lo = max(floor, start - 400)
    last = lo
    for m in _SENT_BREAK.finditer(text, lo, start):
        last = m.end()
    return last


def _sentence_after(text: str, end: int, ceil: int) -> int:
    m = _SENT_BREAK.search(text, end + 1, min(ceil, end + 400))
    return m.start() if m else min(ceil, end + 400, len(text))


class _Speakers:
    """Person names of one text: full forms, and who was last the subject of a sentence."""

    def __init__(self, text: str, ments: list[Mention], spans: list[tuple[int, int, str]]):
        self.text = text
        self.ments = [m for m in ments if not any(s < m.start < e for s, e, _ in spans)]
        self.full: dict[str, str] = {}
        for m in self.ments:
            if m.type == "PER" and len(m.text.split()) > len(self.full.get(m.key, "").split()):
                self.full[m.key] = m.text

    def name(self, m: Mention) -> str:
        return self.full.get(m.key, m.text) if m.type == "PER" else m.text

    def within(self, lo: int, hi: int) -> list[Mention]:
        return [m for m in self.ments if lo <= m.start and m.end <= hi]

    def last_subject(self, before: int) -> str | None:
        """The last person who opened a sentence before ``before``: what "he said" refers to."""
        best = None
        for m in self.ments:
            if m.start >= before:
                break
            if m.type == "PER":
                lead = self.text[_sentence_before(self.text, m.start, 0): m.start]
                appositive = self.text[m.start - 2: m.start] == ", " and self.text[m.end: m.end + 1] == ","
                if appositive or not re.search(
                        r"\w", re.sub(r"(?i)\b(mr|mrs|ms|dr|sr|sra|m|herr|frau)\b\.?", "", lead)):
                    best = m
        return self.name(best) if best else None


def _pick(cands: list[Mention], rightmost: bool) -> Mention | None:
    for kind in ("PER", "ORG"):
        pool = [m for m in cands if m.type == kind]
        if pool:
            return pool[-1] if rightmost else pool[0]
    return None


def _attribute(text: str, s: int, e: int, lo: int, hi: int, lang: str, who: _Speakers,
               last_speaker: str | None) -> tuple[str | None, str | None]:
    verbs, preps = _verb_re(lang)
    after_end = _sentence_after(text, e, hi)
    after = text[e + 1: after_end]
    # 1. After the quote: “…,” Rudenko said. / “…”, disse o ministro, Oleksii Reznikov. / “…” — Name
    v = verbs.search(after)
    if v and v.start() <= 60 and not re.search(r"[.!?]\s", after[: v.start()]):
        head = after[: v.start()].strip(" ,\u00a0—–-").casefold()
        tail = after[v.end():].lstrip(" \u00a0").split(" ", 1)[0].strip(",.").casefold()
        verb = v.group(1).casefold()
        if head in _PRONOUNS or re.search(r"-t-(il|elle)$|-(il|elle)$", verb) or \
                (not head and tail in _PRONOUNS):
            return who.last_subject(s) or last_speaker, verb
        m = _pick(who.within(e + 1, after_end), rightmost=False)
        if m:
            return who.name(m), verb
    d = _ATTRIB_DASH.match(after)
    if d:
        m = _pick(who.within(e + 1 + d.end(), min(after_end, e + 1 + d.end() + 80)), False)
        if m and m.start <= e + 1 + d.end() + 1:
            return who.name(m), None
    # 2. Before the quote, in the same sentence: Igor Rudenko told reporters that his “…”
    b_start = _sentence_before(text, s, lo)
    before = text[b_start: s]
    p = None
    for p in preps.finditer(before):
        pass
    if p:
        m = _pick(who.within(b_start + p.end(), s), rightmost=False)
        if m:
            return who.name(m), p.group(1).casefold()
    vs = list(verbs.finditer(before))
    if vs:
        v = vs[-1]
        m = _pick(who.within(b_start, b_start + v.start()), rightmost=True)
        if m:
            return who.name(m), v.group(1).casefold()
        lead = before[: v.start()].strip().split(" ")[-1].casefold() if before[: v.start()].strip() else ""
        first = before.strip().split(" ", 1)[0].casefold() if before.strip() else ""
        if lead in _PRONOUNS or first in _PRONOUNS:
            return who.last_subject(s) or last_speaker, v.group(1).casefold()
        m = _pick(who.within(b_start + v.end(), s), rightmost=False)  # "said X: “…”"
        if m:
            return who.name(m), v.group(1).casefold()
    if before.rstrip().endswith(":"):
        m = _pick(who.within(b_start, s), rightmost=True)
        if m:
            return who.name(m), None
    return None, None


def extract_quotes(text: str, lang: str | None = None) -> list[Quote]:
    """Direct quotations of ``text`` (4+ words), in order, each with its speaker when stated."""
    if not isinstance(text, str):
        raise AnalyseError(f"text={type(text).__name__}: expected str")
    lk = _lang_key(lang)
    spans = [sp for sp in _spans(text) if len(re.findall(r"\w+", sp[2])) >= MIN_WORDS]
    if not spans:
        return []
    who = _Speakers(text, mentions(text, lang), spans)
    out: list[Quote] = []
    last_speaker: str | None = None
    for k, (s, e, q) in enumerate(spans):
        lo = spans[k - 1][1] + 1 if k else 0
        hi = spans[k + 1][0] if k + 1 < len(spans) else len(text)
        speaker, verb = _attribute(text, s, e, lo, hi, lk, who, last_speaker)
        if text[s] not in _PAIRS and verb is None:
            continue  # a dash line with no speech verb is a list item, not dialogue
        out.append(Quote(q, speaker, lang, s, verb))
        last_speaker = speaker or last_speaker
    return out
