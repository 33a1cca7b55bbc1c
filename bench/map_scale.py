"""The map at scale: time and peak memory of `deerin map` at 10k, 100k and 1M shots, with
umap-learn fitted on every shot (what PixPlot and most notebooks do) as the peer.

The collection is synthetic, in the search index's real tables (the rows of
``bench/search_scale.py``: 1280-d picture vectors in 2,000 clusters, a passage of words
with a 384-d vector per shot, facets), with six real thumbnails (made here with ffmpeg's
test sources) shared by every shot. The map is made by the real code
(:func:`deerin.explore.map.build_map`, every layout, clusters, labels) in a child
process whose resident memory is sampled; then a rerun with 1 % more shots measures the
incremental update. The peer fits umap-learn on every shot's PCA-reduced vector in a
child process of its own (skipped above ``--peer-max`` shots: hours at a million).

    .venv/bin/python bench/map_scale.py                          # 10k and 100k
    .venv/bin/python bench/map_scale.py --sizes 1000000 --keep /tmp/mapbench
``--keep`` leaves each synthetic data dir (``<keep>/<size>``) for bench/map_browser.py.
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa

from deerin.explore.layout import Reducer, sample_rows, umap_fit
from deerin.explore.map import build_map
from deerin.index.search_index import STATE, SearchIndex
from deerin.retrieve.build import FORMAT
from search_scale import CHUNK, peak_memory, rows_for, settings_for

LAYOUTS = ("image", "image_tsne", "text", "grid", "date", "video", "place")
THUMBS = ("testsrc2", "smptebars", "mandelbrot", "life", "rgbtestsrc", "cellauto")


def make_thumbs(root: Path) -> list[str]:
    """Six small stills under the data dir's videos/ (where thumbnails are served from)."""
    folder = root / "videos" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for source in THUMBS:
        target = folder / f"{source}.jpg"
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"{source}=size=320x180",
             "-frames:v", "1", str(target)],
            check=True,
        )  # fmt: skip
        names.append(target.relative_to(root).as_posix())
    return names


def write_collection(root: Path, size: int, start: int = 0) -> None:
    """Shots ``start…size`` of the synthetic collection, with passages, into the index."""
    index = SearchIndex.open(settings_for(root), "bench", create=True)
    thumbs = make_thumbs(root)
    for first in range(start, size, CHUNK):
        count = min(CHUNK, size - first)
        shots = rows_for("shots", first, count)
        pictures = [thumbs[i % len(thumbs)] for i in range(first, first + count)]
        shots = shots.set_column(shots.schema.get_field_index("thumb"), "thumb", pa.array(pictures))
        index.replace_rows("shots", [], shots)
        passages = rows_for("passages", first, count)
        index.replace_rows("passages", [], passages)
    if STATE not in index.names():
        index.replace_rows(STATE, [], pa.table({"video_id": ["~format"], "stamp": [FORMAT]}))


def timed_child(target, *args) -> tuple[float, float]:
    """Seconds and peak resident GiB of ``target(*args, queue)`` in a child process (a
    fresh one: LanceDB's runtime does not survive a fork)."""
    spawn = multiprocessing.get_context("spawn")
    queue = spawn.Queue()
    started = time.perf_counter()
    child = spawn.Process(target=target, args=(*args, queue))
    child.start()
    peak = peak_memory(child.pid, queue)
    result = queue.get()
    child.join()
    return result if result is not None else time.perf_counter() - started, peak


def map_child(root: Path, layouts: tuple[str, ...], queue: multiprocessing.Queue) -> None:
    settings = settings_for(root).merged({"map.layouts": list(layouts)})
    started = time.perf_counter()

    def say(line: str) -> None:
        print(f"    {time.perf_counter() - started:6.1f} s  {line}", flush=True)

    build_map(settings, "bench", refit=True, say=say)
    queue.put(time.perf_counter() - started)


def update_child(root: Path, queue: multiprocessing.Queue) -> None:
    """A rerun after new shots: the fit kept, every shot placed."""
    started = time.perf_counter()

    def say(line: str) -> None:
        print(f"    {time.perf_counter() - started:6.1f} s  {line}", flush=True)

    build_map(settings_for(root), "bench", say=say)
    queue.put(time.perf_counter() - started)


def peer_child(root: Path, queue: multiprocessing.Queue) -> None:
    """umap-learn on every shot (after the same PCA), as a notebook or PixPlot would."""
    index = SearchIndex.open(settings_for(root), "bench")
    matrix = index.table("shots").to_arrow().column("vector")
    vectors = matrix.combine_chunks().flatten().to_numpy().reshape(len(matrix), -1)
    started = time.perf_counter()
    reduced = Reducer.fit(vectors[sample_rows(len(vectors), 25000, 0)], 0)(vectors)
    umap_fit(reduced, 15, 0)
    queue.put(time.perf_counter() - started)


def measure(size: int, keep: Path | None, peer_max: int) -> list[str]:
    root = keep / str(size) if keep else Path(tempfile.mkdtemp(prefix="mapbench-"))
    if root.exists():
        shutil.rmtree(root)
    started = time.perf_counter()
    grown = size + size // 100
    write_collection(root, size)
    print(f"  {size}: collection written in {time.perf_counter() - started:.0f} s", flush=True)
    pictures, pictures_peak = timed_child(map_child, root, ("image",))
    seconds, peak = timed_child(map_child, root, LAYOUTS)
    write_collection(root, grown, start=size)
    again, again_peak = timed_child(update_child, root)
    if size <= peer_max:
        peer, peer_peak = timed_child(peer_child, root)
        versus = f"{peer:.0f} s, {peer_peak:.1f} GiB | {peer / pictures:.1f}x"
    else:
        versus = "not run (too long for this budget) | —"
    if keep is None:
        shutil.rmtree(root, ignore_errors=True)
    return [
        f"| {size:,} | picture map (UMAP) and clusters | {pictures:.0f} s, "
        f"{pictures_peak:.1f} GiB | {versus} |",
        f"| {size:,} | every layout (UMAP, t-SNE, text UMAP, grid, date, video, place) | "
        f"{seconds:.0f} s, {peak:.1f} GiB | — | — |",
        f"| {size:,} → {grown:,} | update: 1 % more shots placed | {again:.0f} s, "
        f"{again_peak:.1f} GiB | — | — |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="shot counts, comma-separated")
    parser.add_argument("--keep", type=Path, help="keep each data dir under this folder")
    parser.add_argument("--peer-max", type=int, default=100_000, help="largest peer run")
    args = parser.parse_args()
    print("| shots | what | DEERIn time, peak memory | umap-learn on all shots | peer / ours |")
    print("|---:|---|---|---|---:|")
    for size in (int(s) for s in args.sizes.split(",")):
        for line in measure(size, args.keep, args.peer_max):
            print(line, flush=True)


if __name__ == "__main__":
    sys.exit(main())
