"""``newsloom articles | search``: what was stored."""

from __future__ import annotations

import textwrap

import click
from rich.markup import escape
from rich.table import Table

from newsloom.app import articles as app_articles
from newsloom.app.codes import language_code
from newsloom.cli.common import db_option, dump, json_option, open_db, out, plural, root_options
from newsloom.errors import NewsloomError
from newsloom.models import Article


@click.group()
@root_options
def articles() -> None:
    """What was stored: list and show articles."""


@articles.command("list")
@click.option("--lang", help="Only this language (ISO 639-1).")
@click.option("--source", "source_id", type=click.IntRange(min=1), help="Only this source id.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1))
@click.option("--offset", default=0, type=click.IntRange(min=0))
@click.option("--no-duplicates", is_flag=True, help="Hide duplicates.")
@click.option("--no-text", is_flag=True, help="With --json: leave out each article's text.")
@json_option
@db_option
def articles_list(lang: str | None, source_id: int | None, limit: int, offset: int, no_duplicates: bool,
                  no_text: bool, as_json: bool) -> None:
    """Newest first, with language, source and duplicate-of."""
    lang = language_code(lang, "--lang") if lang else None  # "english" would silently match nothing
    with open_db() as store:
        page = app_articles.list_articles(store, lang=lang, source_id=source_id, limit=limit, offset=offset,
                                          include_duplicates=not no_duplicates)
    if as_json:
        dump([app_articles.article_dict(a, full=False, text=not no_text) for a in page.items])
        return
    _article_table(page.items)
    out.print(f"{len(page.items):,} shown of {plural(page.total, 'article')}")


def _article_table(items: list[Article]) -> None:
    table = Table("id", "lang", "published", "source", "title", "dup of", "copy", "story")
    for a in items:
        table.add_row(str(a.id), a.lang or "?", a.published.strftime("%Y-%m-%d") if a.published else "",
                      a.source or "", (a.title or "")[:80], str(a.duplicate_of or ""), "copy" if a.is_copy else "",
                      str(a.story_id or ""))
    out.print(table)


@articles.command("show")
@click.argument("article_id", type=click.IntRange(min=1))
@click.option("--raw", is_flag=True, help="Also print the extractor's text before cleanup.")
@json_option
@db_option
def articles_show(article_id: int, raw: bool, as_json: bool) -> None:
    """One article: metadata, cleaned text, images, embeds, revisions."""
    with open_db() as store:
        a, revisions = app_articles.show_article(store, article_id)
    if as_json:
        d = app_articles.article_dict(a)
        d["revisions"] = [r.__dict__ for r in revisions]
        dump(d)
        return
    out.print(f"[bold]{escape(a.title or '(no title)')}[/bold]")
    meta = {"id": a.id, "url": a.url, "canonical": a.canonical_url, "source": a.source,
            "language": f"{a.lang} ({(a.lang_confidence or 0):.2f})", "published": a.published,
            "authors": ", ".join(a.authors), "duplicate of": a.duplicate_of,
            "copy of": (a.primary_url or "unknown primary source") if a.is_copy else None,
            "story": a.story_id, "revisions": len(revisions) or None}
    for k, v in meta.items():
        if v not in (None, ""):
            out.print(f"{k:>12}: {v}", markup=False)
    out.print()
    for para in a.text.split("\n\n"):
        out.print(textwrap.fill(para, 100), markup=False)
        out.print()
    for img in a.images:
        out.print(f"[image] {img.caption or ''} {('(' + img.credit + ')') if img.credit else ''} {img.url or ''}",
                  markup=False)
    for e in a.embeds:
        out.print(f"[{e.kind}] {e.author or ''} {('@' + e.handle) if e.handle else ''} {e.date or ''}: {e.text or ''}",
                  markup=False)
    for note in a.notes:
        out.print(f"[note] {note}", markup=False)
    if raw and a.raw_text:
        out.print("\n--- before cleanup ---\n" + a.raw_text, markup=False)


@click.command()
@click.argument("query")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1))
@json_option
@db_option
def search(query: str, limit: int, as_json: bool) -> None:
    """Full-text search over stored articles."""
    if not query.strip():  # was an empty table, exit 0, as if nothing matched
        raise NewsloomError("search: the query is empty; give one or more words to look for")
    with open_db() as store:
        items = app_articles.search(store, query, limit=limit)
    if as_json:
        dump([app_articles.article_dict(a, full=False) for a in items])
    elif not items:
        out.print(f"no article matches {query!r}", markup=False)
    else:
        _article_table(items)
