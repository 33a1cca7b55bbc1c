"""Film statistics against values worked out by hand from shots.json, on a film of
solid-colour shots of known lengths (1, 3, 2 and 6 s: hard cuts a detector cannot miss),
and films side by side with a second (2 and 5 s, thirteen years later)."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
import statistics
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import ffmpeg
from deerin.cli.main import application
from deerin.errors import DeerinError
from deerin.explore.report import comparison_charts, report_csv, report_html
from deerin.explore.stats import (
    MOST_FILMS,
    analytical_runs,
    close_up_share,
    collection_stats,
    compare_films,
    film_stats,
    shot_lengths,
)
from deerin.index.catalogue import open_catalogue
from deerin.index.corrections import add_correction
from deerin.pipeline.ingest import ingest
from deerin.pipeline.progress import JsonReporter
from deerin.settings import Settings

LENGTHS = (1.0, 3.0, 2.0, 6.0)
COLOURS = ("red", "green", "blue", "yellow")
SLOW = (2.0, 5.0)  # the second film: two shots


def timed_cuts(path: Path, lengths: tuple[float, ...] = LENGTHS) -> Path:
    inputs: list[str] = []
    for colour, seconds in zip(COLOURS, lengths, strict=False):
        inputs += ["-f", "lavfi", "-i", f"color=c={colour}:s=320x240:r=25:d={seconds}"]
    graph = "".join(f"[{i}:v]" for i in range(len(lengths))) + f"concat=n={len(lengths)}:v=1[v]"
    ffmpeg(*inputs, "-filter_complex", graph, "-map", "[v]", "-c:v", "libx264",
           "-pix_fmt", "yuv420p", str(path))  # fmt: skip
    return path


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("stats")
    media = root / "media"
    media.mkdir()
    timed_cuts(media / "cuts.mp4")
    timed_cuts(media / "slow.mp4", SLOW)
    with (media / "catalogue.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows(
            [["path", "title", "date"], ["cuts.mp4", "Cuts", "1962"], ["slow.mp4", "Slow", "1975"]]
        )
    settings = Settings.from_values({"data_dir": root / "store", "run.workers": 1})
    report = ingest([media / "catalogue.csv"], "c", settings, JsonReporter(io.StringIO()),
                    stages=("probe", "shots"))  # fmt: skip
    assert report.ok, report.failed
    return settings


def the_videos(settings: Settings):  # type: ignore[no-untyped-def]
    """cuts.mp4 and slow.mp4, in that order."""
    catalogue = open_catalogue(settings)
    try:
        return catalogue.videos("c")
    finally:
        catalogue.close()


def the_video(settings: Settings):  # type: ignore[no-untyped-def]
    return the_videos(settings)[0]


def by_hand(settings: Settings, video_id: str | None = None) -> list[float]:
    """Each shot's length, read straight from shots.json (of cuts.mp4 unless told)."""
    folder = next((settings.data_dir / "videos").glob(f"*/{video_id or the_video(settings).id}"))
    shots = json.loads((folder / "shots.json").read_text())["shots"]
    return [s["end_time"] - s["start_time"] for s in shots]


def test_shot_lengths_match_shots_json(store: Settings) -> None:
    lengths = by_hand(store)
    assert lengths == pytest.approx(LENGTHS, abs=0.05)  # the detector found every cut
    film = film_stats(store.data_dir, the_video(store))
    assert film.year == 1962 and film.title == "Cuts"
    assert film.shots == pytest.approx(lengths)
    assert film.lengths.count == 4
    assert film.lengths.average == pytest.approx(sum(lengths) / 4)
    assert film.lengths.median == pytest.approx(statistics.median(lengths))
    assert film.lengths.deviation == pytest.approx(statistics.stdev(lengths))
    assert (film.lengths.shortest, film.lengths.longest) == (min(lengths), max(lengths))
    assert film.cuts_per_minute == pytest.approx(3 / (film.duration / 60))
    counts = {(b.low, b.high): b.count for b in film.lengths.histogram}
    assert counts[(1.0, 2.0)] == 1 and counts[(2.0, 4.0)] == 2 and counts[(4.0, 8.0)] == 1
    [minute] = film.minutes
    assert minute.cuts == 3 and minute.end == pytest.approx(film.duration)
    assert minute.speech is None and minute.faces is None  # those layers did not run
    # in tenths of the running time, each cut counted once, at its place
    tenth = film.duration / 10 / 60
    assert sum(rate * tenth for rate in film.pace) == pytest.approx(3)
    assert film.pace[int(LENGTHS[0] / (film.duration / 10))] > 0  # the first cut, at 1 s


