"""Sentence-level site boilerplate: what scraped article text carries besides the article.

Paragraph-level rules live in :mod:`newsloom.extract.cleanup` (``boilerplate_reason``). Text that
reaches the similarity model is often one run-on block (aggregator copies, machine
translations, the SemEval-2022 Task 8 pages), where a cookie banner or a log-in prompt sits in
the same "paragraph" as the lead. Such sentences pull an embedding of the lead towards every
other page of the same site (two unrelated articles behind the same consent banner look alike)
and away from other reports of the same event.

:func:`split_sentences` cuts a text into sentences; :func:`boilerplate_sentence` says why one is
site furniture (cookie/consent and tracking notices, log-in/subscribe/paywall prompts, "enable
JavaScript" and broken-player notices, share/follow prompts, newsletter and alert prompts,
"click here" prompts, comment-form and error-report prompts, captcha pages, syndication
disclaimers, copyright lines); :func:`strip_boilerplate` drops those sentences and inline photo
credits ("Foto: Name/dpa", "© Reuters"), and drops a text whole when it is mostly log-in or
disclaimer sentences (a wall: the rest of it describes the wall). The patterns are phrases any
news site prints (second person, "our website", imperatives), in en, de, fr, es, it, pt, pl, tr,
ru, ar, nl; a sentence that merely mentions cookies or subscriptions as news survives because
it lacks those addressing phrases.

Hand-written regexes rather than a library: boilerplate removers (trafilatura, jusText) work on
HTML structure, which this text no longer has.
"""

from __future__ import annotations

import re

from newsloom.extract.cleanup import boilerplate_reason
from newsloom.extract.patterns import AGENCY_WORD_RE

_I = re.IGNORECASE | re.UNICODE
# The sentence rules below are written in lower case and matched against ``text.lower()``:
# three to four times faster than IGNORECASE matching of Unicode patterns in Python's re.
_L = re.UNICODE

# --- sentences -----------------------------------------------------------------------------------

# A sentence ends at . ! ? … (and the Arabic/CJK marks) followed by space, or glued to the next
# sentence's capital letter ("…Diplomaten mit.Die Polizei"), or at a line break / run of spaces
# (scraped pages join blocks with them). Abbreviations ("Dr. Smith", "U.S. troops") cost a
# spurious cut at worst, harmless for both uses here.
_SENT_END = re.compile(
    r"(?<=[.!?…؟。！？])[\"'”’»)\]]*\s+"
    r"|(?<=[a-zà-ÿß]{2}[.!?])(?=[A-ZÀ-ÞĀ-Ž\u0400-\u042f\u0600-\u06ff])"
    r"|\s*\n\s*|\s{2,}"
)
_MAX_SENTENCE = 400  # longer runs (no punctuation at all) are cut at a word boundary


def split_sentences(text: str, max_chars: int = _MAX_SENTENCE) -> list[str]:
    """Sentences of ``text`` in order, whitespace-normalised, empty ones dropped; a "sentence"
    longer than ``max_chars`` (unpunctuated text) is cut into pieces at word boundaries."""
    out: list[str] = []
    for part in _SENT_END.split(text or ""):
        s = " ".join(part.split())
        while len(s) > max_chars:
            cut = s.rfind(" ", 0, max_chars)
            cut = cut if cut > max_chars // 2 else max_chars
            out.append(s[:cut].strip())
            s = s[cut:].strip()
        if s:
            out.append(s)
    return out


# --- what a site prints around the article -------------------------------------------------------

