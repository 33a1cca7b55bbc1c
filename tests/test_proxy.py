"""Proxies play in a browser and keep the source's timeline, frame for frame."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from conftest import ffmpeg
from deerin.enrich.proxy import ProxyStage
from deerin.errors import DeerinError
from deerin.index import artefacts
from deerin.index.schemas import MediaInfo, Probe
from deerin.index.store import VideoFolder
from deerin.media.frames import frames_at
from deerin.media.probe import probe
from deerin.plugins.stage import StageContext, StageOutput
from deerin.settings import Settings


def make_proxy(
    source: Path, tmp_path: Path, height: int = 144
) -> tuple[MediaInfo, StageOutput, Path, list[float]]:
    """Probe ``source`` into its video folder, then run the proxy stage on it."""
    settings = Settings.from_values(
        {"data_dir": tmp_path / "data", "proxy.height": height, "run.workers": 1}
    )
    folder = VideoFolder.for_video(settings.data_dir, "vid")
    info = probe(source)
    artefacts.write(folder.path(Probe.file), {"media": info}, Probe)
    staging = tmp_path / "staging"
    staging.mkdir()
    reports: list[float] = []
    ctx = StageContext("vid", source, folder, staging, settings, reports.append)
    stage = ProxyStage(settings)
    assert stage.wanted(info, source)
    return info, stage.run(ctx), staging / "proxy.mp4", reports


def frame_at(path: Path, time: float) -> np.ndarray:
    grabs = list(frames_at(path, [time], probe(path)))
    assert grabs, f"no frame at {time}s in {path}"
    return np.asarray(grabs[0].image.resize((192, 144)), dtype=float)


def mean_colour(path: Path, time: float) -> np.ndarray:
    return frame_at(path, time).mean(axis=(0, 1))


def video_length(info: MediaInfo, path: Path) -> float:
    """Time of the last frame plus one frame: the length a viewer sees."""
    with av.open(str(path)) as container:
        times = [frame.time for frame in container.decode(video=0)]
    return max(times) - info.start_time + 1 / info.fps


def test_interlaced_mpeg2_becomes_h264_aac_on_the_same_timeline(tmp_path: Path) -> None:
    source = tmp_path / "tape.mpg"
    ffmpeg(
        "-f", "lavfi", "-i", "color=red:s=320x240:r=25:d=1.6",
        "-f", "lavfi", "-i", "color=blue:s=320x240:r=25:d=1.2",
        "-f", "lavfi", "-i", "testsrc=s=320x240:r=25:d=1.2",
        "-f", "lavfi", "-i", "sine=f=440:d=4",
        "-filter_complex", "[0][1][2]concat=n=3:v=1:a=0,format=yuv420p[v]",
        "-map", "[v]", "-map", "3", "-c:v", "mpeg2video", "-flags", "+ilme+ildct", "-top", "1",
        "-q:v", "3", "-c:a", "mp2", str(source),
    )  # fmt: skip
    info, output, proxy, reports = make_proxy(source, tmp_path)
    assert info.interlaced and info.start_time > 0.3  # MPEG-PS starts its clock late

    made = probe(proxy)
    assert output.problem is None and output.method["deinterlace"] is True
    assert made.video_codec == "h264" and [a.codec for a in made.audio] == ["aac"]
    assert (made.width, made.height) == (192, 144) and made.pix_fmt == "yuv420p"
    assert made.start_time == pytest.approx(0.0, abs=1e-3)
    assert video_length(made, proxy) == pytest.approx(video_length(info, source), abs=0.1)
    # The cut to blue is at 1.6 s in the source's timeline, and so in the proxy's.
    assert mean_colour(proxy, 1.52)[0] > 200
    assert mean_colour(proxy, 1.64)[2] > 200
    assert reports[-1] == 1.0


def test_popeye_hevc_without_audio_keeps_its_cut_in_place(
    tmp_path: Path, shared_media: Path
) -> None:
    excerpt = tmp_path / "popeye.mkv"
    original = shared_media / "popeye" / "mkv_pgs_Title_T00-1.mkv"
    ffmpeg("-i", str(original), "-map", "0:v", "-t", "4", "-c", "copy", str(excerpt))
    info, output, proxy, _ = make_proxy(excerpt, tmp_path, height=240)

    made = probe(proxy)
    assert output.problem is None
    assert made.video_codec == "h264" and made.audio == []
    assert made.height == 240 and made.width == 322  # 1440x1074 shown at 240 lines
    assert made.start_time == pytest.approx(0.0, abs=1e-3)
    assert video_length(made, proxy) == pytest.approx(video_length(info, excerpt), abs=0.1)
    cut = 3.083  # frame 74: a hard cut
    for time in (cut - 1 / 24, cut):
        assert np.abs(frame_at(proxy, time) - frame_at(excerpt, time)).mean() < 12
    assert np.abs(frame_at(proxy, cut) - frame_at(excerpt, cut - 1 / 24)).mean() > 25


def test_truncated_source_keeps_the_partial_proxy_and_says_so(tmp_path: Path) -> None:
    whole = tmp_path / "whole.mkv"
    ffmpeg("-f", "lavfi", "-i", "testsrc=s=320x240:r=25:d=6", "-c:v", "libx264", str(whole))
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    _, output, proxy, _ = make_proxy(cut, tmp_path)

    assert output.problem is not None and "covers" in output.problem
    assert 1.0 < probe(proxy).duration < 5.0


def test_source_with_nothing_decodable_fails_naming_file_and_ffmpeg_error(
    tmp_path: Path,
) -> None:
    whole = tmp_path / "whole.mkv"
    ffmpeg("-f", "lavfi", "-i", "testsrc=s=320x240:r=25:d=2", "-c:v", "libx264", str(whole))
    header_only = tmp_path / "header only.mkv"
    header_only.write_bytes(whole.read_bytes()[:1500])  # probes as a video, holds no frames
    with pytest.raises(DeerinError) as failure:
        make_proxy(header_only, tmp_path)
    assert failure.value.path == header_only
    assert "ended prematurely" in failure.value.message


def test_browser_playable_files_need_no_proxy(tmp_path: Path) -> None:
    playable = tmp_path / "web.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc=s=320x240:r=25:d=0.5", "-f", "lavfi", "-i", "sine=d=0.5",
        "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", str(playable),
    )  # fmt: skip
    info = probe(playable)
    assert not ProxyStage(Settings()).wanted(info, playable)
    unplayable = info.model_copy(update={"video_codec": "mpeg2video"})
    assert ProxyStage(Settings()).wanted(unplayable, playable)
    assert not ProxyStage(Settings.from_values({"proxy.enabled": False})).wanted(
        unplayable, playable
    )
    pcm = tmp_path / "pcm.mov"  # common in archives; browsers play PCM in a .wav only
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc=s=320x240:r=25:d=0.5", "-f", "lavfi", "-i", "sine=d=0.5",
        "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "pcm_s16le", str(pcm),
    )  # fmt: skip
    assert ProxyStage(Settings()).wanted(probe(pcm), pcm)
    wav = tmp_path / "interview.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=d=0.5", "-c:a", "pcm_s16le", str(wav))
    assert probe(wav).browser_playable and not ProxyStage(Settings()).wanted(probe(wav), wav)
