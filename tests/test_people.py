"""People: faces grouped across films, stable ids, and user decisions that always win."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps
from skimage import data
from typer.testing import CliRunner

from deerin.cli.main import application
from deerin.enrich.faces.people import (
    PEOPLE,
    Gallery,
    Grouping,
    PeopleStep,
    add_faces,
    replay,
)
from deerin.index.catalogue import open_catalogue
from deerin.index.schemas import Decision, Face
from deerin.index.store import CollectionFolder, read_json
from deerin.pipeline.ingest import ingest
from deerin.pipeline.progress import JsonReporter
from deerin.plugins.step import CollectionContext
from deerin.settings import Settings
from test_faces import FACE_STAGES, astronaut, lfw_face, still_video


def collection_folder(settings: Settings, name: str) -> Path:
    return CollectionFolder.for_collection(settings.data_dir, name).root


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with two ingested films: the astronaut in both, an LFW face in the second."""
    root = tmp_path_factory.mktemp("people")
    coffee = Image.fromarray(data.coffee())
    first = still_video(root / "a.mkv", [(astronaut(), 4.0), (coffee, 3.0)])
    second = still_video(root / "b.mkv", [(lfw_face(0), 3.0), (ImageOps.mirror(astronaut()), 3.0)])
    settings = Settings.from_values(
        {"data_dir": root / "store", "run.workers": 1, "proxy.enabled": False}
    )
    report = ingest([first, second], "c", settings, JsonReporter(io.StringIO()), stages=FACE_STAGES)
    assert report.ok, (report.failed, report.steps)
    return root


@pytest.fixture
def store(template: Path, tmp_path: Path) -> Settings:
    """A private copy of the template store (the films stay where they are)."""
    shutil.copytree(template / "store", tmp_path / "store")
    return Settings.from_values(
        {"data_dir": tmp_path / "store", "run.workers": 1, "proxy.enabled": False}
    )


def people(settings: Settings) -> list[dict]:
    return read_json(collection_folder(settings, "c") / PEOPLE)["people"]


def faces_of(person: dict) -> set[tuple[str, str]]:
    return {(ref["video_id"], ref["face_id"]) for ref in person["faces"]}


def cli(settings: Settings, *args: str) -> str:
    result = CliRunner().invoke(
        application(), ["--data-dir", str(settings.data_dir), "people", *args]
    )
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 0, result.output
    return result.output


def ingest_again(settings: Settings, redo: frozenset[str] = frozenset()) -> None:
    videos = [Path(v.path) for v in open_catalogue(settings).videos("c")]
    report = ingest(
        videos, "c", settings, JsonReporter(io.StringIO()), redo=redo, stages=FACE_STAGES
    )
    assert report.ok, (report.failed, report.steps)


def test_the_same_face_in_two_films_is_one_person(store: Settings) -> None:
    found = people(store)
    assert len(found) == 2
    [both] = [p for p in found if len(p["videos"]) == 2]
    [other] = [p for p in found if len(p["videos"]) == 1]
    assert both["id"] == "p0001" and both["name"] is None
    assert other["videos"][0] in both["videos"] and len(other["faces"]) >= 1
    assert (both["representative"]["video_id"], both["representative"]["face_id"]) in faces_of(both)
    for person in found:
        thumbnail = collection_folder(store, "c") / "people" / f"{person['id']}.jpg"
        with Image.open(thumbnail) as image:
            assert image.size == (160, 160)


def test_name_split_and_merge_survive_reruns_and_reclustering(store: Settings) -> None:
    listing = cli(store, "list", "-c", "c")
    assert "p0001" in listing and "p0002" in listing
    astronaut_id = next(p["id"] for p in people(store) if len(p["videos"]) == 2)
    lfw = next(p for p in people(store) if len(p["videos"]) == 1)
    second_film = lfw["videos"][0]
    cli(store, "name", "-c", "c", astronaut_id, "Eileen Collins")
    astronaut_faces = faces_of(next(p for p in people(store) if p["id"] == astronaut_id))
    moving = sorted(face for video, face in astronaut_faces if video == second_film)
    cli(store, "split", "-c", "c", astronaut_id, *[f"{second_film[:8]}/{f}" for f in moving])
    cli(store, "merge", "-c", "c", "p0003", lfw["id"])

    def check() -> None:
        found = people(store)
        assert len(found) == 2
        [named] = [p for p in found if p["name"] == "Eileen Collins"]
        [rest] = [p for p in found if p["name"] is None]
        assert named["videos"] == sorted({v for v, _ in astronaut_faces} - {second_film})
        assert faces_of(rest) == faces_of(lfw) | {(second_film, f) for f in moving}

    check()
    assert {p["id"] for p in people(store)} == {astronaut_id, "p0003"}
    ingest_again(store, frozenset({"faces", "people"}))
    check()
    assert {p["id"] for p in people(store)} == {astronaut_id, "p0003"}  # ids kept
    (collection_folder(store, "c") / PEOPLE).unlink()
    ingest_again(store)  # clusters from scratch; the decisions still win
    check()