_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "cookie/consent notice",
        re.compile(
            # cookies named with a verb of use/acceptance or the site/browser they live in
            r"(?:cookie|çerez|ciasteczk|куки).{0,120}?(?:\buse|\bus(?:ed|ing)\b|accept|consent|agree|"
            r"setting|polic|verwend|nutz|einverstanden|zustimm|akzeptier|benötigt|utilis|"
            r"usamos|utiliza|utilizz|acconsent|kullan|faydalan|izin|używa|wykorzyst|zgod|"
            r"использ|gebruik|toestemm|ملفات|website|webseite|\bsite|browser|navigat|third[- ]part)"
            r"|(?:third[- ]party|analytics|tracking|advertising) cookies"
            r"|(?:if|when) you continue (?:without|to (?:use|browse)|using|browsing)"
            r"|(?:we|our partners|this (?:web)?site) (?:and our partners )?(?:use|collect|process)s? "
            r"(?:technical|personal|anonymi[sz]ed|your)?\s*(?:data|information|cookies)"
            r"|(?:by|if you) (?:continu(?:e|ing)|keep) (?:to )?(?:brows|us)(?:e|ing) (?:this|our|the) (?:web)?site"
            r"|(?:our|see|read) privacy (?:policy|notice|statement|settings)|privacy notice"
            r"|(?:um (?:die|das) )?(?:funktion|nutzung|nutzererlebnis) (?:unserer|der) (?:web)?(?:seite|site|website)"
            r"|(?:unsere[rn]?|die(?:se)?) (?:web)?(?:seite|website|internetauftritt)\b.{0,80}?"
            r"(?:verwende|nutz|cookies|benutzerfreundlich|optimal|zu verbessern)"
            r"|(?:sammeln|erheben|verarbeiten) wir .{0,60}?(?:daten|informationen)"
            r"|(?:personenbezogenen?|persönliche) daten .{0,80}?(?:übermittelt|verarbeit|weitergegeben)"
            r"|(?:verarbeitung|nutzung) (?:ihrer|deiner) (?:persönlichen|personenbezogenen)"
            r"|processing of your (?:personal )?data|traitement de vos données|"
            r"tratamiento de (?:sus|tus) datos|trattamento dei (?:suoi|tuoi) dati"
            r"|(?:accept|akzeptieren|accepter|aceptar|accetta|kabul et)\w* (?:and|und|et|y|e|ve) "
            r"(?:close|schließen|fermer|cerrar|chiudi|kapat)"
            r"|(?:ihre|deine) (?:einwilligung|zustimmung) .{0,60}(?:widerruf|erteil|jederzeit)"
            r"|datenschutz(?:erklärung|bestimmungen|richtlinien?|hinweise?|einstellungen)"
            r"|nähere informationen finden sie|externen anbieters? (?:geladen|eingebunden)"
            r"|en (?:poursuivant|continuant) (?:votre )?navigation|politique de confidentialité"
            r"|données personnelles|vous acceptez (?:l'utilisation|les)"
            r"|(?:al |si )(?:continuar|continúa|continua|sigue|sigues) navegando|política de (?:privacidad|cookies)"
            r"|proseguendo (?:la )?navigazione|informativa (?:sulla )?(?:privacy|cookie)"
            r"|(?:ao )?continuar (?:a )?navegar|política de privacidade"
            r"|gizlilik politika|kişisel veriler|kvkk|aydınlatma metni"
            r"|polityk[aię] prywatności|przetwarzani[ae] danych|rodo\b"
            r"|политик[аиу] конфиденциальности|персональных данных"
            r"|سياسة الخصوصية|ملفات تعريف الارتباط"
            r"|privacybeleid|privacyverklaring",
            _L,
        ),
    ),
    (
        "log-in/subscribe prompt",
        re.compile(
            r"\b(?:sign|log) ?(?:in|up) (?:to|for|now|here|with)\b|\bcreate (?:an|your) (?:free )?account"
            r"|already (?:a )?(?:subscriber|member|registered)|(?:to )?continue reading"
            r"|(?:subscribe|subscription|subscribers?) (?:now|today|to (?:read|continue|access|unlock))"
            r"|(?:only|exclusively) (?:available )?(?:to|for) (?:our )?(?:subscribers|members)"
            r"|(?:get|start) (?:an? )?(?:annual |monthly )?(?:digital )?subscription"
            r"|thank you for (?:subscribing|registering|signing up)|invalid e-?mail|(?:view|see) offers?"
            r"|support (?:local|independent) journalism"
            r"|(?:noch nicht|bereits) (?:bei|registriert|abonnent)"
            r"|jetzt (?:kostenlos )?(?:registrieren|anmelden|abonnieren|testen|weiterlesen)"
            r"|kommentar-profil|pflichtfeld|netiquette|melden sie sich (?:an|hier)|loggen sie sich"
            r"|(?:abo|abonnement) (?:abschließen|lesen)"
            r"|um (?:den|diesen) (?:ganzen )?artikel (?:zu lesen|weiterzulesen)"
            r"|veuillez vous (?:connecter|identifier|inscrire)|connectez-vous|inscrivez-vous|abonnez-vous"
            r"|(?:accès|accéder) (?:aux|à l'|à nos) (?:archives|articles|contenus?)"
            r"|réservé aux abonnés|contenu abonné|(?:continuer|poursuivre) (?:à|la) lecture"
            r"|champs obligatoires|pourquoi (?:devrais-je|dois-je|m'inscrire)"
            r"|inicia(?:r)? sesión|suscr[ií]b(?:ete|ase|irse)|reg[ií]str(?:ate|ese)"
            r"|exclusivo para (?:suscriptores|socios)"
            r"|bandeja de entrada|(?:accedi|registrati|abbonati) (?:per|ora|subito|al)\b|iscriviti"
            r"|riservato agli abbonati|casella di posta|inscreva-se|assine (?:já|agora)|faça login"
            r"|zaloguj się|zarejestruj się|wykup (?:dostęp|subskrypcj|prenumerat)"
            r"|(?:giriş yap|üye ol|abone ol)(?:ın|un)?\b"
            r"|войдите|зарегистрируйтесь|подпишитесь|авторизуйтесь"
            r"|سجل الدخول|اشترك (?:الآن|في)|inloggen|log in om"
            # what a log-in wall or a subscription pitch says about itself
            r"|une fois connecté|utilisateurs (?:enregistrés|inscrits)|registered users"
            r"|(?:als )?registrierte[rn]? (?:nutzer|leser)"
            r"|(?:your|la tua|la vostra|votre|tu|ihr|ваша) (?:subscription|iscrizione|abonnement|suscripción|abo|"
            r"подписка)\b.{0,60}(?:fund|financ|finanzi|позволя|ermöglich|permet|permite)"
            r"|support(?:ing)? (?:real|quality) journalism|sostenere il vero giornalismo",
            _L,
        ),
    ),
    (
        "newsletter/alerts prompt",
        re.compile(
            r"(?:newsletter|infolettre|boletín|boletim|рассылк|bülten).{0,80}?(?:sign|subscri|get|join|receive|"
            r"register|enter|iscriv|inscri|abonn|suscr|recib|receb|ricev|recev|erhalt|bestell|"
            r"подпиш|abone)"
            r"|(?:sign|subscri|get|join|iscriv|inscri|abonn|suscr|bestell|подпиш).{0,60}?"
            r"(?:newsletter|infolettre|boletín|boletim|рассылк|bülten)"
            r"|(?:sign up|subscribe|get|receive|send)\b.{0,40}\balerts\b|(?:in|to) your inbox"
            r"|ne (?:ratez|manquez) (?:aucun|plus|rien).{0,60}alerte",
            _L,
        ),
    ),
    (
        "script/player notice",
        re.compile(
            r"(?:enable|activate|turn on|aktivieren|activez|activer|habilit|attiva|włącz|etkinleştir|включите)"
            r".{0,30}javascript|javascript (?:is )?(?:disabled|deaktiviert|désactivé|required|erforderlich)"
            r"|your browser (?:does not|doesn't|is not)|(?:update|upgrade) your browser"
            r"|browser (?:wird nicht|unterstützt)|navigateur (?:ne|n'est)|rafraîchir votre navigateur"
            r"|video (?:has )?(?:could not|couldn't|failed to) (?:be )?load|vidéo n'a pas pu|(?:dieses|das) video"
            r" (?:kann|konnte) nicht"
            r"|ziel speichern unter|rechten maustaste|right-click"
            r"|tap here to see other videos|(?:try )?refresh(?:ing)? your browser",
            _L,
        ),
    ),
    (
        "share/follow prompt",
        re.compile(
            r"\bfollow (?:us|him|her|them|me) on\b"
            r"|^\W*(?:please |kindly )?(?:follow|like) .{0,60}?\bon (?:twitter|facebook|instagram|telegram|"
            r"tiktok|youtube|linkedin)"
            r"|share (?:this|on (?:facebook|twitter|whatsapp))|folgen sie (?:uns|\S+) auf"
            r"|suivez(?:-nous)? (?:sur|@)|sígue(?:nos)? en"
            r"|siga(?:-nos)? (?:[\w.]+ )?(?:en|no|nas?) (?:twitter|facebook|instagram)"
            r"|seguici su|obserwuj (?:nas|nasz)|bizi takip edin|takip edin|подписывайтесь на наш"
            r"|تابعونا|volg ons",
            _L,
        ),
    ),
    (
        "error/tip-off form",
        re.compile(
            r"kontaktieren sie uns|fehler (?:gefunden|melden)|contact us|report (?:an? )?(?:error|typo|correction)"
            r"|signaler une erreur|contactez-nous|contáctenos|contattaci|segnala (?:un )?errore"
            r"|kommentare geben .{0,40}meinung|comments? (?:are|is) (?:closed|moderated)"
            r"|(?:leave|post) a comment|redaktioneller hinweis",
            _L,
        ),
    ),
    (
        "click/read-more prompt",
        re.compile(
            # short sentences only: a long one that says "click here" carries article text too
            r"^(?=.{0,160}$).*?(?:\bclick here\b|cliquez ici|klicken sie hier|haga clic aquí|clicca qui"
            r"|kliknij tutaj)"
            r"|visit \S+(?: \S+){0,3} homepage|visita la home page"
            r"|(?:lesen|finden) sie (?:hier|hier mehr)\W*$"
            r"|^(?:weitere|mehr) (?:nachrichten|artikel|infos)\b.{0,60}\bhier\W*$",
            _L,
        ),
    ),
    (
        "disclaimer",
        re.compile(
            # syndication networks' disclaimers (MENAFN, Zawya: "provides the information 'as is'")
            r"[\"“”'‘’]\s*as is\s*[\"“”'‘’]\s*without|without (?:any )?warrant(?:y|ies) of any kind"
            r"|كما هي.{0,5} (?:دون|بدون) (?:أي )?(?:تعهدات|ضمانات)|إخلاء (?:ل)?مسؤولي|مزود المقال"
            r"|alle angaben ohne gewähr",
            _L,
        ),
    ),
    (
        "captcha/blocked page",
        re.compile(
            r"not a robot|nie jestem robotem|kein roboter|pas un robot|no soy un robot"
            r"|(?:your|twój|ihre) (?:ip|adres ip)|adres(?:u|ie)? ip\b|access denied|zugriff verweigert",
            _L,
        ),
    ),
    (
        "copyright line",
        re.compile(
            r"all rights reserved|alle rechte vorbehalten|tous droits réservés|todos los derechos reservados"
            r"|tutti i diritti riservati|todos os direitos reservados|wszelkie prawa zastrzeżone"
            r"|tüm hakları saklıdır|все права защищены|جميع الحقوق محفوظة"
            r"|may not be (?:published|reproduced|broadcast|rewritten|redistributed)"
            r"|(?:nachdruck|vervielfältigung) .{0,40}(?:untersagt|verboten|nur mit)",
            _L,
        ),
    ),
)

