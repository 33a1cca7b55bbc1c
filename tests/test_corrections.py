"""Corrections people make (transcript words and lines, shot cuts): stored apart from the
machine's output, applied wherever the artefacts are read (search index, exports), kept
over every rerun, reverted without losing history, and refused with a line a person can
act on when they name something that is not there.

The collection (ingested once for the module): ``news.mp4``, where espeak-ng says three
sentences, and ``cuts.mp4``, red, green and blue shots of 2 s with cuts at 2 s and 4 s.
"""

from __future__ import annotations

import io
import shutil
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import make_cuts_video
from deerin.cli.main import application
from deerin.errors import DeerinError
from deerin.index import artefacts
from deerin.index.catalogue import open_catalogue
from deerin.index.corrections import (
    add_correction,
    corrections_digest,
    corrections_path,
    list_corrections,
    read_corrected,
)
from deerin.index.schemas import Keyframes, Shots, TextEmbeddings, Transcript, Word
from deerin.index.search_index import SearchIndex
from deerin.index.store import VideoFolder
from deerin.pipeline.collection import collection_context
from deerin.pipeline.ingest import ingest
from deerin.pipeline.progress import JsonReporter
from deerin.retrieve.build import update_index
from deerin.retrieve.query import Query, parse
from deerin.retrieve.search import Searcher
from test_search import make_settings
from test_transcript import speech_video

SENTENCES = (
    "Good morning from the city of Glasgow in Scotland.",
    "The shipyards on the river are building a new ship.",
    "Please return the tape tomorrow morning.",
)
STAGES = ("probe", "shots", "keyframes", "frames", "tags", "transcript", "text_embeddings")
WHO = "Ada (cataloguer)"


def _ingest(root: Path, redo: frozenset[str] = frozenset()) -> None:
    report = ingest(
        [root / "media"],
        "c",
        make_settings(root),
        JsonReporter(io.StringIO()),
        stages=STAGES,
        redo=redo,
    )
    assert report.ok, (report.failed, report.steps)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corrections")
    media = root / "media"
    media.mkdir()
    spoken = root / "spoken"
    spoken.mkdir()
    video, _ = speech_video(spoken, SENTENCES)
    shutil.move(video, media / "news.mp4")
    make_cuts_video(media / "cuts.mp4", audio=False)
    _ingest(root)
    return root


@pytest.fixture
def root(template: Path, tmp_path: Path) -> Path:
    """A private copy of the ingested store, beside the module's media."""
    shutil.copytree(template / "store", tmp_path / "store")
    (tmp_path / "media").symlink_to(template / "media")
    return tmp_path


def video_id(root: Path, name: str) -> str:
    catalogue = open_catalogue(make_settings(root))
    try:
        return next(v.id for v in catalogue.videos("c") if Path(v.path).name == name)
    finally:
        catalogue.close()


def find_word(transcript: Transcript, wanted: str) -> tuple[float, Word]:
    """The segment start and the word that reads ``wanted`` (punctuation aside)."""
    for segment in transcript.segments:
        for word in segment.words:
            if word.word.strip(" .,").lower() == wanted:
                return segment.start, word
    raise AssertionError(f"{wanted!r} is not in the transcript")


def reindex(root: Path) -> int:
    """Bring the index up to date as the web app does after a correction: videos indexed."""
    settings = make_settings(root)
    catalogue = open_catalogue(settings)
    where = collection_context("c", settings, catalogue)
    catalogue.close()
    return update_index(where).videos


def spoken_hits(root: Path, text: str) -> list[tuple[str, float, str]]:
    result = Searcher(make_settings(root)).search(parse(text, Query(modes=("words",))), limit=50)
    return [(h.file, h.start, m.text) for h in result.hits for m in h.matches if m.kind == "speech"]


def export(root: Path, *args: str) -> str:
    command = ["--data-dir", str(root / "store"), "export", *args]
    result = CliRunner().invoke(application(), command)
    assert result.exit_code == 0, result.output
    return result.stdout


def shot_rows(root: Path, video: str) -> list[dict[str, object]]:
    index = SearchIndex.open(make_settings(root), "c")
    rows = index.rows("shots", f"video_id = '{video}'", columns=["shot", "start", "end", "thumb"])
    return sorted(rows, key=lambda row: row["shot"])


def data_dir(root: Path) -> Path:
    return root / "store"


