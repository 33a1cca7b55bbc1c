"""Map quality on the shared footage: do the four Popeye excerpts, each in two copies
(a Blu-ray "pgs" encode and a DVD "vob" one: other size, rate and grade), land together?

Ingests ``../shared/media/popeye`` and ``../shared/media/film`` into a fresh store (or
reuses ``--data-dir``), makes the map with the real code and reports, for the picture
layout (UMAP) and the t-SNE one:
  - each copy's main cluster, and whether the pgs and vob copies of an excerpt share it;
  - the share of shots whose nearest neighbour on the map comes from the same excerpt
    (either copy), and from the other copy of it;
with two peers from the same run: the nearest neighbour in the full 1280-number picture
vectors (what the map flattens), and chance (the share expected from the excerpt sizes).

    .venv/bin/python bench/map_quality.py [--data-dir /tmp/popeye-store]
"""

from __future__ import annotations

import argparse
import io
import re
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

from deerin.explore.layout import nearest
from deerin.explore.map import build_map, read_map
from deerin.explore.shots import picture_batches
from deerin.index.search_index import SearchIndex
from deerin.pipeline.ingest import ingest
from deerin.pipeline.progress import JsonReporter
from deerin.settings import Settings

SHARED = Path(__file__).resolve().parents[2] / "shared" / "media"
TITLE = re.compile(r"mkv_(pgs|vob)_Title_(T0\d)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, help="a store with the footage ingested")
    args = parser.parse_args()
    root = args.data_dir or Path(tempfile.mkdtemp(prefix="mapquality-")) / "store"
    settings = Settings.from_values({"data_dir": root, "run.skip_stages": ["captions"]})
    if args.data_dir is None:
        paths = [SHARED / "popeye", SHARED / "film"]
        report = ingest(paths, "shared", settings, JsonReporter(io.StringIO()))
        assert report.ok, report.failed
    build_map(settings, "shared", refit=True)
    points = read_map(settings, "shared").points
    files = points["file"].to_pylist()
    found = [TITLE.match(f) for f in files]
    excerpt = np.array([m.group(2) if m else f for m, f in zip(found, files, strict=True)])
    copy = np.array([m.group(1) if m else "" for m in found])
    clusters = np.array(points["cluster"].to_pylist())
    popeye = copy != ""
    found_clusters = sorted(set(clusters.tolist()))
    print(f"{len(files)} shots, {popeye.sum()} of them Popeye; clusters {found_clusters}")
    print("\n| excerpt | pgs main cluster | vob main cluster | together |\n|---|---|---|---|")
    together = 0
    for title in sorted(set(excerpt[popeye])):
        main = [_main(clusters[(excerpt == title) & (copy == c)]) for c in ("pgs", "vob")]
        together += main[0] == main[1]
        print(f"| {title} | {main[0]} | {main[1]} | {'yes' if main[0] == main[1] else 'no'} |")
    print(f"\n{together}/4 excerpts have both copies in one cluster\n")
    print("| space | same excerpt | other copy of it |\n|---|---:|---:|")
    for name in ("image", "image_tsne"):
        xy = np.column_stack([points[f"x_{name}"], points[f"y_{name}"]]).astype(np.float32)
        print(_shares(f"map: {name}", xy, excerpt, copy, popeye))
    print(_shares("peer: full picture vectors", _vectors(settings, points), excerpt, copy, popeye))
    sizes = Counter(excerpt[popeye])
    chance = sum(n * (n - 1) for n in sizes.values()) / (popeye.sum() * (len(excerpt) - 1))
    print(f"| peer: chance | {chance:.2f} | — |")


def _main(values: np.ndarray) -> int:
    return Counter(values.tolist()).most_common(1)[0][0] if len(values) else -1


def _shares(
    name: str, space: np.ndarray, excerpt: np.ndarray, copy: np.ndarray, popeye: np.ndarray
) -> str:
    """Among Popeye shots: how often the nearest other shot is of the same excerpt, and
    how often it is that excerpt's other copy."""
    neighbour = nearest(space, space[popeye], k=2)[0][:, 1]
    rows = np.flatnonzero(popeye)
    same = excerpt[neighbour] == excerpt[rows]
    other = same & (copy[neighbour] != copy[rows])
    return f"| {name} | {same.mean():.2f} | {other.mean():.2f} |"


def _vectors(settings: Settings, points) -> np.ndarray:
    index = SearchIndex.open(settings, "shared")
    held = {k: row for keys, matrix in picture_batches(index) for k, row in zip(keys, matrix)}  # noqa: B905
    keys = [f"{v}:{s}" for v, s in zip(points["video_id"].to_pylist(), points["shot"].to_pylist())]  # noqa: B905
    matrix = np.stack([held[k] for k in keys])
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


if __name__ == "__main__":
    main()
