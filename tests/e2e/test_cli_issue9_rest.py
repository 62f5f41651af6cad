"""Issue 9, the rest: `run --once` fails when every feed failed, commands that only read or modify a
store refuse a missing one, a feed already followed is one clear line, unknown token ids, integer
options refuse out-of-range values, a title-only JSONL record is kept with a note, and --db/--config
are accepted after a group too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from localserver import LocalServer

from newsloom.cli import cli


@pytest.fixture(autouse=True)
def _no_stories(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSLOOM_STORIES", "false")


def call(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args))


def invoke(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def test_run_once_exits_1_when_every_feed_failed(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 's.db'}"
    with LocalServer() as srv:
        srv.route("/gone.xml", "no", status=500)
        srv.route("/missing.xml", "no", status=404)
        invoke("init", "--no-default-sources", "--db", db)
        invoke("sources", "add", srv.url("/gone.xml"), "--db", db)
        invoke("sources", "add", srv.url("/missing.xml"), "--db", db)
        result = call("run", "--once", "--no-default-sources", "--db", db)
        assert result.exit_code == 1, result.output
        assert "every feed and page tried in this pass failed" in result.output
        # next pass: both back off, nothing due: not a failure
        assert call("run", "--once", "--no-default-sources", "--db", db).exit_code == 0


def test_modifying_commands_refuse_a_missing_store(tmp_path: Path) -> None:
    missing = tmp_path / "mistyped" / "path.db"
    url = f"sqlite:///{missing}"
    for args in (["takedown", "add", "--url", "https://example.org/a", "--requester", "me",
                  "--contact", "me@example.org", "--reason", "mine", "--statement"],
                 ["takedown", "list"], ["tokens", "list"],
                 ["tokens", "revoke", "1"]):
        result = call(*args, "--db", url)
        assert result.exit_code == 1, (args, result.output)
        assert str(missing) in str(result.exception) and "newsloom init" in str(result.exception), args
    assert not (tmp_path / "mistyped").exists()


def test_sources_add_of_a_feed_already_followed(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 's.db'}"
    invoke("init", "--no-default-sources", "--db", db)
    invoke("sources", "add", "https://example.org/rss", "--db", db)
    result = call("sources", "add", "https://example.org/rss", "--db", db)
    assert result.exit_code == 1
    msg = str(result.exception)
    assert "already followed as feed #1 of source #1" in msg and "UNIQUE" not in msg
    assert len(json.loads(invoke("sources", "list", "--json", "--db", db))) == 1


def test_tokens_revoke_unknown_id(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 's.db'}"
    invoke("init", "--no-default-sources", "--db", db)
    result = call("tokens", "revoke", "999", "--db", db)
    assert result.exit_code == 1 and "token 999: not found" in str(result.exception)
    assert type(result.exception).__name__ == "NotFoundError"  # main() prints it "Error: ...", as click does


def test_every_error_line_has_clicks_casing(tmp_path: Path) -> None:
    """Through the real entry point: our errors and click's usage errors both start "Error: "."""
    import subprocess
    import sys
    db = f"sqlite:///{tmp_path / 's.db'}"
    invoke("init", "--no-default-sources", "--db", db)
    ours = subprocess.run([sys.executable, "-m", "newsloom", "tokens", "revoke", "999", "--db", db],
                          capture_output=True, text=True, timeout=120)
    clicks = subprocess.run([sys.executable, "-m", "newsloom", "stories", "list", "--limit", "0", "--db", db],
                            capture_output=True, text=True, timeout=120)
    assert ours.returncode == 1 and ours.stderr.strip().splitlines()[-1].startswith("Error: token 999: not found")
    assert clicks.returncode == 2 and clicks.stderr.strip().splitlines()[-1].startswith("Error: ")
    assert "Traceback" not in ours.stderr + clicks.stderr


@pytest.mark.parametrize("args, option", [
    (["stories", "list", "--min-articles", "-3"], "--min-articles"),
    (["stories", "list", "--limit", "0"], "--limit"),
    (["stories", "list", "--offset", "-1"], "--offset"),
    (["articles", "list", "--limit", "0"], "--limit"),
    (["articles", "list", "--source", "-2"], "--source"),
    (["search", "x", "--limit", "-1"], "--limit"),
    (["bench", "stories", "--corpus", "c", "--limit", "0"], "--limit"),
    (["bench", "extraction", "--corpus", "c", "--limit", "-5"], "--limit"),
    (["bench", "similarity", "--pairs", "p", "--limit", "0"], "--limit"),
    (["stories", "show", "0"], "STORY_ID"),
    (["tokens", "revoke", "--", "-1"], "TOKEN_ID"),
    (["sources", "log", "--limit", "0"], "--limit"),
    (["jobs", "--dead", "-1"], "--dead"),
    (["bench", "pipeline", "--repeat", "0"], "--repeat"),
    (["bench", "pipeline", "--workers", "-1"], "--workers"),
    (["bench", "pipeline", "--fetch", "--articles", "0"], "--articles"),
    (["bench", "pipeline", "--fetch", "--feeds", "0"], "--feeds"),
])
def test_integer_options_refuse_out_of_range(tmp_path: Path, args: list[str], option: str) -> None:
    result = call("--db", f"sqlite:///{tmp_path / 'none.db'}", *args)
    assert result.exit_code == 2, result.output
    assert option in result.output and "range" in result.output


def test_title_only_jsonl_record_is_kept_with_a_note(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 's.db'}"
    f = tmp_path / "t.jsonl"
    f.write_text('{"title": "Only a headline", "url": "https://example.org/1"}\n', encoding="utf-8")
    assert "1 new" in invoke("ingest", str(f), "--db", db)
    article = json.loads(invoke("articles", "show", "1", "--json", "--db", db))
    assert article["title"] == "Only a headline"
    assert "ingest: title only, the record has no 'text'" in article["notes"]


def test_db_after_a_group(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 's.db'}"
    invoke("init", "--no-default-sources", "--db", db)
    invoke("sources", "--db", db, "add", "https://example.org/rss")
    assert len(json.loads(invoke("sources", "--db", db, "list", "--json"))) == 1
    for group in (["stories", "--db", db, "list"], ["articles", "--db", db, "list"],
                  ["tokens", "--db", db, "list"], ["takedown", "--db", db, "list"]):
        invoke(*group)
    # after the subcommand still wins
    other = f"sqlite:///{tmp_path / 'o.db'}"
    invoke("init", "--no-default-sources", "--db", other)
    assert json.loads(invoke("sources", "--db", db, "list", "--json", "--db", other)) == []
