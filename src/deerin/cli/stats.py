"""`deerin stats`: film statistics of a video or a collection (shot lengths, cuts per
minute, shot scales and their sequence, faces and speech over time), as a summary, an
HTML report of charts that works offline, JSON or CSV."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from deerin.cli.common import err, out, resolve_video, settings_from
from deerin.errors import DeerinError
from deerin.explore.report import number, report_html
from deerin.explore.stats import (
    CLOSENESS,
    CollectionStats,
    FilmStats,
    collection_stats,
    film_stats,
)
from deerin.index.catalogue import open_catalogue
from deerin.index.store import atomic_write_bytes

FORMATS = (".json", ".csv", ".html")


def stats_cmd(
    ctx: typer.Context,
    video: Annotated[
        str | None, typer.Argument(help="Video id (or its start), file name or path.")
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
    film, shot scales and their sequence, faces and speech minute by minute."""
    if (video is None) == (collection is None):
        raise DeerinError(
            "give a video or --collection, one of them",
            hint="e.g. `deerin stats film.mp4` or `deerin stats -c archive -o stats.csv`",
        )
    if output is not None and output.suffix.lower() not in FORMATS:
        raise DeerinError("is not a report DEERIn writes: use .html, .json or .csv", path=output)
    settings = settings_from(ctx)
    catalogue = open_catalogue(settings)
    try:
        if video is not None:
            row = catalogue.video(resolve_video(settings, video)[0])
            report: FilmStats | CollectionStats = film_stats(settings.data_dir, row)
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
    writers = {".json": lambda r: r.model_dump_json(indent=2), ".csv": _csv, ".html": report_html}
    text = writers[output.suffix.lower()](report)
    atomic_write_bytes(output, text.encode("utf-8"))
    err.print(f"wrote {escape(str(output))}")


def _films(report: FilmStats | CollectionStats) -> list[FilmStats]:
    return report.films if isinstance(report, CollectionStats) else [report]


def _csv(report: FilmStats | CollectionStats) -> str:
    """One film: a row per shot (length, scale). A collection: a row per film."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if isinstance(report, FilmStats):
        writer.writerow(["shot", "length", "scale"])
        for index, (length, scale) in enumerate(
            zip(report.shots, report.scale_sequence, strict=True)
        ):
            writer.writerow([index, f"{length:.3f}", scale])
        return buffer.getvalue()
    shares = [f"share_{scale}" for scale in CLOSENESS]
    writer.writerow(["file", "year", "duration", "shots", "asl", "median", "cuts_per_minute",
                     "analytical_runs", *shares])  # fmt: skip
    for film in report.films:
        writer.writerow(
            [film.file, film.year or "", f"{film.duration:.2f}", film.lengths.count,
             number(film.lengths.average, 3), number(film.lengths.median, 3),
             number(film.cuts_per_minute, 3), film.analytical_runs,
             *[number(film.scales.get(scale), 3) for scale in CLOSENESS]]
        )  # fmt: skip
    return buffer.getvalue()


def _summary(report: FilmStats | CollectionStats) -> None:
    table = Table(title="Film statistics (seconds)")
    for column in ("file", "year", "shots", "ASL", "median", "cuts/min", "scales", "LS→MS→CS"):
        table.add_column(column)
    for film in _films(report):
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
