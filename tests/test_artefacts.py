"""The typed artefact reader: what stages write is read back typed; an older file is
upgraded or named with the --redo that rewrites it; a stage reads only what it declared."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

from conftest import make_cuts_video
from deerin.index import artefacts
from deerin.index.artefacts import ArtefactError
from deerin.index.schemas import Shots, Tags
from deerin.index.store import VideoFolder, atomic_write_json
from deerin.pipeline.ingest import ingest
from deerin.pipeline.progress import JsonReporter
from deerin.plugins.stage import StageContext
from deerin.settings import Settings


@pytest.fixture(scope="module")
def shot_list(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, VideoFolder]:
    root = tmp_path_factory.mktemp("artefacts")
    video = make_cuts_video(root / "cuts.mp4", ("red", "green", "blue"), seconds=1.0)
    settings = Settings.from_values({"data_dir": root / "store", "run.workers": 1})
    report = ingest([video], "c", settings, JsonReporter(io.StringIO()), stages=("probe", "shots"))
    assert report.ok
    return settings, VideoFolder.for_video(settings.data_dir, report.videos[0])


def test_what_a_stage_writes_reads_back_typed_with_its_version(shot_list) -> None:
    _, folder = shot_list
    shots = artefacts.read(folder, Shots)
    assert [shot.index for shot in shots.shots] == [0, 1, 2]
    assert shots.shots[1].transition_in is not None and shots.shots[1].transition_in.kind == "cut"
    raw = json.loads(folder.path("shots.json").read_text())
    assert next(iter(raw)) == "schema_version" and raw["schema_version"] == Shots.version


def test_a_file_from_before_versions_reads_as_version_one(shot_list, tmp_path: Path) -> None:
    _, folder = shot_list
    document = json.loads(folder.path("shots.json").read_text())
    del document["schema_version"]
    old = VideoFolder(tmp_path)
    atomic_write_json(old.path("shots.json"), document)
    assert artefacts.read(old, Shots).shots == artefacts.read(folder, Shots).shots


def test_a_file_from_a_newer_deerin_says_to_upgrade_or_redo(shot_list, tmp_path: Path) -> None:
    _, folder = shot_list
    document = json.loads(folder.path("shots.json").read_text())
    atomic_write_json(tmp_path / "shots.json", {**document, "schema_version": 7})
    with pytest.raises(ArtefactError) as caught:
        artefacts.read(VideoFolder(tmp_path), Shots)
    assert "written by a newer DEERIn (schema version 7" in caught.value.message
    assert "upgrade DEERIn, or run `deerin ingest` on it again with --redo shots" in (
        caught.value.message
    )


def test_a_file_that_does_not_fit_names_the_redo(shot_list, tmp_path: Path) -> None:
    _, folder = shot_list
    document = json.loads(folder.path("shots.json").read_text())
    del document["schema_version"], document["shots"][0]["end_frame"]
    atomic_write_json(tmp_path / "shots.json", document)
    with pytest.raises(ArtefactError) as caught:
        artefacts.read(VideoFolder(tmp_path), Shots)
    message = caught.value.message
    assert "shots.json: was written by an older DEERIn" in message
    assert "shots.0.end_frame: Field required" in message and "--redo shots" in message
    (tmp_path / "shots.json").write_text("{not json")
    with pytest.raises(ArtefactError, match="cannot be read"):
        artefacts.read(VideoFolder(tmp_path), Shots)


def test_a_version_that_is_no_version_is_refused(shot_list, tmp_path: Path) -> None:
    _, folder = shot_list
    document = json.loads(folder.path("shots.json").read_text())
    for version in (True, -1, "1"):
        atomic_write_json(tmp_path / "shots.json", {**document, "schema_version": version})
        with pytest.raises(ArtefactError, match="has no valid schema_version"):
            artefacts.read(VideoFolder(tmp_path), Shots)


def test_a_missing_artefact_says_which_stage_makes_it(tmp_path: Path) -> None:
    with pytest.raises(ArtefactError, match=r"has no shots.json \(the shots output\)"):
        artefacts.read(VideoFolder(tmp_path), Shots)


def test_the_writer_refuses_what_the_schema_does_not_allow(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="Shots does not accept"):
        artefacts.write(tmp_path / "shots.json", {"video_id": "v", "shots": "many"}, Shots)
    assert not (tmp_path / "shots.json").exists()


def test_vectors_must_have_one_row_per_entry(tmp_path: Path) -> None:
    folder = VideoFolder(tmp_path)
    tags = {"video_id": "v", "model": {"name": "m"}, "dim": 2, "errors": [],
            "frames": [{"frame": 0, "time": 0.0, "shot": 0, "tags": []}]}  # fmt: skip
    document = artefacts.write(folder.path(Tags.file), tags, Tags)
    np.save(folder.path(str(Tags.vectors)), np.zeros((1, 2), np.float32))
    assert artefacts.vectors(folder, Tags, document).shape == (1, 2)
    np.save(folder.path(str(Tags.vectors)), np.zeros((3, 2), np.float32))
    with pytest.raises(ArtefactError, match=r"has 3 rows but tags\.json lists 1"):
        artefacts.vectors(folder, Tags, document)


def test_a_stage_reads_only_what_it_declared(shot_list, tmp_path: Path) -> None:
    """The runner hands each stage a context that knows what it declared it reads."""
    settings, folder = shot_list

    def context(reads: tuple[str, ...]) -> StageContext:
        return StageContext("v", Path("v.mp4"), folder, tmp_path, settings, reads=frozenset(reads))

    with pytest.raises(TypeError, match=r"reads shots\.json without declaring the shots stage"):
        context(("probe",)).read(Shots)
    assert context(("probe", "shots")).read(Shots).shots
    assert context(()).media_info().duration > 0  # the probe is every stage's to read
