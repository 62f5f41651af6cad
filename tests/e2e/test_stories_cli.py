"""Stories through the real CLI: ingest articles in two languages, list/show stories, lineage
marks, and `stories rebuild` giving the same stories as streaming."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from newsloom.cli import cli

QUAKE_EN = ("Earthquake of magnitude 6.8 strikes Sumatra, killing 12",
            "A magnitude 6.8 earthquake struck off the west coast of Sumatra on Tuesday, killing at least 12 "
            "people and damaging more than 300 houses in Padang, Indonesia's disaster agency BNPB said. "
            "The quake hit at a depth of 25 kilometres. \"We felt a very strong shaking and everyone ran "
            "outside,\" said Andi Saputra, a resident of Padang. No tsunami warning was issued.")
QUAKE_ES = ("Un terremoto de magnitud 6,8 sacude Sumatra y deja 12 muertos",
            "Un terremoto de magnitud 6,8 sacudió el martes la costa oeste de Sumatra y dejó al menos 12 "
            "muertos y más de 300 casas dañadas en Padang, según la agencia de desastres de Indonesia BNPB. "
            "El sismo se produjo a 25 kilómetros de profundidad. «Sentimos una sacudida muy fuerte y todos "
            "salimos corriendo», dijo Andi Saputra, un vecino de Padang. No se emitió alerta de tsunami.")
VOTE_EN = ("Chile's senate approves pension reform after 10 years of debate",
           "Chile's senate on Wednesday approved a sweeping pension reform by 30 votes to 19, ending a decade "
           "of debate over the private pension system created in 1981. Labour minister Jeannette Jara said "
           "the reform would raise the lowest pensions by 25 percent. Employers will add 7 percent of wages "
           "to workers' accounts over nine years. The bill now goes to President Gabriel Boric.")
VOTE_ES = ("El Senado de Chile aprueba la reforma de pensiones tras 10 años de debate",
           "El Senado de Chile aprobó el miércoles una amplia reforma de pensiones por 30 votos contra 19, "
           "poniendo fin a una década de debate sobre el sistema privado creado en 1981. La ministra del "
           "Trabajo, Jeannette Jara, dijo que la reforma elevará las pensiones más bajas en un 25 por ciento. "
           "Los empleadores aportarán un 7 por ciento de los salarios en nueve años. El proyecto pasa ahora "
           "al presidente Gabriel Boric.")


def invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def write_corpus(path: Path) -> None:
    rows = [
        ("q-en", "en", QUAKE_EN, "2026-11-17T08:00:00Z", "https://news.example.com/quake"),
        ("v-en", "en", VOTE_EN, "2026-11-17T09:00:00Z", "https://news.example.com/pensions"),
        ("q-es", "es", QUAKE_ES, "2026-11-17T10:00:00Z", "https://noticias.example.es/sismo"),
        # a wire copy of the English quake report on another site
        ("q-en-copy", "en", QUAKE_EN, "2026-11-17T11:00:00Z", "https://wire.example.org/quake-sumatra"),
        ("v-es", "es", VOTE_ES, "2026-11-17T12:00:00Z", "https://noticias.example.es/pensiones"),
    ]
    with path.open("w", encoding="utf-8") as fh:
        for doc_id, lang, (title, text), date, url in rows:
            fh.write(json.dumps({"doc_id": doc_id, "lang": lang, "title": title, "text": text,
                                 "date": date, "url": url}) + "\n")


def test_stories_across_languages(tmp_path: Path, db: str) -> None:
    corpus = tmp_path / "c.jsonl"
    write_corpus(corpus)
    invoke("ingest", str(corpus), "--db", db)
    arts = {a["url"]: a for a in json.loads(invoke("articles", "list", "--json", "--db", db))}
    quake = arts["https://news.example.com/quake"]["story_id"]
    vote = arts["https://news.example.com/pensions"]["story_id"]
    assert quake and vote and quake != vote
    assert arts["https://noticias.example.es/sismo"]["story_id"] == quake
    assert arts["https://wire.example.org/quake-sumatra"]["story_id"] == quake
    assert arts["https://noticias.example.es/pensiones"]["story_id"] == vote

    listed = json.loads(invoke("stories", "list", "--json", "--db", db))
    assert {s["id"] for s in listed} == {quake, vote}
    shown = json.loads(invoke("stories", "show", str(quake), "--json", "--db", db))
    assert set(shown["languages"]) == {"en", "es"} and shown["article_count"] == 3
    assert set(shown["headlines"]) == {"en", "es"}
    by_lang = shown["articles_by_language"]
    first = next(a for a in by_lang["en"] if a["url"].endswith("/quake"))
    copy = next(a for a in by_lang["en"] if "wire" in a["url"])
    assert first["lineage"] == "first"
    assert copy["duplicate_of"] == first["id"]
    assert by_lang["es"][0]["lineage"] in ("translation", None)
    assert any((q.get("speaker") or "").endswith("Saputra") for q in shown["quotes"])
    text = invoke("stories", "show", str(quake), "--db", db)
    assert "FIRST" in text and "Padang" in text

    before = {a["url"]: (a["story_id"], a["lineage"]) for a in arts.values()}
    invoke("stories", "rebuild", "--db", db)
    after = json.loads(invoke("articles", "list", "--json", "--db", db))
    assert {a["url"]: (a["story_id"], a["lineage"]) for a in after} == before


QUAKE_ID = [
    ("Gempa bermagnitudo 6,8 guncang Sumatra, 12 orang tewas",
     "Gempa bermagnitudo 6,8 mengguncang pantai barat Sumatra pada hari Selasa dan menewaskan sedikitnya "
     "12 orang serta merusak lebih dari 300 rumah di Padang, kata badan penanggulangan bencana BNPB. "
     "Gempa terjadi pada kedalaman 25 kilometer. Tidak ada peringatan tsunami yang dikeluarkan."),
    ("BNPB: 12 tewas dan 300 rumah rusak akibat gempa Sumatra",
     "Badan Nasional Penanggulangan Bencana (BNPB) menyatakan 12 orang tewas dan lebih dari 300 rumah rusak "
     "di Padang setelah gempa bermagnitudo 6,8 melanda pantai barat Sumatra hari Selasa. Pusat gempa berada "
     "di kedalaman 25 kilometer dan tidak berpotensi tsunami, menurut BNPB."),
]
VOTE_ID = ("Senat Chile setujui reformasi pensiun setelah 10 tahun perdebatan",
           "Senat Chile pada hari Rabu menyetujui reformasi pensiun dengan 30 suara berbanding 19, mengakhiri "
           "perdebatan selama satu dekade tentang sistem pensiun swasta yang dibuat pada tahun 1981. Menteri "
           "Tenaga Kerja Jeannette Jara mengatakan reformasi akan menaikkan pensiun terendah sebesar 25 persen.")


def test_language_without_default_coverage_uses_e5(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'e5.db'}"
    corpus = tmp_path / "id.jsonl"
    rows = [("a", *QUAKE_ID[0]), ("b", *VOTE_ID), ("c", *QUAKE_ID[1])]
    corpus.write_text("".join(
        json.dumps({"doc_id": d, "title": t, "text": x, "date": f"2026-11-17T0{i}:00:00Z",
                    "url": f"https://berita.example.id/{d}"}) + "\n"
        for i, (d, t, x) in enumerate(rows)), encoding="utf-8")
    invoke("ingest", str(corpus), "--db", db)
    arts = {a["url"][-1]: a for a in json.loads(invoke("articles", "list", "--json", "--db", db))}
    assert arts["a"]["lang"] in ("id", "ms")
    assert arts["a"]["story_id"] == arts["c"]["story_id"] != arts["b"]["story_id"]

    from newsloom.store import open_store

    with open_store(db) as store:
        assert store.get_embedding(arts["a"]["id"], "e5-small") is not None
        assert store.get_embedding(arts["a"]["id"], "use-m3") is None


def test_odd_articles_get_a_recorded_reason(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'odd.db'}"
    corpus = tmp_path / "odd.jsonl"
    rows = [
        {"doc_id": "old", "title": QUAKE_EN[0], "text": QUAKE_EN[1], "date": "1970-01-01T00:00:00Z",
         "url": "https://a.example.com/old"},
        {"doc_id": "short", "title": "Breaking", "text": "Update", "url": "https://a.example.com/short"},
    ] + [
        {"doc_id": f"flood{i}", "title": VOTE_EN[0], "text": VOTE_EN[1], "date": "2026-11-17T09:00:00Z",
         "url": f"https://mirror{i}.example.net/pensions"} for i in range(5)
    ]
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    invoke("ingest", str(corpus), "--db", db)
    arts = {a["url"]: a for a in json.loads(invoke("articles", "list", "--json", "--db", db))}
    old = json.loads(invoke("articles", "show", str(arts["https://a.example.com/old"]["id"]), "--json", "--db", db))
    assert any("implausibly old" in n for n in old["notes"])
    short = json.loads(invoke("articles", "show", str(arts["https://a.example.com/short"]["id"]), "--json",
                              "--db", db))
    assert any("too little text" in n for n in short["notes"])
    flood = {a["story_id"] for u, a in arts.items() if "mirror" in u}
    assert len(flood) == 1  # a flood of identical copies is one story
    story = json.loads(invoke("stories", "show", str(flood.pop()), "--json", "--db", db))
    assert story["article_count"] == 5


QUAKE_EN_PADANG = ("Magnitude 6.8 quake in Sumatra kills 12 in Padang", QUAKE_EN[1])
QUAKE_ID_PADANG = ("Gempa magnitudo 6,8 di Sumatra tewaskan 12 orang di Padang", QUAKE_ID[0][1])


def test_uncovered_language_joins_the_story_of_covered_ones(tmp_path: Path, db: str) -> None:
    """Indonesian is routed to e5-small (USE-m3 lacks it), English to USE-m3: the Indonesian
    reports of the quake still join the English report's story, through the title space, and
    say so; the Indonesian report of another event does not."""
    corpus = tmp_path / "mixed.jsonl"
    rows = [("q-en", "en", QUAKE_EN_PADANG), ("v-en", "en", VOTE_EN), ("q-id", "id", QUAKE_ID_PADANG),
            ("v-id", "id", VOTE_ID), ("q-id-2", "id", QUAKE_ID[1])]
    corpus.write_text("".join(
        json.dumps({"doc_id": d, "lang": lang, "title": t, "text": x, "date": f"2026-11-17T0{i}:00:00Z",
                    "url": f"https://news.example.org/{d}"}) + "\n"
        for i, (d, lang, (t, x)) in enumerate(rows)), encoding="utf-8")
    invoke("ingest", str(corpus), "--db", db)
    arts = {a["url"].rsplit("/", 1)[1]: a for a in json.loads(invoke("articles", "list", "--json", "--db", db))}
    quake, vote = arts["q-en"]["story_id"], arts["v-en"]["story_id"]
    assert quake != vote
    assert arts["q-id"]["story_id"] == arts["q-id-2"]["story_id"] == quake
    assert arts["v-id"]["story_id"] != quake
    shown = json.loads(invoke("articles", "show", str(arts["q-id"]["id"]), "--json", "--db", db))
    assert any("across embedding spaces (e5-small -> use-m3)" in n for n in shown["notes"])
    story = json.loads(invoke("stories", "show", str(quake), "--json", "--db", db))
    assert set(story["languages"]) == {"en", "id"} and story["article_count"] == 3

    before = {u: a["story_id"] for u, a in arts.items()}
    invoke("stories", "rebuild", "--db", db)
    after = json.loads(invoke("articles", "list", "--json", "--db", db))
    assert {a["url"].rsplit("/", 1)[1]: a["story_id"] for a in after} == before


def test_bench_stories_cli_with_a_language_forced_to_e5(tmp_path: Path) -> None:
    corpus = tmp_path / "tiny.jsonl"
    docs = [("q-en", "quake", "en", QUAKE_EN), ("v-en", "vote", "en", VOTE_EN),
            ("q-es", "quake", "es", QUAKE_ES), ("v-es", "vote", "es", VOTE_ES)]
    corpus.write_text("".join(
        json.dumps({"doc_id": d, "story_id": s, "lang": lang, "title": t, "text": x,
                    "date": f"2026-11-{17 + i}"}) + "\n"
        for i, (d, s, lang, (t, x)) in enumerate(docs)), encoding="utf-8")
    out = json.loads(invoke("bench", "stories", "--corpus", str(corpus), "--force-e5", "es", "--json", "--no-baseline"))
    assert out["force_e5"] == ["es"] and out["articles_by_space"] == {"use-m3": 2, "e5-small": 2}
    # both Spanish reports crossed into the story their English counterpart started
    assert out["bridged"] == 2
    table = invoke("bench", "stories", "--corpus", str(corpus), "--force-e5", "es", "--no-baseline")
    assert "forced to e5-small: es" in table and "BCubed" in table


def test_rebuild_help_names_the_order_it_uses() -> None:
    """`stories rebuild --help` said "arrival order"; the rebuild goes by effective date
    (StoryService.rebuild, README "Clustering is deterministic")."""
    r = CliRunner().invoke(cli, ["stories", "rebuild", "--help"])
    assert r.exit_code == 0
    text = " ".join(r.output.split())
    assert "arrival order (" not in text and "effective-date order" in text


def test_interrupted_rebuild_says_what_is_left(tmp_path: Path, monkeypatch) -> None:
    """Ctrl-C in `stories rebuild` (which clears the stories first) said "everything stored so far
    is kept" and left hundreds of articles without a story, unmentioned."""
    from newsloom.stories.service import StoryService

    def rebuild(self, progress=None):  # noqa: ANN001
        for i in range(1, 6):
            progress(i)
        raise KeyboardInterrupt

    monkeypatch.setattr(StoryService, "rebuild", rebuild)
    db = f"sqlite:///{tmp_path / 's.db'}"
    assert CliRunner().invoke(cli, ["init", "--no-default-sources", "--db", db]).exit_code == 0
    r = CliRunner().invoke(cli, ["stories", "rebuild", "--db", db])
    assert r.exit_code == 130
    assert "interrupted after 5 articles" in r.output and "`newsloom stories rebuild` runs again" in r.output
