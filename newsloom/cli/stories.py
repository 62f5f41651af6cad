"""``newsloom stories``: list, show, rebuild."""

from __future__ import annotations

import sys

import click
from rich.table import Table

from newsloom.cli.common import (db_option, dump, err, json_option, open_db, out, plural, progress, root_options,
                                 settings, when)

_MARK = {"first": "FIRST", "copy": "copy", "translation": "transl.", "rewrite": "rewrite"}


@click.group()
@root_options
def stories() -> None:
    """Stories across languages: list, show, rebuild."""


@stories.command("list")
@click.option("--limit", default=30, show_default=True, type=click.IntRange(min=1))
@click.option("--offset", default=0, type=click.IntRange(min=0))
@click.option("--min-articles", default=1, show_default=True, type=click.IntRange(min=1), help="Hide smaller stories.")
@json_option
@db_option
def stories_list(limit: int, offset: int, min_articles: int, as_json: bool) -> None:
    """Most recently updated stories first."""
    with open_db() as store:
        items = [s for s in store.list_stories(limit=limit, offset=offset) if s.article_count >= min_articles]
    if as_json:
        from newsloom.app.stories import story_dict

        dump([story_dict(s) for s in items])
        return
    table = Table("id", "updated", "articles", "languages", "countries", "headline")
    for s in items:
        headline = next(iter(s.headlines.values()), "") if s.headlines else ""
        if "en" in s.headlines:
            headline = s.headlines["en"]
        table.add_row(str(s.id), s.last_updated.strftime("%Y-%m-%d %H:%M") if s.last_updated else "",
                      str(s.article_count), ",".join(s.languages), ",".join(s.countries), headline[:90])
    out.print(table)


@stories.command("show")
@click.argument("story_id", type=click.IntRange(min=1))
@json_option
@db_option
def stories_show(story_id: int, as_json: bool) -> None:
    """One story: headlines, timeline, who said what, and its articles by language with lineage."""
    from newsloom.app.stories import story_view

    with open_db() as store:
        story = store.get_story(story_id)
        if story.merged_into:
            err.print(f"story {story_id} was merged into story {story.merged_into}")
            story = store.get_story(story.merged_into)
        view = story_view(store, story)
    if as_json:
        dump(view)
        return
    out.print(f"[bold]story {story.id}[/bold]: {plural(story.article_count, 'article')}, "
              f"{', '.join(story.languages)}; {when(story.first_seen)} .. {when(story.last_updated)}")
    for lang, headline in story.headlines.items():
        out.print(f"  [{lang}] {headline}", markup=False)
    if story.sources:
        out.print(f"  sources: {', '.join(story.sources)}", markup=False)
    if story.countries:
        out.print(f"  countries: {', '.join(story.countries)}")
    for lang, arts in view["articles_by_language"].items():  # type: ignore[union-attr]
        out.print(f"\n[bold]{lang}[/bold]")
        for a in arts:
            mark = _MARK.get(a["lineage"] or "", "")
            of = f" of #{a['lineage_of']}" if a["lineage_of"] else ""
            if a["is_copy"] and a["primary_url"] and not of:
                of = f" of {a['primary_url']}"
            dup = f" dup of #{a['duplicate_of']}" if a["duplicate_of"] else ""
            source = f"{a['source']}: " if a["source"] else ""
            out.print(f"  #{a['id']:<6} {mark:>8}{of}{dup}  {source}{a['title'] or ''}  {a['url']}", markup=False)
    if story.quotes:
        out.print("\n[bold]who said what[/bold]")
        for q in story.quotes[:10]:
            text = " ".join((q.get("text") or "").split())
            if len(text) > 140:
                text = text[:140].rsplit(" ", 1)[0] + " …"
            out.print(f"  {q.get('speaker') or '?'}: “{text}”", markup=False)
    if story.entities:
        names = [f"{e.get('text')} ({e.get('type')})" for e in story.entities[:15]]
        out.print("\n[bold]mentions[/bold]")
        out.print("  " + ", ".join(names), markup=False)
    if story.timeline:
        out.print("\n[bold]timeline[/bold]")
        for t in story.timeline:
            out.print(f"  {str(t.get('at') or '')[:16].replace('T', ' ')}  [{t.get('lang')}] "
                      f"{t.get('title') or ''}", markup=False)


@stories.command("rebuild")
@db_option
def stories_rebuild() -> None:
    """Re-cluster the whole archive in effective-date order (what a date-ordered stream gives,
    whatever order the articles arrived in), reusing stored embeddings."""
    from newsloom.stories.service import StoryService

    with open_db() as store:
        service = StoryService(store, settings(), replay=False)
        done = [0]

        def step(i: int) -> None:
            done[0] = i
            bar.update(task, completed=i)

        with progress() as bar:
            task = bar.add_task("re-clustering", total=store.count_articles())
            try:
                n = service.rebuild(progress=step)
            except KeyboardInterrupt:  # the stories were cleared first: say what is left to do
                err.print(f"stories rebuild interrupted after {plural(done[0], 'article')}: the others have no "
                          "story until `newsloom stories rebuild` runs again (or `newsloom run`, which "
                          "catches them up); the articles themselves are kept", markup=False)
                sys.exit(130)
        n_stories = sum(len(c.stories) for c in service.clusterers.values())
        out.print(f"rebuilt stories from {plural(n, 'article')}: {plural(n_stories, 'story', 'stories')}")
