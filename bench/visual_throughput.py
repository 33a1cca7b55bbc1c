"""Throughput of the enrichment stages (seen, heard and said) on SD footage, stage by stage.

Ingests the files twice with 2 workers, both without proxies: once with only the
foundation stages (probe, shots, keyframes) as the baseline, once with every stage.
It reports seconds of video per wall-clock second for each run, and for each stage the
CPU-side seconds the workers spent in it, per analysis frame.

    .venv/bin/python bench/visual_throughput.py              # the four Popeye DVD excerpts
    .venv/bin/python bench/visual_throughput.py FILE...      # your own files
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from throughput import BIN, ROOT, footage  # run as bench/visual_throughput.py

BASELINE = ("probe", "shots", "keyframes")


def ingest(files: list[Path], store: Path, workers: int, skip: tuple[str, ...]) -> float:
    cmd = [
        str(BIN / "deerin"),
        "--data-dir",
        str(store),
        "--log-json",
        "ingest",
        *map(str, files),
        "-w",
        str(workers),
        "--no-proxy",
        "-c",
        "bench",
    ]
    for stage in skip:
        cmd += ["--skip", stage]
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"ingest failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return time.perf_counter() - start


def stage_seconds(store: Path) -> dict[str, float]:
    """Seconds each stage took, summed over the videos (from the catalogue)."""
    totals: dict[str, float] = defaultdict(float)
    with sqlite3.connect(store / "catalogue.sqlite") as db:
        for stage, seconds in db.execute("SELECT stage, seconds FROM stages"):
            totals[stage] += seconds or 0.0
    return dict(totals)


def analysis_frames(store: Path) -> int:
    paths = store.glob("videos/*/*/frames.json")
    return sum(len(json.loads(p.read_text())["frames"]) for p in paths)


def all_stages() -> list[str]:
    from deerin.pipeline.graph import stage_graph

    return stage_graph().names()


def main() -> None:
    files, workers, seconds = footage(__doc__.splitlines()[0])
    stages = all_stages()
    with tempfile.TemporaryDirectory() as base, tempfile.TemporaryDirectory() as full:
        skip = (*[s for s in stages if s not in BASELINE], "people", "duplicates")
        base_wall = ingest(files, Path(base), workers, skip)
        full_wall = ingest(files, Path(full), workers, ("proxy",))
        per_stage = stage_seconds(Path(full))
        frames = analysis_frames(Path(full))
    enrichment = [s for s in stages if s not in (*BASELINE, "proxy")]
    print(
        f"{len(files)} files, {seconds:.1f} s of video, {frames} analysis frames "
        f"(one per {seconds / frames:.1f} s), {workers} workers\n"
    )
    print("| run | wall s | x real time |\n|---|---:|---:|")
    print(f"| probe+shots+keyframes (baseline) | {base_wall:.1f} | {seconds / base_wall:.1f} |")
    print(f"| every stage except proxy | {full_wall:.1f} | {seconds / full_wall:.1f} |")
    print("\n| stage | seconds (all videos) | ms per analysis frame | x real time, one worker |")
    print("|---|---:|---:|---:|")
    for stage in enrichment:
        took = per_stage.get(stage, 0.0)
        pace = seconds / took if took else float("inf")
        print(f"| {stage} | {took:.1f} | {1000 * took / frames:.0f} | {pace:.0f} |")
    total = sum(per_stage.get(s, 0.0) for s in enrichment)
    print(
        f"| all enrichment stages | {total:.1f} | {1000 * total / frames:.0f} | "
        f"{seconds / total:.1f} |"
    )
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "visual_throughput.json").write_text(
        json.dumps(
            {
                "files": [str(f) for f in files],
                "seconds": seconds,
                "frames": frames,
                "workers": workers,
                "baseline_wall": base_wall,
                "full_wall": full_wall,
                "stage_seconds": per_stage,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
