"""SemEval-2022 Task 8 pairs (``dev.csv``: pair_id, lang1, lang2, text1, text2, Overall, ...) read
as a story corpus for ``newsloom bench stories``, so that its rows are reproducible from the file
as published rather than from a conversion kept outside the repository.

- Every text of a pair is a document (``doc_id`` ``semeval-<id>``, one per article id; the same
  article in two pairs is read once), in the order the file first names it; undated.
- Stories are the connected groups of pairs rated the same story (``Overall`` <= 1.5, the
  threshold of the task's "same story" in ``../shared/README.md``), and an article with its
  translation (the organisers translated some articles: id ``1542888207es`` is ``1542888207`` in
  Spanish; 28 articles of dev.csv are there in both forms, never paired with each other); every
  other document is a story of its own. The pairs were sampled to be related, so most stories are one report and
  the rest two or three, often in two languages.
- Title and text: the texts are the title and the head and tail of the body run together. The
  title is the first line when the text has line breaks, else what comes before the first double
  space, else its first sentence (up to ". ", "? " or "! " within 300 characters), else its first
  15 words (a headline's length: 152 of dev.csv's texts run title and body together with no mark
  between them); the text is the rest (the title again when nothing is left). Of the 1,066 texts
  of dev.csv, 825 have no double space, so splitting on it alone made most titles the whole text.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

from newsloom.errors import BenchError

COLUMNS = ("pair_id", "lang1", "lang2", "text1", "text2", "Overall")
SAME_STORY = 1.5  # Overall at or below: the same story
_SENTENCE_END = re.compile(r"[.?!][\"'»”)]?\s")
_TITLE_WORDS = 15
_LANG_SUFFIX = re.compile(r"(?<=\d)[a-z]{2}$")  # an article id with a language code: its translation


def is_semeval_csv(path: Path) -> bool:
    """Whether ``path`` is a CSV file whose header has the SemEval pair columns."""
    if path.suffix.lower() != ".csv" or not path.is_file():
        return False
    with path.open("rb") as fh:
        first = fh.readline(65536).decode("utf-8", errors="replace")
    try:
        header = next(csv.reader([first]), [])
    except csv.Error:
        return False
    return all(c in header for c in COLUMNS)


def split_title(text: str) -> tuple[str, str]:
    """(title, body) of one SemEval text (see the module doc)."""
    t = text.strip()
    if "\n" in t:
        title, _, body = t.partition("\n")
    elif "  " in t:
        title, _, body = t.partition("  ")
    elif m := _SENTENCE_END.search(t[:300]):
        title, body = t[:m.end()], t[m.end():]
    else:  # title and body run together with no mark between them: a headline's length
        words = t.split()
        title, body = " ".join(words[:_TITLE_WORDS]), " ".join(words[_TITLE_WORDS:])
    title, body = " ".join(title.split()), body.strip()
    return title, body or title


def read_semeval(path: Path) -> list[dict[str, Any]]:
    """The corpus rows (doc_id, story_id, lang, title, text) of a SemEval pairs CSV."""
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise BenchError(f"{path}: not a SemEval pairs file (missing column(s) {', '.join(missing)})")
            pairs = list(reader)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise BenchError(f"{path}: not a readable UTF-8 CSV file ({exc})") from None
    docs: dict[str, dict[str, Any]] = {}
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for line, row in enumerate(pairs, 2):
        ids = (row["pair_id"] or "").split("_")
        if len(ids) != 2 or not all(ids):
            raise BenchError(f"{path}:{line}: pair_id {row['pair_id']!r} is not '<id>_<id>'")
        for aid, lang, text in ((ids[0], row["lang1"], row["text1"]), (ids[1], row["lang2"], row["text2"])):
            if aid not in docs:
                title, body = split_title(text or "")
                docs[aid] = {"doc_id": f"semeval-{aid}", "lang": (lang or "").strip() or None,
                             "title": title, "text": body, "date": None}
                parent[aid] = aid
        try:
            overall = float(row["Overall"])
        except ValueError:
            raise BenchError(f"{path}:{line}: Overall {row['Overall']!r} is not a number") from None
        if overall <= SAME_STORY:
            parent[find(ids[0])] = find(ids[1])
    # the organisers' translations: "1542888207es" is article 1542888207 in Spanish. When the file
    # holds both, they are one story whatever the pairs say (they were never paired with each other)
    for aid in docs:
        base = _LANG_SUFFIX.sub("", aid)
        if base != aid and base in docs:
            parent[find(aid)] = find(base)
    for aid, doc in docs.items():
        doc["story_id"] = f"semeval-{find(aid)}"
    return list(docs.values())