def corrected_text_is_embedded_anew(root: Path, video: str, corrected: float) -> bool:
    """The corrected passage's vector is not the stored one of the old text; the others'
    are still reused from the text embeddings stage."""
    folder = VideoFolder.for_video(data_dir(root), video)
    document = artefacts.read(folder, TextEmbeddings)
    stored = dict(
        zip(
            [r.start for r in document.rows],
            artefacts.vectors(folder, TextEmbeddings, document),
            strict=True,
        )
    )
    index = SearchIndex.open(make_settings(root), "c")
    rows = index.rows(
        "passages", f"video_id = '{video}' AND source = 'speech'", columns=["start", "vector"]
    )
    assert len(rows) == len(stored) == 3
    reused = {row["start"]: np.allclose(row["vector"], stored[row["start"]]) for row in rows}
    return reused == {start: start != corrected for start in stored}


# -- transcript ------------------------------------------------------------------------


def test_a_word_correction_reaches_reading_export_and_search(root: Path) -> None:
    news = video_id(root, "news.mp4")
    assert corrections_digest(data_dir(root), news) == ""
    machine = read_corrected(data_dir(root), news, Transcript)
    segment_start, word = find_word(machine, "river")
    correction = add_correction(
        data_dir(root),
        news,
        {"kind": "word", "by": WHO, "segment_start": segment_start,
         "word_start": word.start, "old": word.word, "new": "Clyde"},
    )  # fmt: skip

    corrected = read_corrected(data_dir(root), news, Transcript)
    _, fixed = find_word(corrected, "clyde")
    assert (fixed.start, fixed.end) == (word.start, word.end)
    assert "Clyde" in next(s.text for s in corrected.segments if s.start == segment_start)
    assert "river" not in " ".join(w.word for w in corrected.words())
    folder = VideoFolder.for_video(data_dir(root), news)
    assert artefacts.read(folder, Transcript).words() == machine.words()  # machine's untouched

    vtt = export(root, "news.mp4", "--layer", "transcript", "-f", "vtt")
    assert "Clyde" in vtt and "river" not in vtt

    assert corrections_digest(data_dir(root), news) != ""
    assert reindex(root) == 1  # only the corrected video
    clyde = spoken_hits(root, '"clyde"')
    assert [(file, round(start, 2)) for file, start, _ in clyde] == [
        ("news.mp4", round(word.start, 2))
    ]
    assert spoken_hits(root, '"river"') == []
    assert correction.id == "c0001"
    assert corrected_text_is_embedded_anew(root, news, segment_start)


def test_a_line_correction_keeps_or_spreads_the_word_times(root: Path) -> None:
    news = video_id(root, "news.mp4")
    machine = read_corrected(data_dir(root), news, Transcript)
    segment = next(s for s in machine.segments if "tape" in s.text)
    same_count = segment.text.replace("tape", "reel")
    add_correction(
        data_dir(root),
        news,
        {"kind": "line", "by": WHO, "segment_start": segment.start,
         "old": segment.text, "new": same_count},
    )  # fmt: skip
    kept = next(s for s in read_corrected(data_dir(root), news, Transcript).segments
                if s.start == segment.start)  # fmt: skip
    assert kept.text == same_count
    assert [(w.start, w.end) for w in kept.words] == [(w.start, w.end) for w in segment.words]
    assert [w.word for w in kept.words] == same_count.split()

    add_correction(
        data_dir(root),
        news,
        {"kind": "line", "by": WHO, "segment_start": segment.start,
         "old": same_count, "new": "  Bring  the reel back. "},
    )  # fmt: skip
    spread = next(s for s in read_corrected(data_dir(root), news, Transcript).segments
                  if s.start == segment.start)  # fmt: skip
    assert spread.text == "Bring the reel back."
    assert [w.word for w in spread.words] == ["Bring", "the", "reel", "back."]
    step = (segment.end - segment.start) / 4
    assert [w.start for w in spread.words] == pytest.approx(
        [segment.start + n * step for n in range(4)], abs=1e-3
    )
    assert spread.words[-1].end == pytest.approx(segment.end, abs=1e-3)
    vtt = export(root, "news.mp4", "--layer", "transcript", "-f", "vtt")
    assert "Bring the reel back." in vtt and "tape" not in vtt


# -- shots -------------------------------------------------------------------------------