# Banner and prompt sentences are short; a longer one that matches a rule is more likely news
# that discusses the subject (a paywall law, a privacy ruling), so past this length only
# cleanup's paragraph rules (boilerplate_reason) apply.
_MAX_BOILERPLATE_CHARS = 500

# Inline furniture removed from inside sentences (it is often glued to the caption or to the
# next sentence: "… Lorz. Foto: Frank Rumpenhorst/dpa Jetzt teilen: Wiesbaden - …").
_FURNITURE = re.compile(
    r"\+\+\+[^+]{0,40}\+\+\+|\bimage \d+ of\s*/?\s*\d+|\bcaption close\b|\bback to gallery\b"
    r"|\bin dieser galerie:?\s*\d+ bilder?|\brubriklistenbild:?|\b(?:jetzt teilen|teilen sie jetzt)\b:?"
    r"|\b(?:kindly )?share this(?: story| too| article)?\b:?|\bview offers?\b|\bback to video\b"
    r"|اشترك لتصلك أهم الأخبار",
    _I,
)
# Where a photo credit starts: a label ("Foto:", "(Image source:", "Bild:") or a © sign.
_CREDIT_START = re.compile(
    r"\(?\b(?:foto|photo|bild|fotó|zdjęcie|fot|fotoğraf|image|picture|credit|crédit|crédito|quelle|"
    r"source|фото|صورة)s?(?: source)?\s*:\s*|\(?(?:copyright\s*)?©\s*(?:(?:quelle|foto|photo)\s*:\s*)?",
    _I,
)
_CREDIT_MAX_TOKENS = 5


