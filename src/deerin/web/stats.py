"""Film statistics over HTTP: the statistics of one video, of films side by side, or of
a collection, as JSON (the models `deerin stats -o x.json` writes), as the report's
charts for the statistics page, and as the report to download (HTML, CSV, JSON).

The page's charts are the report's own sections (explore/report.py draws them), so the
page and the file `deerin stats -o report.html` writes show the same SVG.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from deerin.errors import DeerinError
from deerin.explore.report import (
    Report,
    report_csv,
    report_html,
    report_sections,
    report_title,
)
from deerin.explore.stats import (
    MOST_FILMS,
    CollectionStats,
    FilmStats,
    collection_stats,
    compare_films,
    film_stats,
)
from deerin.index.catalogue import collection_videos
from deerin.retrieve.library import Library
from deerin.settings import Settings
from deerin.web.errors import NotFound
from deerin.web.library import download_name
from deerin.web.media import video_row

Videos = Annotated[
    list[str] | None,
    Query(description="A video id; repeat it for films side by side (up to 8)."),
]
Collection = Annotated[str | None, Query(description="A whole collection instead.")]
DOWNLOADS = {"html": "text/html", "csv": "text/csv", "json": "application/json"}


def stats_router(settings: Settings, library: Library) -> APIRouter:
    router = APIRouter(tags=["statistics"])

    def read(video: list[str] | None, collection: str | None) -> Report:
        return statistics_of(settings, library, video or [], collection)

    @router.get("/api/stats")
    def stats(video: Videos = None, collection: Collection = None) -> Report:
        """One video's statistics, two or more side by side, or a collection's."""
        return read(video, collection)

    @router.get("/api/stats/charts")
    def charts(video: Videos = None, collection: Collection = None) -> dict[str, str]:
        """The report's title and sections as HTML, for the statistics page to show: a
        collection's table and trends (its films' own charts are in the download)."""
        report = read(video, collection)
        each_film = not isinstance(report, CollectionStats)
        return {"title": report_title(report), "html": report_sections(report, each_film)}

    @router.get("/api/stats/report.{fmt}")
    def download(
        fmt: Literal["html", "csv", "json"], video: Videos = None, collection: Collection = None
    ) -> Response:
        """The report as `deerin stats -o report.html|.csv|.json` writes it."""
        report = read(video, collection)
        writers = {
            "html": report_html,
            "csv": report_csv,
            "json": lambda r: r.model_dump_json(indent=2),
        }
        name = f"{download_name(_file_stem(report))}.stats.{fmt}"
        return Response(
            writers[fmt](report),
            media_type=f"{DOWNLOADS[fmt]}; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    return router


def statistics_of(
    settings: Settings, library: Library, videos: list[str], collection: str | None
) -> Report:
    """The videos' statistics (one alone, or side by side), or the collection's."""
    if bool(videos) == (collection is not None):
        raise DeerinError("ask for videos or a collection, one of them")
    if collection is not None:
        if collection not in library.collections():
            raise NotFound(f"there is no collection '{collection}'")
        members = collection_videos(settings, collection)
        return collection_stats(settings.data_dir, collection, members)
    # one more than may be compared is enough for compare_films to refuse them all
    asked = list(dict.fromkeys(videos))[: MOST_FILMS + 1]
    rows = list({row.id: row for row in (video_row(settings, v) for v in asked)}.values())
    if len(rows) == 1:
        return film_stats(settings.data_dir, rows[0])
    return compare_films(settings.data_dir, rows)


def _file_stem(report: Report) -> str:
    if isinstance(report, CollectionStats):
        return report.collection
    if isinstance(report, FilmStats):
        return Path(report.file).stem
    return "comparison"
