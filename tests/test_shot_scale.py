"""Shot scale: the face-size rule, its honest "no face", and a pluggable classifier."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from skimage import data

from conftest import complete, make_cuts_video
from deerin.enrich.faces.stage import face_record
from deerin.enrich.frames import AnalysisFrame
from deerin.enrich.shot_scale import SCALES, from_faces, scale_for_height
from deerin.index.schemas import Face, Shot
from deerin.index.store import VideoFolder, read_json
from deerin.models.backends import open_model
from deerin.pipeline.runner import VideoJob, process_video
from deerin.settings import Settings

STAGES = ("probe", "shots", "frames", "faces", "shot_scale")
SHOT = Shot.model_validate(complete(Shot, {"index": 0, "start_time": 0.0, "end_time": 4.0}))


def scale_of(pictures: list[Image.Image]) -> dict:
    """Run the real detector on stills of one shot, then the face-size rule."""
    model = open_model("faces", Settings.from_values({"run.workers": 1}))
    frames = [AnalysisFrame(n, float(n), 0, "sample", Path(f"{n}.jpg")) for n in range(4)]
    faces = [
        Face.model_validate(face_record(frames[n], k, face, picture.size))
        for n, picture in enumerate(pictures)
        for k, face in enumerate(model.detect(picture))
    ]
    return from_faces(SHOT, frames[: len(pictures)], faces)


def test_heights_map_to_scales_with_confidence_highest_far_from_a_bound() -> None:
    assert [scale_for_height(h)[0] for h in (0.8, 0.4, 0.2, 0.08, 0.02)] == list(SCALES)
    on_bound, inside = scale_for_height(0.28)[1], scale_for_height(0.2)[1]
    assert on_bound == pytest.approx(0.5) and 0.5 < inside <= 0.9


def test_a_face_filling_the_frame_is_a_close_shot_and_a_small_one_a_long_shot() -> None:
    astronaut = Image.fromarray(data.astronaut())
    close = astronaut.crop((150, 30, 300, 220)).resize((300, 380))
    row = scale_of([close, close])
    assert row["scale"] in ("ECS", "CS") and row["confidence"] > 0.5
    assert "2 of 2 analysis frames" in row["basis"]
    far = Image.new("RGB", (640, 480), "gray")
    far.paste(astronaut.resize((120, 120)), (260, 200))
    always = scale_of([far, far])
    half = scale_of([far, Image.new("RGB", (640, 480), "gray")])
    assert always["scale"] == half["scale"] and half["scale"] in ("FS", "LS")
    assert "1 of 2" in half["basis"]
    assert half["confidence"] == pytest.approx(always["confidence"] * 0.75, abs=0.002)
    nothing = scale_of([Image.fromarray(data.coffee())])
    assert nothing["scale"] is None and nothing["basis"] == "no face in 1 analysis frame(s)"


def tiny_classifier(folder: Path, labels: tuple[str, ...]) -> Path:
    """A randomly initialised ViT with the given labels, saved as a local model folder."""
    from transformers import ViTConfig, ViTForImageClassification, ViTImageProcessor

    config = ViTConfig(
        image_size=32, patch_size=8, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=32, id2label=dict(enumerate(labels)),
        label2id={label: n for n, label in enumerate(labels)},
    )  # fmt: skip
    ViTForImageClassification(config).save_pretrained(folder)
    ViTImageProcessor(size={"height": 32, "width": 32}).save_pretrained(folder)
    return folder


def test_no_face_gives_no_scale_and_a_classifier_can_take_over(tmp_path: Path) -> None:
    video = make_cuts_video(tmp_path / "cuts.mkv", ("red", "blue"), seconds=2.0, audio=False)
    settings = Settings.from_values(
        {"data_dir": tmp_path / "store", "run.workers": 1, "proxy.enabled": False}
    )
    result = process_video(VideoJob("v1", str(video), settings, STAGES), lambda e: None)
    assert result.outcomes["shot_scale"].status == "done"
    folder = VideoFolder.for_video(settings.data_dir, "v1")
    rules = read_json(folder.path("shot_scale.json"))
    assert rules["model"] == {"name": "face-size", "kind": "rules"}
    assert [(s["index"], s["scale"]) for s in rules["shots"]] == [(0, None), (1, None)]
    assert rules["shots"][1]["start"] == pytest.approx(2.0, abs=0.05)

    model = tiny_classifier(tmp_path / "scales", SCALES)
    learned = settings.merged({"models.shot_scale": str(model)})
    result = process_video(VideoJob("v1", str(video), learned, STAGES), lambda e: None)
    assert result.outcomes["shot_scale"].status == "done", result.outcomes["shot_scale"].detail
    labelled = read_json(folder.path("shot_scale.json"))
    assert labelled["model"] == {"name": "scales", "kind": "classifier"}
    for shot in labelled["shots"]:
        assert shot["scale"] in SCALES and 0.2 <= shot["confidence"] <= 1.0
        assert shot["basis"] == "scales on the middle frame"

    wrong = tiny_classifier(tmp_path / "animals", ("cat", "dog", "owl", "ant", "eel"))
    odd = settings.merged({"models.shot_scale": str(wrong)})
    outcome = process_video(VideoJob("v1", str(video), odd, STAGES), lambda e: None)
    assert outcome.outcomes["shot_scale"].status == "failed"
    assert "are not shot scales" in outcome.outcomes["shot_scale"].detail
