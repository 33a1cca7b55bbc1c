"""The shots stage against known answers: the synthetic demo tape, hand labels, made files.

Nothing is mocked: every test decodes real files with PyAV and runs the real detectors
(PySceneDetect, and TransNetV2 with its bundled weights on one short clip).
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from dataclasses import asdict
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from conftest import ROOT, ffmpeg, make_cuts_video
from deerin.enrich.probe import ProbeStage
from deerin.enrich.shots.detector import Boundary, build_shots, score_boundaries
from deerin.enrich.shots.stage import ShotsStage
from deerin.errors import DeerinError
from deerin.index.store import VideoFolder
from deerin.media.decode import FrameSize, FrameStream
from deerin.media.probe import probe
from deerin.media.synth import DemoTape
from deerin.models.bundled import TRANSNETV2
from deerin.pipeline.runner import PARTIAL, StageEvent, VideoJob, process_video
from deerin.plugins.stage import StageContext, StageOutput
from deerin.settings import Settings

LABELS = ROOT / "bench" / "labels"
TRANSNET_SHA256 = "a313d0b3bebfa9a71914b375bfdf918a30b5c3b1e6be51972d35dd8078b442de"


class ShotsRun:
    """What one run of the shots stage left: shots.json, its output and its files."""

    def __init__(self, source: Path, settings: Settings, work: Path) -> None:
        folder = VideoFolder(work / "video")
        folder.root.mkdir(parents=True)
        ProbeStage(settings).run(StageContext("test", source, folder, folder.root, settings))
        self.staging = work / "staging"
        self.staging.mkdir()
        self.progress: list[float] = []
        ctx = StageContext("test", source, folder, self.staging, settings, self.progress.append)
        self.output: StageOutput = ShotsStage(settings).run(ctx)
        self.doc: dict[str, Any] = json.loads((self.staging / "shots.json").read_text())

    @property
    def boundaries(self) -> list[Boundary]:
        return [
            Boundary.from_dict({"frame": shot["start_frame"], **shot["transition_in"]})
            for shot in self.doc["shots"][1:]
        ]


def cpu_settings(settings: Settings, **changes: Any) -> Settings:
    return settings.merged({"models.shots": "pyscenedetect", **changes})


@pytest.fixture(scope="module")
def demo(
    demo_tape: DemoTape, tmp_path_factory: pytest.TempPathFactory
) -> tuple[DemoTape, ShotsRun]:
    work = tmp_path_factory.mktemp("demo-shots")
    settings = Settings.from_values({"data_dir": work / "store", "models.shots": "pyscenedetect"})
    return demo_tape, ShotsRun(demo_tape.path, settings, work / "run")


def test_demo_tape_cuts_fades_and_dissolves_are_found_with_their_kind(demo) -> None:
    tape, run = demo
    found = run.boundaries
    assert len(found) == len(tape.boundaries)
    for truth, boundary in zip(tape.boundaries, found, strict=True):
        assert abs(boundary.frame - truth.frame) <= 2, (truth, boundary)
        assert boundary.kind == truth.kind, (truth, boundary)
        if truth.kind != "cut":  # the span of a gradual transition, to a few frames
            assert abs(boundary.start_frame - truth.start_frame) <= 3, (truth, boundary)
            assert abs(boundary.end_frame - truth.end_frame) <= 3, (truth, boundary)
    assert run.output.summary == {"shots": 18, "cuts": 15, "fades": 1, "dissolves": 1}
    assert run.output.problem is None


def test_shots_tile_the_video_and_carry_their_provenance(demo) -> None:
    tape, run = demo
    doc, shots = run.doc, run.doc["shots"]
    assert doc["frame_count"] == tape.frame_count
    assert doc["duration"] == doc["decoded_to"] == pytest.approx(tape.duration, abs=1e-3)
    assert doc["method"]["name"] == "pyscenedetect"
    assert doc["method"]["detectors"] == ["adaptive", "threshold", "dissolve"]
    assert shots[0]["start_frame"] == 0 and shots[0]["transition_in"] is None
    assert shots[-1]["end_frame"] == tape.frame_count
    assert shots[-1]["end_time"] == doc["duration"]
    for shot, following in pairwise(shots):
        assert shot["end_frame"] == following["start_frame"]
        assert shot["end_time"] == following["start_time"]
        assert shot["start_time"] < shot["last_frame_time"] < shot["end_time"]
    assert [s["index"] for s in shots] == list(range(len(shots)))
    assert run.progress == sorted(run.progress)
    assert all(0.0 <= fraction <= 1.0 for fraction in run.progress)  # the runner throttles
    assert run.progress[-1] == pytest.approx(1.0, abs=0.01)


def test_barcode_has_one_column_per_slice_in_each_shots_colour(demo) -> None:
    tape, run = demo
    picture = np.asarray(Image.open(io.BytesIO((run.staging / "barcode.png").read_bytes())))
    assert picture.shape == (120, 1200, 3)
    assert (picture == picture[:1]).all()  # every row the same: columns are colours

    def column(label: str) -> np.ndarray:
        segment = next(s for s in tape.segments if s.label == label)
        middle = (segment.start_time + segment.end_time) / 2
        return picture[0, int(middle / tape.duration * 1200)].astype(int)

    assert column("black-3").max() <= 4
    blue_card = column("p1-archive-card")  # 0x1a3a8a under white text
    assert blue_card[2] > blue_card[1] > blue_card[0]
    green_card = column("p2-programme-card")  # 0x145a32
    assert green_card[1] > green_card[2] > green_card[0]


def test_variable_frame_rate_shots_start_at_their_frames_own_times(tmp_path, settings) -> None:
    """25 fps, then 10 fps, then 25 fps: frame 70 is at 4.0 s, not 70 / 25 = 2.8 s."""
    path = tmp_path / "vfr.mkv"
    inputs = []
    for colour, rate in (("red", 25), ("green", 10), ("blue", 25)):
        inputs += ["-f", "lavfi", "-i", f"color=c={colour}:s=160x120:r={rate}:d=2"]
    graph = "[0:v][1:v][2:v]concat=n=3:v=1:a=0[v]"
    ffmpeg(*inputs, "-filter_complex", graph, "-map", "[v]", "-fps_mode", "vfr",
           "-c:v", "libx264", "-pix_fmt", "yuv420p", str(path))  # fmt: skip
    run = ShotsRun(path, cpu_settings(settings), tmp_path / "run")
    starts = [(s["start_frame"], s["start_time"]) for s in run.doc["shots"]]
    assert starts == [(0, 0.0), (50, 2.0), (70, 4.0)]
    assert run.doc["shots"][1]["last_frame_time"] == pytest.approx(3.9)
    assert run.doc["duration"] == pytest.approx(6.0, abs=0.05)


def test_truncated_file_gives_the_shots_it_decoded_and_says_where_it_stopped(
    tmp_path, settings
) -> None:
    """Through the real runner: the stage ends "partial" and its shots cover what decoded."""
    whole = make_cuts_video(
        tmp_path / "whole.mkv", ("red", "green", "blue", "yellow"), seconds=2.0, audio=False
    )
    cut = tmp_path / "cut.mkv"
    data = whole.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    job = VideoJob("cafe01", str(cut), cpu_settings(settings), ("probe", "shots"))
    events: list[StageEvent] = []
    result = process_video(job, emit=events.append)
    outcome = result.outcomes["shots"]
    assert outcome.status == PARTIAL
    assert outcome.detail.startswith("decoding stopped at ")
    assert " of 8.0 s: " in outcome.detail
    folder = VideoFolder.for_video(settings.data_dir, "cafe01")
    assert folder.read_manifest("shots")["problem"] == outcome.detail
    doc = json.loads(folder.path("shots.json").read_text())
    assert 2.0 < doc["decoded_to"] < 8.0
    assert doc["duration"] == pytest.approx(8.0)
    shots = doc["shots"]
    assert shots[-1]["end_frame"] == doc["frame_count"]
    assert shots[-1]["end_time"] == doc["decoded_to"]  # the last shot ends where decoding did
    expected = [f for f in (0, 50, 100, 150) if f < doc["frame_count"] - 10]
    assert [s["start_frame"] for s in shots] == expected
    assert len(shots) >= 2
    assert folder.path("barcode.png").is_file()


def test_transnetv2_finds_a_hard_cut(tmp_path, settings) -> None:
    """Two seconds, one 100-frame window: a few seconds of TransNetV2 on 2 CPU cores."""
    path = tmp_path / "cut.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=1", "-f", "lavfi",
           "-i", "smptebars=s=320x240:r=25:d=1", "-filter_complex",
           "[0:v][1:v]concat=n=2:v=1:a=0[v]", "-map", "[v]", "-c:v", "libx264",
           "-pix_fmt", "yuv420p", str(path))  # fmt: skip
    transnet = settings.merged({"models.shots": "transnetv2", "models.device": "cpu"})
    run = ShotsRun(path, transnet, tmp_path / "run")
    assert run.doc["method"]["name"] == "transnetv2"
    assert run.doc["method"]["device"] == "cpu"
    (boundary,) = run.boundaries
    assert boundary.kind == "cut"
    assert abs(boundary.frame - 25) <= 2


def test_transnetv2_names_missing_weights(tmp_path, settings) -> None:
    missing = tmp_path / "elsewhere" / "weights.pth"
    transnet = settings.merged({"models.shots": str(missing)})
    video = make_cuts_video(tmp_path / "v.mkv", ("red", "blue"), seconds=0.5, audio=False)
    with pytest.raises(DeerinError, match="no such file or folder") as caught:
        ShotsRun(video, transnet, tmp_path / "run")
    assert str(missing) in caught.value.message
    copy = tmp_path / "copy.pth"
    shutil.copy(TRANSNETV2.files[0].locate(), copy)
    mine = ShotsStage(settings.merged({"models.shots": str(copy)}))
    assert mine.params()["transnet_weights"] == str(copy)


def test_bundled_transnetv2_weights_are_the_checked_ones() -> None:
    path = TRANSNETV2.files[0].locate()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == TRANSNET_SHA256
    assert TRANSNETV2.files[0].sha256 == TRANSNET_SHA256


def test_method_and_params_follow_the_settings(settings) -> None:
    cpu = ShotsStage(settings.merged({"models.device": "cpu"}))
    assert cpu.params()["method"] == "pyscenedetect"  # auto without a GPU
    assert cpu.params()["adaptive_threshold"] == settings.shots.adaptive_threshold
    learned = ShotsStage(settings.merged({"models.shots": "transnetv2"}))
    assert learned.params()["transnet_weights"] == "bundled"
    assert "adaptive_threshold" not in learned.params()
    assert cpu.fingerprint({}) != learned.fingerprint({})


def test_frame_stream_gives_every_size_in_its_own_channel_order(tmp_path) -> None:
    video = make_cuts_video(tmp_path / "red.mkv", ("red",), seconds=0.4, audio=False)
    sizes = [FrameSize(64, 48, "rgb24"), FrameSize(32, 24, "bgr24"), FrameSize(16, 12, "gray")]
    stream = FrameStream(probe(video), sizes)
    frames = list(stream)
    assert [f.index for f in frames] == list(range(10))
    assert [f.time for f in frames] == pytest.approx([i * 0.04 for i in range(10)])
    rgb, bgr, gray = (frames[0].image(size) for size in sizes)
    assert rgb.shape == (48, 64, 3) and bgr.shape == (24, 32, 3) and gray.shape == (12, 16)
    assert rgb[..., 0].mean() > 200 > 60 > rgb[..., 2].mean()
    assert bgr[..., 2].mean() > 200 > 60 > bgr[..., 0].mean()
    assert stream.stopped is None
    assert stream.decoded_to == pytest.approx(0.4)


def test_build_shots_merges_short_shots_and_cuts_inside_transitions() -> None:
    times = [i / 25 for i in range(200)]  # 8 s at 25 fps
    found = [
        Boundary.cut(5),  # 0.2 s from the start: too short a first shot
        Boundary.cut(50),
        Boundary.cut(55),  # 0.2 s after 50: a flash
        Boundary.gradual("dissolve", 90, 110),
        Boundary.cut(92),  # fired inside the dissolve
        Boundary.cut(140),  # at the edge of the next dissolve, which wins
        Boundary.gradual("dissolve", 142, 152),
        Boundary.cut(195),  # 0.2 s before the end
    ]
    shots = build_shots(found, times, 8.0, min_shot_seconds=0.4)
    spans = [(s["start_frame"], s["end_frame"]) for s in shots]
    assert spans == [(0, 50), (50, 100), (100, 147), (147, 200)]
    assert shots[2]["transition_in"] == {"kind": "dissolve", "start_frame": 90, "end_frame": 110}
    assert shots[3]["transition_in"]["start_frame"] == 142
    assert shots[3]["end_time"] == 8.0
    assert build_shots([], [], 0.0, 0.4) == []


def test_score_matches_one_to_one_and_excuses_ambiguous_boundaries() -> None:
    reference = [Boundary.cut(100), Boundary.gradual("dissolve", 200, 220)]
    found = [
        Boundary.cut(101),  # hit
        Boundary.cut(102),  # second detection of the same cut: a false alarm
        Boundary.cut(207),  # inside the dissolve: a hit, of the wrong kind
        Boundary.cut(300),  # on an ambiguous boundary: neither
        Boundary.cut(400),  # false alarm
    ]
    score = score_boundaries(reference, found, ambiguous=[Boundary.cut(299)])
    assert (score.hits, score.misses, score.false_alarms, score.kinds_right) == (2, 0, 2, 1)
    assert score.precision == pytest.approx(0.5)
    assert score.recall == 1.0


# Golden files and the F1 each must reach, from bench/shot_accuracy.py (see
# docs/benchmarks.md): the method found every labelled cut of these two files with no
# false ones; the margin allows one false cut from a decoder or library update.
GOLDEN = {"mkv_pgs_Title_T02-3": 0.9, "big_buck_bunny_0_30": 0.85}


@pytest.mark.slow
@pytest.mark.parametrize("stem", sorted(GOLDEN))
def test_hand_labelled_real_footage(stem, shared_media, tmp_path, settings) -> None:
    labels = json.loads((LABELS / f"{stem}.json").read_text())
    run = ShotsRun(shared_media / labels["file"], cpu_settings(settings), tmp_path / "run")
    assert run.doc["frame_count"] == labels["frame_count"]
    score = score_boundaries(
        [Boundary.from_dict(b) for b in labels["boundaries"]],
        run.boundaries,
        ambiguous=[Boundary.from_dict(b) for b in labels["ambiguous"]],
    )
    assert score.recall == 1.0, asdict(score)
    assert score.f1 >= GOLDEN[stem], asdict(score)
