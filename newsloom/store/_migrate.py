"""Finding and ordering the numbered migration files of a backend."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from newsloom.errors import StoreError

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def load(backend: str) -> list[Migration]:
    """Migrations of ``backend`` ("sqlite" | "postgres") in version order."""
    folder = resources.files("newsloom.store").joinpath("migrations", backend)
    found: list[Migration] = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise StoreError(f"migrations/{backend}: two files share a version number ({versions})")
    if not found:
        raise StoreError(f"migrations/{backend}: no migration files found (broken install?)")
    return found


def check_not_newer(url: str, applied: set[int], known: list[Migration]) -> None:
    newest = max(m.version for m in known)
    ahead = sorted(v for v in applied if v > newest)
    if ahead:
        raise StoreError(
            f"{url}: database schema is at version {ahead[-1]}, newer than this newsloom "
            f"knows ({newest}); upgrade newsloom"
        )
