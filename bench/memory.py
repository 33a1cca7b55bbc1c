"""Peak memory of ingesting a one-hour file: decoding streams, nothing holds the video.

Builds a one-hour SD file by looping a short synthetic clip with stream copy (fast,
no re-encode), ingests it with one worker (no proxy) and samples the resident memory of the
whole process tree (coordinator + worker + ffmpeg) every 0.2 s.

    .venv/bin/python bench/memory.py                    # 300 s and 3600 s
    .venv/bin/python bench/memory.py --seconds 600
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

BIN = Path(sys.executable).parent


def make_long_file(folder: Path, seconds: int) -> Path:
    """Loop a 60 s clip of distinct shots (cuts every 4 s) up to ``seconds``."""
    clip = folder / "clip.mkv"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=s=720x576:r=25:d=60,hue=H=2*PI*floor(t/4)/15",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-g",
            "50",
            str(clip),
        ],
        check=True,
    )
    long = folder / "one_hour.mkv"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-stream_loop",
            "-1",
            "-i",
            str(clip),
            "-t",
            str(seconds),
            "-c",
            "copy",
            str(long),
        ],
        check=True,
    )
    return long


def peak_rss(cmd: list[str]) -> tuple[float, float]:
    """Run ``cmd``; return (wall seconds, peak summed RSS of its process tree in MiB)."""
    start = time.perf_counter()
    proc = psutil.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while proc.poll() is None:
        try:
            tree = [proc, *proc.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.NoSuchProcess:
            pass
        time.sleep(0.2)
    return time.perf_counter() - start, peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, nargs="+", default=[300, 3600])
    args = parser.parse_args()
    print("| length | ingest wall s | x real time | peak RSS MiB |\n|---:|---:|---:|---:|")
    for seconds in args.seconds:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            long = make_long_file(folder, seconds)
            cmd = [
                str(BIN / "deerin"),
                "--data-dir",
                str(folder / "store"),
                "--log-json",
                "ingest",
                str(long),
                "-w",
                "1",
                "--no-proxy",
            ]
            wall, peak = peak_rss(cmd)
            print(f"| {seconds} s | {wall:.0f} | {seconds / wall:.1f} | {peak:.0f} |")


if __name__ == "__main__":
    main()
