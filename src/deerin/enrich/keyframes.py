"""The keyframes stage: first, middle and last frame of every shot, and a contact sheet.

These stills are how people browse a collection: the web app shows the thumbnails, an
archivist prints the contact sheet, exports cite the JPEGs. So each still is the exact
frame the shot list names, at the size the film is seen (square pixels, upright).
"""

from __future__ import annotations

import io
import math
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
from PIL import Image, ImageDraw, ImageFont

from deerin.index.schemas import Keyframes, MediaInfo, Shot, Shots
from deerin.index.store import store_error
from deerin.media.frames import Grab, display_geometry, frames_at
from deerin.plugins.stage import Stage, StageContext, StageOutput

ROLES = ("first", "middle", "last")
FOLDER = "keyframes"
WEBP_QUALITY = 80
WEBP_METHOD = 2  # of 0-6: twice as fast as the default 4, files ~5% larger
SHEET_COLUMNS = 10
SHEET_TILE = 192  # pixels: a tile's width, and the most height a portrait tile may take
SHEET_MAX_TILES = 500  # beyond this the sheet samples shots evenly, keeping it printable
SHEET_LABEL = 16
SHEET_GAP = 4
SHEET_BACKGROUND = (24, 24, 24)
SHEET_INK = (235, 235, 235)


@dataclass(frozen=True)
class Target:
    """One still to make: which shot, which of its three frames, and where that frame is."""

    shot: int
    role: str
    frame: int
    time: float


@dataclass(frozen=True)
class Still:
    """A decoded frame, encoded: the full-size JPEG and the WebP thumbnail."""

    time: float
    size: tuple[int, int]
    thumb: Image.Image
    jpeg: bytes
    webp: bytes


class KeyframesStage(Stage):
    """Write keyframe JPEGs and WebP thumbnails per shot, their index, and a contact sheet."""

    name = "keyframes"
    version = "1"
    requires = ("probe", "shots")
    produces = (FOLDER, Keyframes.file, "contact_sheet.jpg")

    def params(self) -> dict[str, Any]:
        return {
            "quality": self.settings.keyframes.quality,
            "thumbnail_width": self.settings.keyframes.thumbnail_width,
        }

    def run(self, ctx: StageContext) -> StageOutput:
        info = ctx.media_info()
        shots = ctx.read(Shots).shots
        targets = plan_targets(shots)
        folder = ctx.staging / FOLDER
        folder.mkdir()
        namer = _namer(len(shots))
        on_sheet = sheet_shots(len(shots))
        tiled = set(on_sheet)
        saved: dict[tuple[int, str], dict[str, Any]] = {}
        tiles: dict[int, Image.Image] = {}
        for grab, wanted in _grabs(ctx, targets, info):
            still = self._encode(grab)
            for target in wanted:
                saved[target.shot, target.role] = _write(still, target, folder, namer)
                if target.role == "middle" and target.shot in tiled:
                    tiles[target.shot] = _tile(still.thumb, grab.image)
        width, height = display_geometry(info).size
        document = {
            "video_id": ctx.video_id,
            "width": width,
            "height": height,
            "thumbnail_width": self.settings.keyframes.thumbnail_width,
            "contact_sheet": {"file": "contact_sheet.jpg", "shots": on_sheet},
            "shots": [_shot_entry(shot, saved) for shot in shots],
        }
        sheet = contact_sheet([(shots[i], tiles.get(i)) for i in on_sheet])
        sheet_jpeg = _encoded(sheet, "JPEG", quality=self.settings.keyframes.quality)
        _write_file(ctx.staging / "contact_sheet.jpg", sheet_jpeg)
        ctx.write(Keyframes, document)
        return _output(len(saved), len(targets), len(on_sheet), len(shots))

    def _encode(self, grab: Grab) -> Still:
        """Encode a frame once, however many shots and roles share it (1-2 frame shots)."""
        thumb = _thumbnail(grab.image, self.settings.keyframes.thumbnail_width)
        return Still(
            time=grab.time,
            size=grab.image.size,
            thumb=thumb,
            jpeg=_encoded(grab.image, "JPEG", quality=self.settings.keyframes.quality),
            webp=_encoded(thumb, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD),
        )


def plan_targets(shots: list[Shot]) -> list[Target]:
    """First, middle and last frame of each shot, with the time each is shown.

    shots.json gives the exact times of the first and last frames; the middle one's time
    is interpolated between them, which is exact at a constant frame rate (with a
    variable one the still is the frame nearest that time, and keyframes.json records
    that frame's own time).
    """
    targets = []
    for shot in shots:
        first, last = shot.start_frame, shot.end_frame - 1
        middle = (first + last) // 2
        span = shot.last_frame_time - shot.start_time
        share = (middle - first) / (last - first) if last > first else 0.0
        for role, frame, time in (
            ("first", first, shot.start_time),
            ("middle", middle, shot.start_time + span * share),
            ("last", last, shot.last_frame_time),
        ):
            targets.append(Target(shot.index, role, frame, time))
    return targets


