"""IIIF manifests of a small collection ingested for real, loaded back through iiif-prezi3.

The collection (built once for the module):

* ``pictures.mkv``: the astronaut (a face, named "Ada Astronaut") for 3 s, then a title
  card "HARBOUR NIGHTS" for 3 s; its rights a rightsstatements.org URI;
* ``news.mp4``: espeak-ng says two sentences at known times; rights in words;
* ``harbour.wav``: a sound recording that says one sentence.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from iiif_prezi3 import Collection, Manifest

from conftest import write_artefact
from deerin.errors import DeerinError
from deerin.export.iiif import UnknownItem, collection_manifest, video_manifest
from deerin.index import artefacts
from deerin.index.catalogue import VideoRow, open_catalogue
from deerin.index.corrections import add_correction
from deerin.index.schemas import Keyframes, Probe, Shots, Text, Transcript
from deerin.index.store import VideoFolder
from deerin.pipeline.ingest import ingest
from deerin.pipeline.progress import JsonReporter
from deerin.settings import Settings
from deerin.web.app import create_app
from deerin.web.iiif import iiif_router
from test_faces import astronaut, still_video
from test_search import cli, make_settings, title_card
from test_transcript import speech_video

BASE = "http://archive.example/deerin"
SENTENCES = (
    "Good morning from the city of Glasgow in Scotland.",
    "Please return the tape tomorrow morning.",
)
STAGES = ("probe", "shots", "keyframes", "frames", "faces", "text", "transcript")
IN_COPYRIGHT = "http://rightsstatements.org/vocab/InC/1.0/"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("iiif")
    media = root / "media"
    media.mkdir()
    still_video(media / "pictures.mkv", [(astronaut(), 3.0), (title_card("HARBOUR NIGHTS"), 3.0)])
    spoken = root / "spoken"
    spoken.mkdir()
    video, _ = speech_video(spoken, SENTENCES)
    shutil.move(video, media / "news.mp4")
    subprocess.run(
        ["espeak-ng", "-w", str(media / "harbour.wav"), "The harbour lights shine at night."],
        check=True,
    )
    with (media / "catalogue.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "title", "date", "identifier", "rights"])
        writer.writerow(["pictures.mkv", "Stills", "1975", "PIC-1", IN_COPYRIGHT])
        writer.writerow(["news.mp4", "Evening news", "1962-03-01", "NEWS-1", "public domain"])
        writer.writerow(["harbour.wav", "Harbour", "1958", "SND-1", ""])
    settings = make_settings(root)
    report = ingest(
        [media / "catalogue.csv"], "c", settings, JsonReporter(io.StringIO()), stages=STAGES
    )
    assert report.ok, (report.failed, report.steps)
    code, output = cli(settings, "people", "name", "p0001", "Ada Astronaut", "-c", "c")
    assert code == 0, output
    return root


@pytest.fixture(scope="module")
def settings(template: Path) -> Settings:
    return make_settings(template)


@pytest.fixture
def store(template: Path, tmp_path: Path) -> Settings:
    """A private copy of the ingested store, for tests that change it."""
    shutil.copytree(template / "store", tmp_path / "store")
    return make_settings(tmp_path)


@pytest.fixture(scope="module")
def rows(settings: Settings) -> dict[str, VideoRow]:
    catalogue = open_catalogue(settings)
    try:
        return {Path(row.path).name: row for row in catalogue.videos("c")}
    finally:
        catalogue.close()


@pytest.fixture(scope="module")
def ids(rows: dict[str, VideoRow]) -> dict[str, str]:
    return {name: row.id for name, row in rows.items()}


def load(settings: Settings, video_id: str) -> tuple[Manifest, dict[str, Any]]:
    """The manifest through iiif-prezi3's model (it refuses what breaks the specification)
    and as plain JSON (to read it as a viewer does)."""
    document = json.loads(video_manifest(settings, video_id, BASE))
    return Manifest(**document), document


def folder(settings: Settings, video_id: str) -> VideoFolder:
    return VideoFolder.for_video(settings.data_dir, video_id)


def times(target: str) -> tuple[float, float]:
    """The ``t=start,end`` of a media fragment."""
    start, end = target.rsplit("t=", 1)[1].split(",")
    return float(start), float(end)


def page(document: dict[str, Any], name: str) -> list[dict[str, Any]]:
    canvas = document["items"][0]
    found = [p for p in canvas.get("annotations", []) if p["id"].endswith(f"/page/{name}")]
    return found[0]["items"] if found else []


# -- a film --------------------------------------------------------------------------


def test_a_film_is_one_timed_canvas_with_a_range_per_shot(
    settings: Settings, ids: dict[str, str]
) -> None:
    video_id = ids["pictures.mkv"]
    loaded, document = load(settings, video_id)
    media = artefacts.read(folder(settings, video_id), Probe).media
    shots = artefacts.read(folder(settings, video_id), Shots).shots
    assert loaded.id == f"{BASE}/iiif/{video_id}/manifest.json"
    assert document["label"] == {"none": ["Stills"]}
    canvas = document["items"][0]
    assert canvas["duration"] == media.duration
    assert (canvas["width"], canvas["height"]) == (640, 480)
    body = canvas["items"][0]["items"][0]["body"]
    assert canvas["items"][0]["items"][0]["motivation"] == "painting"
    assert (body["id"], body["type"], body["format"]) == (
        f"{BASE}/media/{video_id}",
        "Video",
        "video/x-matroska",
    )
    assert len(shots) == 2 and len(document["structures"]) == 2
    for shot, part in zip(shots, document["structures"], strict=True):
        target = part["items"][0]["id"]
        assert target.startswith(canvas["id"] + "#t=")
        assert times(target) == pytest.approx((shot.start_time, shot.end_time), abs=5e-4)
    assert document["structures"][1]["label"]["en"][0].startswith("Shot 1  00:00:03.000–")


def test_a_film_has_its_catalogue_record_and_a_poster_that_exists(
    settings: Settings, ids: dict[str, str]
) -> None:
    video_id = ids["pictures.mkv"]
    _, document = load(settings, video_id)
    assert document["rights"] == IN_COPYRIGHT and "requiredStatement" not in document
    metadata = {m["label"]["en"][0]: m["value"]["none"][0] for m in document["metadata"]}
    assert metadata["Date"] == "1975" and metadata["Identifier"] == "PIC-1"
    assert document["navDate"] == "1975-01-01T00:00:00Z"
    poster = document["thumbnail"][0]
    keyframes = artefacts.read(folder(settings, video_id), Keyframes)
    first = keyframes.shots[0].middle
    assert first is not None and poster["type"] == "Image" and poster["format"] == "image/webp"
    relative = poster["id"].removeprefix(f"{BASE}/api/thumbnail/")
    assert (settings.data_dir / relative) == folder(settings, video_id).path(first.thumb)
    assert (settings.data_dir / relative).is_file()


def test_on_screen_text_and_a_named_person_are_annotations_at_their_times(
    settings: Settings, ids: dict[str, str]
) -> None:
    _, document = load(settings, ids["pictures.mkv"])
    read = page(document, "text")
    card = [a for a in read if "HARBOUR" in a["body"]["value"].upper()]
    assert card and card[0]["motivation"] == "supplementing"
    start, end = times(card[0]["target"])
    assert 3.0 <= start < end <= 6.01
    assert "xywh=" in card[0]["target"]  # where on the card it is read
    people = page(document, "people")
    assert people and {a["body"]["value"] for a in people} == {"Ada Astronaut"}
    assert all(a["motivation"] == "tagging" for a in people)
    assert all(times(a["target"])[0] < 3.0 for a in people)  # her shot, not the card's


def test_unnamed_people_are_left_out(store: Settings, ids: dict[str, str]) -> None:
    people = store.data_dir / "collections" / "c" / "people.json"
    document = json.loads(people.read_text())
    for person in document["people"]:
        person["name"] = None
    people.write_text(json.dumps(document))
    _, manifest = load(store, ids["pictures.mkv"])
    assert page(manifest, "people") == [] and page(manifest, "text")


# -- speech and sound ----------------------------------------------------------------


def test_the_transcript_is_annotations_of_the_words_at_their_times(
    settings: Settings, ids: dict[str, str]
) -> None:
    video_id = ids["news.mp4"]
    _, document = load(settings, video_id)
    segments = artefacts.read(folder(settings, video_id), Transcript).segments
    said = page(document, "transcript")
    assert len(said) == len(segments) >= 2
    for segment, annotation in zip(segments, said, strict=True):
        assert annotation["motivation"] == "supplementing"
        body = annotation["body"]
        assert (body["type"], body["value"], body["language"]) == (
            "TextualBody",
            segment.text.strip(),
            "en",
        )
        assert times(annotation["target"]) == pytest.approx((segment.start, segment.end), abs=5e-4)
    words = " ".join(a["body"]["value"] for a in said).lower()
    assert "glasgow" in words and "tape" in words
    assert document["requiredStatement"]["value"] == {"none": ["public domain"]}
    assert "rights" not in document


def test_a_sound_recording_is_a_canvas_without_a_picture(
    settings: Settings, ids: dict[str, str]
) -> None:
    video_id = ids["harbour.wav"]
    loaded, document = load(settings, video_id)
    canvas = document["items"][0]
    media = artefacts.read(folder(settings, video_id), Probe).media
    assert canvas["duration"] == media.duration and "width" not in canvas
    body = canvas["items"][0]["items"][0]["body"]
    assert (body["type"], body["format"]) == ("Sound", "audio/x-wav") and "width" not in body
    assert "structures" not in document and "thumbnail" not in document
    assert "lights" in page(document, "transcript")[0]["body"]["value"].lower()
    assert loaded.items[0].duration == media.duration


def test_corrections_and_a_generated_summary_show(store: Settings, ids: dict[str, str]) -> None:
    news, pictures = ids["news.mp4"], ids["pictures.mkv"]
    segment = artefacts.read(folder(store, news), Transcript).segments[0]
    new = "Good morning from the city of Edinburgh in Scotland."
    add_correction(
        store.data_dir,
        news,
        {
            "kind": "line",
            "by": "t",
            "segment_start": segment.start,
            "old": segment.text,
            "new": new,
        },
    )
    second = artefacts.read(folder(store, pictures), Shots).shots[1]
    add_correction(
        store.data_dir, pictures, {"kind": "merge_shots", "by": "t", "at": second.start_time}
    )
    write_artefact(
        folder(store, news),
        "summary.json",
        {
            "video_id": news,
            "generated": True,
            "summary": "News from Glasgow.",
            "model": {"name": "m"},
        },
    )
    _, document = load(store, news)
    assert page(document, "transcript")[0]["body"]["value"] == new
    assert document["summary"] == {"none": ["Generated summary (m): News from Glasgow."]}
    _, merged = load(store, pictures)
    assert len(merged["structures"]) == 1
    assert times(merged["structures"][0]["items"][0]["id"])[1] == pytest.approx(second.end_time)


def test_where_a_proxy_was_made_it_is_offered_before_the_original(
    store: Settings, rows: dict[str, VideoRow]
) -> None:
    video_id = rows["pictures.mkv"].id
    shutil.copy(rows["news.mp4"].path, folder(store, video_id).path("proxy.mp4"))  # a real MP4
    _, document = load(store, video_id)
    body = document["items"][0]["items"][0]["items"][0]["body"]
    assert body["type"] == "Choice"
    proxy, original = body["items"]
    assert (proxy["id"], proxy["format"]) == (f"{BASE}/media/{video_id}/proxy", "video/mp4")
    assert original["id"] == f"{BASE}/media/{video_id}" and original["type"] == "Video"


def test_a_file_without_its_artefacts_still_gives_a_valid_manifest(
    store: Settings, rows: dict[str, VideoRow]
) -> None:
    video_id = rows["pictures.mkv"].id
    for schema in (Shots, Keyframes, Text, Probe):
        folder(store, video_id).path(schema.file).unlink()
    loaded, document = load(store, video_id)
    assert loaded.items[0].duration == rows["pictures.mkv"].duration  # the catalogue's
    assert "structures" not in document and "thumbnail" not in document
    assert {p["id"].rsplit("/", 1)[1] for p in document["items"][0]["annotations"]} == {"people"}


def test_an_unknown_video_or_collection_is_one_clear_error(settings: Settings) -> None:
    with pytest.raises(UnknownItem, match="not in the catalogue"):
        video_manifest(settings, "0" * 20, BASE)
    with pytest.raises(DeerinError, match="collection 'nope' has no videos"):
        collection_manifest(settings, "nope", BASE)


# -- a collection, over HTTP and as files ----------------------------------------------


def test_the_collection_lists_every_manifest(settings: Settings, ids: dict[str, str]) -> None:
    document = json.loads(collection_manifest(settings, "c", BASE))
    loaded = Collection(**document)
    assert loaded.id == f"{BASE}/iiif/collection/c.json"
    items = {item["id"]: item for item in document["items"]}
    assert set(items) == {f"{BASE}/iiif/{i}/manifest.json" for i in ids.values()}
    news = items[f"{BASE}/iiif/{ids['news.mp4']}/manifest.json"]
    assert news["type"] == "Manifest" and news["label"] == {"none": ["Evening news"]}
    assert "thumbnail" in items[f"{BASE}/iiif/{ids['pictures.mkv']}/manifest.json"]
    assert "thumbnail" not in items[f"{BASE}/iiif/{ids['harbour.wav']}/manifest.json"]


def test_the_routes_answer_iiif_with_cors(settings: Settings, ids: dict[str, str]) -> None:
    app = FastAPI()  # the router alone: it needs nothing else of the app
    app.include_router(iiif_router(settings))
    client = TestClient(app)
    video_id = ids["news.mp4"]
    reply = client.get(f"/iiif/{video_id}/manifest.json")
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("application/ld+json")
    assert reply.headers["access-control-allow-origin"] == "*"
    manifest = Manifest(**reply.json())
    assert manifest.id == f"http://testserver/iiif/{video_id}/manifest.json"
    collection = client.get("/iiif/collection/c.json")
    assert collection.status_code == 200 and len(Collection(**collection.json()).items) == 3
    missing = client.get("/iiif/0123/manifest.json")
    assert missing.status_code == 404 and "not in the catalogue" in missing.json()["error"]
    assert missing.headers["access-control-allow-origin"] == "*"
    assert str(settings.data_dir) not in missing.json()["error"]
    assert client.get("/iiif/collection/nope.json").status_code == 404


def test_the_apps_manifest_points_at_media_and_stills_it_serves(
    settings: Settings, ids: dict[str, str]
) -> None:
    client = TestClient(create_app(settings), base_url="http://127.0.0.1")
    document = client.get(f"/iiif/{ids['pictures.mkv']}/manifest.json").json()
    body = document["items"][0]["items"][0]["items"][0]["body"]
    for url in (body["id"], document["thumbnail"][0]["id"]):
        assert client.get(url.removeprefix("http://127.0.0.1")).status_code == 200, url


def test_the_command_writes_a_folder_laid_out_as_the_urls(
    settings: Settings, ids: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "iiif"
    code, output = cli(settings, "iiif", "--collection", "c", "-o", str(out), "--base-url", BASE)
    assert code == 0, output
    collection = Collection(**json.loads((out / "collection" / "c.json").read_text()))
    assert len(collection.items) == 3
    for video_id in ids.values():
        manifest = Manifest(**json.loads((out / video_id / "manifest.json").read_text()))
        assert manifest.id == f"{BASE}/iiif/{video_id}/manifest.json"
    code, output = cli(settings, "iiif", "news.mp4")
    assert code == 0, output
    assert json.loads(output)["id"] == f"http://127.0.0.1:8765/iiif/{ids['news.mp4']}/manifest.json"
    code, output = cli(settings, "iiif", "--collection", "c")
    assert code == 2 and "give a folder with --output" in output
    code, output = cli(settings, "iiif")
    assert code == 2 and "give a video or --collection" in output
