"""Film statistics against values worked out by hand from shots.json, on a film of
solid-colour shots of known lengths (1, 3, 2 and 6 s: hard cuts a detector cannot miss)."""

from __future__ import annotations

import csv
import io
import json
import statistics
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import ffmpeg
from deerin.cli.main import application
from deerin.explore.stats import analytical_runs, collection_stats, film_stats, shot_lengths
from deerin.index.catalogue import open_catalogue
from deerin.index.corrections import add_correction
from deerin.pipeline.ingest import ingest
from deerin.pipeline.progress import JsonReporter
from deerin.settings import Settings

LENGTHS = (1.0, 3.0, 2.0, 6.0)
COLOURS = ("red", "green", "blue", "yellow")


def timed_cuts(path: Path) -> Path:
    inputs: list[str] = []
    for colour, seconds in zip(COLOURS, LENGTHS, strict=True):
        inputs += ["-f", "lavfi", "-i", f"color=c={colour}:s=320x240:r=25:d={seconds}"]
    graph = "".join(f"[{i}:v]" for i in range(len(COLOURS))) + f"concat=n={len(COLOURS)}:v=1[v]"
    ffmpeg(*inputs, "-filter_complex", graph, "-map", "[v]", "-c:v", "libx264",
           "-pix_fmt", "yuv420p", str(path))  # fmt: skip
    return path


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("stats")
    media = root / "media"
    media.mkdir()
    timed_cuts(media / "cuts.mp4")
    with (media / "catalogue.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows([["path", "title", "date"], ["cuts.mp4", "Cuts", "1962"]])
    settings = Settings.from_values({"data_dir": root / "store", "run.workers": 1})
    report = ingest([media / "catalogue.csv"], "c", settings, JsonReporter(io.StringIO()),
                    stages=("probe", "shots"))  # fmt: skip
    assert report.ok, report.failed
    return settings


def the_video(settings: Settings):  # type: ignore[no-untyped-def]
    catalogue = open_catalogue(settings)
    try:
        return catalogue.videos("c")[0]
    finally:
        catalogue.close()


def by_hand(settings: Settings) -> list[float]:
    """Each shot's length, read straight from shots.json."""
    [path] = (settings.data_dir / "videos").glob("*/*/shots.json")
    return [s["end_time"] - s["start_time"] for s in json.loads(path.read_text())["shots"]]


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
    report = collection_stats(store.data_dir, "c", [the_video(store)])
    assert report.lengths.count == 4
    assert [(y.year, y.films) for y in report.by_year] == [(1962, 1)]
    assert report.by_year[0].average == pytest.approx(report.films[0].lengths.average)


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
    assert len(charts) == 1 + 5  # the years, then the film's five
    assert page.count("data:text/csv") == len(charts) and page.count("data-png=") == len(charts)
    assert not re.search(r'(src|href)="https?:', page)  # nothing fetched from anywhere
    assert "<td>Cuts</td><td>1962</td><td>4</td><td>3.00</td>" in page  # ASL 12 s / 4 shots
