"""UI language: the message catalogue (en, pt, es, fr, de) and Babel-localised dates, numbers,
language and country names.

The catalogue is a Python dict rather than gettext .po files: about sixty short strings, no
build step, and a test checks that every language has every message.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, format_timedelta
from babel.numbers import format_decimal

UI_LANGS = ("en", "pt", "es", "fr", "de")
DEFAULT = "en"

# English source string -> (pt, es, fr, de)
_CATALOGUE: dict[str, tuple[str, str, str, str]] = {
    "Top stories": ("Principais histórias", "Historias principales", "À la une", "Top-Geschichten"),
    "Blindspots": ("Pontos cegos", "Puntos ciegos", "Angles morts", "Blinde Flecken"),
    "Search": ("Pesquisar", "Buscar", "Rechercher", "Suchen"),
    "Sources": ("Fontes", "Fuentes", "Sources", "Quellen"),
    "Skip to content": ("Ir para o conteúdo", "Saltar al contenido", "Aller au contenu", "Zum Inhalt"),
    "Language": ("Idioma", "Idioma", "Langue", "Sprache"),
    "Country": ("País", "País", "Pays", "Land"),
    "Source": ("Fonte", "Fuente", "Source", "Quelle"),
    "Time range": ("Período", "Periodo", "Période", "Zeitraum"),
    "Any": ("Qualquer", "Cualquiera", "Tous", "Alle"),
    "Filter": ("Filtrar", "Filtrar", "Filtrer", "Filtern"),
    "last 24 hours": ("últimas 24 horas", "últimas 24 horas", "dernières 24 heures", "letzte 24 Stunden"),
    "last 3 days": ("últimos 3 dias", "últimos 3 días", "3 derniers jours", "letzte 3 Tage"),
    "last 7 days": ("últimos 7 dias", "últimos 7 días", "7 derniers jours", "letzte 7 Tage"),
    "last 30 days": ("últimos 30 dias", "últimos 30 días", "30 derniers jours", "letzte 30 Tage"),
    "all time": ("todo o período", "todo el tiempo", "toute la période", "gesamter Zeitraum"),
    "sources": ("fontes", "fuentes", "sources", "Quellen"),
    "countries": ("países", "países", "pays", "Länder"),
    "languages": ("idiomas", "idiomas", "langues", "Sprachen"),
    "articles": ("artigos", "artículos", "articles", "Artikel"),
    "First seen": ("Visto primeiro", "Visto por primera vez", "Vu pour la première fois", "Zuerst gesehen"),
    "Last updated": ("Atualizado", "Actualizado", "Mis à jour", "Aktualisiert"),
    "Next page": ("Página seguinte", "Página siguiente", "Page suivante", "Nächste Seite"),
    "No stories match.": ("Nenhuma história corresponde.", "Ninguna historia coincide.",
                          "Aucune histoire ne correspond.", "Keine Geschichten gefunden."),
    "Coverage": ("Cobertura", "Cobertura", "Couverture", "Berichterstattung"),
    "Outlet": ("Veículo", "Medio", "Média", "Medium"),
    "First report": ("Primeira notícia", "Primera noticia", "Premier article", "Erste Meldung"),
    "Reports by language": ("Notícias por idioma", "Noticias por idioma", "Articles par langue",
                            "Meldungen nach Sprache"),
    "Read at the source": ("Ler na fonte", "Leer en la fuente", "Lire à la source", "Bei der Quelle lesen"),
    "copies": ("cópias", "copias", "copies", "Kopien"),
    "first": ("primeira", "primera", "premier", "zuerst"),
    "copy": ("cópia", "copia", "copie", "Kopie"),
    "translation": ("tradução", "traducción", "traduction", "Übersetzung"),
    "rewrite": ("reescrita", "reescritura", "réécriture", "Umschreibung"),
    "copy of": ("cópia de", "copia de", "copie de", "Kopie von"),
    "updated": ("atualizado", "actualizado", "mis à jour", "aktualisiert"),
    "original": ("original", "original", "original", "Original"),
    "Timeline": ("Cronologia", "Cronología", "Chronologie", "Zeitleiste"),
    "Who said what": ("Quem disse o quê", "Quién dijo qué", "Qui a dit quoi", "Wer sagte was"),
    "Names mentioned": ("Nomes citados", "Nombres mencionados", "Noms cités", "Genannte Namen"),
    "Related stories": ("Histórias relacionadas", "Historias relacionadas", "Histoires liées",
                        "Verwandte Geschichten"),
    "Feeds": ("Feeds", "Feeds", "Flux", "Feeds"),
    "Stories covered widely in other languages or countries, with no report in yours.": (
        "Histórias muito cobertas noutros idiomas ou países, sem nenhuma notícia nos seus.",
        "Historias muy cubiertas en otros idiomas o países, sin ninguna noticia en los suyos.",
        "Histoires largement couvertes dans d'autres langues ou pays, sans aucun article dans les vôtres.",
        "Geschichten, über die in anderen Sprachen oder Ländern breit berichtet wird, aber nicht in Ihren."),
    "Languages you read": ("Idiomas que lê", "Idiomas que lee", "Langues que vous lisez", "Ihre Sprachen"),
    "Countries you follow": ("Países que acompanha", "Países que sigue", "Pays que vous suivez",
                             "Ihre Länder"),
    "Show": ("Mostrar", "Mostrar", "Afficher", "Anzeigen"),
    "Results": ("Resultados", "Resultados", "Résultats", "Ergebnisse"),
    "No results.": ("Sem resultados.", "Sin resultados.", "Aucun résultat.", "Keine Ergebnisse."),
    "Search in every language": ("Pesquisar em todos os idiomas", "Buscar en todos los idiomas",
                                 "Rechercher dans toutes les langues", "In allen Sprachen suchen"),
    "Recent articles": ("Artigos recentes", "Artículos recientes", "Articles récents", "Neueste Artikel"),
    "Feed health": ("Estado dos feeds", "Estado de los feeds", "État des flux", "Zustand der Feeds"),
    "Last fetch": ("Última recolha", "Última descarga", "Dernière collecte", "Letzter Abruf"),
    "Errors": ("Erros", "Errores", "Erreurs", "Fehler"),
    "Next poll": ("Próxima consulta", "Próxima consulta", "Prochaine collecte", "Nächster Abruf"),
    "active": ("ativo", "activo", "actif", "aktiv"),
    "disabled": ("desativado", "desactivado", "désactivé", "deaktiviert"),
    "Sources admin": ("Administração de fontes", "Administración de fuentes", "Gestion des sources",
                      "Quellenverwaltung"),
    "Add a feed": ("Adicionar feed", "Añadir feed", "Ajouter un flux", "Feed hinzufügen"),
    "Import OPML": ("Importar OPML", "Importar OPML", "Importer OPML", "OPML importieren"),
    "Export OPML": ("Exportar OPML", "Exportar OPML", "Exporter OPML", "OPML exportieren"),
    "Enable": ("Ativar", "Activar", "Activer", "Aktivieren"),
    "Disable": ("Desativar", "Desactivar", "Désactiver", "Deaktivieren"),
    "Sign in": ("Entrar", "Entrar", "Se connecter", "Anmelden"),
    "API token": ("Token da API", "Token de la API", "Jeton d'API", "API-Token"),
    "Name": ("Nome", "Nombre", "Nom", "Name"),
    "Page not found": ("Página não encontrada", "Página no encontrada", "Page introuvable",
                       "Seite nicht gefunden"),
    "Bad request": ("Pedido inválido", "Solicitud no válida", "Requête invalide", "Ungültige Anfrage"),
    "Back to the front page": ("Voltar à primeira página", "Volver a la portada", "Retour à la une",
                               "Zurück zur Startseite"),
    "in": ("em", "en", "en", "auf"),
    "more articles not shown": ("artigos a mais não mostrados", "artículos más no mostrados",
                                "articles de plus non affichés", "weitere Artikel nicht angezeigt"),
}
_INDEX = {lang: i for i, lang in enumerate(UI_LANGS[1:])}


def gettext(lang: str, message: str) -> str:
    i = _INDEX.get(lang)
    if i is None:
        return message
    row = _CATALOGUE.get(message)
    return row[i] if row else message


def missing(lang: str) -> list[str]:
    """Messages without a translation in ``lang`` (for the tests)."""
    i = _INDEX[lang]
    return [m for m, row in _CATALOGUE.items() if len(row) != 4 or not row[i]]


def negotiate(accept_language: str | None) -> str:
    """The UI language for an Accept-Language header (q-values respected), else English."""
    if not accept_language:
        return DEFAULT
    return _negotiate(accept_language) if len(accept_language) <= 200 else _negotiate.__wrapped__(accept_language)


@lru_cache(maxsize=1024)  # browsers send a handful of distinct headers; asked 3 times a request
def _negotiate(accept_language: str) -> str:
    prefs: list[tuple[float, int, str]] = []
    for i, part in enumerate(accept_language.split(",")[:20]):
        bits = part.strip().split(";")
        tag = bits[0].strip().lower()
        q = 1.0
        for b in bits[1:]:
            b = b.strip()
            if b.startswith("q="):
                try:
                    q = float(b[2:])
                except ValueError:
                    q = 0.0
        prefs.append((-q, i, tag.split("-")[0]))
    for _, _, tag in sorted(prefs):
        if tag in UI_LANGS:
            return tag
    return DEFAULT


@lru_cache(maxsize=16)
def _locale(lang: str) -> Locale:
    try:
        return Locale.parse(lang)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(DEFAULT)


@lru_cache(maxsize=16)
def _names(ui: str, kind: str) -> dict[str, str]:
    # Babel's locale data dicts resolve aliases on every lookup: copied once per UI language
    return dict(getattr(_locale(ui), kind).items())


def language_name(code: str | None, ui: str) -> str:
    if not code:
        return "?"
    return _names(ui, "languages").get(code.split("-")[0].lower(), code)


def country_name(code: str | None, ui: str) -> str:
    if not code:
        return "?"
    return _names(ui, "territories").get(code.upper(), code)


# Formatting a date or a number with Babel costs ~50-100 us; a page shows dozens, and the same
# values recur from page to page. A time is one article's, so a cache of every time shown grows
# with the archive: ~350 bytes an entry, kept in the serving process for good. Sized for the pages
# being read (a front page, the story pages in demand), not the archive: full after ~16,000
# articles' times, ~6 MB (at 100,000 entries the run process gained ~8 small objects an article
# in soaks until ~100,000 articles had been shown; docs/memory.md).
_TIMES_CACHED = 16_384


@lru_cache(maxsize=_TIMES_CACHED)
def when(value: datetime | None, ui: str) -> str:
    if value is None:
        return ""
    # stored times are UTC; the reader's zone is unknown without script, so say which it is
    return format_datetime(value, "medium", locale=_locale(ui), tzinfo=None) + " UTC"


def day(value: datetime | date | None, ui: str) -> str:
    if value is None:
        return ""
    return _day(value.date() if isinstance(value, datetime) else value, ui)


@lru_cache(maxsize=4096)  # one entry a calendar day (the time of day does not show)
def _day(value: date, ui: str) -> str:
    return format_date(value, "medium", locale=_locale(ui))


def ago(value: datetime | None, ui: str, now: datetime) -> str:
    if value is None:
        return ""
    # to the minute: the same page renders the same text (and ETag) within a minute
    delta = (value - now).total_seconds() // 60 * 60
    return format_timedelta(delta, add_direction=True, locale=_locale(ui))


@lru_cache(maxsize=10_000)
def number(n: float, ui: str) -> str:
    return format_decimal(n, locale=_locale(ui))
