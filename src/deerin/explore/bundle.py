"""The map as the browser reads it: small files a page can fetch a piece at a time.

A million shots cannot be sent as one JSON document, nor their thumbnails as a million
requests. The map page gets the layouts as packed floats, each facet as a packed number
per shot, details in pages of 1,024 shots, and thumbnails in atlas pages (a JPEG of 1,024
small or 64 large thumbnails of neighbouring shots: points are in Hilbert order). The web
app makes each file when first asked and keeps it (``map/bundle/<map id>/``);
``deerin map export`` writes them all, each also as a script, for a page opened from disk.
The file names are the contract with ``frontend/src/map*.js`` (docs/map.md).
"""

from __future__ import annotations

import base64
import contextlib
import json
import math
import re
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from deerin.errors import DeerinError
from deerin.explore.map import BUNDLES, CollectionMap, parquet_bytes
from deerin.export.events import clock
from deerin.index.store import atomic_write_bytes

ATLAS = ({"size": 32, "per_page": 1024, "columns": 32}, {"size": 128, "per_page": 64, "columns": 8})
INFO_PAGE = 1024
NONE = 65535  # a facet's "no value"
SCALES = ("ECS", "CS", "MS", "FS", "LS")
BACKGROUND = (17, 17, 17)
FACETS = (  # name, label
    ("cluster", "Cluster"),
    ("video", "Video"),
    ("year", "Year"),
    ("scale", "Shot scale"),
    ("person", "Person"),
    ("language", "Language"),
)
ASSETS = Path(__file__).parent / "assets"
FILE = re.compile(r"(layout|facet)/[a-z_]{1,20}\.bin|info/\d{1,7}\.json|atlas/\d{2,3}/\d{1,7}\.jpg")


