from __future__ import annotations

import subprocess
import sys

import pytest
from dedupe_fakestore import edit, text_of, words

from newsloom.dedupe.hashing import normalise_text
from newsloom.dedupe.neardup import (
    MIN_SHINGLES,
    NearDupIndex,
    Sig,
    choose_bands,
    shingles,
    signature,
)
from newsloom.errors import ConfigError, NewsloomError, SignatureError

BASE = words(1)


def exact_jaccard(a: str, b: str) -> float:
    sa, sb = set(shingles(a)), set(shingles(b))
    return len(sa & sb) / len(sa | sb)


def test_word_trigrams_on_normalised_text() -> None:
    assert shingles("The Cat, sat on... the MAT!") == [
        "the cat sat",
        "cat sat on",
        "sat on the",
        "on the mat",
    ]


def test_short_and_empty_texts() -> None:
    assert shingles("Breaking news") == ["breaking news"]
    assert shingles(" ... ") == []


@pytest.mark.parametrize("lang", ["zh", "ja", "th"])
def test_char_5grams_for_languages_without_spaces(lang: str) -> None:
    text = {
        "zh": "政府周二宣布，明年将提高燃油税。",
        "ja": "政府は火曜日、燃料税を上げる。",
        "th": "รัฐบาลประกาศ ขึ้นภาษีน้ำมัน",
    }[lang]
    grams = shingles(text, lang)
    assert all(len(g) == 5 and " " not in g for g in grams)
    assert len(grams) == len(normalise_text(text).replace(" ", "")) - 4


def test_cjk_script_detected_without_language() -> None:
    text = "政府周二宣布，明年将提高燃油税，反对派领导人表示，这一举措将伤害农村地区的家庭。"
    assert shingles(text) == shingles(text, "zh")
    assert shingles(text, "en") == shingles(text, "zh")  # a mislabelled article still works
    # Korean is written with spaces: word shingles
    assert shingles("정부는 화요일 연료세 인상을 발표했다", "ko")[0] == "정부는 화요일 연료세"


def test_cjk_near_duplicate_found() -> None:
    text = (
        "政府周二宣布，明年将提高燃油税，反对派领导人表示，这一举措将伤害农村地区的家庭。"
        "财政部长说，新税收将用于修建道路和铁路，并帮助城市减少空气污染。"
    )
    copy = text + "（新华社）"
    index = NearDupIndex(0.8)
    index.add(1, signature(text, "zh"))
    hits = index.query(signature(copy, "zh"))
    assert [h[0] for h in hits] == [1]


@pytest.mark.parametrize(
    ("changes", "matches"), [(0, True), (3, True), (5, True), (20, False), (40, False)]
)
def test_threshold_both_sides(changes: int, matches: bool) -> None:
    base, other = text_of(BASE), text_of(edit(BASE, changes))
    truth = exact_jaccard(base, other)
    assert (truth >= 0.85) if matches else (truth <= 0.7)  # keep the cases clear of 0.8
    index = NearDupIndex(0.8)
    index.add(7, signature(base))
    hits = index.query(signature(other))
    assert bool(hits) is matches
    if matches:
        assert hits[0][0] == 7 and hits[0][1] >= 0.8


def test_threshold_is_configurable() -> None:
    base, other = text_of(BASE), text_of(edit(BASE, 20))  # Jaccard ~0.66
    loose, strict = NearDupIndex(0.5), NearDupIndex(0.8)
    for index in (loose, strict):
        index.add(1, signature(base))
    assert loose.query(signature(other)) and not strict.query(signature(other))


def test_unrelated_texts_do_not_match() -> None:
    index = NearDupIndex(0.8)
    for i in range(50):
        index.add(i, signature(text_of(words(100 + i))))
    assert index.query(signature(text_of(words(999)))) == []


def test_results_sorted_best_first_and_exclude() -> None:
    index = NearDupIndex(0.8)
    index.add(1, signature(text_of(edit(BASE, 5, seed=1))))
    index.add(2, signature(text_of(BASE)))
    index.add(3, signature(text_of(edit(BASE, 3, seed=3))))
    hits = index.query(signature(text_of(BASE)))
    assert [h[0] for h in hits] == [2, 3, 1]
    assert hits[0][1] == 1.0
    assert [h[0] for h in index.query(signature(text_of(BASE)), exclude=2)] == [3, 1]