def test_merge_and_split_reach_the_shot_list_its_export_and_the_index(root: Path) -> None:
    cuts = video_id(root, "cuts.mp4")
    machine = read_corrected(data_dir(root), cuts, Shots)
    assert [s.start_time for s in machine.shots] == [0.0, 2.0, 4.0]
    keyframes = artefacts.read(VideoFolder.for_video(data_dir(root), cuts), Keyframes)
    red, blue = keyframes.shots[0], keyframes.shots[2]
    assert red.middle and red.first and blue.middle
    before = shot_rows(root, cuts)
    assert [row["start"] for row in before] == [0.0, 2.0, 4.0]

    add_correction(data_dir(root), cuts, {"kind": "merge_shots", "by": WHO, "at": 2.0})
    merged = read_corrected(data_dir(root), cuts, Shots).shots
    assert [(s.index, s.start_frame, s.end_frame) for s in merged] == [(0, 0, 100), (1, 100, 150)]
    assert (merged[0].end_time, merged[0].last_frame_time) == (4.0, 3.96)
    assert reindex(root) == 1
    rows = shot_rows(root, cuts)
    assert [(row["start"], row["end"]) for row in rows] == [(0.0, 4.0), (4.0, 6.0)]
    assert rows[0]["thumb"].endswith(red.middle.thumb)  # the first part's picture

    add_correction(data_dir(root), cuts, {"kind": "split_shot", "by": WHO, "at": 0.5})
    split = read_corrected(data_dir(root), cuts, Shots).shots
    assert [(s.index, s.start_frame, s.end_frame) for s in split] == [
        (0, 0, 13), (1, 13, 100), (2, 100, 150)
    ]  # fmt: skip
    assert [(s.start_time, s.end_time) for s in split] == [(0.0, 0.52), (0.52, 4.0), (4.0, 6.0)]
    assert split[0].last_frame_time == 0.48  # frame 13, the first at or after 0.5 s, is cut
    assert split[1].transition_in is not None and split[1].transition_in.kind == "cut"
    assert split[1].transition_in.start_frame == 13

    csv = export(root, "cuts.mp4", "--layer", "shots", "-f", "csv").strip().splitlines()
    assert len(csv) == 1 + 3, csv
    assert reindex(root) == 1
    rows = shot_rows(root, cuts)
    assert [(row["start"], row["end"]) for row in rows] == [(0.0, 0.52), (0.52, 4.0), (4.0, 6.0)]
    thumbs = [row["thumb"] for row in rows]
    assert thumbs[0].endswith(red.first.thumb)  # the still inside the first part
    assert thumbs[1].endswith(red.middle.thumb)
    assert thumbs[2].endswith(blue.middle.thumb)


# -- kept over reruns, reverted, recorded ------------------------------------------------


def test_corrections_survive_a_rerun_and_say_when_their_target_is_gone(root: Path) -> None:
    news, cuts = video_id(root, "news.mp4"), video_id(root, "cuts.mp4")
    segment_start, word = find_word(read_corrected(data_dir(root), news, Transcript), "ship")
    add_correction(
        data_dir(root),
        news,
        {"kind": "word", "by": WHO, "segment_start": segment_start,
         "word_start": word.start, "old": word.word, "new": "steamer."},
    )  # fmt: skip
    add_correction(data_dir(root), cuts, {"kind": "split_shot", "by": WHO, "at": 5.0})
    stored = corrections_path(data_dir(root), news).read_bytes()

    _ingest(root, redo=frozenset({"transcript", "shots"}))

    assert corrections_path(data_dir(root), news).read_bytes() == stored
    assert corrections_path(data_dir(root), news).parent == data_dir(root) / "corrections"
    assert find_word(read_corrected(data_dir(root), news, Transcript), "steamer")
    assert len(read_corrected(data_dir(root), cuts, Shots).shots) == 4
    assert [c.applied for c in list_corrections(data_dir(root), cuts)] == [True]
    assert "steamer" in export(root, "news.mp4", "--layer", "transcript", "-f", "txt")

    # A rerun that hears something else: the correction stays, marked as not applying.
    folder = VideoFolder.for_video(data_dir(root), news)
    heard = artefacts.read(folder, Transcript)
    for segment in heard.segments:
        for each in segment.words:
            if each.start == word.start:
                each.word = "sheep."
    artefacts.write(folder.path(Transcript.file), heard, Transcript)
    status = list_corrections(data_dir(root), news)
    assert [(c.id, c.applied) for c in status] == [("c0001", False)]
    assert "ship." in (status[0].reason or "")
    assert find_word(read_corrected(data_dir(root), news, Transcript), "sheep")


