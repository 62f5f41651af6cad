from __future__ import annotations

import codecs

import pytest

from newsloom.errors import ExtractionError
from newsloom.extract import extract
from newsloom.extract.decode import decode

from ._pages import page, raw_html

RU = [
    "Городской совет во вторник проголосовал за расширение трамвайной сети в северные районы города.",
    "Сторонники проекта заявили, что новая линия вдвое сократит время в пути для десятков тысяч жителей.",
    "Противники утверждают, что стоимость в четыреста миллионов евро заставит сократить другие услуги.",
]
JA = [
    "市議会は火曜日、北部地区への路面電車網の拡張を可決した。この計画は十年以上にわたって議論されてきた。",
    "支持者は、新しい路線によって混雑したバスに頼る数万人の住民の通勤時間が半分になると述べた。",
    "反対派は、四億ユーロと見積もられる費用が他のサービスの削減と地方税の引き上げにつながると主張した。",
]


def _page(paras: list[str], meta: str | None) -> str:
    html = page(paras=paras, title=paras[0][:20])
    html = html.replace("<meta charset='utf-8'>", f"<meta charset='{meta}'>" if meta else "")
    return html


@pytest.mark.parametrize(("paras", "codec"), [(RU, "windows-1251"), (JA, "shift_jis")])
@pytest.mark.parametrize("how", ["header", "meta", "neither"])
def test_legacy_charsets(paras: list[str], codec: str, how: str) -> None:
    body = _page(paras, codec if how == "meta" else None).encode(codec)
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")  # so the test really exercises charset handling
    ctype = f"text/html; charset={codec}" if how == "header" else "text/html"
    text, _enc = decode(body, content_type=ctype)
    assert all(p in text for p in paras)
    article = extract(raw_html(body, content_type=ctype))
    assert all(p in article.text for p in paras)


def test_header_charset_beats_meta() -> None:
    body = _page(RU, "utf-8").encode("windows-1251")
    text, enc = decode(body, content_type="text/html; charset=windows-1251")
    assert enc == "cp1251" and RU[0] in text


def test_headers_mapping_and_declared_encoding() -> None:
    body = _page(RU, None).encode("windows-1251")
    assert RU[0] in decode(body, headers={"Content-Type": "text/html; charset=windows-1251"})[0]
    assert RU[0] in decode(body, declared="cp1251")[0]


def test_bom_wins_and_utf16() -> None:
    html = _page(RU, None)
    text, enc = decode(
        codecs.BOM_UTF8 + html.encode("utf-8"), content_type="text/html; charset=latin-1"
    )
    assert RU[0] in text and enc == "utf-8-sig" and not text.startswith("\ufeff")
    text, _ = decode(html.encode("utf-16"))  # NUL bytes everywhere, but a BOM says it is text
    assert RU[0] in text


def test_unknown_charset_label_falls_back() -> None:
    text, enc = decode(_page(RU, None).encode("utf-8"), content_type="text/html; charset=x-bogus")
    assert enc == "utf-8" and RU[0] in text


def test_latin1_label_decodes_as_windows_1252() -> None:
    text, _ = decode(
        "“quoted” – dash".encode("cp1252"), content_type="text/html; charset=iso-8859-1"
    )
    assert text == "“quoted” – dash"


@pytest.mark.parametrize(
    "body",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8,
        b"%PDF-1.4\n" + bytes([1, 2, 3, 4, 5, 6, 7, 8, 11, 14, 15, 16]) * 200,
    ],
)
def test_binary_body_is_refused(body: bytes) -> None:
    with pytest.raises(ExtractionError, match="binary"):
        decode(body, where="https://x.example/img.png")
    with pytest.raises(ExtractionError, match=r"https://news\.example\.com/.*binary"):
        extract(raw_html(body))


def test_empty_body() -> None:
    assert decode(b"") == ("", "utf-8")
    with pytest.raises(ExtractionError, match="empty"):
        extract(raw_html(b""))


def test_non_text_content_type_is_refused() -> None:
    with pytest.raises(ExtractionError, match=r"not a text page \(content type application/pdf\)"):
        extract(raw_html(b"%PDF-1.4 ...", content_type="application/pdf"))
