"""Rendering an edit: one MP4 cut on the right frames, whatever its sources are like.

The sources are made with lavfi so the answer is known: a picture whose brightness is
its own frame number shows which frame each output frame came from, solid white
shows where a picture was scaled and padded to, and a source without sound must give
silence. Every render is checked with ffprobe and by decoding what was written.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from conftest import ffmpeg
from deerin.errors import DeerinError
from deerin.index.schemas import Edit, EditClip, EditSource
from deerin.interact.render import (
    Format,
    RenderResult,
    concat_filter_peer,
    output_format,
    render,
)

FILM = Fraction(24000, 1001)
STEP = 4  # brightness per frame of a numbered source: its frame n has luma 16 + 4n
# Clips as (source, first frame, end frame) for the numbered sources, seconds otherwise.
CLIPS = [
    ("film", 0, 10),  # from the very first frame
    ("silent", 25, 40),  # 25 fps, no sound
    ("film", 10, 20),  # starts where the first ended
    ("dvd", 0.2, 0.8),  # interlaced, anamorphic
    ("phone", 0.1, 0.5),  # portrait
    ("film", 30, 47),  # up to the source's last frame
]


def numbered(path: Path, size: str, rate: str, seconds: float, sound: bool) -> Path:
    """A picture whose luma is its frame number (16 + 4n), with a 440 Hz tone if ``sound``."""
    picture = f"color=s={size}:r={rate}:d={seconds},geq=lum='16+{STEP}*N':cb=128:cr=128"
    tone = ["-f", "lavfi", "-i", f"sine=f=440:d={seconds}", "-c:a", "aac"] if sound else []
    ffmpeg("-f", "lavfi", "-i", picture, *tone, "-c:v", "libx264", "-pix_fmt", "yuv420p", str(path))
    return path


def white(path: Path, size: str, rate: str, extra: list[str], sar: str = "1") -> Path:
    """Solid white with a tone, so the part of the output it fills can be measured."""
    ffmpeg(
        "-f", "lavfi", "-i", f"color=c=white:s={size}:r={rate}:d=1,setsar={sar}",
        "-f", "lavfi", "-i", "sine=f=660:d=1", "-c:v", "libx264", "-pix_fmt", "yuv420p",
        *extra, "-c:a", "aac", str(path),
    )  # fmt: skip
    return path


def source(video_id: str, path: Path, rate: str, size: tuple[int, int], **more) -> EditSource:
    fields = {"audio": True, "duration": 2.0, **more}
    return EditSource(
        video_id=video_id,
        collection="test",
        path=str(path),
        title=f"{video_id} reel",
        fps=float(Fraction(rate)),
        fps_fraction=rate,
        width=size[0],
        height=size[1],
        **fields,
    )


def clip(sources: dict[str, EditSource], video_id: str, start: float, end: float) -> EditClip:
    """A clip in frames of a numbered source, in seconds of the others."""
    rate = Fraction(sources[video_id].fps_fraction or 1)
    per = rate if video_id in ("film", "silent") else 1
    return EditClip(video_id=video_id, start=float(start / per), end=float(end / per), kind="shot")


def edit_of(sources: dict[str, EditSource], spans: list[tuple[str, float, float]]) -> Edit:
    clips = [clip(sources, *span) for span in spans]
    return Edit(name="test", made="supercut", sources=sources, clips=clips)


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, EditSource]:
    folder = tmp_path_factory.mktemp("sources")
    return {
        "film": source(
            "film", numbered(folder / "film.mp4", "640x360", "24000/1001", 2, True), "24000/1001",
            (640, 360),
        ),
        "silent": source(
            "silent", numbered(folder / "silent.mp4", "320x240", "25", 2, False), "25/1",
            (320, 240), audio=False,
        ),
        "dvd": source(
            "dvd", white(folder / "dvd.mp4", "720x480", "30000/1001",
                         ["-flags", "+ilme+ildct", "-top", "1"], sar="8/9"),
            "30000/1001", (720, 480), sample_aspect="8:9", interlaced=True,
        ),
        "phone": source(
            "phone", white(folder / "phone.mp4", "180x320", "30", []), "30/1", (180, 320)
        ),
    }  # fmt: skip


@pytest.fixture(scope="module")
def edit(sources: dict[str, EditSource]) -> Edit:
    return edit_of(sources, CLIPS)


@pytest.fixture(scope="module")
def rendered(edit: Edit, tmp_path_factory: pytest.TempPathFactory) -> tuple[RenderResult, list]:
    calls: list[tuple[int, int]] = []
    out = tmp_path_factory.mktemp("out") / "edit.mp4"
    return render(edit, out, progress=lambda done, total: calls.append((done, total))), calls


def streams(path: Path) -> list[dict]:
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-count_packets", "-show_streams", "-of", "json", str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(done.stdout)["streams"]


def luma(path: Path, width: int, height: int) -> np.ndarray:
    """Every frame's luma plane, as stored (16 black to 235 white)."""
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    frames = np.frombuffer(raw, np.uint8).reshape(-1, width * height * 3 // 2)
    return frames[:, : width * height].reshape(-1, height, width)


def sound(path: Path) -> np.ndarray:
    """The sound as mono samples at 48 kHz, -1 to 1."""
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-ac", "1", "-f", "f32le", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, np.float32)


def starts(edit: Edit, fmt: Format) -> list[int]:
    """The output frame each clip starts on, and the end of the last."""
    counts = [fmt.frames(c.start, c.end) for c in edit.clips]
    return [sum(counts[:n]) for n in range(len(counts) + 1)]


def test_the_format_follows_most_clips(edit: Edit, sources: dict[str, EditSource]) -> None:
    # Three film clips out of six: its rate and 16:9; the tallest source (480) its height.
    assert output_format(edit) == Format(854, 480, "24000/1001")
    assert output_format(edit, height=360) == Format(640, 360, "24000/1001")
    sound_only = sources["film"].model_copy(update={"fps": None, "fps_fraction": None})
    radio = edit.model_copy(update={"sources": {"film": sound_only}, "clips": edit.clips[:1]})
    assert output_format(radio) == Format(640, 360, "25/1")


def test_one_video_and_one_audio_stream_of_exact_length(rendered, edit: Edit) -> None:
    result, calls = rendered
    video, audio = streams(result.path)
    fmt = output_format(edit)
    frames = starts(edit, fmt)[-1]
    assert (video["codec_name"], video["width"], video["height"]) == ("h264", 854, 480)
    assert video["r_frame_rate"] == "24000/1001" and video["sample_aspect_ratio"] == "1:1"
    assert int(video["nb_read_packets"]) == frames
    assert abs(float(video["duration"]) - frames / FILM) < 1 / FILM
    assert (audio["codec_name"], audio["sample_rate"], audio["channels"]) == ("aac", "48000", 2)
    assert abs(float(audio["duration"]) - frames / FILM) < 1 / FILM
    assert (result.rendered, result.skipped) == (len(CLIPS), ())
    assert result.duration == pytest.approx(float(frames / FILM))
    assert calls[-1] == (len(CLIPS), len(CLIPS))  # said after each batch of clips
    assert [done for done, _ in calls] == sorted({done for done, _ in calls})


def test_every_cut_is_on_its_frame(rendered, edit: Edit) -> None:
    result, _ = rendered
    fmt = output_format(edit)
    frames = luma(result.path, fmt.width, fmt.height)
    number = np.round((frames[:, 240, 427].astype(float) - 16) / STEP).astype(int)
    at = starts(edit, fmt)
    for n, (video_id, first, end) in enumerate(CLIPS):
        shown = number[at[n] : at[n + 1]]
        if video_id == "film":  # same rate: every frame, in order, no glitch frame
            assert list(shown) == list(range(first, end)), f"clip {n}"
        elif video_id == "silent":  # 25 fps made 23.976: starts on its frame, skips one
            assert shown[0] == first and shown[-1] in (end - 1, end - 2), f"clip {n}"


def test_pictures_keep_their_shape_scaled_and_padded(rendered, edit: Edit) -> None:
    result, _ = rendered
    fmt = output_format(edit)
    frames = luma(result.path, fmt.width, fmt.height)
    at = starts(edit, fmt)
    dvd = frames[(at[3] + at[4]) // 2, 240]
    # 720x480 at 8:9 pixels is 4:3: 640 wide in 480 lines, 107 black each side (not the
    # 67 of square pixels); the portrait 180x320 is 270 wide, 292 black each side.
    assert dvd[100] < 20 and dvd[115] > 200 and dvd[740] > 200 and dvd[754] < 20
    phone = frames[(at[4] + at[5]) // 2, 240]
    assert phone[285] < 20 and phone[300] > 200 and phone[554] > 200 and phone[569] < 20


def test_a_silent_source_is_silence_and_each_cut_fades(rendered, edit: Edit) -> None:
    result, _ = rendered
    samples = sound(result.path)
    per_frame = 48000 / FILM
    at = [round(frame * per_frame) for frame in starts(edit, output_format(edit))]
    margin = 2400  # 50 ms: the sound of the clips beside may smear across a cut this far
    assert np.abs(samples[at[1] + margin : at[2] - margin]).max() < 1e-3
    tone = 0.125 * 2 / np.pi  # lavfi's sine: amplitude 1/8, so its mean size is this
    for n in (0, 2, 3, 4, 5):
        level = np.abs(samples[at[n] + margin : at[n + 1] - margin]).mean()
        assert level == pytest.approx(tone, rel=0.1), f"clip {n} should have its tone"
    for cut in (at[3], at[4], at[5]):  # tone into tone: near silence within 1 ms of the cut
        assert np.abs(samples[cut - 48 : cut + 48]).mean() < 0.2 * tone


def test_a_missing_source_is_skipped_by_name_and_the_rest_render(
    sources: dict[str, EditSource], tmp_path: Path
) -> None:
    moved = sources["film"].model_copy(
        update={"video_id": "moved", "path": str(tmp_path / "gone.mp4"), "title": "Lost reel"}
    )
    with_lost = {**sources, "moved": moved}
    edit = edit_of(with_lost, [("film", 0, 5), ("moved", 0, 1), ("film", 5, 9)])
    result = render(edit, tmp_path / "out.mp4")
    assert result.rendered == 2 and [s.clip for s in result.skipped] == [1]
    assert "Lost reel" in result.skipped[0].reason and "gone.mp4" in result.skipped[0].reason
    (video, _) = streams(result.path)
    assert int(video["nb_read_packets"]) == 9


def test_a_damaged_file_loses_only_its_own_clips(
    sources: dict[str, EditSource], tmp_path: Path
) -> None:
    """It fails its batch; the batch is cut again clip by clip, so its neighbours stay."""
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(b"not a film at all" * 100)
    broken = sources["film"].model_copy(
        update={"video_id": "broken", "path": str(damaged), "title": "Damaged reel"}
    )
    edit = edit_of(
        {**sources, "broken": broken}, [("film", 0, 5), ("broken", 0, 1), ("film", 5, 9)]
    )
    result = render(edit, tmp_path / "out.mp4")
    assert result.rendered == 2 and [s.clip for s in result.skipped] == [1]
    assert "Damaged reel" in result.skipped[0].reason
    (video, _) = streams(result.path)
    assert int(video["nb_read_packets"]) == 9


def test_a_sound_recording_is_heard_over_black(
    sources: dict[str, EditSource], tmp_path: Path
) -> None:
    radio = sources["film"].model_copy(update={"video_id": "radio", "fps": None})
    edit = edit_of({**sources, "radio": radio}, [("film", 0, 6), ("radio", 0.5, 1.0)])
    result = render(edit, tmp_path / "out.mp4")
    fmt = Format(640, 360, "24000/1001")
    (video, _) = streams(result.path)
    assert int(video["nb_read_packets"]) == 6 + fmt.frames(0.5, 1.0)
    assert luma(result.path, 640, 360)[6:, 180, 320].max() < 20  # black
    heard = sound(result.path)[round(6 / FILM * 48000) + 2400 :]
    assert np.abs(heard[:9600]).mean() == pytest.approx(0.125 * 2 / np.pi, rel=0.1)


def test_only_missing_sources_is_an_error_naming_them(
    sources: dict[str, EditSource], tmp_path: Path
) -> None:
    moved = sources["film"].model_copy(update={"path": str(tmp_path / "gone.mp4")})
    edit = edit_of({"film": moved}, [("film", 0, 5)])
    with pytest.raises(DeerinError, match=r"gone\.mp4"):
        render(edit, tmp_path / "out.mp4")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_an_unwritable_output_fails_before_any_clip(edit: Edit, tmp_path: Path) -> None:
    not_a_folder = tmp_path / "notes.txt"
    not_a_folder.write_text("a file, not a folder")
    calls: list[tuple[int, int]] = []
    with pytest.raises(DeerinError, match=r"notes\.txt") as error:
        render(edit, not_a_folder / "out.mp4", progress=lambda *done: calls.append(done))
    assert "output path" in error.value.hint and calls == []
    with pytest.raises(DeerinError, match="is a folder"):
        render(edit, tmp_path, progress=lambda *done: calls.append(done))
    assert calls == []


def ffmpeg_working_in(folder: Path) -> list[str]:
    """Command lines of live ffmpeg processes that name ``folder``."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            words = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue  # gone meanwhile
        if words[0].endswith(b"ffmpeg") and str(folder).encode() in b" ".join(words):
            found.append(b" ".join(words).decode(errors="replace"))
    return found


def test_an_interrupt_leaves_no_trace_and_the_old_output(edit: Edit, tmp_path: Path) -> None:
    out = tmp_path / "edit.mp4"
    out.write_bytes(b"an earlier render")

    def interrupt(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        render(edit.model_copy(update={"clips": edit.clips * 4}), out, progress=interrupt)
    assert [p.name for p in tmp_path.iterdir()] == ["edit.mp4"]
    assert out.read_bytes() == b"an earlier render"
    assert ffmpeg_working_in(tmp_path) == []


RENDER_IN_CHILD = """
import resource, sys
from pathlib import Path
from deerin.index.schemas import Edit
from deerin.interact.render import render
limit = int(sys.argv[3])
if limit:
    resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))
edit = Edit.model_validate_json(Path(sys.argv[1]).read_text())
result = render(edit, Path(sys.argv[2]))
print(result.rendered, len(result.skipped))
"""


def render_in_child(edit: Edit, out: Path, file_limit: int = 0) -> subprocess.Popen[str]:
    listing = out.parent / "edit.json"
    listing.write_text(edit.model_dump_json())
    return subprocess.Popen(
        [sys.executable, "-c", RENDER_IN_CHILD, str(listing), str(out), str(file_limit)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip


def test_ctrl_c_stops_every_ffmpeg_and_leaves_nothing(edit: Edit, tmp_path: Path) -> None:
    folder = tmp_path / "renders"
    folder.mkdir()
    child = render_in_child(edit.model_copy(update={"clips": edit.clips * 20}), folder / "e.mp4")
    deadline = time.monotonic() + 60
    while not list(folder.glob(".tmp-render-*/*.mov")):
        assert time.monotonic() < deadline and child.poll() is None, child.stderr
        time.sleep(0.02)
    os.kill(child.pid, signal.SIGINT)
    _, stderr = child.communicate(timeout=30)
    assert child.returncode != 0 and "KeyboardInterrupt" in stderr
    assert [p.name for p in folder.iterdir()] == ["edit.json"]
    assert ffmpeg_working_in(folder) == []


@pytest.mark.slow  # 300 ffmpeg runs: about 16 s on 2 idle cores
def test_hundreds_of_clips_with_few_file_handles(tmp_path: Path) -> None:
    tiny = source("film", numbered(tmp_path / "tiny.mp4", "64x36", "25", 2, True), "25/1", (64, 36))
    spans = [("film", n % 45, n % 45 + 2) for n in range(300)]
    edit = edit_of({"film": tiny}, spans)
    child = render_in_child(edit, tmp_path / "many.mp4", file_limit=64)
    stdout, stderr = child.communicate(timeout=120)
    assert child.returncode == 0, stderr
    assert stdout.split() == ["300", "0"]
    (video, _) = streams(tmp_path / "many.mp4")
    assert int(video["nb_read_packets"]) == 600


def test_the_concat_filter_peer_makes_the_same_cuts(rendered, edit: Edit, tmp_path: Path) -> None:
    result, _ = rendered
    fmt = output_format(edit)
    concat_filter_peer(edit, tmp_path / "peer.mp4", fmt)
    (video, audio) = streams(tmp_path / "peer.mp4")
    assert int(video["nb_read_packets"]) == starts(edit, fmt)[-1]
    assert (video["width"], video["height"], audio["channels"]) == (854, 480, 2)
    ours = luma(result.path, fmt.width, fmt.height)[:, 240, 427].astype(int)
    peers = luma(tmp_path / "peer.mp4", fmt.width, fmt.height)[:, 240, 427].astype(int)
    assert np.abs(ours - peers).max() <= STEP // 2