def refused(settings: Settings, *args: str) -> str:
    """The one line `deerin people` answers a mistake with (exit code 2)."""
    result = CliRunner().invoke(
        application(), ["--data-dir", str(settings.data_dir), "people", *args]
    )
    assert result.exit_code == 2, result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    return result.output


def test_unknown_person_face_or_collection_is_a_clear_error(store: Settings) -> None:
    line = refused(store, "name", "-c", "c", "p0099", "Nobody")
    assert "no person 'p0099'" in line and "deerin people list -c c" in line
    assert "is not one of p0001" in refused(store, "split", "-c", "c", "p0001", "999-0")
    assert "'elsewhere' has no videos" in refused(store, "list", "-c", "elsewhere")


def test_a_reject_removes_faces_and_a_film_that_left_takes_its_faces(store: Settings) -> None:
    before = people(store)
    lfw = next(p for p in before if len(p["videos"]) == 1)
    cli(store, "reject", "-c", "c", lfw["id"])
    assert [p["id"] for p in people(store)] == ["p0001"]
    assert not (collection_folder(store, "c") / "people" / f"{lfw['id']}.jpg").exists()
    catalogue = open_catalogue(store)
    first = [v for v in catalogue.videos("c") if v.id not in lfw["videos"]]
    ctx = CollectionContext("c", store, first, collection_folder(store, "c"))  # a film left
    PeopleStep(store).run(ctx)
    [left] = people(store)
    assert left["id"] == "p0001" and left["videos"] == [first[0].id]


def unit(vector: np.ndarray) -> np.ndarray:
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def test_new_faces_join_known_people_or_form_new_ones_with_fresh_ids() -> None:
    rng = np.random.default_rng(0)
    identities = [unit(rng.normal(size=128)) for _ in range(3)]
    noisy = [unit(identities[i] + 0.04 * rng.normal(size=128)) for i in (0, 0, 1, 2, 2, 0)]
    gallery = Gallery()
    for n, vector in enumerate(noisy):
        key = ("v", f"{n}-0")
        gallery.keys.append(key)
        gallery.rows[key] = n
        gallery.records.append(
            Face(id=key[1], frame=n, time=n, shot=n, box=[0, 0, 1, 1], landmarks=[], score=1,
                 height=0.5)
        )  # fmt: skip
        gallery.vectors.append(vector[None])
        gallery.tracks.append([n])
    grouping = Grouping({("v", "0-0"): "p0001", ("v", "2-0"): "p0004"}, next_number=6)
    add_faces(grouping, gallery, rejected={("v", "5-0")}, threshold=0.45)
    assert grouping.owner == {
        ("v", "0-0"): "p0001",
        ("v", "1-0"): "p0001",  # near p0001's mean: joins it
        ("v", "2-0"): "p0004",
        ("v", "3-0"): "p0006",  # a new identity: a new id, never an old one
        ("v", "4-0"): "p0006",
    }
    decisions = [
        {"action": "name", "name": "A", "faces": [{"video_id": "v", "face_id": "3-0"}]},
        {
            "action": "split",
            "faces": [{"video_id": "v", "face_id": "4-0"}],
            "from": [{"video_id": "v", "face_id": "3-0"}],
        },
        {"action": "reject", "faces": [{"video_id": "v", "face_id": "2-0"}]},
    ]
    replay(grouping, [Decision.model_validate(d) for d in decisions])
    assert grouping.names == {"p0006": "A"}
    assert grouping.owner[("v", "4-0")] == "p0007" and ("v", "2-0") not in grouping.owner
