"""`deerin search` and `deerin index`: find moments in a collection; keep its index built.

The options are the search box's fields spelled as flags: ``--year 1950..1969`` is the
same as typing ``year:1950..1969`` (see ``docs/search.md`` for the grammar).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from deerin.cli.common import err, out, settings_from
from deerin.errors import DeerinError
from deerin.index.catalogue import open_catalogue
from deerin.index.store import CollectionFolder
from deerin.pipeline.collection import collection_context
from deerin.plugins.stage import ItemErrors
from deerin.retrieve.build import update_index
from deerin.retrieve.hits import Hit, SearchResult
from deerin.retrieve.query import (
    Query,
    parse,
    parse_box,
    parse_modes,
    parse_shot,
    with_collections,
)
from deerin.retrieve.search import Searcher

FLAG_FIELDS = ("person", "place", "year", "in", "lang", "video", "scale", "media", "has")


def search_cmd(
    ctx: typer.Context,
    query: Annotated[
        str, typer.Argument(help='Words, "exact phrases", -excluded, field:value filters.')
    ] = "",
    image: Annotated[
        Path | None, typer.Option("--image", help="A picture: shots that look like it.")
    ] = None,
    like: Annotated[
        str | None,
        typer.Option("--like", help="VIDEO:SHOT, shots that look like this one (more like this)."),
    ] = None,
    face: Annotated[
        Path | None, typer.Option("--face", help="A photo of a face: where that person appears.")
    ] = None,
    person: Annotated[
        list[str] | None, typer.Option("--person", help="A person's id or name (repeatable).")
    ] = None,
    place: Annotated[list[str] | None, typer.Option("--place", help="A place name.")] = None,
    box: Annotated[
        str | None,
        typer.Option("--box", help="Places within SOUTH,WEST,NORTH,EAST (degrees)."),
    ] = None,
    year: Annotated[str | None, typer.Option("--year", help="1961, or 1950..1969.")] = None,
    within: Annotated[
        list[str] | None,
        typer.Option("--in", help="speech, subtitles, text, captions, summary, metadata or tags."),
    ] = None,
    lang: Annotated[
        list[str] | None, typer.Option("--lang", help="Language code, e.g. en.")
    ] = None,
    video: Annotated[
        list[str] | None, typer.Option("--video", help="A video's id or file name.")
    ] = None,
    scale: Annotated[list[str] | None, typer.Option("--scale", help="ECS, CS, MS, FS, LS.")] = None,
    media: Annotated[str | None, typer.Option("--media", help="film or sound.")] = None,
    has: Annotated[list[str] | None, typer.Option("--has", help="faces, text or speech.")] = None,
    mode: Annotated[
        str,
        typer.Option("--mode", help="What free text matches: words, meaning, picture, or a list."),
    ] = "words,meaning",
    collection: Annotated[
        list[str] | None,
        typer.Option(
            "--collection",
            "-c",
            help="Search only this collection (repeatable; default: every one).",
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="Hits to show.")] = 20,
    offset: Annotated[int, typer.Option("--offset", help="Hits to skip (pagination).")] = 0,
    group: Annotated[bool, typer.Option("--group", help="Group the hits by video.")] = False,
    merge: Annotated[
        bool, typer.Option("--merge/--no-merge", help="Merge neighbouring hits of one video.")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Search spoken words, on-screen text, subtitles, pictures, people and places."""
    settings = settings_from(ctx)
    flags = {
        "person": person, "place": place, "year": [year] if year else None, "in": within,
        "lang": lang, "video": video, "scale": scale, "media": [media] if media else None,
        "has": has,
    }  # fmt: skip
    typed = " ".join(f'{name}:"{value}"' for name in FLAG_FIELDS for value in flags[name] or [])
    base = Query(
        modes=parse_modes(mode),
        image=image,
        face=face,
        like=parse_shot(like) if like else None,
        box=parse_box(box) if box else None,
    )
    parsed = with_collections(parse(f"{query} {typed}", base), collection or [])
    result = Searcher(settings, list(parsed.filters.collections) or None).search(
        parsed, limit=limit, offset=offset, group=group, merge=merge
    )
    for warning in result.warnings:
        err.print(f"[yellow]warning:[/] {escape(warning)}")
    if as_json:
        out.print_json(result.model_dump_json())
        return
    _show(result, group)


def _show(result: SearchResult, group: bool) -> None:
    shown = (
        result.total
        if result.total <= len(result.hits)
        else f"{len(result.hits)} of {result.total}"
    )
    noun = "hit" if result.total == 1 else "hits"
    out.print(f"[bold]{shown} {noun}[/] ({result.took_ms:.0f} ms)")
    if result.groups is not None:
        for video in result.groups:
            out.print(f"\n[bold]{escape(video.file)}[/] ({video.video_id[:8]})")
            for hit in video.hits:
                _line(hit, result.people, with_file=False)
    else:
        for hit in result.hits:
            _line(hit, result.people, with_file=True)
    for kind, method in result.methods.items():
        out.print(f"[dim]{kind}: {escape(method)}[/]")
    if not result.hits:
        out.print("Nothing found. Try fewer words, another mode (--mode meaning), or no filters.")


def _line(hit: Hit, names: dict[str, dict[str, str]], with_file: bool) -> None:
    match = hit.matches[0]
    where = f"{escape(hit.file)} " if with_file else "  "
    known = names.get(hit.collection, {})
    people = ", ".join(known.get(p, p) for p in hit.people)
    out.print(
        f"{where}[cyan]{_time(hit.start)}–{_time(hit.end)}[/] [magenta]{match.kind}[/] "
        f"{escape(match.marked[:160])}"
        + (f" [dim]people: {escape(people)}[/]" if people else "")
        + f" [dim]({', '.join(hit.methods)})[/]"
    )


def _time(seconds: float) -> str:
    minutes, rest = divmod(max(seconds, 0.0), 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours:02d}:{minutes:02d}:{rest:05.2f}"


def index_cmd(
    ctx: typer.Context,
    collection: Annotated[
        str | None, typer.Option("--collection", "-c", help="Collection (default: every one).")
    ] = None,
    rebuild: Annotated[
        bool,
        typer.Option("--rebuild", help="Drop the index and build it again from the artefacts."),
    ] = False,
) -> None:
    """Build or update the search index from the artefacts (ingest does this by itself)."""
    settings = settings_from(ctx)
    folders = CollectionFolder.chosen(settings.data_dir, collection)
    catalogue = open_catalogue(settings)
    try:
        contexts = [collection_context(f.name, settings, catalogue) for f in folders]
    finally:
        catalogue.close()
    if not contexts:
        raise DeerinError(
            f"there is no collection {collection!r} with videos" if collection else "no videos yet",
            path=settings.data_dir,
            hint="ingest a folder first: `deerin ingest FOLDER -c NAME`",
        )
    for where in contexts:

        def progress(done: int, total: int, name: str = where.collection) -> None:
            err.print(f"  {name}: {done}/{total} videos indexed")

        errors = ItemErrors()
        report = update_index(where, rebuild=rebuild, errors=errors, progress=progress)
        problem = errors.problem(len(where.videos), "videos")
        if problem:
            err.print(f"[yellow]{escape(where.collection)}: {escape(problem)}[/]")
        rows = ", ".join(f"{n} {name}" for name, n in report.rows.items())
        why = f" (rebuilt: {report.rebuilt})" if report.rebuilt else ""
        out.print(
            f"{where.collection}: {report.videos} indexed, {report.unchanged} unchanged, "
            f"{report.removed} removed{why}; {rows}"
        )
