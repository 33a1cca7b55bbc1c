"""Bitmap subtitles (Blu-ray PGS, DVD VobSub) as pictures a text recogniser can read.

PyAV decodes a bitmap subtitle into palette indices but does not hand out the palette
(FFmpeg keeps it in a second data plane whose line size is zero, so PyAV's plane list
leaves it out). The colours matter: a subtitle is light text inside a dark outline on a
transparent ground, and only the palette says which index is which. So the palettes are
read from the streams themselves: a PGS display set carries palette definition
segments, and a VobSub track's header lists sixteen colours of which each subtitle picks
four, with their transparency. Each subtitle is then drawn as dark text on white, which
is what the recogniser was trained on.
"""

from __future__ import annotations

import numpy as np

from deerin.errors import DeerinError

PGS = "hdmv_pgs_subtitle"
VOBSUB = "dvd_subtitle"
READABLE = (PGS, VOBSUB)
PGS_PALETTE, PGS_COMPOSITION = 0x14, 0x16  # segment types
SPU_COLOURS, SPU_ALPHA = 0x03, 0x04  # VobSub control commands
SPU_ARGUMENTS = {0x00: 0, 0x01: 0, 0x02: 0, 0x03: 2, 0x04: 2, 0x05: 6, 0x06: 4}
UNKNOWN = np.full(4, np.nan, np.float32)  # VobSub colours when the track lists none
MARGIN = 0.5  # of the subtitle's height: white border so that the detector sees its edges
ENLARGE = {VOBSUB: 2}  # DVD subtitles are standard definition: drawn twice as large


class Palette:
    """The colours of one bitmap subtitle track, followed from packet to packet.

    :meth:`of` returns, for the display set in a packet, an array of (luma, alpha)
    pairs, 0-255, indexed by the palette indices of its picture.
    """

    def __init__(self, codec: str, extradata: bytes | None) -> None:
        if codec not in READABLE:
            raise DeerinError(
                f"bitmap subtitles in {codec} cannot be read yet (only PGS and VobSub)",
                hint="this track's cues are left out; a subtitle tool can convert it to SRT",
            )
        self.codec = codec
        self._pgs: dict[int, np.ndarray] = {}
        self._pgs_current = 0
        self._vobsub = vobsub_colours(extradata or b"")

    def of(self, packet: bytes) -> np.ndarray:
        """The (luma, alpha) palette of the display set in ``packet``."""
        if self.codec == PGS:
            return self._pgs_palette(packet)
        return self._spu_palette(packet)

    def _pgs_palette(self, packet: bytes) -> np.ndarray:
        for kind, segment in pgs_segments(packet):
            if kind == PGS_COMPOSITION and len(segment) > 9:
                self._pgs_current = segment[9]
            elif kind == PGS_PALETTE and segment:
                self._pgs[segment[0]] = _pgs_entries(segment)
        return self._pgs.get(self._pgs_current, np.zeros((256, 2), np.float32))

    def _spu_palette(self, packet: bytes) -> np.ndarray:
        colours, alpha = spu_colours(packet)
        opacity = np.array(alpha, np.float32) * 17
        luma = UNKNOWN if self._vobsub is None else self._vobsub[colours]
        return np.stack([luma, opacity], axis=1)


def pgs_segments(packet: bytes) -> list[tuple[int, bytes]]:
    """The (type, payload) segments of a PGS display set."""
    segments = []
    at = 0
    while at + 3 <= len(packet):
        kind, size = packet[at], int.from_bytes(packet[at + 1 : at + 3], "big")
        segments.append((kind, packet[at + 3 : at + 3 + size]))
        at += 3 + size
    return segments


def _pgs_entries(segment: bytes) -> np.ndarray:
    """A palette definition segment's entries as (luma, alpha); unset entries transparent.

    Entries are (id, Y, Cr, Cb, alpha) in video range; luma is scaled to 0-255.
    """
    palette = np.zeros((256, 2), np.float32)
    for at in range(2, len(segment) - 4, 5):
        index, luma, _cr, _cb, alpha = segment[at : at + 5]
        palette[index] = (np.clip((luma - 16) * 255 / 219, 0, 255), alpha)
    return palette


