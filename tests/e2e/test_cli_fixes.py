"""The CLI never misleads (issue 9): --db on either side of the subcommand, read commands refuse a
missing store, exit codes say whether anything worked, tables fit 80 columns, codes are checked,
plurals, totals that honour filters, and `run` says when it polls next and what is backing off."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from localserver import LocalServer
from test_cli_end_to_end import PARAS, page, rss

from newsloom.cli import cli

PT_PARAS = [
    "O parlamento aprovou na quarta-feira o orçamento do governo para o próximo ano, depois de um debate "
    "que durou mais de catorze horas e terminou com uma votação apertada.",
    "O plano aumenta a despesa com hospitais e caminhos de ferro e congela os salários da função pública, "
    "um compromisso que o ministro das Finanças considerou doloroso mas necessário.",
    "Os partidos da oposição disseram que o orçamento assenta em previsões de crescimento otimistas e "
    "prometeram contestar várias medidas fiscais no Tribunal Constitucional nas próximas semanas.",
]


@pytest.fixture(autouse=True)
def _no_stories(monkeypatch: pytest.MonkeyPatch) -> None:
    # these tests are about the CLI, not stories: skip loading the embedding models
    monkeypatch.setenv("NEWSLOOM_STORIES", "false")


def invoke(*args: str, code: int = 0, env: dict[str, str] | None = None) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False, env=env)
    assert result.exit_code == code, result.output
    return result.output


def run_cli(*args: str, columns: int | None = None) -> subprocess.CompletedProcess[str]:
    import os

    env = dict(os.environ)
    if columns:
        env["COLUMNS"] = str(columns)
    return subprocess.run([sys.executable, "-m", "newsloom", *args], capture_output=True, text=True,
                          timeout=120, env=env)


def test_db_and_config_before_or_after_the_subcommand(db: str, tmp_path: Path) -> None:
    invoke("--db", db, "init", "--no-default-sources")
    invoke("--db", db, "sources", "add", "https://example.org/rss", "--name", "Org")
    assert len(json.loads(invoke("sources", "list", "--json", "--db", db))) == 1
    assert len(json.loads(invoke("--db", db, "sources", "list", "--json"))) == 1
    invoke("--db", db, "stories", "list")
    invoke("stories", "list", "--db", db)
    # after the subcommand wins over before it
    other = f"sqlite:///{tmp_path / 'other.db'}"
    invoke("init", "--no-default-sources", "--db", other)
    assert json.loads(invoke("--db", db, "sources", "list", "--json", "--db", other)) == []
    cfg = tmp_path / "newsloom.toml"
    cfg.write_text(f'db = "{db}"\n')
    assert len(json.loads(invoke("--config", str(cfg), "sources", "list", "--json"))) == 1


def test_read_commands_refuse_a_missing_sqlite_store(tmp_path: Path) -> None:
    missing = tmp_path / "typo" / "deeper" / "stroe.db"
    url = f"sqlite:///{missing}"
    for args in (["articles", "list"], ["sources", "list"], ["sources", "log"], ["stories", "list"],
                 ["search", "quake"], ["sources", "export-opml"]):
        result = CliRunner().invoke(cli, [*args, "--db", url])
        assert result.exit_code == 1 and str(missing) in str(result.exception), args
    proc = run_cli("articles", "list", "--db", url)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert str(missing) in proc.stderr and "0 shown" not in proc.stdout
    assert not (tmp_path / "typo").exists(), "a read command created the folders"
    # the commands that fill a store still create it
    invoke("init", "--no-default-sources", "--db", url)
    assert missing.is_file()


def test_ingest_exit_code_says_whether_anything_was_stored(db: str, tmp_path: Path) -> None:
    (tmp_path / "boiler.html").write_text("<html><body><p>Read more</p><p>Back to top</p></body></html>")
    (tmp_path / "x.pdf").write_bytes(b"%PDF-1.4")
    result = CliRunner().invoke(cli, ["ingest", str(tmp_path / "boiler.html"), str(tmp_path / "x.pdf"),
                                      "--db", db])
    assert result.exit_code == 1, result.output
    assert "nothing stored; all 2 inputs failed" in result.output
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "nothing new" in invoke("ingest", str(empty), "--db", db)  # nothing to do is not a failure
    (tmp_path / "good.html").write_text(page("Cup final", PARAS["match"]), encoding="utf-8")
    output = invoke("ingest", str(tmp_path / "good.html"), str(tmp_path / "boiler.html"), "--db", db)
    assert "1 new" in output and "1 rejected" in output


def test_plurals(db: str, tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / f"{name}.html").write_bytes(bytes(range(256)) * 50)
    (tmp_path / "good.html").write_text(page("Cup final", PARAS["match"]), encoding="utf-8")
    output = invoke("ingest", str(tmp_path / "good.html"), str(tmp_path / "a.html"), str(tmp_path / "b.html"),
                    "--db", db)
    assert "1 new" in output and ("2 errors" in output or "2 rejected" in output), output
    assert "1 shown of 1 article\n" in invoke("articles", "list", "--db", db)


def test_fetch_exit_code_when_every_feed_failed(db: str) -> None:
    with LocalServer() as srv:
        srv.route("/broken.xml", "<rss><channel><item><title>unterminated",
                  headers={"Content-Type": "application/rss+xml"})
        srv.route("/gone.xml", "no", status=500)
        srv.route("/news/budget", page("Parliament passes budget", PARAS["budget"]),
                  headers={"Content-Type": "text/html; charset=utf-8"})
        srv.route("/feed.xml", rss(srv, [("Budget", "/news/budget")]), headers={"Content-Type": "application/rss+xml"})
        invoke("init", "--no-default-sources", "--db", db)
        invoke("sources", "add", srv.url("/broken.xml"), "--db", db)
        invoke("sources", "add", srv.url("/gone.xml"), "--db", db)
        result = CliRunner().invoke(cli, ["fetch", "--db", db])
        assert result.exit_code == 1 and "failed" in result.output, result.output
        assert "nothing new" in invoke("fetch", "--db", db)  # both backing off: nothing due, exit 0
        invoke("sources", "add", srv.url("/feed.xml"), "--db", db)
        assert "1 new" in invoke("fetch", "--feed", "1", "--feed", "3", "--db", db)  # one worked: 0


def test_sources_list_fits_80_columns(tmp_path: Path) -> None:
    from rich.cells import cell_len

    from newsloom.store import open_store

    db = f"sqlite:///{tmp_path / 's.db'}"
    invoke("init", "--db", db)  # the shipped world list: 164 feeds
    with open_store(db) as store:
        feed = store.get_feed(2)
        feed.last_status, feed.error_count = "http_error", 3
        feed.last_error = "HTTP 503 Service Unavailable from a very long upstream proxy message " * 4
        store.update_feed(feed)
    proc = run_cli("sources", "list", "--db", db, columns=80)
    lines = proc.stdout.splitlines()
    assert proc.returncode == 0 and max(cell_len(x) for x in lines) <= 80, proc.stdout
    assert len(lines) < 40 and "164 sources, 164 feeds" in lines[-1] and "30 shown" in lines[-1]
    assert "HTTP 503" in proc.stdout and "…" in proc.stdout
    every = invoke("sources", "list", "--all", "--db", db, env={"COLUMNS": "80"}).splitlines()
    assert len(every) > 164 and max(cell_len(x) for x in every) <= 80  # terminal cells: CJK counts 2
    assert len(invoke("sources", "list", "--limit", "5", "--db", db).splitlines()) < 12
    assert len(json.loads(invoke("sources", "list", "--json", "--db", db))) == 164


def test_language_and_country_codes_are_checked(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    for args, words in ((["--language", "english"], ["'english'", "ISO 639-1", "'en'"]),
                        (["--language", "xx"], ["'xx'", "ISO 639-1"]),
                        (["--country", "UK"], ["'UK'", "ISO 3166", "'GB'"]),
                        (["--country", "ZZ"], ["'ZZ'", "ISO 3166"])):
        proc = run_cli("sources", "add", "https://example.org/rss", *args, "--db", db)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr
        assert all(w in proc.stderr for w in words), proc.stderr
    assert not (tmp_path / "c.db").exists(), "bad input created a store"
    invoke("sources", "add", "https://example.org/rss", "--language", "PT", "--country", "br", "--db", db)
    source = json.loads(invoke("sources", "list", "--json", "--db", db))[0]["source"]
    assert (source["language"], source["country"]) == ("pt", "BR")


def test_sources_log_of_an_unknown_feed(db: str) -> None:
    invoke("init", "--no-default-sources", "--db", db)
    proc = run_cli("sources", "log", "99999", "--db", db)
    assert proc.returncode == 1 and "feed 99999 does not exist" in proc.stderr and "Traceback" not in proc.stderr


def test_articles_list_total_honours_filters_and_json_has_text(db: str, tmp_path: Path) -> None:
    (tmp_path / "en.html").write_text(page("Parliament passes budget", PARAS["budget"]), encoding="utf-8")
    (tmp_path / "pt.html").write_text(page("Parlamento aprova orçamento", PT_PARAS).replace("lang='en'", "lang='pt'"),
                                      encoding="utf-8")
    invoke("ingest", str(tmp_path / "en.html"), str(tmp_path / "pt.html"), "--db", db)
    assert "1 shown of 1 article\n" in invoke("articles", "list", "--lang", "pt", "--db", db)
    refused = CliRunner().invoke(cli, ["articles", "list", "--lang", "portuguese", "--db", db])
    assert refused.exit_code == 1 and "'pt'" in str(refused.exception)
    assert "1 shown of 2 articles" in invoke("articles", "list", "--limit", "1", "--db", db)
    items = json.loads(invoke("articles", "list", "--json", "--db", db))
    assert all(a["text"] for a in items) and "Parliament approved" in " ".join(a["text"] for a in items)
    assert "raw_text" not in items[0]
    assert all("text" not in a for a in json.loads(invoke("articles", "list", "--json", "--no-text", "--db", db)))


def test_run_says_when_it_polls_next_and_what_is_backing_off(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import newsloom.pipeline

    with LocalServer() as srv:
        srv.route("/broken.xml", "<rss><channel><item><title>unterminated",
                  headers={"Content-Type": "application/rss+xml"})
        srv.route("/feed.xml", rss(srv, []), headers={"Content-Type": "application/rss+xml"})
        invoke("init", "--no-default-sources", "--db", db)
        invoke("sources", "add", srv.url("/broken.xml"), "--db", db)
        invoke("sources", "add", srv.url("/feed.xml"), "--db", db)
        first = invoke("run", "--once", "--no-default-sources", "--db", db)
        assert "2 feeds: 2 due now, none backing off" in first
        assert "1 backing off after errors (next retry" in first.splitlines()[-1]

        def stop(_: float) -> None:
            raise KeyboardInterrupt  # the first pause ends the run (as Ctrl-C would: exit 0)

        monkeypatch.setattr(newsloom.pipeline.time, "sleep", stop)
        result = CliRunner().invoke(cli, ["run", "--no-default-sources", "--no-web", "--db", db])
        assert "0 due now, 1 backing off after errors" in result.output  # a second start says so
        assert "next pass at " in result.output and " UTC (in " in result.output, result.output


def test_export_opml_to_a_folder_that_does_not_exist(tmp_path: Path) -> None:
    """`sources export-opml -o /no/such/dir/x.opml` ended in a FileNotFoundError traceback."""
    url = f"sqlite:///{tmp_path / 's.db'}"
    invoke("sources", "add", "https://example.org/rss", "--name", "Org", "--db", url)
    target = tmp_path / "no" / "such" / "x.opml"
    proc = run_cli("sources", "export-opml", "-o", str(target), "--db", url)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert str(target) in proc.stderr and "cannot write" in proc.stderr and "No such file" in proc.stderr
    assert not target.exists()


def test_articles_list_of_an_unknown_source_is_an_error(tmp_path: Path) -> None:
    """README: exit 1 on an unknown id. `articles list --source 999` printed an empty table,
    "0 shown of 0 articles", exit 0 (a typo looked like a silent source)."""
    url = f"sqlite:///{tmp_path / 's.db'}"
    invoke("sources", "add", "https://example.org/rss", "--name", "Org", "--db", url)
    assert "0 shown of 0 articles" in invoke("articles", "list", "--source", "1", "--db", url)
    proc = run_cli("articles", "list", "--source", "999", "--db", url)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "source 999: not found" in proc.stderr and "shown" not in proc.stdout


def test_search_with_an_empty_query_or_no_match(tmp_path: Path) -> None:
    """`newsloom search ""` printed an empty table, exit 0; a search without a match printed an
    empty table and nothing else."""
    url = f"sqlite:///{tmp_path / 's.db'}"
    invoke("init", "--no-default-sources", "--db", url)
    for query in ("", "   "):
        proc = run_cli("search", query, "--db", url)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
        assert "query is empty" in proc.stderr and "┏" not in proc.stdout
    assert "no article matches 'zzqq'" in invoke("search", "zzqq", "--db", url)
    assert json.loads(invoke("search", "zzqq", "--json", "--db", url)) == []


def test_import_opml_where_every_outline_is_skipped_fails(tmp_path: Path) -> None:
    """An OPML file whose every outline was refused printed warnings, "0 feeds added", exit 0."""
    url = f"sqlite:///{tmp_path / 's.db'}"
    bad = tmp_path / "bad.opml"
    bad.write_text('<?xml version="1.0"?><opml version="2.0"><head/><body><outline text="A" type="rss"/>'
                   '<outline text="B" type="rss" xmlUrl="ftp://x.example/f"/></body></opml>')
    proc = run_cli("sources", "import-opml", str(bad), "--db", url)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "no feed imported" in proc.stderr and "has no xmlUrl" in proc.stderr
    good = tmp_path / "good.opml"
    good.write_text('<?xml version="1.0"?><opml version="2.0"><head/><body><outline text="A" type="rss"/>'
                    '<outline text="C" type="rss" xmlUrl="https://c.example/rss"/></body></opml>')
    assert "1 feed added" in invoke("sources", "import-opml", str(good), "--db", url)
    assert "0 feeds added, 1 already followed" in invoke("sources", "import-opml", str(good), "--db", url)
