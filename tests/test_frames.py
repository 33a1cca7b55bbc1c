"""Analysis frames: middle frames plus a regular grid, decoded once, damaged ones named."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import make_cuts_video
from deerin.enrich.frames import AnalysisFrame, load_image, plan_times, readable
from deerin.errors import DeerinError
from deerin.index.schemas import Shot
from deerin.index.store import VideoFolder, read_json
from deerin.pipeline.runner import VideoJob, process_video
from deerin.plugins.stage import ItemErrors
from deerin.settings import Settings


def shot(index: int, start: float, last: float) -> Shot:
    return Shot(
        index=index,
        start_frame=round(start * 25),
        end_frame=round(last * 25) + 1,
        start_time=start,
        end_time=last + 0.04,
        last_frame_time=last,
        transition_in=None,
    )


def test_plan_keeps_middles_and_drops_samples_that_repeat_them() -> None:
    plan = plan_times([shot(0, 0.0, 3.96), shot(1, 4.0, 9.96)], every=3.0)
    middles = sorted(t for t, kind in plan.items() if kind == "middle")
    samples = sorted(t for t, kind in plan.items() if kind == "sample")
    assert middles == pytest.approx([1.96, 6.96])
    assert samples == [0.0, 3.0, 9.0]  # 6.0 is within a third of the interval of 6.96


def test_frames_stage_on_a_real_video(tmp_path: Path) -> None:
    video = make_cuts_video(tmp_path / "cuts.mkv", ("red", "green", "blue"), seconds=2.0)
    settings = Settings.from_values(
        {"data_dir": tmp_path / "store", "run.workers": 1, "frames.sample_seconds": 1.0}
    )
    job = VideoJob("v1", str(video), settings, ("probe", "shots", "frames"))
    result = process_video(job, lambda event: None)
    assert result.outcomes["frames"].status == "done", result.outcomes["frames"].detail
    folder = VideoFolder.for_video(settings.data_dir, "v1")
    frames = read_json(folder.path("frames.json"))["frames"]
    times = [f["time"] for f in frames]
    assert times == sorted(times) and times[0] == 0.0
    assert [f["shot"] for f in frames if f["kind"] == "middle"] == [0, 1, 2]
    for entry in frames:
        expected = entry["time"] // 2.0  # shots change every 2 s
        assert entry["shot"] == expected
        assert folder.path(entry["file"]).stat().st_size > 0
    red = load_image(AnalysisFrame(0, 0.0, 0, "sample", folder.path(frames[0]["file"])))
    assert red.getpixel((10, 10))[0] > 200


def test_damaged_and_tiny_frames_are_recorded_and_skipped(tmp_path: Path) -> None:
    from PIL import Image

    good = tmp_path / "good.jpg"
    Image.new("RGB", (64, 48), "white").save(good)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(good.read_bytes()[:40])
    tiny = tmp_path / "tiny.jpg"
    Image.new("RGB", (8, 8), "white").save(tiny)
    frames = [
        AnalysisFrame(i, float(i), 0, "sample", p) for i, p in enumerate((good, broken, tiny, good))
    ]
    with pytest.raises(DeerinError) as caught:
        load_image(frames[1])
    assert str(broken) in caught.value.message
    errors = ItemErrors()
    batches = list(readable(frames, errors, batch=1))
    assert [[f.index for f, _ in b] for b in batches] == [[0], [3]]
    assert [e["frame"] for e in errors.items] == [1, 2]
    assert "too small" in errors.items[1]["problem"]
    assert errors.problem(4).startswith("2 of 4 frames failed")
