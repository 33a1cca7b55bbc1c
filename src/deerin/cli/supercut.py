"""`deerin supercut`: every moment a phrase is said or shown, cut on the word."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from deerin.cli.common import settings_from
from deerin.cli.edits import OUTPUT_HELP, deliver
from deerin.interact.supercut import ORDERS, SupercutRequest, make_supercut


def supercut_cmd(
    ctx: typer.Context,
    query: Annotated[
        str,
        typer.Argument(
            help="The phrase (words in order), with any search filters: year:, video:, "
            "person:, set:, in:speech or in:text. With --regex, only filters."
        ),
    ] = "",
    collection: Annotated[
        str | None, typer.Option("--collection", "-c", help="One collection [default: all].")
    ] = None,
    regex: Annotated[
        str | None,
        typer.Option("--regex", help=r"A regular expression over the words, e.g. '\bcolou?r\b'."),
    ] = None,
    meaning: Annotated[
        bool, typer.Option("--meaning", help="Passages close in meaning, not the words.")
    ] = False,
    pad: Annotated[
        float | None, typer.Option("--pad", help="Seconds before and after each clip [0].")
    ] = None,
    pad_before: Annotated[float, typer.Option("--pad-before", help="Seconds before.")] = 0.0,
    pad_after: Annotated[float, typer.Option("--pad-after", help="Seconds after.")] = 0.0,
    order: Annotated[str, typer.Option("--order", help=f"One of: {', '.join(ORDERS)}.")] = "time",
    limit: Annotated[int, typer.Option("--max", help="At most this many clips.")] = 200,
    seed: Annotated[int, typer.Option("--seed", help="For --order random.")] = 0,
    output: Annotated[Path | None, typer.Option("--output", "-o", help=OUTPUT_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the edit as JSON.")] = False,
) -> None:
    """Cut every moment a phrase is said or shown into one film, or a timeline.

    Examples: deerin supercut "ask not" -o asknot.mp4 ; deerin supercut --regex
    '\\bcolou?r\\b' 'year:1950..1969' -o colour.fcpxml ; deerin supercut 'the sea'
    --meaning --pad 0.5 --order random
    """
    settings = settings_from(ctx)
    request = SupercutRequest(
        query=query,
        collection=collection,
        regex=regex,
        meaning=meaning,
        pad_before=pad if pad is not None else pad_before,
        pad_after=pad if pad is not None else pad_after,
        order=order,
        limit=limit,
        seed=seed,
    )
    deliver(make_supercut(settings, request), output, as_json)
