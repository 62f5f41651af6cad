"""Number tokens across scripts (newsloom.analyse.features.extract_numbers)."""

from __future__ import annotations

import pytest

from newsloom.analyse.features import extract_numbers, extract_signals


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Arabic glues clitics and units to numbers: the number is still read.
        ("ارتفاع وفيات كورونا لـ107 أشخاص", {"107"}),
        ("فتح باب التسجيل لحجز ١٣٥٩ وحدة بـ٦٠ مدينة", {"1359", "60"}),
        ("حظر التجوال الشامل (٢٤ساعة)", {"24"}),
        ("في عام 2020م", {"2020"}),
        # Arabic separators and percent: ٫ decimal point, ٬ thousands, ٪ percent sign.
        ("إيداع ٢٫٧ مليار ريال", {"2.7"}),
        ("1٬359 وحدة", {"1359"}),
        ("بنسبة ٢٨٪", {"28%"}),
        ("بنسبة 83 بالمئة", {"83%"}),
        ("۱۳۹۹ سال", {"1399"}),  # Persian digits
        # Chinese / Korean counters.
        ("2020年3月", {"2020"}),
        ("2020년", {"2020"}),
        # Latin text as before: codes are not quantities, separators as written.
        ("A320, MH17 and G7 leaders; COVID-19", {"19"}),
        ("1,000 people, 3,5 % and 40 per cent", {"1000", "3.5%", "40%"}),
    ],
)
def test_numbers(text: str, expected: set[str]) -> None:
    assert extract_numbers(text) == expected


def test_arabic_and_latin_reports_share_their_numbers() -> None:
    ar = extract_signals("آخر موعد لحجز ١٣٥٩ شقة", "بنسبة ٢٨٪ من 2٬700 طلب", "ar")
    en = extract_signals("Last day to book 1,359 flats", "28% of 2,700 applications", "en")
    assert ar.numbers & en.numbers == {"1359", "28%", "2700"}


@pytest.mark.parametrize(("text", "lang", "expected"), [
    ("GM seeks $16.6 billion in loans", "en", {"16600000000"}),
    ("GM busca 16.600 millones de $ de préstamo", "es", {"16600000000"}),
    ("GM demande 16,6 milliards de dollars", "fr", {"16600000000"}),
    ("GM will 16,6 Milliarden Dollar", "de", {"16600000000"}),
    ("3 million people, 23 thousand homes", "en", {"3000000", "23000"}),
    ("23 mil personas", "es", {"23000"}),
    ("1,5 billones de euros", "es", {"1500000000000"}),  # a long-scale billion
    ("2 Billionen Euro Schulden", "de", {"2000000000000"}),
    ("12 млрд рублей и 3,5 млн", "ru", {"12000000000", "3500000"}),
    ("a military base, 40 milestones", "en", {"40"}),  # a word that merely starts like a scale
])
def test_scale_words_give_the_whole_amount(text: str, lang: str, expected: set[str]) -> None:
    assert extract_numbers(text, lang) == expected
