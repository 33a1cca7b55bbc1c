"""Captions: composed offline from the other signals on the demo tape, and asked of a
real local OpenAI-compatible server, with cached answers, garbage and a dead port."""

from __future__ import annotations

import hashlib
import io
import shutil
from pathlib import Path

import pytest
from PIL import Image

from deerin.enrich.captions import NOTHING, AnswerCache, Asker, CaptionsStage, Signals
from deerin.enrich.frames import AnalysisFrame
from deerin.index.store import VideoFolder, read_json
from deerin.media.synth import DemoTape
from deerin.models.endpoint import ChatEndpoint
from deerin.pipeline.ingest import ingest
from deerin.pipeline.progress import JsonReporter
from deerin.plugins.stage import ItemErrors
from deerin.settings import Settings
from test_endpoint import ChatServer, closed_port_url

STAGES = ("probe", "shots", "frames", "tags", "captions")
QUESTION = "What is in this frame?"


def run(tape: DemoTape, settings: Settings, redo: frozenset[str] = frozenset()):
    report = ingest(
        [tape.path], "demo", settings, JsonReporter(io.StringIO()), stages=STAGES, redo=redo
    )
    (video_id,) = report.videos
    return report, VideoFolder.for_video(settings.data_dir, video_id)


@pytest.fixture(scope="module")
def composed(demo_tape: DemoTape, tmp_path_factory: pytest.TempPathFactory):
    """The demo tape ingested offline (default settings: composed captions)."""
    settings = Settings.from_values(
        {
            "data_dir": tmp_path_factory.mktemp("captions") / "store",
            "run.workers": 1,
            "proxy.enabled": False,
        }
    )
    report, folder = run(demo_tape, settings)
    assert report.ok, report.failed
    return settings, folder


def with_model(composed, tmp_path: Path, model: str, url: str) -> Settings:
    """A copy of the ingested store, set to ask ``model`` at ``url``."""
    settings, _ = composed
    store = tmp_path / "store"
    shutil.copytree(settings.data_dir, store)
    return settings.merged(
        {
            "data_dir": store,
            "models.captions": model,
            "vlm.endpoint": url,
            "vlm.questions": [QUESTION],
        }
    )


def test_composed_captions_describe_each_shot_from_the_tags_and_say_so(composed) -> None:
    _, folder = composed
    captions = read_json(folder.path("captions.json"))
    middles = [f for f in read_json(folder.path("frames.json"))["frames"] if f["kind"] == "middle"]
    assert captions["model"] == {"name": "composed", "kind": "composed"}
    assert [c["frame"] for c in captions["captions"]] == [f["index"] for f in middles]
    assert {(c["source"], c["model"], c["question"]) for c in captions["captions"]} == {
        ("composed", "composed", None)
    }
    tags = {
        entry["frame"]: entry["tags"] for entry in read_json(folder.path("tags.json"))["frames"]
    }
    for caption in captions["captions"]:
        sure = [t["label"] for t in tags[caption["frame"]] if t["score"] >= 0.2][:2]
        expected = f"Looks like: {', '.join(sure)}." if sure else NOTHING
        assert caption["answer"] == expected
    assert folder.read_manifest("captions")["method"]["from"] == ["tags"]


def test_a_composed_line_reads_every_signal() -> None:
    frame = AnalysisFrame(7, 12.0, 3, "middle", Path("f000007.jpg"))
    signals = Signals(
        scales={3: "CS"},
        faces={7: 1},
        texts={7: ["THE  END"]},
        labels={7: ["stage", "theater curtain"]},
    )
    assert signals.describe(frame) == (
        "Close-up; 1 face; on-screen text: “THE END”; looks like: stage, theater curtain."
    )
    assert Signals(faces={7: 3}).describe(frame) == "3 faces."
    assert Signals().describe(frame) == NOTHING


