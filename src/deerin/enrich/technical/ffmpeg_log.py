"""Reading what ffmpeg's detection filters log: black, freeze and silence spans, loudness.

blackdetect, freezedetect, silencedetect and ebur128 report only in ffmpeg's log, at
the "info" level. Run with ``-loglevel level+info`` every line carries its level in
brackets, which also tells the decoder's errors (a damaged file) from the results.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

NUMBER = r"(-?(?:\d+(?:\.\d*)?|inf|nan))"
BLACK = re.compile(rf"\] \[info\] black_start:{NUMBER} black_end:{NUMBER}")
FREEZE_START = re.compile(rf"\] \[info\] lavfi\.freezedetect\.freeze_start: {NUMBER}")
FREEZE_END = re.compile(rf"\] \[info\] lavfi\.freezedetect\.freeze_end: {NUMBER}")
SILENCE_START = re.compile(rf"\] \[info\] silence_start: {NUMBER}")
SILENCE_END = re.compile(rf"\] \[info\] silence_end: {NUMBER}")
SUMMARY = re.compile(r"\[Parsed_ebur128_\d+ @ [^\]]+\] \[info\] Summary:")
LOUDNESS = {
    "integrated_lufs": re.compile(rf"^\s*I:\s+{NUMBER} LUFS"),
    "range_lu": re.compile(rf"^\s*LRA:\s+{NUMBER} LU"),
    "true_peak_dbtp": re.compile(rf"^\s*Peak:\s+{NUMBER} dBFS"),
}
VERSION = re.compile(r"ffmpeg version (\S+)")
ERROR = re.compile(r"\[(?:error|fatal|panic)\] (.*)")


@dataclass
class FilterLog:
    """The spans and figures the filters reported; an open span's end is None."""

    black: list[tuple[float, float]] = field(default_factory=list)
    frozen: list[tuple[float, float | None]] = field(default_factory=list)
    silence: list[tuple[float, float | None]] = field(default_factory=list)
    loudness: dict[str, float] | None = None
    errors: list[str] = field(default_factory=list)
    version: str = "unknown"


def parse(lines: Iterable[str]) -> FilterLog:
    """Collect every report in ffmpeg's log lines, in the order they came."""
    log = FilterLog()
    in_summary = False
    for line in lines:
        if SUMMARY.search(line):
            in_summary, log.loudness = True, {}
            continue
        if in_summary and log.loudness is not None and _loudness_line(line, log.loudness):
            continue
        _span_line(line, log)
    return log


def _loudness_line(line: str, loudness: dict[str, float]) -> bool:
    """Note one figure of ebur128's summary; False when the line holds none."""
    for key, pattern in LOUDNESS.items():
        if match := pattern.match(line):
            loudness[key] = float(match.group(1))
            return True
    return False


def _span_line(line: str, log: FilterLog) -> None:
    """Note a span's start or end, an error, or ffmpeg's version, if the line holds one."""
    if match := BLACK.search(line):
        log.black.append((float(match.group(1)), float(match.group(2))))
    elif match := FREEZE_START.search(line):
        log.frozen.append((float(match.group(1)), None))
    elif (match := FREEZE_END.search(line)) and log.frozen:
        log.frozen[-1] = (log.frozen[-1][0], float(match.group(1)))
    elif match := SILENCE_START.search(line):
        log.silence.append((float(match.group(1)), None))
    elif (match := SILENCE_END.search(line)) and log.silence:
        log.silence[-1] = (log.silence[-1][0], float(match.group(1)))
    elif match := ERROR.search(line):
        log.errors.append(match.group(1).strip())
    elif match := VERSION.search(line):
        log.version = match.group(1)
