"""`newsloom jobs --json` (README: every listing takes --json; it was "No such option")."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from newsloom.cli import cli
from newsloom.store import open_store


def test_jobs_json_counts_and_dead_letters(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 's.db'}"
    with open_store(db) as store:
        store.enqueue_job("process-page", '{"url": "https://example.org/a"}', max_tries=1)
        store.enqueue_job("fetch-feed", '{"feed_id": 1}')
        [job] = store.claim_jobs("w1", limit=1, kinds=("process-page",))
        store.fail_job(job.id, "w1", "boom", backoff_s=0)
    r = CliRunner().invoke(cli, ["jobs", "--json", "--db", db])
    assert r.exit_code == 0, r.output
    got = json.loads(r.output)
    assert got["requeued"] is None
    dead_kind = job.kind
    assert got["kinds"][dead_kind]["dead"] == 1
    assert sum(n for states in got["kinds"].values() for n in states.values()) == 2
    [dead] = got["dead"]
    assert dead["id"] == job.id and dead["last_error"] == "boom" and dead["tries"] == 1
    r = CliRunner().invoke(cli, ["jobs", "--json", "--retry-dead", "--db", db])
    assert r.exit_code == 0, r.output
    got = json.loads(r.output)
    assert got["requeued"] == 1 and got["dead"] == [] and got["kinds"][dead_kind]["dead"] == 0
