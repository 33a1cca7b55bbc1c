"""`deerin stats`: film statistics of a video, of several side by side, or of a
collection (shot lengths, cuts per minute, shot scales and their sequence, faces and
speech over time), as a summary, an HTML report of charts that works offline, JSON or CSV."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from deerin.cli.common import err, out, resolve_video, settings_from
from deerin.errors import DeerinError
from deerin.explore.report import (
    Report,
    number,
    report_csv,
    report_films,
    report_html,
)
from deerin.explore.stats import CollectionStats, collection_stats, compare_films, film_stats
from deerin.index.catalogue import open_catalogue
from deerin.index.store import atomic_write_bytes

FORMATS = (".json", ".csv", ".html")


def stats_cmd(
    ctx: typer.Context,
    videos: Annotated[
        list[str] | None,
        typer.Argument(
            help="Video id (or its start), file name or path; two or more side by side.",
            show_default=False,
        ),
    ] = None,
    collection: Annotated[
        str | None, typer.Option("--collection", "-c", help="A whole collection instead.")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="report.html (charts, offline), .json or .csv \\[default: a summary here].",
        ),
    ] = None,
) -> None:
    """Film statistics: shot lengths (average, median, spread), cuts per minute along the
    film, shot scales and their sequence, faces and speech minute by minute; films side
    by side; a collection's trends by year."""
    if bool(videos) == (collection is not None):
        raise DeerinError(
            "give videos or --collection, one of them",
            hint="e.g. `deerin stats film.mp4`, `deerin stats a.mp4 b.mp4 -o both.html` "
            "or `deerin stats -c archive -o stats.csv`",
        )
    if output is not None and output.suffix.lower() not in FORMATS:
        raise DeerinError("is not a report DEERIn writes: use .html, .json or .csv", path=output)
    settings = settings_from(ctx)
    catalogue = open_catalogue(settings)
    try:
        if videos:
            rows = [catalogue.video(resolve_video(settings, video)[0]) for video in videos]
            report: Report = (
                film_stats(settings.data_dir, rows[0])
                if len(rows) == 1
                else compare_films(settings.data_dir, rows)
            )
        else:
            members = catalogue.videos(collection)
            if not members:
                raise DeerinError(f"collection '{collection}' has no videos")
            report = collection_stats(settings.data_dir, collection, members)
    finally:
        catalogue.close()
    if output is None:
        _summary(report)
        return
    writers = {
        ".json": lambda r: r.model_dump_json(indent=2),
        ".csv": report_csv,
        ".html": report_html,
    }
    text = writers[output.suffix.lower()](report)
    atomic_write_bytes(output, text.encode("utf-8"))
    err.print(f"wrote {escape(str(output))}")


def _summary(report: Report) -> None:
    table = Table(title="Film statistics (seconds)")
    for column in ("file", "year", "shots", "ASL", "median", "cuts/min", "scales", "LS→MS→CS"):
        table.add_column(column)
    for film in report_films(report):
        scales = " ".join(f"{s} {share:.0%}" for s, share in film.scales.items()) or "-"
        table.add_row(
            escape(film.file), str(film.year or ""), str(film.lengths.count),
            number(film.lengths.average), number(film.lengths.median),
            number(film.cuts_per_minute), scales, str(film.analytical_runs),
        )  # fmt: skip
    out.print(table)
    if isinstance(report, CollectionStats):
        pooled = report.lengths
        out.print(
            f"all {pooled.count} shots: average {number(pooled.average)} s, "
            f"median {number(pooled.median)} s"
        )
        for year in report.by_year:
            out.print(f"  {year.year}: {year.films} films, average {number(year.average)} s")
    sys.stdout.flush()
