"""Ingest throughput on this machine, next to PySceneDetect's own command in the same run.

Reports seconds of video processed per wall-clock second (x real time) for
probe + shots + keyframes, with and without proxies, and for `scenedetect
detect-adaptive detect-threshold` (the same two detectors) alone on the same files
(one process per file, run sequentially and two at a time, so the peer gets the same
two cores we use).

    .venv/bin/python bench/throughput.py                 # SD: the Popeye DVD excerpts
    .venv/bin/python bench/throughput.py FILE...         # your own files
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MEDIA = ROOT.parent / "shared" / "media"
BIN = Path(sys.executable).parent


def duration(path: Path) -> float:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout)


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr[-2000:]}")
    return time.perf_counter() - start


def deerin_ingest(files: list[Path], proxy: bool, workers: int) -> float:
    with tempfile.TemporaryDirectory() as store:
        cmd = [
            str(BIN / "deerin"),
            "--data-dir",
            store,
            "--log-json",
            "ingest",
            *map(str, files),
            "-w",
            str(workers),
            "--proxy" if proxy else "--no-proxy",
        ]
        return timed(cmd)


def scenedetect_alone(files: list[Path], parallel: int) -> float:
    def one(path: Path) -> float:
        return timed(
            [
                str(BIN / "scenedetect"),
                "-q",
                "-i",
                str(path),
                "detect-adaptive",
                "detect-threshold",
                "list-scenes",
                "-n",
            ]
        )

    start = time.perf_counter()
    with ThreadPoolExecutor(parallel) as pool:
        list(pool.map(one, files))
    return time.perf_counter() - start


def footage(description: str) -> tuple[list[Path], int, float]:
    """The files named on the command line (else the Popeye DVD excerpts), the number of
    workers, and the seconds of video in all."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    files = args.files or sorted((MEDIA / "popeye").glob("mkv_vob_*.mkv"))
    if not files:
        raise SystemExit(f"no files given and none found in {MEDIA}")
    return files, args.workers, sum(duration(f) for f in files)


def main() -> None:
    files, workers, seconds = footage(__doc__.splitlines()[0])
    peer = "scenedetect detect-adaptive detect-threshold"
    rows = {
        "deerin probe+shots+keyframes": deerin_ingest(files, False, workers),
        "deerin probe+shots+keyframes+proxy": deerin_ingest(files, True, workers),
        f"{peer}, 1 at a time": scenedetect_alone(files, 1),
        f"{peer}, {workers} at a time": scenedetect_alone(files, workers),
    }
    print(f"{len(files)} files, {seconds:.1f} s of video, {workers} workers\n")
    print("| run | wall s | x real time |\n|---|---:|---:|")
    for name, wall in rows.items():
        print(f"| {name} | {wall:.1f} | {seconds / wall:.1f} |")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "throughput.json").write_text(json.dumps({"seconds": seconds, "wall": rows}, indent=2))


if __name__ == "__main__":
    main()