def _is_agency(token: str) -> bool:
    return bool(AGENCY_WORD_RE.fullmatch(token.strip("()[].,;:")))


def _credit_length(tokens: list[str]) -> int:
    """How many of ``tokens`` (what follows a credit label) belong to the credit. A credit is a
    few names and agencies joined by "/", "via" or ","; it ends at an agency after a slash
    ("Name/dpa"), at a closing parenthesis, or before a capitalised word that starts a sentence
    (followed by a lower-case word: "Pixabay New research …" keeps "New research …") or a
    dateline ("… /dpa Wien – …"); at most five tokens."""
    n = 0
    for i, tok in enumerate(tokens[:_CREDIT_MAX_TOKENS]):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        word = tok.strip("(\"'„“")
        if not word:
            break
        if tok.endswith(")"):
            return i + 1
        connector = word.lower() in ("/", "via", "|", "and", "und", "for")
        # "picture alliance/dpa": lower-case words belong to a credit that a slash continues.
        slash_ahead = any("/" in x for x in tokens[i : i + 3])
        if not (connector or slash_ahead or word[0].isupper() or word[0].isdigit() or _is_agency(word)):
            break
        if word[0].isupper() and "/" not in word and (nxt[:1].islower() or nxt in ("-", "–", "—")):
            break  # the next sentence, or a dateline ("Wien – …"), starts here
        n = i + 1
        last = word.rsplit("/", 1)[-1]
        if ("/" in word and _is_agency(last)) or (i > 0 and _is_agency(word) and tokens[i - 1].endswith("/")):
            break
    return n


