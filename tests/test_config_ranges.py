"""Settings.load refuses values no fetch or ingest can work with, naming the setting (a negative
timeout or body cap was accepted and every fetch then failed with "timed out after -1 s")."""

from __future__ import annotations

import pytest

from newsloom.config import Settings
from newsloom.errors import ConfigError


@pytest.mark.parametrize("env, value", [("TIMEOUT_S", "-1"), ("TIMEOUT_S", "0"), ("MAX_BODY_BYTES", "-5"),
                                        ("WORKERS", "-4"), ("RECRAWL_STEPS", "1h,30m"),
                                        ("RECRAWL_STEPS", "1 week"), ("RECRAWL_STEPS", "-1h"),
                                        ("KEEP_PAGES_DAYS", "2"),  # under the last recrawl step (7d)
                                        ("KEEP_FETCH_LOG_DAYS", "-1"), ("KEEP_DONE_JOBS_DAYS", "-0.5")])
def test_out_of_range_settings_are_refused(monkeypatch: pytest.MonkeyPatch, env: str, value: str) -> None:
    monkeypatch.setenv(f"NEWSLOOM_{env}", value)
    with pytest.raises(ConfigError, match=f"setting {env.lower()}="):
        Settings.load()


def test_sensible_values_still_load(monkeypatch: pytest.MonkeyPatch) -> None:
    for env, value in (("TIMEOUT_S", "0.5"), ("MAX_BODY_BYTES", "256"), ("WORKERS", "0"),
                       ("RECRAWL_STEPS", "90m, 2d"), ("KEEP_PAGES_DAYS", "2"), ("KEEP_DONE_JOBS_DAYS", "0")):
        monkeypatch.setenv(f"NEWSLOOM_{env}", value)
    s = Settings.load()
    assert (s.timeout_s, s.max_body_bytes, s.workers) == (0.5, 256, 0)
    from datetime import timedelta

    from newsloom.rights.recrawl import parse_steps

    assert parse_steps(s.recrawl_steps) == (timedelta(minutes=90), timedelta(days=2))
    assert parse_steps("") == ()  # recrawling off
