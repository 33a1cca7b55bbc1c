"""Supercuts found in the archive of tests/webapp.py (the shared footage ingested with
the real models): every moment a phrase is said, cut on its words, checked against the
word timings of the transcripts themselves."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deerin.cli.main import application
from deerin.index.catalogue import open_catalogue
from deerin.index.corrections import read_corrected
from deerin.index.schemas import Transcript
from deerin.interact import supercut
from deerin.interact.supercut import (
    WORD_TAIL,
    NothingFound,
    SupercutRequest,
    make_supercut,
    runs,
    word_end,
)
from deerin.retrieve.query import QueryError
from deerin.settings import Settings
from webapp import COLLECTION, Archive, private_store, settings_for


@pytest.fixture(scope="module")
def store(archive: Archive) -> Path:
    return archive.store


def cut(store: Path, query: str = "", **options: object) -> object:
    return make_supercut(settings_for(store), SupercutRequest(query=query, **options))


def video_id(settings: Settings, name: str) -> str:
    catalogue = open_catalogue(settings)
    try:
        return next(v.id for v in catalogue.videos(COLLECTION) if Path(v.path).name == name)
    finally:
        catalogue.close()


def spoken(store: Path, name: str) -> tuple[str, list]:
    vid = video_id(settings_for(store), name)
    return vid, read_corrected(store, vid, Transcript).words()


def bare(word: str) -> str:
    return re.sub(r"[^\w']", "", word).lower()


def test_a_phrase_is_cut_on_its_first_and_last_word(store: Path) -> None:
    vid, words = spoken(store, "jfk.flac")
    edit = cut(store, "ask not")
    assert [c.video_id for c in edit.clips] == [vid]
    clip = edit.clips[0]
    at = next(i for i in range(len(words) - 1)
              if (bare(words[i].word), bare(words[i + 1].word)) == ("ask", "not"))  # fmt: skip
    assert clip.start == words[at].start
    last, following = words[at + 1], words[at + 2]  # "not", then "what"
    assert clip.end == min(last.end + WORD_TAIL, max(following.start, last.end))
    assert bare(clip.caption.replace(" ", "_")) == "ask_not"
    assert clip.kind == "speech"
    assert edit.sources[vid].audio and edit.sources[vid].fps is None  # a sound recording


def test_every_time_a_word_is_said_is_found_and_cues_give_way_to_words(store: Path) -> None:
    vid, words = spoken(store, "manifesto.mp4")
    said = [w for w in words if bare(w.word) == "europe"]
    assert len(said) >= 2
    edit = cut(store, "Europe")
    mine = [c for c in edit.clips if c.video_id == vid]
    assert [c.start for c in mine] == [w.start for w in said]
    assert all(w.end <= c.end <= w.end + WORD_TAIL for c, w in zip(mine, said, strict=True))
    assert {c.kind for c in mine} == {"speech"}  # its subtitle cues matched too, less tightly


def test_a_regular_expression_scans_the_words(store: Path) -> None:
    vid, words = spoken(store, "jfk.flac")
    edit = cut(store, regex=r"\bcountr(y|ies)\b")
    expected = [w for w in words if bare(w.word) == "country"]
    assert len(expected) == 2
    mine = [c for c in edit.clips if c.video_id == vid]
    assert [c.start for c in mine] == [w.start for w in expected]
    assert all(w.end <= c.end <= w.end + WORD_TAIL for c, w in zip(mine, expected, strict=True))
    with pytest.raises(QueryError, match="regular expression"):
        cut(store, regex="(unclosed")
    with pytest.raises(QueryError, match="only filters"):
        cut(store, "country", regex="country")


def test_a_regular_expression_that_matches_for_ever_is_stopped(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(supercut, "REGEX_SECONDS", 0.5)
    began = time.monotonic()
    with pytest.raises(QueryError, match=r"takes over 0\.5 s"):
        cut(store, regex=r"(.|..)+\d")  # backtracks exponentially on a line without digits
    assert time.monotonic() - began < 10


def test_padding_merges_clips_that_overlap(store: Path) -> None:
    tight = [c for c in cut(store, "ask").clips if c.kind == "speech"]
    assert len(tight) == 2  # "ask not what…", "ask what you can do…"
    padded = cut(store, "ask", pad_before=0.5, pad_after=4.0)
    assert len(padded.clips) == 1
    only = padded.clips[0]
    assert only.start == pytest.approx(tight[0].start - 0.5)
    assert (
        only.end == pytest.approx(tight[1].end + 4.0)
        or only.end == padded.sources[only.video_id].duration
    )
    assert only.caption.count("ask") == 2


def test_orders_and_the_cap(store: Path) -> None:
    by_time = cut(store, "the")
    assert len(by_time.clips) > 5
    one_video = [c.start for c in by_time.clips if c.video_id == by_time.clips[0].video_id]
    assert one_video == sorted(one_video)
    shuffled = cut(store, "the", order="random", seed=1)
    assert shuffled.clips == cut(store, "the", order="random", seed=1).clips  # reproducible
    assert shuffled.clips != by_time.clips
    assert sorted(shuffled.clips, key=lambda c: (c.video_id, c.start)) == sorted(
        by_time.clips, key=lambda c: (c.video_id, c.start)
    )
    capped = cut(store, "the", limit=3)
    assert len(capped.clips) == 3
    assert any(f"{len(by_time.clips)} clips found" in note for note in capped.notes)
    with pytest.raises(QueryError, match="no order"):
        cut(store, "the", order="loudest")


def test_text_on_screen_is_cut_to_its_first_seconds(store: Path) -> None:
    edit = cut(store, "manifesto in:text")
    assert edit.clips and {c.kind for c in edit.clips} == {"text"}
    assert all(c.duration <= 4.0 for c in edit.clips)


def test_no_match_and_a_moved_file_are_said(archive: Archive, tmp_path: Path) -> None:
    with pytest.raises(NothingFound, match="zzqqxx"):
        cut(archive.store, "zzqqxx")
    store = private_store(archive, tmp_path)
    settings = settings_for(store)
    vid = video_id(settings, "jfk.flac")
    catalogue = open_catalogue(settings)
    try:
        row = catalogue.video(vid)
        catalogue.upsert_video(vid, tmp_path / "moved" / "jfk.flac", row.size)
    finally:
        catalogue.close()
    edit = make_supercut(settings, SupercutRequest(query="country"))
    assert vid not in edit.sources and all(c.video_id != vid for c in edit.clips)
    assert any("moved" in note and "jfk.flac" in note for note in edit.notes)


def test_a_clip_runs_on_into_a_pause_but_never_into_the_next_word() -> None:
    times = [(0.0, 0.5), (0.5, 1.0), (1.05, 1.5), (3.0, 3.4)]
    assert word_end(times, 0) == 0.5  # the next word follows at once
    assert word_end(times, 1) == 1.05  # a short gap: up to the next word
    assert word_end(times, 2) == pytest.approx(1.5 + WORD_TAIL)  # a pause
    assert word_end(times, 3) == pytest.approx(3.4 + WORD_TAIL)  # the passage's last word


def test_runs_group_consecutive_words() -> None:
    assert runs([1, 2, 5, 6, 7, 9]) == [[1, 2], [5, 6, 7], [9]]
    assert runs([]) == []


def test_the_command_writes_timelines_and_refuses_what_it_cannot_write(
    store: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    base = ["--data-dir", str(store), "supercut"]
    listed = runner.invoke(application(), [*base, "ask not"])
    assert listed.exit_code == 0, listed.output
    assert "jfk.flac" in listed.output and "ask not" in listed.output
    target = tmp_path / "asknot.otio"
    made = runner.invoke(application(), [*base, "ask not", "-o", str(target)])
    assert made.exit_code == 0, made.output
    assert "jfk.flac" in target.read_text()
    wrong = runner.invoke(application(), [*base, "ask not", "-o", str(tmp_path / "x.doc")])
    assert wrong.exit_code == 2 and ".doc" in wrong.output
    unwritable = runner.invoke(application(), [*base, "ask not", "-o", "/proc/no/x.edl"])
    assert unwritable.exit_code == 2 and "choose another -o path" in unwritable.output
    nothing = runner.invoke(application(), [*base, "zzqqxx"])
    assert nothing.exit_code == 2 and "Traceback" not in nothing.output