def sheet_shots(count: int) -> list[int]:
    """Which shots the contact sheet shows: all, or an even sample of SHEET_MAX_TILES."""
    if count <= SHEET_MAX_TILES:
        return list(range(count))
    step = count / SHEET_MAX_TILES
    return [math.floor(k * step) for k in range(SHEET_MAX_TILES)]


def contact_sheet(tiles: list[tuple[Shot, Image.Image | None]]) -> Image.Image:
    """A grid of middle frames, each labelled with shot number and start timecode.

    A shot whose middle frame did not decode keeps its place as an empty tile, so the
    grid still reads in order.
    """
    columns = max(1, min(SHEET_COLUMNS, len(tiles)))
    rows = math.ceil(len(tiles) / columns)
    tile_height = max((tile.height for _, tile in tiles if tile is not None), default=SHEET_TILE)
    cell_w, cell_h = SHEET_TILE + SHEET_GAP, tile_height + SHEET_LABEL + SHEET_GAP
    sheet = Image.new(
        "RGB", (columns * cell_w + SHEET_GAP, max(1, rows) * cell_h + SHEET_GAP), SHEET_BACKGROUND
    )
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=SHEET_LABEL - 4)
    for k, (shot, tile) in enumerate(tiles):
        x = SHEET_GAP + (k % columns) * cell_w
        y = SHEET_GAP + (k // columns) * cell_h
        if tile is not None:
            sheet.paste(tile, (x + (SHEET_TILE - tile.width) // 2, y))
        label = f"#{shot.index + 1}  {timecode(shot.start_time)}"
        draw.text((x, y + tile_height + 1), label, fill=SHEET_INK, font=font)
    return sheet


def timecode(seconds: float) -> str:
    """HH:MM:SS.mmm: exact at any frame rate, unlike a frame-count timecode."""
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def _grabs(
    ctx: StageContext, targets: list[Target], info: MediaInfo
) -> Iterator[tuple[Grab, list[Target]]]:
    """Decoded frames, each with the targets it answers, reporting progress as it goes."""
    by_time: dict[float, list[Target]] = defaultdict(list)
    for target in targets:
        by_time[target.time].append(target)
    rank = {time: n for n, time in enumerate(sorted(by_time))}
    reported = 0.0
    for grab in frames_at(ctx.source, list(by_time), info):
        yield grab, by_time[grab.requested]
        fraction = (rank[grab.requested] + 1) / len(rank)
        if fraction - reported >= 0.01 or fraction == 1.0:
            ctx.report(fraction)
            reported = fraction


def _namer(count: int) -> Callable[[int, str], str]:
    """File stems like s0001_middle: 1-based shot numbers, as wide as the count needs."""
    digits = max(4, len(str(count)))
    return lambda shot, role: f"s{shot + 1:0{digits}d}_{role}"


def _thumbnail(image: Image.Image, width: int) -> Image.Image:
    height = max(1, round(image.height * width / image.width))
    return image.resize((width, height), Image.Resampling.BICUBIC, reducing_gap=2.0)


def _tile(thumb: Image.Image, image: Image.Image) -> Image.Image:
    """The middle frame fitted into a SHEET_TILE-wide, at most square, box.

    Made from the thumbnail when that is large enough, which is much cheaper.
    """
    source = thumb if thumb.width >= SHEET_TILE else image
    scale = SHEET_TILE / max(image.width, image.height)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return source.resize(size, Image.Resampling.BICUBIC, reducing_gap=2.0)


def _encoded(image: Image.Image, kind: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, kind, **options)
    return buffer.getvalue()


def _write(still: Still, target: Target, folder: Path, namer: Callable[[int, str], str]) -> dict:
    """Write one keyframe and its thumbnail; return its keyframes.json entry."""
    stem = namer(target.shot, target.role)
    _write_file(folder / f"{stem}.jpg", still.jpeg)
    _write_file(folder / f"{stem}.webp", still.webp)
    return {
        "frame": target.frame,
        "time": round(still.time, 6),
        "jpeg": f"{FOLDER}/{stem}.jpg",
        "thumb": f"{FOLDER}/{stem}.webp",
        "width": still.size[0],
        "height": still.size[1],
        "thumb_width": still.thumb.width,
        "thumb_height": still.thumb.height,
    }


def _write_file(path: Path, data: bytes) -> None:
    """Plain writes: the staging folder is private and the runner publishes it atomically."""
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise store_error(exc, path) from exc


def _shot_entry(shot: Shot, saved: dict[tuple[int, str], dict[str, Any]]) -> dict:
    index = shot.index
    return {"index": index, **{role: saved.get((index, role)) for role in ROLES}}


def _output(made: int, wanted: int, on_sheet: int, shots: int) -> StageOutput:
    summary: dict[str, Any] = {"keyframes": made}
    if on_sheet < shots:
        summary["contact_sheet"] = f"{on_sheet} of {shots} shots"
    problem = None
    if made < wanted:
        problem = f"{wanted - made} of {wanted} keyframes could not be decoded (damaged file?)"
    return StageOutput(
        method={"name": "pyav", "version": av.__version__}, summary=summary, problem=problem
    )
