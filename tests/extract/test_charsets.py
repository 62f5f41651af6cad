"""Charsets as browsers read them, with a check that the label fits the bytes.

Every page is built here from real sentences encoded in the charset under test; each is served
from the loopback HTTP server and read through the fetcher, so the labels arrive as they would
from a real site (HTTP header and/or <meta>), then decoded and extracted.
"""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from localserver import LocalServer

from newsloom.config import Settings
from newsloom.extract import extract
from newsloom.extract.decode import decode
from newsloom.fetch.crawler import to_raw
from newsloom.fetch.http import Fetcher, FetchResult

# (language, charset, sentences): one short news story per script, written for these tests
TEXTS: dict[str, tuple[str, list[str]]] = {
    "zh-gb2312": (
        "gb2312",
        [
            "市议会周二投票决定将有轨电车网络扩展到北部地区，这个项目已经讨论了十多年。",
            "支持者说，新线路将使数万名依赖拥挤公交车的居民的通勤时间减半。",
            "反对者认为，估计四亿欧元的费用将迫使削减其他服务并提高地方税收。",
        ],
    ),
    "zh-gbk": (
        "gbk",
        [
            "鄧小平故居所在的村莊今年接待了更多遊客，當地餐館和民宿的生意明顯好轉。",
            "镕基金会表示，将在未来三年内为偏远山区的学校修建二十座图书馆。",
            "气象部门预计，本周末华南地区将迎来强降雨，部分河流水位可能超过警戒线。",
        ],
    ),
    "zh-big5": (
        "big5",
        [
            "市議會週二投票決定將輕軌路網延伸至北部地區，這項計畫已經討論了十多年。",
            "支持者表示，新路線將使數萬名依賴擁擠公車的居民通勤時間減半。",
            "反對者認為，估計四億歐元的費用將迫使政府削減其他服務並提高地方稅。",
        ],
    ),
    "ja-shift_jis": (
        "shift_jis",
        [
            "市議会は火曜日、北部地区への路面電車網の拡張を可決した。この計画は十年以上議論されてきた。",
            "支持者は、新しい路線によって混雑したバスに頼る数万人の住民の通勤時間が半分になると述べた。",
            "反対派は、四億ユーロと見積もられる費用が他のサービスの削減につながると主張している。",
        ],
    ),
    "ko-euc-kr": (
        "euc-kr",
        [
            "시의회는 화요일 북부 지역으로 노면전차 노선을 확장하는 계획을 통과시켰다.",
            "지지자들은 새 노선이 붐비는 버스에 의존하는 수만 명 주민의 통근 시간을 절반으로 줄일 것이라고 말했다.",
            "반대하는 쪽은 사억 유로로 추산되는 비용 때문에 다른 공공 서비스가 줄어들 것이라고 주장했다.",
        ],
    ),
    "ru-windows-1251": (
        "windows-1251",
        [
            "Городской совет во вторник проголосовал за расширение трамвайной сети в северные районы.",
            "Сторонники проекта заявили, что новая линия вдвое сократит время в пути для жителей.",
            "Противники утверждают, что стоимость в четыреста миллионов евро заставит сократить услуги.",
        ],
    ),
    "ar-windows-1256": (
        "windows-1256",
        [
            "صوّت المجلس البلدي يوم الثلاثاء على توسيع شبكة الترام إلى الأحياء الشمالية من المدينة.",
            "وقال المؤيدون إن الخط الجديد سيختصر وقت التنقل إلى النصف لعشرات الآلاف من السكان.",
            "ويرى المعارضون أن التكلفة المقدرة بأربعمائة مليون يورو ستفرض تقليص خدمات أخرى.",
        ],
    ),
    "pl-iso-8859-2": (
        "iso-8859-2",
        [
            "Rada miejska zagłosowała we wtorek za rozbudową sieci tramwajowej w północnych dzielnicach.",
            "Zwolennicy projektu twierdzą, że nowa linia skróci o połowę czas dojazdu tysięcy mieszkańców.",
            "Przeciwnicy uważają, że koszt czterystu milionów euro zmusi miasto do cięć w innych usługach.",
        ],
    ),
    "el-iso-8859-7": (
        "iso-8859-7",
        [
            "Το δημοτικό συμβούλιο ψήφισε την Τρίτη την επέκταση του δικτύου του τραμ στις βόρειες συνοικίες.",
            "Οι υποστηρικτές λένε ότι η νέα γραμμή θα μειώσει στο μισό τον χρόνο μετακίνησης των κατοίκων.",
            "Οι αντίπαλοι υποστηρίζουν ότι το κόστος των τετρακοσίων εκατομμυρίων ευρώ θα οδηγήσει σε περικοπές.",
        ],
    ),
    "de-iso-8859-1": (
        "iso-8859-1",
        [
            "Der Stadtrat hat am Dienstag für die Erweiterung des Straßenbahnnetzes in die nördlichen Viertel gestimmt.",
            "Befürworter sagen, die neue Linie halbiere die Fahrzeit für Zehntausende Pendler aus den Außenbezirken.",
            "Gegner befürchten, dass die Kosten von 400 Millionen Euro zu Kürzungen bei anderen Leistungen führen.",
        ],
    ),
    "tr-iso-8859-9": (
        "iso-8859-9",
        [
            "Belediye meclisi salı günü tramvay ağının kuzey mahallelere uzatılmasını oyladı ve kabul etti.",
            "Destekçiler, yeni hattın kalabalık otobüslere bağımlı binlerce kişinin yolculuk süresini yarıya indireceğini söyledi.",
            "Karşı çıkanlar, dört yüz milyon avroluk maliyetin diğer hizmetlerde kesintiye yol açacağını savunuyor.",
        ],
    ),
}
# a different legacy label a confused server might send for each text
WRONG_LEGACY = {
    "zh-gb2312": "windows-1251",
    "zh-gbk": "shift_jis",
    "zh-big5": "windows-1252",
    "ja-shift_jis": "windows-1251",
    "ko-euc-kr": "iso-8859-2",
    "ru-windows-1251": "iso-8859-1",
    "ar-windows-1256": "windows-1251",
    "pl-iso-8859-2": "windows-1256",
    "el-iso-8859-7": "windows-1251",
    "de-iso-8859-1": "windows-1256",
    "tr-iso-8859-9": "windows-1251",
}


