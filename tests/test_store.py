"""The store: atomic writes, publishing, catalogue state, identity and discovery."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from deerin.index.catalogue import Catalogue
from deerin.index.store import (
    VideoFolder,
    atomic_write_json,
    publish,
    read_json,
    remove_stale_temporaries,
    staging_dir,
)
from deerin.media.identity import content_id
from deerin.pipeline.discover import Candidate, Rejected, discover


def test_atomic_write_leaves_no_temporaries(tmp_path: Path) -> None:
    target = tmp_path / "a" / "doc.json"
    atomic_write_json(target, {"ü": 1})
    atomic_write_json(target, {"ü": 2})
    assert read_json(target) == {"ü": 2}
    assert [p.name for p in target.parent.iterdir()] == ["doc.json"]


def test_publish_replaces_a_folder_whole(tmp_path: Path) -> None:
    final = tmp_path / "keyframes"
    final.mkdir()
    (final / "old.jpg").write_text("old")
    with staging_dir(tmp_path, "kf") as staged:
        (staged / "keyframes").mkdir()
        (staged / "keyframes" / "new.jpg").write_text("new")
        publish(staged / "keyframes", final)
    assert [p.name for p in final.iterdir()] == ["new.jpg"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keyframes"]


def test_stale_temporaries_of_a_killed_run_are_removed(tmp_path: Path) -> None:
    (tmp_path / ".tmp-shots-123").mkdir()
    (tmp_path / ".tmp-abc").write_text("half")
    (tmp_path / "shots.json").write_text("{}")
    remove_stale_temporaries(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["shots.json"]


def test_video_folder_manifest_round_trip(tmp_path: Path) -> None:
    folder = VideoFolder.for_video(tmp_path, "abcdef")
    assert folder.root == tmp_path / "videos" / "ab" / "abcdef"
    assert folder.read_manifest("shots") is None
    folder.write_manifest("shots", {"fingerprint": "x"})
    assert folder.read_manifest("shots") == {"fingerprint": "x"}


def test_content_id_follows_content_not_name(tmp_path: Path) -> None:
    a = tmp_path / "a.mp4"
    a.write_bytes(b"frame data" * 1000)
    moved = tmp_path / "sub dir" / "renamed ü.mp4"
    moved.parent.mkdir()
    shutil.copy(a, moved)
    other = tmp_path / "b.mp4"
    other.write_bytes(b"frame data" * 999 + b"frame datb")
    assert content_id(a) == content_id(moved)
    assert content_id(a) != content_id(other)
    assert len(content_id(a)) == 20


def test_catalogue_tracks_videos_stages_and_skips(tmp_path: Path) -> None:
    catalogue = Catalogue(tmp_path / "catalogue.sqlite")
    catalogue.ensure_collection("reels")
    catalogue.upsert_video("v1", tmp_path / "one.mkv", 10)
    catalogue.add_member("reels", "v1", {"title": "Reel one"})
    catalogue.add_member("reels", "v1", {})  # a later ingest without a catalogue keeps it
    catalogue.set_stage("v1", "shots", "failed", "decoder said no")
    catalogue.record_skip("reels", tmp_path / "notes.txt", "not a video (.txt file)")
    (video,) = catalogue.videos("reels")
    assert video.metadata == {"title": "Reel one"}
    assert catalogue.stage_states("v1") == {"shots": ("failed", "decoder said no")}
    assert catalogue.skipped("reels") == [(str(tmp_path / "notes.txt"), "not a video (.txt file)")]
    assert catalogue.find_videos("one.mkv")[0].id == "v1"
    mode = catalogue._db.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    catalogue.forget_video("v1")
    assert catalogue.videos() == []


def test_catalogue_on_unwritable_folder_names_it(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(Exception) as info:
        Catalogue(blocker / "catalogue.sqlite")
    assert str(blocker) in str(info.value)


def test_discover_walks_folders_and_rejects_non_videos(tmp_path: Path) -> None:
    (tmp_path / "deep" / "er").mkdir(parents=True)
    (tmp_path / "deep" / "er" / "film one.mkv").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "still.jpg").write_bytes(b"x")
    (tmp_path / "empty.mp4").write_bytes(b"")
    (tmp_path / ".hidden.mp4").write_bytes(b"x")
    found = list(discover([tmp_path, tmp_path / "missing.mp4"]))
    candidates = [f.path.name for f in found if isinstance(f, Candidate)]
    reasons = {f.path.name: f.reason for f in found if isinstance(f, Rejected)}
    assert candidates == ["film one.mkv"]
    assert reasons["notes.txt"].startswith("not a media file")
    assert reasons["still.jpg"].startswith("not a media file")
    assert "empty" in reasons["empty.mp4"]
    assert "does not exist" in reasons["missing.mp4"]


def test_csv_catalogue_keeps_metadata_and_resolves_relative_paths(tmp_path: Path) -> None:
    (tmp_path / "reels").mkdir()
    (tmp_path / "reels" / "r1.mkv").write_bytes(b"x")
    csv = tmp_path / "catalogue.csv"
    csv.write_text(
        "Path,Title,Date,Identifier,Rights,Description,Extra\n"
        "reels/r1.mkv,Harbour 1936,1936,NWFA-001,Public domain,Boats,ignored\n"
        "reels/gone.mkv,Lost,,,,,\n",
        encoding="utf-8",
    )
    found = list(discover([csv]))
    assert isinstance(found[0], Candidate)
    assert found[0].path == (tmp_path / "reels" / "r1.mkv").resolve()
    assert found[0].metadata == {
        "title": "Harbour 1936",
        "date": "1936",
        "identifier": "NWFA-001",
        "rights": "Public domain",
        "description": "Boats",
    }
    assert isinstance(found[1], Rejected) and "row 3" in found[1].reason
