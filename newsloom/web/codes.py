"""Filter codes the web accepts: a language or country code that cannot exist is refused with a
422 naming the parameter, a real code with no articles is simply an empty page. The code lists are
newsloom.app.codes' (Babel's CLDR data, the same check as the CLI), messages name the web parameter."""

from __future__ import annotations

from functools import cache

from babel import Locale
from pydantic_core import PydanticCustomError

from newsloom.app.codes import country_code, language_code
from newsloom.errors import NewsloomError

_NOT_LANGS = {"und", "mul", "mis", "zxx"}  # CLDR's "undetermined / multiple / missing / none"


@cache
def _three_letter_langs() -> frozenset[str]:
    # ISO 639-2/3 codes for languages without a two-letter code (the analyser may tag "fil", "yue")
    return frozenset(k for k in Locale("en").languages if len(k) == 3 and k.isalpha() and k.islower()) - _NOT_LANGS


def lang_problem(value: str, name: str = "lang:") -> str | None:
    """None for a language code, else the reason, starting with ``name``."""
    if value.lower() in _three_letter_langs():
        return None
    try:
        language_code(value, name)
    except NewsloomError as exc:
        return str(exc)
    return None


def country_problem(value: str, name: str = "country:") -> str | None:
    """None for a country code, else the reason, starting with ``name``."""
    try:
        country_code(value, name)
    except NewsloomError as exc:
        return str(exc)
    return None


def source_codes_problem(country: str | None, language: str | None) -> str | None:
    """The first problem with a new source's country and language (either may be empty), named
    as the web form and the API name them (``country:``, ``language:``), not as the CLI's flags."""
    for why in (country and country_problem(country), language and lang_problem(language, "language:")):
        if why:
            return why
    return None


def _strip(why: str, name: str) -> str:
    return why[len(name):].lstrip() if why.startswith(name) else why


def check_lang(value: str | None) -> str | None:
    """For a parameter's AfterValidator (the 422 handler puts the parameter's name in front)."""
    if value is not None and (why := lang_problem(value)):
        raise PydanticCustomError("language_code", _strip(why, "lang:"))
    return value


def check_country(value: str | None) -> str | None:
    """For a parameter's AfterValidator (the 422 handler puts the parameter's name in front)."""
    if value is not None and (why := country_problem(value)):
        raise PydanticCustomError("country_code", _strip(why, "country:"))
    return value