def _strip_credits(s: str) -> str:
    out, pos = [], 0
    for m in _CREDIT_START.finditer(s):
        if m.start() < pos:
            continue
        rest = s[m.end():]
        tokens = rest.split()
        k = _credit_length(tokens)
        if k == 0 and not m.group(0).lstrip("(").startswith(("©", "copyright", "Copyright")):
            continue  # "Source: ..." not followed by a name: leave the text alone
        out.append(s[pos:m.start()])
        # advance past k tokens of the rest
        end = m.end()
        for tok in tokens[:k]:
            end = s.index(tok, end) + len(tok)
        pos = end
    out.append(s[pos:])
    return "".join(out)


# Whole-sentence buttons of consent banners and log-in boxes (cleanup's LABEL_RE has the
# navigation/share ones).
_BUTTON = re.compile(
    r"(?:learn|read|find out) more|more info(?:rmation)?|ok(?:ay)?|got it|accept(?: all)?|i agree|close|x"
    r"|mehr (?:erfahren|informationen)|weitere informationen|alle akzeptieren|akzeptieren|schließen"
    r"|en savoir plus|j'accepte|tout accepter|fermer|más información|aceptar|acepto|cerrar"
    r"|ulteriori informazioni|accetta(?: tutti)?|chiudi|saiba mais|aceitar|daha fazla bilgi|tamam|kabul et"
    r"|dowiedz się więcej|akceptuję|zamknij|подробнее|принять|закрыть|المزيد|موافق"
    r"|sign (?:up|in)|log ?in|subscribe(?: now)?|register|article content|apprendre (?:encore )?plus",
    _L,
)