def _html(paras: list[str], meta: str | None) -> str:
    head = f"<meta charset='{meta}'>" if meta else ""
    ps = "".join(f"<p>{p}</p>" for p in paras)
    return (
        f"<!DOCTYPE html><html><head>{head}<title>{paras[0][:12]}</title></head><body>"
        f"<nav><a href='/'>Home</a></nav><article><h1>{paras[0][:12]}</h1>{ps}</article></body></html>"
    )


def _fetch(server: LocalServer, body: bytes, content_type: str) -> FetchResult:
    server.route("/page", body=body, headers={"Content-Type": content_type})
    extra = {}
    if "allow_private_networks" in {f.name for f in dataclasses.fields(Settings)}:
        extra["allow_private_networks"] = True  # the loopback test server
    settings = Settings(
        db="sqlite:///:memory:", requests_per_second_per_host=1000.0, timeout_s=3.0, **extra
    )

    async def go() -> FetchResult:
        async with Fetcher(settings) as f:
            return await f.fetch(server.url("/page"))

    return asyncio.run(go())


def _check(server: LocalServer, paras: list[str], body: bytes, content_type: str) -> None:
    result = _fetch(server, body, content_type)
    raw = to_raw(result)
    text, _enc = decode(raw.body, content_type=raw.content_type, declared=raw.encoding, headers=raw.headers)
    assert all(p in text for p in paras), text[:300]
    article = extract(raw, Settings(min_text_chars=50))
    assert all(p in article.text for p in paras), article.text[:300]


@pytest.fixture(scope="module")
def server() -> LocalServer:
    with LocalServer() as srv:
        yield srv


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_labelled_right(server: LocalServer, name: str) -> None:
    charset, paras = TEXTS[name]
    body = _html(paras, charset).encode(charset)
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")  # so the test really exercises charset handling
    _check(server, paras, body, f"text/html; charset={charset}")  # header and meta agree
    _check(server, paras, body, "text/html")  # meta only


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_utf8_bytes_labelled_legacy(server: LocalServer, name: str) -> None:
    """A page re-encoded to UTF-8 on its way keeps its old label: the bytes win."""
    charset, paras = TEXTS[name]
    body = _html(paras, charset).encode("utf-8")
    _check(server, paras, body, "text/html")  # <meta> says legacy
    _check(server, paras, body, f"text/html; charset={charset}")  # header and meta say legacy


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_legacy_bytes_labelled_utf8_by_header(server: LocalServer, name: str) -> None:
    """A server that says UTF-8 for everything: the header does not fit, the page's meta does."""
    charset, paras = TEXTS[name]
    body = _html(paras, charset).encode(charset)
    _check(server, paras, body, "text/html; charset=utf-8")


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_legacy_bytes_labelled_wrong_legacy(server: LocalServer, name: str) -> None:
    """A wrong legacy label and no other: the decoded text reads as mojibake, the guess does not."""
    charset, paras = TEXTS[name]
    body = _html(paras * 3, None).encode(charset)
    _check(server, paras, body, f"text/html; charset={WRONG_LEGACY[name]}")


def test_valid_utf8_beats_gb2312_meta_in_decode() -> None:
    """The archived Chinese page of issue 9: <meta> GB2312, bytes UTF-8."""
    paras = TEXTS["zh-gb2312"][1]
    text, enc = decode(_html(paras, "gb2312").encode("utf-8"))
    assert enc == "utf-8" and paras[0] in text


def test_pure_ascii_keeps_its_label() -> None:
    # ISO-2022-JP is 7-bit: only the label says how to read it
    jp = "東京で新しい路面電車の計画が発表された。"
    body = ("<html><head><meta charset='iso-2022-jp'></head><body><p>" + jp + "</p></body></html>").encode(
        "iso-2022-jp"
    )
    text, enc = decode(body)
    assert enc == "iso2022_jp" and jp in text


def test_a_few_stray_bytes_do_not_discard_the_label() -> None:
    paras = TEXTS["ru-windows-1251"][1]
    body = _html(paras * 5, None).encode("windows-1251").replace(b"</h1>", b"\x98</h1>")  # undefined in cp1251
    text, enc = decode(body, content_type="text/html; charset=windows-1251")
    assert enc == "cp1251" and paras[0] in text