def test_revert_undoes_and_keeps_history(root: Path) -> None:
    news = video_id(root, "news.mp4")
    segment_start, word = find_word(read_corrected(data_dir(root), news, Transcript), "glasgow")
    fields = {"segment_start": segment_start, "word_start": word.start}
    add_correction(
        data_dir(root), news, {"kind": "word", "by": WHO, **fields, "old": word.word, "new": "Oban"}
    )
    add_correction(data_dir(root), news, {"kind": "revert", "by": "Bo", "target": "c0001"})
    assert find_word(read_corrected(data_dir(root), news, Transcript), "glasgow")
    status = list_corrections(data_dir(root), news)
    assert [(c.id, c.kind, c.applied, c.reason) for c in status] == [
        ("c0001", "word", False, "reverted by c0002"),
        ("c0002", "revert", True, None),
    ]
    with pytest.raises(DeerinError, match="already reverted"):
        add_correction(data_dir(root), news, {"kind": "revert", "by": "Bo", "target": "c0001"})
    add_correction(data_dir(root), news, {"kind": "revert", "by": "Ada", "target": "c0002"})
    assert find_word(read_corrected(data_dir(root), news, Transcript), "oban")
    assert [c.applied for c in list_corrections(data_dir(root), news)] == [True, False, True]


def test_who_and_when_are_recorded(root: Path) -> None:
    cuts = video_id(root, "cuts.mp4")
    before = datetime.now(UTC).replace(microsecond=0)
    first = add_correction(data_dir(root), cuts, {"kind": "split_shot", "by": WHO, "at": 3.0})
    second = add_correction(data_dir(root), cuts, {"kind": "merge_shots", "by": "Bo", "at": 4.0})
    after = datetime.now(UTC)
    assert (first.id, first.by, second.id, second.by) == ("c0001", WHO, "c0002", "Bo")
    made = datetime.fromisoformat(first.made)
    assert made.utcoffset() is not None and before <= made <= after
    listed = list_corrections(data_dir(root), cuts)
    assert [(c.id, c.by, c.made, c.at) for c in listed] == [
        ("c0001", WHO, first.made, 3.0), ("c0002", "Bo", second.made, 4.0)
    ]  # fmt: skip
    shots = read_corrected(data_dir(root), cuts, Shots).shots
    assert [(s.start_time, s.end_time) for s in shots] == [(0.0, 2.0), (2.0, 3.0), (3.0, 6.0)]


@pytest.mark.parametrize(
    ("video", "correction", "says"),
    [
        ("news.mp4", {"kind": "rename"}, "unknown correction kind 'rename'"),
        ("news.mp4", {"kind": "word", "segment_start": 0.0}, "needs by, word_start, old, new"),
        ("news.mp4", {"kind": "word", "by": WHO, "segment_start": 999.0, "word_start": 999.0,
                      "old": "river", "new": "Clyde"}, "has no segment starting at 999.000 s"),
        ("news.mp4", {"kind": "word", "by": WHO, "old": "nowhere", "new": "x"}, "has no word"),
        ("news.mp4", {"kind": "word", "by": WHO, "new": "  "}, "empty new text"),
        ("news.mp4", {"kind": "line", "by": WHO, "old": "not what it says", "new": "x"}, "reads"),
        ("news.mp4", {"kind": "revert", "by": WHO, "target": "c0042"}, "no correction 'c0042'"),
        ("news.mp4", {"kind": "merge_shots", "by": WHO, "at": 1.0}, "has no cut at 1.000 s"),
        ("cuts.mp4", {"kind": "word", "by": WHO, "segment_start": 0.0, "word_start": 0.0,
                      "old": "a", "new": "b"}, "has no transcript.json"),
        ("cuts.mp4", {"kind": "split_shot", "by": WHO, "at": 2.0}, "already starts at 2.000"),
        ("cuts.mp4", {"kind": "split_shot", "by": WHO, "at": 99.0}, "outside the shots"),
        ("cuts.mp4", {"kind": "merge_shots", "by": WHO, "at": 1.0}, "has no cut at 1.000 s"),
        ("cuts.mp4", {"kind": "merge_shots", "by": WHO, "at": 0.0}, "has no cut at 0.000 s"),
        ("cuts.mp4", {"kind": "split_shot", "by": WHO, "at": "soon"}, "at: Input should be"),
    ],
)  # fmt: skip
def test_bad_corrections_are_refused_in_one_line(
    root: Path, video: str, correction: dict[str, object], says: str
) -> None:
    chosen = video_id(root, video)
    if correction["kind"] in ("word", "line") and "segment_start" not in correction:
        segment_start, word = find_word(read_corrected(data_dir(root), chosen, Transcript), "river")
        defaults = {"segment_start": segment_start, "word_start": word.start, "old": word.word}
        if correction["kind"] == "line":
            defaults.pop("word_start")
        correction = {**defaults, **correction}
    with pytest.raises(DeerinError, match=says) as refused:
        add_correction(data_dir(root), chosen, correction)
    assert "\n" not in refused.value.message
    assert list_corrections(data_dir(root), chosen) == []  # nothing written
