"""Faces: YuNet finds them, SFace tells people apart, the stage links them over time."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps
from skimage import data

from conftest import ffmpeg
from deerin.enrich.faces.detect import (
    TEMPLATE,
    FaceModel,
    align,
    bgr,
    model_files,
    similarity_transform,
)
from deerin.enrich.faces.stage import Span, appearances
from deerin.enrich.frames import AnalysisFrame
from deerin.index.store import VideoFolder, read_json
from deerin.models.backends import open_model
from deerin.models.resolver import resolve
from deerin.models.weights import ModelError
from deerin.pipeline.ingest import ingest
from deerin.pipeline.progress import JsonReporter
from deerin.pipeline.runner import VideoJob, process_video
from deerin.settings import Settings

FACE_STAGES = ("probe", "shots", "frames", "faces")


@pytest.fixture(scope="module")
def model() -> FaceModel:
    return open_model("faces", Settings.from_values({"run.workers": 1}))


def astronaut() -> Image.Image:
    return Image.fromarray(data.astronaut())


def lfw_face(index: int) -> Image.Image:
    """An LFW face crop (25x25 grey) made detectable: 4x bicubic, on a grey border."""
    crop = Image.fromarray((data.lfw_subset()[index] * 255).astype(np.uint8)).convert("RGB")
    return ImageOps.expand(crop.resize((100, 100), Image.Resampling.BICUBIC), 50, (128, 128, 128))


def still_video(path: Path, stills: list[tuple[Image.Image, float]]) -> Path:
    """A 640x480 video showing each picture for its seconds: a cut between each."""
    inputs, graph = [], ""
    for n, (picture, seconds) in enumerate(stills):
        picture.save(path.with_name(f"{path.stem}-{n}.png"))
        inputs += [
            "-loop",
            "1",
            "-t",
            str(seconds),
            "-i",
            str(path.with_name(f"{path.stem}-{n}.png")),
        ]
        graph += (
            f"[{n}:v]scale=640:480:force_original_aspect_ratio=decrease,"
            f"pad=640:480:(ow-iw)/2:(oh-ih)/2:gray,setsar=1,fps=25[v{n}];"
        )
    graph += "".join(f"[v{n}]" for n in range(len(stills))) + f"concat=n={len(stills)}:v=1[v]"
    ffmpeg(*inputs, "-filter_complex", graph, "-map", "[v]", "-c:v", "libx264", "-pix_fmt",
           "yuv420p", str(path))  # fmt: skip
    return path


def embed_largest(model: FaceModel, picture: Image.Image) -> np.ndarray:
    face = model.detect(picture)[0]
    return model.embed([align(bgr(picture), face)])[0]


def test_finds_the_astronaut_and_no_face_in_coffee_or_rocket(model: FaceModel) -> None:
    [face] = model.detect(astronaut())
    x, y, w, h = face.box
    assert abs(x - 178) < 10 and abs(y - 63) < 10 and 80 < w < 100 and 100 < h < 128
    assert face.score > 0.8
    (left_eye, right_eye, nose, _, _) = face.landmarks
    assert left_eye[0] < nose[0] < right_eye[0]  # the eye on the image's left comes first
    assert all(x <= px <= x + w and y <= py <= y + h for px, py in face.landmarks)
    assert model.detect(Image.fromarray(data.coffee())) == []
    assert model.detect(Image.fromarray(data.rocket())) == []


def test_small_faces_are_left_out() -> None:
    picky = open_model("faces", Settings.from_values({"run.workers": 1, "faces.min_size": 130}))
    assert picky.detect(astronaut()) == []  # the face is about 114 px tall


def test_identity_vectors_tell_people_apart(model: FaceModel) -> None:
    reference = embed_largest(model, astronaut())
    assert np.linalg.norm(reference) == pytest.approx(1.0, abs=1e-5)
    mirrored = embed_largest(model, ImageOps.mirror(astronaut()))
    smaller = embed_largest(model, astronaut().resize((300, 300)))
    assert float(reference @ mirrored) > 0.6 and float(reference @ smaller) > 0.6
    first, second = embed_largest(model, lfw_face(0)), embed_largest(model, lfw_face(1))
    assert float(first @ second) < 0.4  # two different men in LFW
    assert float(reference @ first) < 0.4


def test_alignment_recovers_a_similarity_transform() -> None:
    angle, scale, shift = 0.3, 2.5, np.array([40.0, -7.0])
    rotation = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    landmarks = (TEMPLATE - shift) @ np.linalg.inv(rotation).T  # where the template came from
    matrix = similarity_transform(landmarks, TEMPLATE)
    mapped = landmarks @ matrix[:, :2].T + matrix[:, 2]
    assert np.allclose(mapped, TEMPLATE, atol=1e-6)


def test_a_folder_of_onnx_files_can_replace_the_bundled_models(tmp_path: Path) -> None:
    detector, embedder = model_files(resolve("faces", Settings()))
    folder = tmp_path / "faces"
    folder.mkdir()
    mine = Settings.from_values({"models.faces": str(folder)})
    shutil.copy(detector, folder / "my_yunet.onnx")
    with pytest.raises(ModelError, match="sface or recognition in its name for the embedder"):
        resolve("faces", mine)  # refused before any video, with what is missing
    shutil.copy(embedder, folder / "my_sface.onnx")
    assert model_files(resolve("faces", mine)) == (
        folder / "my_yunet.onnx",
        folder / "my_sface.onnx",
    )
    (folder / "my_yunet.onnx").write_bytes(b"not a model")
    with pytest.raises(ModelError, match="OpenCV cannot load the face models"):
        open_model("faces", mine)
    with pytest.raises(ModelError, match="not a bundled model; not a file or folder here"):
        resolve("faces", Settings.from_values({"models.faces": "someone/face-model"}))


def test_appearances_follow_a_face_within_a_shot_only() -> None:
    same, other = np.eye(128, dtype=np.float32)[:2]
    frames = [AnalysisFrame(i, t, s, "sample", Path("x")) for i, (t, s) in
              enumerate([(0.0, 0), (3.0, 0), (6.0, 0), (9.0, 1), (12.0, 1)])]  # fmt: skip
    faces = [{"id": f"{f}-{n}", "frame": f} for f, n in [(0, 0), (1, 0), (1, 1), (2, 0), (3, 0)]]
    vectors = np.stack([same, same, other, other, same])
    shots = {0: Span(0.0, 7.5), 1: Span(7.5, 14.0)}
    events = appearances(faces, vectors, frames, shots, threshold=0.45)
    spans = {tuple(e["faces"]): (e["start"], e["end"]) for e in events}
    assert spans == {
        ("0-0", "1-0"): (0.0, 6.0),  # gone by the frame at 6 s
        ("1-1", "2-0"): (3.0, 7.5),  # first seen at 3 s, there until the shot ends
        ("3-0",): (7.5, 12.0),  # a new shot: a new appearance, from the shot's start
    }
    assert all(e["kind"] == "face" and e["text"] == "face" for e in events)


def test_faces_stage_times_an_appearance_and_survives_a_damaged_frame(tmp_path: Path) -> None:
    video = still_video(
        tmp_path / "astronaut.mkv", [(astronaut(), 6.0), (Image.fromarray(data.coffee()), 3.0)]
    )
    settings = Settings.from_values(
        {"data_dir": tmp_path / "store", "run.workers": 1, "proxy.enabled": False}
    )
    report = ingest([video], "c", settings, JsonReporter(io.StringIO()), stages=FACE_STAGES)
    assert report.ok, report.failed
    folder = VideoFolder.for_video(settings.data_dir, report.videos[0])
    document = read_json(folder.path("faces.json"))
    faces = document["faces"]
    assert faces and {f["shot"] for f in faces} == {0} and document["errors"] == []
    [event] = document["appearances"]
    assert event["start"] == 0.0 and abs(event["end"] - 6.0) < 0.1  # until the cut to coffee
    assert event["faces"] == [f["id"] for f in faces]
    for face in faces:
        x, y, w, h = face["box"]
        assert 0 < x < x + w < 1 and 0 < y < 1 and face["height"] == h and 0.15 < h < 0.3
        assert len(face["landmarks"]) == 5 and face["id"] == f"{face['frame']}-0"
    vectors = np.load(folder.path("face_embeddings.npy"))
    assert vectors.shape == (len(faces), 128) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)

    frames = read_json(folder.path("frames.json"))["frames"]
    damaged = folder.path(frames[0]["file"])
    damaged.write_bytes(damaged.read_bytes()[:50])
    job = VideoJob(report.videos[0], str(video), settings, FACE_STAGES, frozenset({"faces"}))
    outcome = process_video(job, lambda event: None).outcomes["faces"]
    assert outcome.status == "partial" and f"1 of {len(frames)} frames failed" in outcome.detail
    again = read_json(folder.path("faces.json"))
    assert [e["frame"] for e in again["errors"]] == [0]
    assert [f["id"] for f in again["faces"]] == [f["id"] for f in faces if f["frame"] != 0]