class Bundle:
    """The files of one map version; ``file(path)`` makes (or reads) one of them."""

    def __init__(self, found: CollectionMap, data_dir: Path, collection: str) -> None:
        self.map, self.data_dir, self.collection = found, data_dir, collection
        self.count = found.info.count
        self.cache = found.folder.path(f"{BUNDLES}/{found.info.id}")
        self._facets: dict[str, tuple[np.ndarray, list[dict[str, Any]]]] = {}

    def meta(self, static: bool = False, editable: bool = False) -> dict[str, Any]:
        info = self.map.info
        return {
            "collection": self.collection,
            "count": self.count,
            "version": info.id,
            "layouts": [{"name": x.name, "label": x.label} for x in info.layouts],
            "facets": [
                {"name": name, "label": label, "values": values}
                for name, label in FACETS
                for values in [self._facet(name)[1]]
            ],
            "clusters": [
                {"id": c.id, "label": c.label, "size": c.size, "centers": c.centers}
                for c in info.clusters
            ],
            "atlas": list(ATLAS),
            "info_per_page": INFO_PAGE,
            "static": static,
            "editable": editable,
        }

    def file(self, path: str) -> tuple[bytes, str]:
        """The bytes and media type of ``path`` (``layout/image.bin``, ``atlas/32/0.jpg``…);
        :class:`DeerinError` when there is no such file (checked before any file is read:
        a path from a request never leaves the bundle)."""
        if not FILE.fullmatch(path):
            raise DeerinError(f"the map has no file {path!r}")
        kind, _, rest = path.partition("/")
        maker = {"layout": self._layout, "facet": self._facet_file, "info": self._info}
        if kind == "atlas":
            return self._cached(path, lambda: self._atlas(rest)), "image/jpeg"
        if kind in maker and rest:
            media = "application/json" if kind == "info" else "application/octet-stream"
            return self._cached(path, lambda: maker[kind](rest)), media
        raise DeerinError(f"the map has no file {path!r}")

    def _cached(self, path: str, make: Callable[[], bytes]) -> bytes:
        """A file made once and kept; made each time when the store cannot be written."""
        target = self.cache / path
        try:
            return target.read_bytes()
        except OSError:
            body = make()
        with contextlib.suppress(DeerinError, OSError):
            atomic_write_bytes(target, body)
        return body

    def _column(self, name: str) -> list[Any]:
        return self.map.points.column(name).to_pylist()

    def _layout(self, rest: str) -> bytes:
        name = rest.removesuffix(".bin")
        if f"x_{name}" not in self.map.points.column_names or not rest.endswith(".bin"):
            raise DeerinError(f"the map has no layout {name!r}")
        x = self.map.points.column(f"x_{name}").to_numpy()
        y = self.map.points.column(f"y_{name}").to_numpy()
        return np.column_stack([x, y]).astype("<f4").tobytes()

    def _facet_file(self, rest: str) -> bytes:
        name = rest.removesuffix(".bin")
        if name not in dict(FACETS) or not rest.endswith(".bin"):
            raise DeerinError(f"the map has no facet {name!r}")
        return self._facet(name)[0].astype("<u2").tobytes()

    def _facet(self, name: str) -> tuple[np.ndarray, list[dict[str, Any]]]:
        """Each shot's value number in a facet, and the values (label, count); worked out
        once per map (the person facet of a million shots takes seconds)."""
        if name not in self._facets:
            self._facets[name] = self._code_facet(name)
        return self._facets[name]

    def _code_facet(self, name: str) -> tuple[np.ndarray, list[dict[str, Any]]]:
        if name == "cluster":
            clusters = np.array(self._column("cluster"), dtype=np.int64)
            codes = np.where(clusters < 0, NONE, clusters).astype(np.uint16)
            values = [{"label": c.label, "count": c.size} for c in self.map.info.clusters]
            return codes, values
        if name == "video":
            ids, titles = self._column("video_id"), self._column("title")
            return _coded(ids, labels=dict(zip(ids, titles, strict=True)), by="label")
        if name == "year":
            return _coded(self._column("year"), by="label")
        if name == "scale":
            return _coded([s or None for s in self._column("scale")], by=SCALES)
        if name == "person":
            return _coded([p[0] if p else None for p in self._column("people")])
        return _coded([langs[0] if langs else None for langs in self._column("langs")])

    def _info(self, rest: str) -> bytes:
        page = _page_number(rest, ".json", math.ceil(self.count / INFO_PAGE))
        part = self.map.points.slice(page * INFO_PAGE, INFO_PAGE).to_pylist()
        details = [
            {
                "v": row["video_id"],
                "t": row["title"],
                "s": row["shot"],
                "a": round(row["start"], 3),
                "b": round(row["end"], 3),
                "tc": clock(row["start"], "."),
                "c": row["cluster"],
                "tags": row["tags"],
                "people": row["people"],
                "places": row["places"],
                "scale": row["scale"],
            }
            for row in part
        ]
        return json.dumps(details, ensure_ascii=False, separators=(",", ":")).encode()

    def _atlas(self, rest: str) -> bytes:
        size_text, _, page_text = rest.partition("/")
        spec = next((a for a in ATLAS if str(a["size"]) == size_text), None)
        if spec is None:
            raise DeerinError(f"the map has no atlas of size {size_text!r}")
        per_page, columns, size = spec["per_page"], spec["columns"], spec["size"]
        page = _page_number(page_text, ".jpg", math.ceil(self.count / per_page))
        thumbs = self.map.points.column("thumb").slice(page * per_page, per_page).to_pylist()
        return atlas_page(self.data_dir, thumbs, columns, size)

    def paths(self) -> Iterator[str]:
        """Every file of the bundle (what an export writes)."""
        for layout in self.map.info.layouts:
            yield f"layout/{layout.name}.bin"
        for name, _ in FACETS:
            yield f"facet/{name}.bin"
        for page in range(math.ceil(self.count / INFO_PAGE)):
            yield f"info/{page}.json"
        for spec in ATLAS:
            for page in range(math.ceil(self.count / spec["per_page"])):
                yield f"atlas/{spec['size']}/{page}.jpg"