def test_corrected_shots_change_the_statistics(store: Settings) -> None:
    video = the_video(store)
    cut = sum(by_hand(store)[:2])  # the start of the third shot
    add_correction(store.data_dir, video.id, {"kind": "merge_shots", "at": cut, "by": "test"})
    try:
        film = film_stats(store.data_dir, video)
        assert film.lengths.count == 3
        assert film.shots[1] == pytest.approx(LENGTHS[1] + LENGTHS[2], abs=0.05)
    finally:
        (store.data_dir / "corrections" / f"{video.id}.json").unlink()


def test_analytical_editing_is_three_shots_each_closer() -> None:
    assert analytical_runs(["LS", "MS", "CS"]) == 1
    assert analytical_runs(["LS", "FS", "MS", "CS", "ECS"]) == 3
    assert analytical_runs(["CS", "MS", "LS", "", "MS", "CS"]) == 0
    assert analytical_runs([]) == 0


def test_an_empty_film_has_no_averages() -> None:
    empty = shot_lengths([])
    assert empty.count == 0 and empty.average is None and empty.median is None
    assert sum(b.count for b in empty.histogram) == 0


def test_a_collection_pools_shots_and_groups_years(store: Settings) -> None:
    report = collection_stats(store.data_dir, "c", the_videos(store))
    assert report.lengths.count == 4 + 2
    assert [(y.year, y.films) for y in report.by_year] == [(1962, 1), (1975, 1)]
    assert [y.average for y in report.by_year] == pytest.approx([3.0, 3.5], abs=0.05)
    assert report.by_year[0].average == pytest.approx(report.films[0].lengths.average)
    assert report.by_year[1].cuts_per_minute == pytest.approx(report.films[1].cuts_per_minute)
    assert all(y.close_ups is None for y in report.by_year)  # no shot-scale stage ran
    framed = report.films[0].model_copy(update={"scales": {"LS": 0.5, "CS": 0.3, "ECS": 0.2}})
    assert close_up_share(framed) == pytest.approx(0.5)


def test_films_side_by_side_are_each_films_own_statistics(store: Settings) -> None:
    cuts, slow = the_videos(store)
    both = compare_films(store.data_dir, [cuts, slow, cuts])  # a film twice counts once
    assert both.films == [film_stats(store.data_dir, cuts), film_stats(store.data_dir, slow)]
    assert both.films[1].shots == pytest.approx(by_hand(store, slow.id))
    assert both.films[1].lengths.average == pytest.approx(sum(SLOW) / 2, abs=0.05)
    charts = {chart.key: chart for chart, _ in comparison_charts(both.films)}
    lengths = list(csv.reader(io.StringIO(charts["compare-lengths"].csv())))
    assert lengths[0] == ["bin", "Cuts", "Slow"]
    shares = {row[0]: (float(row[1]), float(row[2])) for row in lengths[1:]}
    assert shares["2–4"] == (0.5, 0.5) and shares["4–8"] == (0.25, 0.5)  # 2 of 4; 1 of 2
    pace = list(csv.reader(io.StringIO(charts["compare-pace"].csv())))
    assert [row[0] for row in pace[1:]] == [f"{n}0%" for n in range(1, 11)]
    for refused in ([cuts], [cuts, cuts], []):
        with pytest.raises(DeerinError, match="two different films"):
            compare_films(store.data_dir, refused)
    many = [dataclasses.replace(cuts, id=f"{n:032x}") for n in range(MOST_FILMS + 1)]
    with pytest.raises(DeerinError, match=f"at most {MOST_FILMS}"):
        compare_films(store.data_dir, many)


