"""Backends for the storage suite: where the test PostgreSQL is, and fresh schemas in it."""

from __future__ import annotations

import functools
import os

import psycopg
import pytest

from newsloom.store import Store, open_store

PG_URL = os.environ.get("NEWSLOOM_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@functools.cache
def pg_unreachable() -> str | None:
    try:
        psycopg.connect(PG_URL, connect_timeout=3).close()
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]
    return None


def require_pg() -> None:
    err = pg_unreachable()
    if err is None:
        return
    msg = f"PostgreSQL at $NEWSLOOM_TEST_PG={PG_URL} is unreachable ({err})"
    if os.environ.get("CI"):
        pytest.fail(f"{msg}; CI must run both backends")
    pytest.skip(msg)


class Backend:
    """A database that can be opened several times (to test reopening and two connections)."""

    def __init__(self, name: str, url: str) -> None:
        self.name = name
        self.url = url
        self._opened: list[Store] = []

    def open(self) -> Store:
        store = open_store(self.url)
        self._opened.append(store)
        return store

    def close_all(self) -> None:
        for store in self._opened:
            store.close()


def pg_schema_url(schema: str) -> str:
    return f"{PG_URL}{'&' if '?' in PG_URL else '?'}schema={schema}"


def drop_schema(schema: str) -> None:
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(
            psycopg.sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                psycopg.sql.Identifier(schema)
            )
        )