def test_a_vision_model_is_asked_once_and_then_answers_from_the_cache(
    composed, demo_tape: DemoTape, tmp_path: Path
) -> None:
    with ChatServer() as server:
        settings = with_model(composed, tmp_path, "echo-vl", server.url)
        report, folder = run(demo_tape, settings)
        first = read_json(folder.path("captions.json"))
        asked = server.requests
        report_again, _ = run(demo_tape, settings, redo=frozenset({"captions"}))
        again = read_json(folder.path("captions.json"))
    assert report.ok and report_again.ok
    assert first["model"] == {"name": "echo-vl", "kind": "endpoint"}
    for caption in first["captions"]:
        picture = (folder.root / "frames" / f"f{caption['frame']:06d}.jpg").read_bytes()
        with Image.open(io.BytesIO(picture)) as image:
            size = f"{image.width}x{image.height}"
        digest = hashlib.sha256(picture).hexdigest()[:12]
        assert caption["answer"] == f"{QUESTION} | {size} | {digest}"
        assert (caption["source"], caption["model"]) == ("model", "echo-vl")
    # Identical frames (black, held cards) are asked about once, even in the first run.
    cached = list((settings.data_dir / "cache" / "vlm").glob("*.json"))
    assert 0 < asked == len(cached) <= len(first["captions"])
    assert server.requests == asked  # the rerun asked nothing: every answer was cached
    assert again["captions"] == first["captions"]
    assert folder.read_manifest("captions")["summary"]["requests"] == 0


def test_a_server_answering_garbage_leaves_the_stage_partial_with_each_error(
    composed, demo_tape: DemoTape, tmp_path: Path
) -> None:
    with ChatServer("garbage") as server:
        settings = with_model(composed, tmp_path, "garbage-vl", server.url)
        report, folder = run(demo_tape, settings)
    assert report.ok  # partial: recorded, not failed
    captions = read_json(folder.path("captions.json"))
    middles = [f for f in read_json(folder.path("frames.json"))["frames"] if f["kind"] == "middle"]
    assert captions["captions"] == []
    assert len(captions["errors"]) == len(middles) == server.requests
    assert all("not an OpenAI chat completion" in e["problem"] for e in captions["errors"])
    problem = folder.read_manifest("captions")["problem"]
    assert problem.startswith(f"{len(middles)} of {len(middles)} questions failed")


def test_an_unreachable_server_is_tried_once_then_the_rest_are_recorded(tmp_path: Path) -> None:
    frames = []
    for n in range(3):
        path = tmp_path / f"f{n}.jpg"
        Image.new("RGB", (64, 48), (n * 80, 0, 0)).save(path)
        frames.append(AnalysisFrame(n, n * 3.0, n, "middle", path))
    asker = Asker(ChatEndpoint(closed_port_url()), "vl", AnswerCache(tmp_path / "cache"))
    errors = ItemErrors()
    for frame in frames:
        assert asker.ask_all(frame, [QUESTION], errors) == []
    assert asker.requests == 1
    assert [e["frame"] for e in errors.items] == [0, 1, 2]
    assert "cannot reach" in errors.items[0]["problem"]
    assert all(e["problem"].startswith("not asked: cannot reach") for e in errors.items[1:])


def test_an_unreachable_server_with_nothing_answered_fails_the_stage(
    composed, demo_tape: DemoTape, tmp_path: Path
) -> None:
    settings = with_model(composed, tmp_path, "dead-vl", closed_port_url())
    report, folder = run(demo_tape, settings)
    assert report.failed == {folder.root.name: ["captions"]}
    assert folder.read_manifest("captions")["method"]["name"] == "composed"  # the old one kept


def test_a_model_without_an_endpoint_falls_back_to_composed(tmp_path: Path) -> None:
    settings = Settings.from_values({"data_dir": tmp_path, "models.captions": "llava"})
    stage = CaptionsStage(settings)
    assert stage.composed() and stage.params() == {"model": "composed"}
    asking = CaptionsStage(settings.merged({"vlm.endpoint": "http://gpu:8000/v1"}))
    assert not asking.composed()
    assert asking.params()["questions"] == settings.vlm.questions
