"""Near-duplicates: perceptual hashes, the hashes stage, and the duplicates step over
a synthetic collection (a film, its transcode, an unrelated film) and real DVD/Blu-ray
copies of a Popeye cartoon."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data

from conftest import ffmpeg
from deerin.enrich.duplicates.groups import DuplicatesStep, align, connected
from deerin.enrich.duplicates.hashes import is_flat, phash
from deerin.index.catalogue import open_catalogue
from deerin.index.store import VideoFolder, read_json
from deerin.pipeline.collection import run_collection_steps
from deerin.pipeline.ingest import IngestReport, ingest
from deerin.pipeline.progress import JsonReporter
from deerin.settings import Settings

FILM = ("astronaut", "coffee", "chelsea", "rocket", "coins", "astronaut")  # repeats shot 0
OTHER = ("camera", "moon", "immunohistochemistry", "hubble_deep_field", "clock")
STAGES = ("probe", "shots", "frames", "tags", "hashes")


def photo(name: str) -> Image.Image:
    return Image.fromarray(getattr(data, name)()).convert("RGB")


def gray(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L"))


def distance(a: Image.Image, b: Image.Image) -> int:
    return (phash(gray(a)) ^ phash(gray(b))).bit_count()


def reencoded(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue()))


def letterboxed(image: Image.Image) -> Image.Image:
    """The picture in a wider black frame with bars above and below, as on a 16:9 DVD."""
    box = Image.new("RGB", (image.width * 2, image.height * 3 // 2))
    box.paste(image.resize((image.width * 2, image.height)), (0, image.height // 4))
    return box


def test_phash_survives_resizing_and_reencoding_but_tells_pictures_apart() -> None:
    astronaut = photo("astronaut")
    smaller = reencoded(astronaut.resize((200, 150)), quality=30)
    assert distance(astronaut, smaller) <= 6
    assert distance(astronaut, letterboxed(astronaut)) <= 6
    for other in ("coffee", "camera", "rocket"):
        assert distance(astronaut, photo(other)) >= 20
    assert len(f"{phash(gray(astronaut)):016x}") == 16


def test_flat_frames_are_marked_so_they_never_match() -> None:
    assert is_flat(np.zeros((120, 160), np.uint8))
    assert is_flat(np.full((120, 160), 128, np.uint8))
    assert not is_flat(gray(photo("coffee")))


def test_alignment_finds_a_sped_up_copy_among_look_alikes() -> None:
    times_a = np.arange(0.0, 60.0, 3.0)
    times_b = times_a * 25 / 24 + 4.0  # PAL speed-up and a 4 s longer head
    stray_a, stray_b = np.array([5.0, 20.0, 41.0]), np.array([50.0, 2.0, 30.0])
    inliers = align(np.concatenate([times_a, stray_a]), np.concatenate([times_b, stray_b]))
    assert inliers.tolist() == [True] * len(times_a) + [False] * 3


def test_connected_groups_links_transitively() -> None:
    assert connected([(1, 2), (3, 4), (2, 5)]) == [[1, 2, 5], [3, 4]]


def photo_film(path: Path, names: tuple[str, ...], seconds: float = 2.0) -> Path:
    """A film of still photographs, one shot each, cut together at 25 fps."""
    inputs: list[str] = []
    for n, name in enumerate(names):
        still = path.parent / f"{path.stem}-{n}.png"
        photo(name).save(still)
        inputs += ["-loop", "1", "-framerate", "25", "-t", str(seconds), "-i", str(still)]
    chains = "".join(
        f"[{n}:v]scale=320:240,setsar=1,format=yuv420p[v{n}];" for n in range(len(names))
    )
    joined = "".join(f"[v{n}]" for n in range(len(names)))
    ffmpeg(
        *inputs,
        "-filter_complex",
        f"{chains}{joined}concat=n={len(names)}:v=1[out]",
        "-map",
        "[out]",
        "-c:v",
        "libx264",
        "-g",
        "25",
        str(path),
    )
    return path


def run_ingest(files: list[Path], settings: Settings, stages: tuple[str, ...]) -> IngestReport:
    report = ingest(files, "c", settings, JsonReporter(io.StringIO()), stages=stages)
    assert report.ok, (report.failed, report.steps)
    return report


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, dict[str, str]]:
    """A film, its DVD-like transcode (cropped, smaller, letterboxed, 30 fps) and an
    unrelated film, ingested as one collection; returns settings and ids by name."""
    root = tmp_path_factory.mktemp("copies")
    film = photo_film(root / "film.mp4", FILM)
    transcode = root / "transcode.mp4"
    ffmpeg(
        "-i",
        str(film),
        "-vf",
        "crop=iw*0.94:ih*0.94,scale=400:300,pad=480:360:40:30,fps=30",
        "-c:v",
        "libx264",
        "-crf",
        "32",
        str(transcode),
    )
    other = photo_film(root / "other.mp4", OTHER)
    settings = Settings.from_values(
        {
            "data_dir": root / "store",
            "run.workers": 1,
            "proxy.enabled": False,
            "duplicates.repeat_gap": 5.0,
        }
    )
    run_ingest([film, transcode, other], settings, STAGES)
    catalogue = open_catalogue(settings)
    ids = {Path(video.path).stem: video.id for video in catalogue.videos("c")}
    catalogue.close()
    return settings, ids


def test_every_analysis_frame_is_hashed(copies: tuple[Settings, dict[str, str]]) -> None:
    settings, ids = copies
    folder = VideoFolder.for_video(settings.data_dir, ids["film"])
    hashes = read_json(folder.path("hashes.json"))
    frames = read_json(folder.path("frames.json"))["frames"]
    assert [h["frame"] for h in hashes["frames"]] == [f["index"] for f in frames]
    assert all(len(h["phash"]) == 16 and not h["flat"] for h in hashes["frames"])
    assert hashes["signature"]["every"] == 3.0
    assert len(hashes["signature"]["phashes"]) == 5  # 0, 3, 6, 9, 12 s of a 12 s film
    first, repeat = hashes["frames"][0], hashes["frames"][-1]  # shot 0 and its repeat
    assert (first["shot"], repeat["shot"]) == (0, 5)
    assert (int(first["phash"], 16) ^ int(repeat["phash"], 16)).bit_count() <= 4


def test_a_transcode_is_grouped_with_its_original(copies: tuple[Settings, dict[str, str]]) -> None:
    settings, ids = copies
    groups = read_json(settings.data_dir / "collections" / "c" / "duplicates.json")["groups"]
    names = {video_id: name for name, video_id in ids.items()}
    videos = [g for g in groups if g["kind"] == "video"]
    assert len(videos) == 1
    assert sorted(names[m["video_id"]] for m in videos[0]["members"]) == ["film", "transcode"]
    assert videos[0]["similarity"] >= 0.5
    shots = sorted(
        sorted((names[m["video_id"]], m["shot"]) for m in g["members"])
        for g in groups
        if g["kind"] == "shot"
    )
    repeated = [("film", 0), ("film", 5), ("transcode", 0), ("transcode", 5)]
    assert shots == sorted([repeated] + [[("film", n), ("transcode", n)] for n in range(1, 5)])
    assert all(0.8 <= g["similarity"] <= 1.0 for g in groups if g["kind"] == "shot")


def test_the_step_is_skipped_when_nothing_changed(copies: tuple[Settings, dict[str, str]]) -> None:
    settings, _ = copies
    catalogue = open_catalogue(settings)
    try:
        (result,) = run_collection_steps("c", settings, catalogue, [DuplicatesStep(settings)])
        assert result.status == "cached"
        stricter = settings.merged({"duplicates.match": "phash"})
        (result,) = run_collection_steps("c", stricter, catalogue, [DuplicatesStep(stricter)])
    finally:
        catalogue.close()
    assert result.status == "done"
    assert "video groups 1" in result.detail


def test_dvd_and_bluray_copies_of_popeye_are_grouped(shared_media: Path, tmp_path: Path) -> None:
    """The first 24 s of each (cut without re-encoding, to keep the test quick)."""
    pair = []
    for source in ("pgs", "vob"):
        pair.append(tmp_path / f"{source}.mkv")
        ffmpeg(
            "-i",
            str(shared_media / "popeye" / f"mkv_{source}_Title_T03-4.mkv"),
            "-t",
            "24",
            "-map",
            "0:v",
            "-c",
            "copy",
            str(pair[-1]),
        )
    settings = Settings.from_values(
        {"data_dir": tmp_path / "store", "run.workers": 1, "proxy.enabled": False}
    )
    report = run_ingest(pair, settings, ("probe", "shots", "frames", "hashes"))  # pHash alone
    (result,) = [step for step in report.steps if step.step == "duplicates"]
    assert result.status == "done", result.detail  # tags is optional: skipping it is no block
    ids = set(report.videos)
    groups = read_json(settings.data_dir / "collections" / "c" / "duplicates.json")["groups"]
    (video,) = [g for g in groups if g["kind"] == "video"]
    assert {m["video_id"] for m in video["members"]} == ids
    assert video["similarity"] >= 0.7
    shots = [{m["video_id"] for m in g["members"]} for g in groups if g["kind"] == "shot"]
    assert len(shots) >= 2  # the excerpt's two shots, each found in both copies
    assert all(videos == ids for videos in shots)