def _coded(
    values: list[Any],
    labels: dict[Any, Any] | None = None,
    by: str | tuple[str, ...] = "count",
) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Values as numbers into a list of distinct values (most frequent first, by label,
    or in a given order); None is "no value"."""
    counts = Counter(v for v in values if v is not None)
    if isinstance(by, tuple):
        distinct = [v for v in by if v in counts] + sorted(set(counts) - set(by), key=str)
    elif by == "label":
        distinct = sorted(counts, key=lambda v: str((labels or {}).get(v, v)).lower())
    else:
        distinct = [v for v, _ in counts.most_common()]
    distinct = distinct[: NONE - 1]
    number = {v: n for n, v in enumerate(distinct)}
    codes = np.array([number.get(v, NONE) for v in values], dtype=np.uint16)
    shown = [{"label": str((labels or {}).get(v, v)), "count": counts[v]} for v in distinct]
    return codes, shown


def _page_number(text: str, suffix: str, pages: int) -> int:
    number = text.removesuffix(suffix)
    if not text.endswith(suffix) or not number.isdecimal() or int(number) >= pages:
        raise DeerinError(f"the map has no page {text!r}")
    return int(number)


def atlas_page(data_dir: Path, thumbs: list[str], columns: int, size: int) -> bytes:
    """One JPEG of ``columns`` x ``columns`` cells, each a thumbnail fitted in its square."""
    from PIL import Image

    sheet = Image.new("RGB", (columns * size, columns * size), BACKGROUND)
    for cell, thumb in enumerate(thumbs):
        picture = _small(str(data_dir), thumb, size)
        if picture is None:
            continue
        x = cell % columns * size + (size - picture.width) // 2
        y = cell // columns * size + (size - picture.height) // 2
        sheet.paste(picture, (x, y))
    import io

    buffer = io.BytesIO()
    sheet.save(buffer, "JPEG", quality=82, optimize=False)
    return buffer.getvalue()


@lru_cache(maxsize=1024)
def _small(data_dir: str, thumb: str, size: int) -> Any:
    """A thumbnail shrunk to fit ``size`` (kept: a synthetic or copied collection repeats
    pictures); None when it cannot be read (a missing still leaves its cell dark)."""
    from PIL import Image, UnidentifiedImageError

    if not thumb:
        return None
    try:
        with Image.open(Path(data_dir) / thumb) as opened:
            opened.draft("RGB", (size, size))
            picture = opened.convert("RGB")
    except (OSError, UnidentifiedImageError, ValueError):
        return None
    picture.thumbnail((size, size))
    return picture


def export(bundle: Bundle, target: Path, say: Callable[[str], None]) -> int:
    """A folder that opens from disk or any static server: the page, its script and
    styles, every bundle file as a script (a ``file://`` page may not fetch, so the page
    loads them all this way; ``meta.json`` is also kept as itself, for tools), the points
    as Parquet. Returns the number of files written."""
    if not (ASSETS / "map.js").is_file():
        raise DeerinError(
            "this installation has no map page to export",
            hint="reinstall DEERIn (its built web assets are missing)",
        )
    target.mkdir(parents=True, exist_ok=True)
    for name in ("index.html", "map.js", "map.css"):
        shutil.copyfile(ASSETS / name, target / name)
    meta = json.dumps(bundle.meta(static=True), ensure_ascii=False).encode()
    atomic_write_bytes(target / "data" / "meta.json", meta)
    files = ["meta.json", *bundle.paths()]
    for number, path in enumerate(files, 1):
        body = meta if path == "meta.json" else bundle.file(path)[0]
        atomic_write_bytes(target / "data" / f"{path}.js", _as_script(path, body))
        if number % 200 == 0 or number == len(files):
            say(f"{number}/{len(files)} map files")
    atomic_write_bytes(target / "points.parquet", parquet_bytes(bundle.map.points))
    return 3 + 1 + len(files) + 1


def _as_script(path: str, body: bytes) -> bytes:
    """A bundle file as a script calling ``deerinMapData(path, payload)``: JSON as text,
    binaries as base64, pictures as data: URLs (WebGL accepts those from a file:// page)."""
    if path.endswith(".json"):
        payload = body.decode()
    elif path.endswith(".jpg"):
        payload = "data:image/jpeg;base64," + base64.b64encode(body).decode()
    else:
        payload = base64.b64encode(body).decode()
    return f"window.deerinMapData({json.dumps(path)},{json.dumps(payload)});\n".encode()