def boilerplate_sentence(sentence: str) -> str | None:
    """Why ``sentence`` is site boilerplate rather than article text, or None."""
    s = sentence.strip()
    if not s:
        return None
    reason = boilerplate_reason(s)
    if reason:
        return reason
    if len(s) <= 40 and _BUTTON.fullmatch(s.strip(" .!:»›>|*-–—\u00a0").lower()):
        return "banner button"
    if len(s) > _MAX_BOILERPLATE_CHARS:
        return None
    low = s.lower()
    for name, rx in _RULES:
        if rx.search(low):
            return name
    return None


def boilerplate_start(text: str) -> int | None:
    """Where the first boilerplate phrase in ``text`` begins (see :func:`boilerplate_sentence`
    for the kinds), or None: for cutting a headline that a scraper glued to a banner."""
    low = text.lower()
    # str.lower() keeps positions except for a few characters ("İ" -> "i̇"); map back by ratio.
    starts = [m.start() for _, rx in _RULES if (m := rx.search(low))]
    if starts and len(low) != len(text):
        return min(round(st * len(text) / len(low)) for st in starts)
    return min(starts) if starts else None


# Substrings without which _FURNITURE cannot match: most sentences skip the regex.
_FURNITURE_HINTS = ("+++", "image", "caption", "gallery", "galerie", "rubriklistenbild", "teilen", "share", "offer",
                    "back to video", "اشترك")


def strip_inline(sentence: str) -> str:
    """``sentence`` without inline photo credits, share labels and gallery furniture."""
    low = sentence.lower()
    if any(h in low for h in _FURNITURE_HINTS):
        sentence = _FURNITURE.sub(" ", sentence)
    if ":" in sentence or "©" in sentence:
        sentence = _strip_credits(sentence)
    return " ".join(sentence.split())


# Sentences past this many characters of input are kept unchecked: the embeddings read only the
# lead, and checking costs ~2 ms per 1,000 characters.
DEFAULT_CHECK_CHARS = 4000


# A text whose checked sentences are mostly boilerplate, several of them log-in, paywall,
# captcha or disclaimer sentences, is a wall standing in for the article, and its other
# sentences describe the wall ("La Mittelbayerische propose plusieurs millions d'articles sur
# son site"): nothing of it is kept. A consent banner alone does not make a wall: it sits above
# the article, and a short lead under a long banner must survive. Of the 3,083 distinct
# SemEval-2022 dev and Wikinews texts this empties one that kept text before (a French log-in
# wall: 8 of its 11 sentences are prompts, the other 3 describe the archive behind it).
# ("sign-up prompt": the page cleanup's name for a line that opens by asking the reader to sign up)
_WALL_KINDS = frozenset({"log-in/subscribe prompt", "sign-up prompt", "captcha/blocked page", "disclaimer"})
_WALL_MIN_SENTENCES = 4
_WALL_SHARE = 2 / 3


def clean_sentences(text: str, check_chars: int | None = DEFAULT_CHECK_CHARS) -> list[str]:
    """The sentences of ``text`` that are article text: boilerplate sentences dropped, inline
    credits removed, fragments left with no letters dropped; none at all for a wall page (see
    _WALL_SHARE). Sentences that start past ``check_chars`` characters (None: no limit) are kept
    as they are."""
    out = []
    seen = checked = dropped = walled = 0
    for s in split_sentences(text):
        seen += len(s) + 1
        if check_chars is not None and seen - len(s) > check_chars:
            out.append(s)
            continue
        s = strip_inline(s)
        if not any(ch.isalpha() for ch in s):
            continue
        checked += 1
        reason = boilerplate_sentence(s)
        if reason is None:
            out.append(s)
        else:
            dropped += 1
            walled += reason in _WALL_KINDS
    if walled >= _WALL_MIN_SENTENCES and dropped >= _WALL_SHARE * checked:
        return []  # a log-in wall or disclaimer page: what is left is the wall's text
    return out


def strip_boilerplate(text: str, check_chars: int | None = DEFAULT_CHECK_CHARS) -> str:
    """``text`` with boilerplate sentences and inline credits removed, sentences joined by a
    space (what the embeddings, entities and signals then read). Text with none comes back
    whitespace-normalised. See :func:`clean_sentences` for ``check_chars``."""
    return " ".join(clean_sentences(text, check_chars))
