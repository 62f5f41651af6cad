"""Checks for the language and country codes a user types (``sources add --language/--country``).

The code lists come from Babel's CLDR data (already a dependency for the web UI) rather than a
hand-kept table; names ("english", "Germany") are recognised only to suggest the right code.
"""

from __future__ import annotations

import functools

from newsloom.errors import NewsloomError

# CLDR territories that are not ISO 3166-1 alpha-2 country codes (reserved or grouping codes);
# XK (Kosovo) is user-assigned but used by the EU and most data sets, so it is accepted.
_NOT_COUNTRIES = {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"}
_ALIASES = {"UK": "GB"}  # the common mistake: the United Kingdom's ISO code is GB


@functools.cache
def _languages() -> dict[str, str]:
    from babel import Locale

    return {code: name for code, name in Locale("en").languages.items() if len(code) == 2}


@functools.cache
def _countries() -> dict[str, str]:
    from babel import Locale

    return {code: name for code, name in Locale("en").territories.items()
            if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES}


def language_code(value: str, option: str = "--language") -> str:
    """A lower-case ISO 639-1 code, or NewsloomError naming the input (with the code if it is a name)."""
    code = value.strip().lower()
    if code in _languages():
        return code
    hint = next((f"; did you mean {c!r} ({n})?" for c, n in _languages().items() if n.lower() == code), "")
    if not hint:  # a withdrawn code (iw, in, ji, mo): CLDR's aliases name its successor
        from babel.core import get_global

        successor = str(get_global("language_aliases").get(code, "")).split("_", 1)[0]
        if successor in _languages():
            hint = f"; {code!r} was withdrawn: did you mean {successor!r} ({_languages()[successor]})?"
    if not hint and ("-" in code or "_" in code):
        base = code.replace("_", "-").split("-", 1)[0]
        if base in _languages():
            hint = f"; did you mean {base!r} ({_languages()[base]})?"
    raise NewsloomError(f"{option} {value!r} is not an ISO 639-1 language code such as 'en' or 'pt'{hint}")


def country_code(value: str, option: str = "--country") -> str:
    """An upper-case ISO 3166-1 alpha-2 code, or NewsloomError naming the input."""
    code = value.strip().upper()
    if code in _countries():
        return code
    guess = _ALIASES.get(code) or next((c for c, n in _countries().items() if n.upper() == code), None)
    hint = f"; did you mean {guess!r} ({_countries()[guess]})?" if guess else ""
    raise NewsloomError(f"{option} {value!r} is not an ISO 3166-1 alpha-2 country code such as 'GB' or 'BR'{hint}")
