"""Keyframes: exact frames at shot boundaries, shown as the film is seen, on real files."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from PIL import Image

from conftest import complete, ffmpeg, make_cuts_video, write_artefact
from deerin.enrich.keyframes import (
    SHEET_MAX_TILES,
    KeyframesStage,
    contact_sheet,
    sheet_shots,
    timecode,
)
from deerin.enrich.probe import ProbeStage
from deerin.index.schemas import Shot
from deerin.index.store import VideoFolder, publish, read_json
from deerin.media.frames import frames_at
from deerin.media.probe import probe
from deerin.plugins.stage import Stage, StageContext, StageOutput
from deerin.settings import Settings

FPS = 25
RED, BLUE = (255, 0, 0), (0, 0, 255)


def colour_cuts(path: Path) -> Path:
    """6 s each of red, blue, green at 25 fps (cuts at frames 150 and 300), 1 s GOPs.

    Targets lie about 3 s apart, so reaching them exercises seeking as well as decoding on.
    """
    return make_cuts_video(path, ("red", "blue", "green"), seconds=6.0, fps=FPS, audio=False)


def shots_document(bounds: list[int], fps: float, frame_count: int) -> dict[str, Any]:
    """A shots.json tiling ``frame_count`` frames with cuts at ``bounds``, CFR times."""
    edges = [0, *bounds, frame_count]
    duration = frame_count / fps
    shots = []
    for index, (start, end) in enumerate(pairwise(edges)):
        shots.append(
            {
                "index": index,
                "start_frame": start,
                "end_frame": end,
                "start_time": start / fps,
                "end_time": end / fps if end < frame_count else duration,
                "last_frame_time": (end - 1) / fps,
                "transition_in": None
                if index == 0
                else {"kind": "cut", "start_frame": start, "end_frame": start},
            }
        )
    return {
        "video_id": "vid",
        "fps": fps,
        "frame_count": frame_count,
        "duration": duration,
        "decoded_to": duration,
        "method": {"name": "by hand"},
        "shots": shots,
    }


def run_stage(stage: Stage, source: Path, folder: VideoFolder, reports: list[float]) -> StageOutput:
    """Run a stage as the runner does: into a staging folder, then publish its files."""
    staging = folder.root / f".tmp-{stage.name}"
    staging.mkdir(parents=True)
    ctx = StageContext("vid", source, folder, staging, stage.settings, reports.append)
    output = stage.run(ctx)
    for name in stage.produces:
        publish(staging / name, folder.path(name))
    return output


def keyframes_for(
    source: Path, tmp_path: Path, shots: dict[str, Any], settings: Settings
) -> tuple[VideoFolder, StageOutput, list[float]]:
    folder = VideoFolder.for_video(tmp_path / "data", "vid")
    run_stage(ProbeStage(settings), source, folder, [])
    write_artefact(folder, "shots.json", shots)
    reports: list[float] = []
    output = run_stage(KeyframesStage(settings), source, folder, reports)
    return folder, output, reports


def load(path: Path) -> Image.Image:
    with Image.open(path) as image:
        return image.convert("RGB")


def mean_colour(path: Path) -> np.ndarray:
    return np.asarray(load(path), dtype=float).mean(axis=(0, 1))


def near(colour: np.ndarray, expected: tuple[int, int, int]) -> bool:
    return bool(np.abs(colour - np.array(expected)).max() < 40)


def test_keyframes_are_the_exact_frames_at_the_cuts(tmp_path: Path) -> None:
    source = colour_cuts(tmp_path / "cuts.mp4")
    # Shots: red [0,150), blue [150,300), a one-frame shot [300,301), green [301,450).
    shots = shots_document([150, 300, 301], FPS, 450)
    settings = Settings.from_values(
        {"data_dir": tmp_path / "data", "keyframes.thumbnail_width": 160, "keyframes.quality": 85}
    )
    folder, output, reports = keyframes_for(source, tmp_path, shots, settings)

    assert output.problem is None
    assert output.summary == {"keyframes": 12}
    document = read_json(folder.path("keyframes.json"))
    assert [entry["index"] for entry in document["shots"]] == [0, 1, 2, 3]
    for entry in document["shots"]:
        for role in ("first", "middle", "last"):
            frame = entry[role]
            assert (folder.root / frame["jpeg"]).is_file()
            assert load(folder.root / frame["thumb"]).size == (160, 120)
            assert (frame["width"], frame["height"]) == (320, 240)
    red_middle = folder.root / document["shots"][0]["middle"]["jpeg"]
    assert near(mean_colour(red_middle), RED)
    assert near(mean_colour(folder.path("keyframes/s0001_last.jpg")), RED)
    assert near(mean_colour(folder.path("keyframes/s0002_first.jpg")), BLUE)
    assert document["shots"][1]["first"]["frame"] == 150
    assert document["shots"][1]["first"]["time"] == pytest.approx(6.0, abs=1e-3)
    one_frame = document["shots"][2]
    assert one_frame["first"]["frame"] == one_frame["middle"]["frame"] == one_frame["last"]["frame"]
    sheet = load(folder.path("contact_sheet.jpg"))
    assert 4 * 192 <= sheet.width <= 4 * 200 + 8 and 144 + 16 <= sheet.height <= 200 + 24
    assert reports[-1] == 1.0 and reports == sorted(reports)


def test_truncated_file_gives_the_frames_it_has_and_says_how_many_are_missing(
    tmp_path: Path,
) -> None:
    whole = colour_cuts(tmp_path / "whole.mkv")
    cut = tmp_path / "cut.mkv"
    data = whole.read_bytes()
    cut.write_bytes(data[: len(data) * 2 // 3])
    settings = Settings.from_values({"data_dir": tmp_path / "data"})
    folder, output, _ = keyframes_for(cut, tmp_path, shots_document([150, 300], FPS, 450), settings)

    document = read_json(folder.path("keyframes.json"))
    assert document["shots"][0]["middle"] is not None
    assert document["shots"][2]["last"] is None
    assert output.problem is not None and "could not be decoded" in output.problem
    assert folder.path("contact_sheet.jpg").is_file()


def test_anamorphic_pixels_are_widened_to_the_display_aspect(tmp_path: Path) -> None:
    source = tmp_path / "pal.mkv"
    ffmpeg("-f", "lavfi", "-i", f"testsrc=s=720x576:r={FPS}:d=0.4,setsar=16/15", str(source))
    settings = Settings.from_values({"data_dir": tmp_path / "data"})
    folder, output, _ = keyframes_for(source, tmp_path, shots_document([], FPS, 10), settings)

    assert output.problem is None
    assert load(folder.path("keyframes/s0001_middle.jpg")).size == (768, 576)


def test_rotated_video_is_shown_upright_as_ffmpeg_shows_it(tmp_path: Path) -> None:
    stored = tmp_path / "stored.mp4"
    rotated = tmp_path / "rotated.mp4"
    ffmpeg("-f", "lavfi", "-i", f"testsrc=s=320x240:r={FPS}:d=0.4", "-c:v", "libx264", str(stored))
    ffmpeg("-i", str(stored), "-c", "copy", "-metadata:s:v:0", "rotate=90", str(rotated))
    shown = tmp_path / "shown.png"
    ffmpeg("-i", str(rotated), "-frames:v", "1", str(shown))  # ffmpeg applies the rotation

    grabs = list(frames_at(rotated, [0.0], probe(rotated)))
    ours = np.asarray(grabs[0].image, dtype=float)
    theirs = np.asarray(load(shown), dtype=float)
    assert ours.shape == theirs.shape == (320, 240, 3)
    assert np.abs(ours - theirs).mean() < 3


def test_popeye_dvd_keyframes_hit_cuts_off_keyframes(tmp_path: Path, shared_media: Path) -> None:
    source = shared_media / "popeye" / "mkv_vob_Title_T00-1.mkv"
    fps = 30000 / 1001
    # Hand-checked cuts; frame 414 (13.814 s) is not a keyframe, so it needs exact decoding.
    shots = shots_document([92, 414, 662], fps, 1800)
    for shot in shots["shots"]:  # Matroska stores milliseconds
        for key in ("start_time", "last_frame_time"):
            shot[key] = round(shot[key], 3)
    settings = Settings.from_values({"data_dir": tmp_path / "data"})
    folder, output, _ = keyframes_for(source, tmp_path, shots, settings)

    assert output.problem is None
    first = load(folder.path("keyframes/s0003_first.jpg"))
    assert first.size == (640, 478)  # 720x478 at 8:9 pixels
    before, at_cut = decoded_frames(source, [413, 414], first.size)
    ours = np.asarray(first, dtype=float)
    assert np.abs(ours - at_cut).mean() < 4
    assert np.abs(ours - before).mean() > 20


def decoded_frames(source: Path, indices: list[int], size: tuple[int, int]) -> list[np.ndarray]:
    """Frames by index from a plain sequential decode, the reference for exactness."""
    found = []
    with av.open(str(source)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index in indices:
                image = frame.reformat(width=size[0], height=size[1], format="rgb24")
                found.append(np.asarray(image.to_image(), dtype=float))
            if index >= max(indices):
                return found
    return found


def test_timecode_reads_hours_minutes_seconds_and_milliseconds() -> None:
    assert timecode(3723.4567) == "01:02:03.457"
    assert timecode(0.0) == "00:00:00.000"


def test_contact_sheet_stays_printable_for_thousands_of_shots() -> None:
    chosen = sheet_shots(3456)
    assert len(chosen) == SHEET_MAX_TILES and chosen == sorted(set(chosen))
    assert chosen[0] == 0 and chosen[-1] > 3400
    shots = [
        Shot.model_validate(complete(Shot, {"index": i, "start_time": i * 2.0})) for i in chosen
    ]
    tile = Image.new("RGB", (192, 144), RED)
    sheet = contact_sheet([(shot, tile) for shot in shots])
    assert sheet.width <= 2000 and sheet.height <= 50 * (144 + 24)
    assert sheet_shots(12) == list(range(12))
