"""`deerin places`: the places a collection names (resolved to coordinates while it was
enriched), with how often and in how many films, and the names that could not be placed:
what the web app's places page puts on its world map."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from deerin.cli.common import err, out, settings_from
from deerin.retrieve.places import MappedPlace, collection_places


def places_cmd(
    ctx: typer.Context,
    collection: Annotated[
        str | None,
        typer.Option("--collection", "-c", help="One collection \\[default: every one]."),
    ] = None,
    year_from: Annotated[
        int | None, typer.Option("--from", help="Films of this year or later.", show_default=False)
    ] = None,
    year_to: Annotated[
        int | None, typer.Option("--to", help="Films of this year or earlier.", show_default=False)
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Every place and its moments as JSON.")
    ] = False,
) -> None:
    """Places named in a collection: each place's country, mentions, films, and the first
    moment it is named; then the names said or shown that have no coordinates."""
    answer = collection_places(settings_from(ctx), collection, year_from=year_from, year_to=year_to)
    if as_json:
        sys.stdout.write(answer.model_dump_json(indent=2) + "\n")
        return
    for note in answer.notes:
        err.print(escape(note))
    if answer.places:
        table = Table(title="Places named")
        for column in ("place", "country", "mentions", "films", "first moment"):
            table.add_column(column, justify="right" if column in ("mentions", "films") else "left")
        for place in answer.places:
            table.add_row(
                escape(place.name), place.country, str(place.mentions), str(place.videos),
                escape(_first_moment(place)),
            )  # fmt: skip
        out.print(table)
    if answer.unplaced:
        names = ", ".join(f"{u.name} ({u.count})" for u in answer.unplaced)
        out.print(f"Named but not on the map: {escape(names)}")
    sys.stdout.flush()


def _first_moment(place: MappedPlace) -> str:
    """The first moment as a person finds it: film, year and time (m:ss)."""
    first = place.moments[0]
    minutes, seconds = divmod(round(first.start), 60)
    year = f" ({first.year})" if first.year else ""
    return f"{first.title}{year} at {minutes}:{seconds:02d}"
