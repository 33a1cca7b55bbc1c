"""The Ray executor: the same stages on a Ray cluster (here, one Ray starts on this machine)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from conftest import make_cuts_video
from deerin.errors import DeerinError
from deerin.index.store import read_json
from deerin.pipeline.ingest import ingest
from deerin.pipeline.progress import JsonReporter
from deerin.settings import Settings

STAGES = ("probe", "shots", "keyframes")


def _run(settings: Settings, folder: Path) -> tuple[object, list[dict]]:
    log = io.StringIO()
    report = ingest([folder], "reels", settings, JsonReporter(log), stages=STAGES)
    return report, [json.loads(line) for line in log.getvalue().splitlines()]


def _shots(settings: Settings) -> dict[str, list]:
    """Each video's shot boundaries, by file name."""
    found = {}
    for path in (settings.data_dir / "videos").glob("*/*/shots.json"):
        source = Path(read_json(path.with_name("probe.json"))["media"]["path"])
        shots = read_json(path)["shots"]
        found[source.name] = [(s["start_frame"], s["end_frame"]) for s in shots]
    return found


def test_a_collection_on_ray_comes_out_as_on_the_local_pool(tmp_path: Path) -> None:
    folder = tmp_path / "reels"
    folder.mkdir()
    make_cuts_video(folder / "three.mp4")
    make_cuts_video(folder / "four.mp4", colours=("white", "black", "red", "blue"))
    (folder / "broken.mp4").write_bytes(b"not a video at all")
    local = Settings.from_values(
        {"data_dir": tmp_path / "local", "run.workers": 1, "proxy.enabled": False}
    )
    on_ray = Settings.from_values(
        {"data_dir": tmp_path / "ray", "run.executor": "ray", "proxy.enabled": False}
    )
    report, _ = _run(local, folder)
    ray_report, events = _run(on_ray, folder)
    assert ray_report.ok and len(ray_report.videos) == len(report.videos) == 2
    assert [r.path.name for r in ray_report.not_videos] == ["broken.mp4"]  # probed there
    assert _shots(on_ray) == _shots(local)
    assert len(_shots(on_ray)["four.mp4"]) == 4
    ended = [(e["stage"], e["status"]) for e in events if e["event"] == "stage"]
    assert ended.count(("keyframes", "done")) == 2  # the workers' events reached this process
    rerun, events = _run(on_ray, folder)
    assert rerun.ok
    again = {e["status"] for e in events if e["event"] == "stage" and e["video"] in rerun.videos}
    assert "cached" in again and again <= {"cached", "running"}, again  # nothing redone


def test_no_cluster_to_join_is_a_clear_error(tmp_path: Path) -> None:
    video = make_cuts_video(tmp_path / "one.mp4")
    settings = Settings.from_values(
        {"data_dir": tmp_path / "store", "run.executor": "ray", "run.ray_address": "auto"}
    )
    with pytest.raises(DeerinError) as failed:
        ingest([video], "reels", settings, JsonReporter(io.StringIO()), stages=STAGES)
    assert "cannot reach the Ray cluster at auto" in failed.value.message
    assert "ray start --head" in failed.value.hint