def test_the_comparison_report_puts_every_film_in_each_format(store: Settings) -> None:
    both = compare_films(store.data_dir, the_videos(store))
    rows = list(csv.DictReader(io.StringIO(report_csv(both))))
    assert [(r["title"], r["shots"], r["year"]) for r in rows] == [
        ("Cuts", "4", "1962"),
        ("Slow", "2", "1975"),
    ]
    page = report_html(both)
    charts = re.findall(r'<svg id="([^"]+)"', page)
    assert charts[:4] == ["compare-lengths", "compare-pace", "compare-scales", "compare-seen"]
    assert len(charts) == 4 + 2 * 5  # side by side, then each film's own five
    assert page.count("data-png=") == page.count("data:text/csv") == len(charts)
    table = page[page.index('<table class="side-by-side">') : page.index("</table>")]
    assert '<th scope="col">Cuts</th><th scope="col">Slow</th>' in table
    assert '<th scope="row">ASL (s)</th><td>3.00</td><td>3.50</td>' in table
    legend = page[page.index('<svg id="compare-pace"') :].split("</svg>")[0]
    assert ">Cuts</text>" in legend and ">Slow</text>" in legend  # two lines, named
    assert legend.count("<polyline") == 2


def test_the_command_writes_json_and_csv(store: Settings, tmp_path: Path) -> None:
    run = CliRunner()
    base = ["--data-dir", str(store.data_dir), "stats"]
    done = run.invoke(application(), [*base, "cuts.mp4", "-o", str(tmp_path / "film.json")])
    assert done.exit_code == 0, done.output
    assert json.loads((tmp_path / "film.json").read_text())["lengths"]["count"] == 4
    done = run.invoke(application(), [*base, "-c", "c", "-o", str(tmp_path / "films.csv")])
    assert done.exit_code == 0, done.output
    rows = list(csv.DictReader((tmp_path / "films.csv").open()))
    assert rows[0]["file"] == "cuts.mp4" and rows[0]["shots"] == "4" and rows[0]["year"] == "1962"
    summary = run.invoke(application(), [*base, "-c", "c"])
    assert summary.exit_code == 0 and "cuts.mp4" in summary.output
    pair = [*base, "cuts.mp4", "slow.mp4"]
    done = run.invoke(application(), [*pair, "-o", str(tmp_path / "2.json")])
    assert done.exit_code == 0, done.output
    films = json.loads((tmp_path / "2.json").read_text())["films"]
    assert [(f["file"], f["lengths"]["count"]) for f in films] == [("cuts.mp4", 4), ("slow.mp4", 2)]
    side = run.invoke(application(), pair)
    assert side.exit_code == 0 and "cuts.mp4" in side.output and "slow.mp4" in side.output
    twice = run.invoke(application(), [*base, "cuts.mp4", "cuts.mp4"])
    assert twice.exit_code == 2 and "two different films" in twice.output
    nothing = run.invoke(application(), base)
    assert nothing.exit_code == 2 and "one of them" in nothing.output
    wrong = run.invoke(application(), [*base, "cuts.mp4", "-o", str(tmp_path / "x.pdf")])
    assert wrong.exit_code == 2 and "use .html, .json or .csv" in wrong.output
    both = run.invoke(application(), [*base, "cuts.mp4", "-c", "c"])
    assert both.exit_code == 2 and "one of them" in both.output


def test_the_html_report_draws_every_chart_offline(store: Settings, tmp_path: Path) -> None:
    import re

    report = tmp_path / "report.html"
    base = ["--data-dir", str(store.data_dir), "stats", "-c", "c", "-o", str(report)]
    done = CliRunner().invoke(application(), base)
    assert done.exit_code == 0, done.output
    page = report.read_text()
    charts = re.findall(r'<svg id="([^"]+)"', page)
    assert charts[:2] == ["years-asl", "years-cuts"]  # no close-ups: no shot scales
    assert len(charts) == 2 + 2 * 5  # the years, then each film's five
    assert page.count("data:text/csv") == len(charts) and page.count("data-png=") == len(charts)
    assert not re.search(r'(src|href)="https?:', page)  # nothing fetched from anywhere
    assert "<td>Cuts</td><td>1962</td><td>4</td><td>3.00</td>" in page  # ASL 12 s / 4 shots