def test_add_replaces_and_remove() -> None:
    index = NearDupIndex(0.8)
    index.add(1, signature(text_of(BASE)))
    index.add(1, signature(text_of(words(2))))  # a revision with different text
    assert index.query(signature(text_of(BASE))) == []
    assert len(index) == 1 and 1 in index
    assert index.remove(1) and not index.remove(1)
    assert index.query(signature(text_of(words(2)))) == []


def test_too_short_texts_are_never_near_duplicates() -> None:
    index = NearDupIndex(0.8)
    short = "Photo: Reuters / John Smith"
    sig = signature(short)
    assert sig.size < MIN_SHINGLES
    assert index.add(1, sig) is False
    assert index.query(signature(short)) == []
    assert signature("").jaccard(signature("")) == 0.0


def test_serialisation_round_trip() -> None:
    sig = signature(text_of(BASE))
    data = sig.to_bytes()
    assert isinstance(data, bytes) and len(data) < 700
    back = Sig.from_bytes(data)
    assert back == sig and back.size == sig.size
    other = signature(text_of(edit(BASE, 5)))
    assert back.jaccard(other) == sig.jaccard(other)


@pytest.mark.parametrize("data", [b"", b"NLMH", b"garbage" * 20, b"NLMH\x09" + b"\0" * 200])
def test_unreadable_bytes_raise_signature_error(data: bytes) -> None:
    with pytest.raises(SignatureError) as info:
        Sig.from_bytes(data)
    assert isinstance(info.value, NewsloomError)


def test_corrupt_rensa_state_raises_signature_error() -> None:
    data = bytearray(signature(text_of(BASE)).to_bytes())
    data[20:40] = b"\xff" * 20
    with pytest.raises(SignatureError):
        Sig.from_bytes(bytes(data))


def test_num_perm_mismatch_is_refused() -> None:
    index = NearDupIndex(0.8, num_perm=128)
    with pytest.raises(SignatureError, match="num_perm"):
        index.add(1, signature(text_of(BASE), num_perm=64))


def test_deterministic_across_processes() -> None:
    text = text_of(BASE)
    here = signature(text).to_bytes().hex()
    code = (
        "import sys; sys.path.insert(0, 'tests/dedupe');"
        "from dedupe_fakestore import text_of, words;"
        "from newsloom.dedupe.neardup import signature;"
        "print(signature(text_of(words(1))).to_bytes().hex())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "123", "PATH": ""},
    )
    assert out.stdout.strip() == here
    assert signature(text).to_bytes().hex() == here


def test_choose_bands() -> None:
    assert choose_bands(0.8, 128) == 16  # 8 rows per band: P(candidate | J=0.8) = 0.95
    assert choose_bands(0.8, 128, recall=0.99) == 32
    for t in (0.5, 0.7, 0.8, 0.95):
        b = choose_bands(t, 128)
        assert 1 - (1 - t ** (128 // b)) ** b >= 0.9
        # and b is the fewest such: the next smaller divisor misses the target
        smaller = [d for d in range(1, b) if 128 % d == 0]
        if smaller:
            d = smaller[-1]
            assert 1 - (1 - t ** (128 // d)) ** d < 0.9


def test_window_forgets_the_oldest() -> None:
    index = NearDupIndex(0.8, max_items=3)
    texts = [text_of(words(300 + i)) for i in range(5)]
    for i, t in enumerate(texts):
        index.add(i, signature(t))
    assert len(index) == 3 and 0 not in index and 1 not in index
    assert index.query(signature(texts[0])) == []
    assert [h[0] for h in index.query(signature(texts[4]))] == [4]
    with pytest.raises(ConfigError, match="near_duplicate_window"):
        NearDupIndex(0.8, max_items=0)


@pytest.mark.parametrize("bad", [0, 0.0, -0.1, 1.5, "0.8"])
def test_bad_threshold_is_config_error(bad: object) -> None:
    with pytest.raises(ConfigError, match="near_duplicate_threshold"):
        NearDupIndex(bad)  # type: ignore[arg-type]
