"""Entities: hand-written transcript, subtitle, on-screen text and caption layers of a real
(tiny) video, run through the entities stage by the runner with the bundled spaCy model and
the GeoNames data; places resolved with the video's other mentions as context."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import make_cuts_video, write_artefact
from deerin.enrich.entities.places import Resolver, distance_km, gazetteer
from deerin.index.store import VideoFolder, read_json
from deerin.pipeline.runner import VideoJob, process_video
from deerin.settings import Settings

WORDS = [  # (word as the transcript stage stores it: without its space, start, end)
    ("Winston", 1.0, 1.4),
    ("Churchill", 1.4, 1.9),
    ("visited", 1.9, 2.3),
    ("Paris,", 2.3, 2.8),
    ("Texas,", 2.9, 3.4),
    ("in", 3.4, 3.5),
    ("1952.", 3.5, 4.2),
]


def ignore(event: object) -> None:
    """Progress events are not under test here."""


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """One store for the module: the GeoNames lookup is built and cached there once."""
    return Settings.from_values(
        {"data_dir": tmp_path_factory.mktemp("store"), "run.workers": 1, "proxy.enabled": False}
    )


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_cuts_video(tmp_path_factory.mktemp("entities") / "clip.mp4", ("black",), 1.0)


def publish(folder: VideoFolder, stage: str, artefact: str, document: dict[str, Any]) -> None:
    """Place a hand-written layer in the store as if its stage had run."""
    write_artefact(folder, artefact, document)
    folder.write_manifest(stage, {"stage": stage, "fingerprint": f"handmade-{stage}"})


def run_entities(settings: Settings, video: Path, video_id: str, layers) -> dict[str, Any]:
    """Probe the video, add the layers, run the entities stage; its document."""
    assert process_video(VideoJob(video_id, str(video), settings, ("probe",)), ignore).ok
    folder = VideoFolder.for_video(settings.data_dir, video_id)
    for stage, artefact, document in layers:
        publish(folder, stage, artefact, {"video_id": video_id, **document})
    job = VideoJob(video_id, str(video), settings, ("probe", "entities"))
    outcome = process_video(job, ignore).outcomes["entities"]
    assert outcome.status == "done", outcome.detail
    return read_json(folder.path("entities.json"))


def transcript() -> dict[str, Any]:
    words = [{"start": s, "end": e, "word": w, "probability": 0.9} for w, s, e in WORDS]
    segment = {"id": 0, "start": 0.8, "end": 4.5, "text": " ".join(w for w, _, _ in WORDS)}
    return {"language": "en", "segments": [{**segment, "words": words}], "errors": []}


def subtitles() -> dict[str, Any]:
    cue = {"start": 10.0, "end": 14.0, "kind": "subtitle", "text": "The BBC filmed the crowds."}
    track = {"stream": 2, "language": "eng", "codec": "subrip", "kind": "text", "events": [cue]}
    return {"tracks": [{**track, "source": "stream"}], "errors": []}


def captions() -> dict[str, Any]:
    common = {"frame": 3, "time": 7.5, "shot": 1, "question": None}
    return {
        "captions": [
            {**common, "answer": "A street in Cambridge, Massachusetts.", "source": "model"},
            {**common, "answer": "On-screen text: “Detroit”.", "source": "composed"},
        ],
        "errors": [],
    }


def by_text(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entity["text"]: entity for entity in document["entities"]}


def test_entities_from_every_layer_keep_labels_times_sources_and_places(
    settings: Settings, video: Path
) -> None:
    layers = [
        ("transcript", "transcript.json", transcript()),
        ("subtitles", "subtitles.json", subtitles()),
        ("captions", "captions.json", captions()),
    ]
    document = run_entities(settings, video, "v1", layers)
    found = by_text(document)
    assert found["Winston Churchill"]["label"] == "PERSON"
    # narrowed from the segment (0.8-4.5 s) to the words themselves
    assert (found["Winston Churchill"]["start"], found["Winston Churchill"]["end"]) == (1.0, 1.9)
    assert found["1952"]["label"] == "DATE"
    assert found["BBC"] | {"context": ""} == {
        "text": "BBC",
        "label": "ORG",
        "start": 10.0,
        "end": 14.0,
        "source": "subtitles",
        "context": "",
        "place": None,
    }
    assert "BBC filmed" in found["BBC"]["context"]
    paris = found["Paris"]["place"]
    assert (paris["country_code"], paris["geonameid"]) == ("US", 4717560)  # Paris, Texas
    assert paris["confidence"] >= 0.9
    cambridge = found["Cambridge"]
    assert (cambridge["source"], cambridge["start"]) == ("captions", 7.5)
    assert distance_km(cambridge["place"]["lat"], cambridge["place"]["lon"], 42.37, -71.11) < 5
    assert "Detroit" not in found  # a composed caption restates other layers: not read
    assert {k["term"] for k in document["keywords"]} >= {"crowd"}


def test_paris_alone_is_the_french_capital_and_says_it_had_a_choice(
    settings: Settings, video: Path
) -> None:
    event = {"start": 20.0, "end": 25.0, "kind": "text", "text": "Crowds in Paris cheer"}
    text = {"events": [{**event, "confidence": 0.9, "box": [0, 0, 1, 1], "frames": [5]}]}
    document = run_entities(settings, video, "v2", [("text", "text.json", text)])
    paris = by_text(document)["Paris"]
    assert (paris["source"], paris["start"], paris["end"]) == ("text", 20.0, 25.0)
    assert paris["place"]["country_code"] == "FR"
    assert distance_km(paris["place"]["lat"], paris["place"]["lon"], 48.857, 2.352) < 10
    assert 0.5 < paris["place"]["confidence"] < 1.0  # other towns are called Paris


def test_a_video_with_no_text_layers_is_done_with_nothing(settings: Settings, video: Path) -> None:
    document = run_entities(settings, video, "v3", [])
    assert (document["entities"], document["keywords"], document["errors"]) == ([], [], [])


def test_context_decides_between_towns_of_one_name(settings: Settings) -> None:
    places = gazetteer(settings.data_dir / "cache" / "geonames")
    assert list((settings.data_dir / "cache" / "geonames").glob("lookup-*.pickle"))
    newcastle = Resolver(places, ["Newcastle", "Australia"]).resolve("Newcastle")
    assert newcastle is not None and newcastle.place.country_code == "AU"
    alone = Resolver(places, ["Cambridge"])
    assert alone.resolve("Cambridge").confidence < 0.5  # England, Massachusetts, Ontario...
    assert alone.resolve("Nowhere-upon-Nothing") is None


def test_a_text_with_no_entity_gives_none_and_no_error() -> None:
    """Most transcript segments name nobody; they must not upset the stage."""
    from deerin.enrich.entities.stage import qualified
    from deerin.enrich.entities.texts import TextItem

    item = TextItem("transcript", 1.0, 2.0, "where is the party in opposition that")
    assert qualified(item, []) == []
