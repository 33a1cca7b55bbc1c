"""The places a collection names (retrieve/places.py) and `deerin places`, on the
newsreels: Lisbon said three times in two films (1962 and 1968), Glasgow and New York once
in 1962, and the Clyde named but never placed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deerin.cli.main import application
from deerin.errors import DeerinError
from deerin.index.schemas import Entities
from deerin.index.store import VideoFolder
from deerin.retrieve.places import MappedPlace, YearRangeError, collection_places
from deerin.settings import Settings
from newsreel import COLLECTION, Newsreel, newsreel_settings

# Each mention and the words of the sentence it is said in (a name a few words in).
LISBON = ("Workers from Lisbon", "harbour of Lisbon", "returned to Lisbon")
NAMED = {"Glasgow": ("city of Glasgow",), "New York": ("Lisbon and New York",)}


def by_name(places: list[MappedPlace]) -> dict[str, MappedPlace]:
    return {place.name: place for place in places}


def places_cli(store: Path, *args: str) -> object:
    return CliRunner().invoke(application(), ["--data-dir", str(store), "places", *args])


def assert_said_in(newsreel: Newsreel, place: MappedPlace, sentences: tuple[str, ...]) -> None:
    """Each moment is in its film, within the first 2 s of the sentence that names it."""
    assert len(place.moments) == len(sentences)
    for moment, words in zip(place.moments, sentences, strict=True):
        film, start = newsreel.said(words)
        assert moment.file == film
        assert start - 0.2 <= moment.start <= start + 2.0, (words, moment.start, start)
        assert moment.end > moment.start
        assert place.name.lower() in moment.context.lower()


def test_lisbon_is_one_place_named_three_times_in_two_films(
    newsreel: Newsreel, newsreel_store: Path
) -> None:
    found = collection_places(newsreel_settings(newsreel_store), COLLECTION)
    places = by_name(found.places)
    assert set(places) == {"Lisbon", "Glasgow", "New York"}
    lisbon = places["Lisbon"]
    assert found.places[0] is lisbon  # most named first
    assert (lisbon.mentions, lisbon.videos, lisbon.country) == (3, 2, "PT")
    assert (lisbon.first_year, lisbon.last_year) == (1962, 1968)
    assert lisbon.lat == pytest.approx(38.7, abs=0.2) and lisbon.lon == pytest.approx(-9.1, abs=0.2)
    # by year, then time: Clyde shipyards (1962) first, then Lisbon harbour twice
    assert [m.title for m in lisbon.moments] == [
        "Clyde shipyards",
        "Lisbon harbour",
        "Lisbon harbour",
    ]
    assert [m.year for m in lisbon.moments] == [1962, 1968, 1968]
    assert_said_in(newsreel, lisbon, LISBON)
    # the first is said a word or two into its sentence: within a second of it
    assert abs(lisbon.moments[0].start - newsreel.said("Lisbon")[1]) < 1.0
    for name, sentences in NAMED.items():
        assert places[name].mentions == 1 and places[name].videos == 1
        assert_said_in(newsreel, places[name], sentences)
    assert (found.mentions, found.videos) == (5, 2)
    assert all(m.collection == COLLECTION and "/" not in m.file for m in lisbon.moments)


def test_the_clyde_is_named_but_not_placed(newsreel_store: Path) -> None:
    found = collection_places(newsreel_settings(newsreel_store), None)
    assert found.collections == [COLLECTION]
    assert [(u.name, u.count) for u in found.unplaced] == [("Clyde", 1)]
    assert "Clyde" not in by_name(found.places)
    assert found.notes == []


def test_years_keep_only_the_films_of_those_years(newsreel_store: Path) -> None:
    settings = newsreel_settings(newsreel_store)
    sixties = collection_places(settings, COLLECTION, year_from=1960, year_to=1965)
    places = by_name(sixties.places)
    assert set(places) == {"Glasgow", "Lisbon", "New York"}
    assert places["Lisbon"].mentions == 1
    assert {m.file for m in places["Lisbon"].moments} == {"clyde.mp4"}  # harbour's dropped
    assert (sixties.year_from, sixties.year_to, sixties.mentions) == (1960, 1965, 3)
    assert [u.name for u in sixties.unplaced] == ["Clyde"]  # said in the 1962 film
    later = collection_places(settings, COLLECTION, year_from=1965)
    assert [(p.name, p.mentions) for p in later.places] == [("Lisbon", 2)]
    assert later.unplaced == []
    one_year = collection_places(settings, COLLECTION, year_from=1968, year_to=1968)
    assert [p.name for p in one_year.places] == ["Lisbon"]  # both ends inclusive
    none = collection_places(settings, COLLECTION, year_from=1990)
    assert none.places == [] and none.notes == ["no film or recording is dated 1990 or later"]


def test_moments_are_capped_and_the_count_kept(newsreel_store: Path) -> None:
    found = collection_places(newsreel_settings(newsreel_store), COLLECTION, most_moments=1)
    lisbon = by_name(found.places)["Lisbon"]
    assert lisbon.mentions == 3 and len(lisbon.moments) == 1
    assert lisbon.moments[0].file == "clyde.mp4"


def test_years_that_run_backwards_say_how_to_write_them(newsreel_store: Path) -> None:
    with pytest.raises(YearRangeError) as raised:
        collection_places(
            newsreel_settings(newsreel_store), COLLECTION, year_from=1970, year_to=1960
        )
    assert "backwards" in raised.value.problem and "from 1960 to 1970" in raised.value.hint


def test_empty_and_unknown_collections(tmp_path: Path) -> None:
    settings = Settings.from_values({"data_dir": tmp_path})
    nothing = collection_places(settings, None)
    assert nothing.places == [] and nothing.collections == []
    assert "no collections yet" in nothing.notes[0]
    (tmp_path / "collections" / "empty").mkdir(parents=True)
    empty = collection_places(settings, "empty")
    assert (empty.places, empty.unplaced, empty.mentions) == ([], [], 0)
    assert empty.notes == [
        "collection 'empty' has no search index yet: run `deerin index -c empty` "
        "(or `deerin ingest` on it)"
    ]
    with pytest.raises(DeerinError, match="no collection 'elsewhere'") as raised:
        collection_places(settings, "elsewhere")
    assert "empty" in raised.value.hint  # names the collections there are


def test_names_of_a_damaged_or_missing_artefact(newsreel_store: Path, tmp_path: Path) -> None:
    """The map still comes from the index; a damaged entities file is noted by its film's
    name, a missing one (the stage never ran) just has no names to count."""
    store = shutil.copytree(newsreel_store, tmp_path / "store", symlinks=True)
    settings = newsreel_settings(store)
    found = collection_places(settings, None)
    videos = {m.file: m.video_id for place in found.places for m in place.moments}
    VideoFolder.for_video(store, videos["harbour.mp4"]).path(Entities.file).write_text("{")
    damaged = collection_places(settings, COLLECTION)
    assert by_name(damaged.places)["Lisbon"].mentions == 3
    assert [u.name for u in damaged.unplaced] == ["Clyde"]
    assert damaged.notes == [
        "the names in harbour.mp4 cannot be read: run `deerin ingest --redo entities` on it"
    ]
    VideoFolder.for_video(store, videos["clyde.mp4"]).path(Entities.file).unlink()
    assert collection_places(settings, COLLECTION).unplaced == []


def test_cli_lists_places_and_the_names_not_placed(newsreel_store: Path) -> None:
    result = places_cli(newsreel_store, "-c", COLLECTION)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in lines if "│" in line]
    # most named first; its first moment said at 7.5 s of the 1962 film
    assert rows[0] == ["Lisbon", "PT", "3", "2", "Clyde shipyards (1962) at 0:08"]
    assert {row[0] for row in rows[1:]} == {"Glasgow", "New York"}
    assert "Named but not on the map: Clyde (1)" in result.output


def test_cli_json_and_years(newsreel_store: Path) -> None:
    result = places_cli(newsreel_store, "--from", "1960", "--to", "1965", "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert {p["name"]: p["mentions"] for p in answer["places"]} == {
        "Glasgow": 1,
        "Lisbon": 1,
        "New York": 1,
    }
    assert answer["unplaced"] == [{"name": "Clyde", "count": 1}]


def test_cli_mistakes_are_one_line(newsreel_store: Path) -> None:
    backwards = places_cli(newsreel_store, "--from", "1970", "--to", "1960")
    assert backwards.exit_code == 2
    assert "the years run backwards" in backwards.output and "Traceback" not in backwards.output
    unknown = places_cli(newsreel_store, "-c", "elsewhere")
    assert unknown.exit_code == 2 and f"collections: {COLLECTION}" in unknown.output