def vobsub_colours(extradata: bytes) -> np.ndarray | None:
    """The luma of the 16 colours a VobSub track header lists ("palette: rrggbb, ..."), if any."""
    for line in extradata.decode("latin-1").splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() != "palette":
            continue
        try:
            rgb = [bytes.fromhex(item.strip()[-6:]) for item in value.split(",")[:16]]
        except ValueError:
            return None
        levels = [0.299 * r + 0.587 * g + 0.114 * b for r, g, b in rgb]
        return np.array(levels + [0.0] * (16 - len(levels)), np.float32)
    return None


def spu_colours(packet: bytes) -> tuple[list[int], list[int]]:
    """A VobSub picture's four colour numbers and alphas (0-15), from its control sequences.

    Each command's two bytes hold four nibbles, for picture values 3, 2, 1, 0 in that order.
    """
    colours, alpha = [0, 1, 2, 3], [0, 15, 15, 15]
    at, seen = int.from_bytes(packet[2:4], "big"), set()
    while at + 4 <= len(packet) and at not in seen:
        seen.add(at)
        following = int.from_bytes(packet[at + 2 : at + 4], "big")
        command = at + 4
        while command < len(packet) and packet[command] in SPU_ARGUMENTS:
            code, argument = packet[command], packet[command + 1 : command + 3]
            if code in (SPU_COLOURS, SPU_ALPHA) and len(argument) == 2:
                nibbles = [argument[1] & 15, argument[1] >> 4, argument[0] & 15, argument[0] >> 4]
                if code == SPU_COLOURS:
                    colours = nibbles
                else:
                    alpha = nibbles
            command += 1 + SPU_ARGUMENTS[code]
        at = following
    return colours, alpha


def render(indices: np.ndarray, palette: np.ndarray, codec: str) -> np.ndarray:
    """A subtitle picture as RGB dark text on white, with a margin, DVD sizes doubled.

    The light text is composited over black and the result inverted, so a dark outline
    becomes part of the white ground and the letters stand alone.
    """
    table = np.zeros((256, 2), np.float32)
    table[: len(palette)] = palette[:256]
    if np.isnan(table[:, 0]).any():
        table[:, 0] = 0
        table[letters(indices, table[:, 1]), 0] = 255
    luma, alpha = table[indices, 0], table[indices, 1]
    rows, columns = np.nonzero(alpha)
    if rows.size:  # a PGS picture is often as wide as the screen: keep only its text
        kept = np.s_[rows.min() : rows.max() + 1, columns.min() : columns.max() + 1]
        luma, alpha = luma[kept], alpha[kept]
    grey = (255 - luma * alpha / 255).astype(np.uint8)
    scale = ENLARGE.get(codec, 1)
    grey = grey.repeat(scale, axis=0).repeat(scale, axis=1)
    pad = max(4, round(grey.shape[0] * MARGIN))
    grey = np.pad(grey, pad, constant_values=255)
    return np.repeat(grey[:, :, None], 3, axis=2)


def letters(indices: np.ndarray, alpha: np.ndarray) -> int:
    """The palette index of the letters in a picture whose colours are unknown.

    A VOB file straight from a DVD keeps its palette in the disc's IFO files, and which
    of the four picture values is the letters varies from disc to disc. The outline is
    what touches the transparent ground; the letters are inside it. So the letters are
    the opaque value with the smallest share of its pixels next to a transparent one.
    """
    clear = np.pad(alpha[indices] == 0, 1, constant_values=True)
    near_clear = clear[:-2, 1:-1] | clear[2:, 1:-1] | clear[1:-1, :-2] | clear[1:-1, 2:]
    shares = {}
    for value in np.unique(indices[alpha[indices] > 0]):
        pixels = indices == value
        shares[int(value)] = (pixels & near_clear).sum() / pixels.sum()
    return min(shares, key=shares.__getitem__, default=0)


def visible(indices: np.ndarray, palette: np.ndarray) -> bool:
    """Whether a subtitle picture shows anything (some index in it is not transparent)."""
    used = np.unique(indices)
    used = used[used < len(palette)]
    return bool(used.size) and bool((palette[used, 1] > 0).any())
