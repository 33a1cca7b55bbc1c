"""Supercuts: does a supercut find every time a word is said, does each clip start and
end on the word, and how long does rendering take; videogrep and ffmpeg's concat filter
as the peers, in the same run.

Ingests ../shared/media/speech (probe and transcript only) as three collections:
``readings`` (jfk.flac and sonnet_1..3.mp3, the recordings with a human reference
text), ``manifesto`` (manifesto.mp4) and ``spoken`` (spoken_example.mp4). Then:

Finding. A supercut of each of READING_WORDS in ``readings``, and of MANIFESTO_WORDS in
``manifesto``. The reference of a word is each place the human text (the sonnets' .txt
without their heading, JFK's line) has it in a form the search matches (its Snowball
stem: "beauty's" for beauty, "asked" for ask). A clip is right when the transcript,
aligned word by word to the reference text (difflib; a misheard word keeps its place),
puts it on such a place. Recall: places covered over places; precision: right clips
over clips found. Every clip is also heard again: the supercut is rendered with PAD
seconds of sound either side (so Whisper has context), cut apart at each clip's place
in the output, and transcribed with the bundled Whisper model (DEERIn's own method);
it is heard when a word of the same stem is heard within NEAR s of where the clip put
it.

Timing. For each heard clip: start error = where Whisper hears the word start minus
where the unpadded clip starts; end error likewise at the end. Both ends within
TOLERANCE is the goal. Whisper's own word times are not the truth (onsets within about
0.07 s on synthetic speech in bench/speech_accuracy.py, word ends less sure), and it is
the recogniser that made DEERIn's transcript, so two checks that do not lean on it:
DEERIn's clips of manifesto.mp4 against the word times of another recogniser (vosk: the
manifesto.json that ships with videogrep's test media), and, where the side's
transcript has a pause (PAUSE s or more) next to the word, the sound's own edge there
(where the quiet begins or ends, see at_pauses).

The peer: videogrep 2.3.0 (bench/peers/requirements-videogrep.txt, in a venv of its own)
with ``--search-type fragment`` (word level) and the query ``(?i)\\bWORD\\b`` (its query
is a case-sensitive regular expression), fed word timings in its JSON format: DEERIn's
own transcript (same timings, so the two differ in finding and cutting only) and, for
manifesto.mp4, the vosk manifesto.json (its own). It writes sound recordings to an MP3
(it renders no picture for them); DEERIn renders an MP4 (black picture for sound). Both
are timed as the commands a user runs (start-up included), with the same padding; the
same ffmpeg (videogrep's moviepy is pointed at the system's).

Render time. render() against concat_filter_peer() (ffmpeg's concat filter, one
process, every clip an input) on the same edits and output format: a supercut of "the"
across every collection, and a synthetic edit of --clips clips of mixed length from
manifesto.mp4 and spoken_example.mp4 (320x180 at 25 fps and 1280x720 at 30 fps). The
files each holds open at once and the memory of all their ffmpeg processes are sampled.

    python3 -m venv /tmp/vg && /tmp/vg/bin/pip install -r bench/peers/requirements-videogrep.txt
    .venv/bin/python bench/supercut.py                   # about 10 minutes on 2 CPU cores
    .venv/bin/python bench/supercut.py --store DIR       # keep (or reuse) the ingest

Prints Markdown tables and writes bench/results/supercut.json.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from deerin.enrich.speech import audio
from deerin.enrich.speech.transcribe import transcribe
from deerin.index import artefacts
from deerin.index.catalogue import open_catalogue
from deerin.index.schemas import Edit, EditClip, Transcript
from deerin.index.store import VideoFolder
from deerin.interact.render import Format, concat_filter_peer, output_format, render
from deerin.interact.sources import edit_sources
from deerin.interact.supercut import SupercutRequest, make_supercut
from deerin.models.backends import open_model
from deerin.pipeline.ingest import ingest
from deerin.pipeline.progress import JsonReporter
from deerin.retrieve.matching import WORD, stem
from deerin.settings import Settings
from speech_accuracy import JFK, seconds_of

ROOT = Path(__file__).resolve().parents[1]
SPEECH = ROOT.parent / "shared" / "media" / "speech"
RESULTS = ROOT / "bench" / "results" / "supercut.json"
DEERIN = ROOT / ".venv" / "bin" / "deerin"
COLLECTIONS = {
    "readings": ("jfk.flac", "sonnet_1.mp3", "sonnet_2.mp3", "sonnet_3.mp3"),
    "manifesto": ("manifesto.mp4",),
    "spoken": ("spoken_example.mp4",),
}
STAGES = ("probe", "transcript")
READING_WORDS = ("thy", "thou", "thine", "thee", "beauty", "world", "time", "eyes", "praise",
                 "ask", "country", "you")  # fmt: skip
MANIFESTO_WORDS = ("the", "communism", "opposition", "party", "manifesto", "europe")
PAD = 1.0  # seconds of sound either side of each clip when it is heard again
NEAR = 0.5  # seconds: a word heard this close to where the clip put it is that word
TOLERANCE = 0.15  # seconds: the goal for each end of a clip
PAUSE = 0.15  # seconds of quiet that make a pause
SEARCH = 0.35  # seconds from a clip's end within which a pause's edge is looked for
QUIET_OVER_FLOOR = 3.0
QUIET_SHARE = 0.03
FRAME = 160  # samples: 10 ms at Whisper's rate, the step of the sound's level
STEP = FRAME / audio.RATE
MOST = 10000  # clips a supercut may hold here (no cap in the way)
POSSESSIVE = "'s"


@dataclass(frozen=True)
class Found:
    """One occurrence a side found: the file's name and the unpadded clip."""

    file: str
    start: float
    end: float


@dataclass(frozen=True)
class Piece:
    """A padded clip as the output holds it: its stretch of the source, and ``at``, its
    start in the output (by the side's own layout of its clips)."""

    file: str
    start: float
    end: float
    at: float


@dataclass
class Run:
    """One side's supercut of one word: what it found, what it wrote, in what time."""

    side: str
    word: str
    found: list[Found]
    pieces: list[Piece]
    output: Path | None
    wall: float


@dataclass
class Heard:
    """A found occurrence looked for where the output holds it. Errors are the truth
    minus the clip, in seconds (a positive start error: the clip starts before the word;
    a positive end error: the word goes on after the clip ends). By Whisper's word there
    (None if not heard), and by the sound itself where a pause bounds the word (None
    where no pause does)."""

    found: Found
    said: str = ""  # what Whisper heard in the clip's padded stretch
    start_error: float | None = None
    end_error: float | None = None
    pause_start_error: float | None = None
    pause_end_error: float | None = None

    @property
    def heard(self) -> bool:
        return self.start_error is not None


@dataclass
class Tally:
    """A side's results over several words."""

    found: int = 0
    heard: int = 0
    wall: float = 0.0
    runs: int = 0
    starts: list[float] = field(default_factory=list)
    ends: list[float] = field(default_factory=list)
    both: list[bool] = field(default_factory=list)
    pause_starts: list[float] = field(default_factory=list)
    pause_ends: list[float] = field(default_factory=list)
    by_word: dict[str, tuple[int, ...]] = field(default_factory=dict)
    right: int = 0
    recalled: int = 0
    reference: int = 0

    def add(self, run: Run, heard: list[Heard], finding: tuple[int, int, int] | None) -> None:
        """Count ``run``; ``finding``: its clips on the word in the reference, the
        reference's occurrences found, and their number (None: no reference)."""
        self.found += len(run.found)
        self.heard += sum(h.heard for h in heard)
        self.wall += run.wall
        self.runs += 1
        self.by_word[run.word] = (len(run.found), sum(h.heard for h in heard))
        if finding is not None:
            self.right += finding[0]
            self.recalled += finding[1]
            self.reference += finding[2]
            self.by_word[run.word] = (finding[2], len(run.found), finding[0], finding[1],
                                      sum(h.heard for h in heard))  # fmt: skip
        for h in heard:
            if h.start_error is not None and h.end_error is not None:
                self.starts.append(abs(h.start_error))
                self.ends.append(abs(h.end_error))
                self.both.append(max(abs(h.start_error), abs(h.end_error)) <= TOLERANCE)
            if h.pause_start_error is not None:
                self.pause_starts.append(h.pause_start_error)
            if h.pause_end_error is not None:
                self.pause_ends.append(h.pause_end_error)


# ---- the store ---------------------------------------------------------------------


def make_store(store: Path) -> Settings:
    """The speech files ingested (transcripts only), unless ``store`` already has them."""
    settings = Settings.from_values({"data_dir": store, "proxy.enabled": False})
    for collection, names in COLLECTIONS.items():
        if len(videos(settings, collection)) == len(names):
            continue
        began = time.perf_counter()
        report = ingest([SPEECH / name for name in names], collection, settings,
                        JsonReporter(io.StringIO()), stages=STAGES)  # fmt: skip
        took = time.perf_counter() - began
        print(f"ingest {collection}: {took:.0f} s, failed: {report.failed or 'none'}", flush=True)
    return settings


def videos(settings: Settings, collection: str) -> dict[str, str]:
    """File name → video id, in one collection."""
    catalogue = open_catalogue(settings)
    try:
        return {Path(v.path).name: v.id for v in catalogue.videos(collection)}
    finally:
        catalogue.close()


# ---- references --------------------------------------------------------------------


def reference_texts() -> dict[str, str]:
    """File name → what is said in it, by a person, for the recordings that have one."""
    texts = {"jfk.flac": JFK}
    for number in (1, 2, 3):
        lines = (SPEECH / f"sonnet_{number}.txt").read_text(encoding="utf-8").splitlines()
        texts[f"sonnet_{number}.mp3"] = " ".join(lines[2:])  # without the heading
    return texts


def tokens(text: str) -> list[str]:
    """Lowercase words, a possessive 's dropped ("beauty’s" is beauty)."""
    found = re.findall(r"[a-z]+(?:'[a-z]+)?", text.lower().replace("\u2019", "'"))
    return [token.removesuffix(POSSESSIVE) for token in found]


@dataclass(frozen=True)
class Alignment:
    """A recording's reference words, and which of them each transcript word (by its
    start) stands for: the transcript aligned to the reference word by word."""

    reference: list[str]
    places: dict[float, list[int]]

    def finding(self, word: str, found: list[Found]) -> tuple[int, int, int]:
        """Of the clips ``found``, how many stand on ``word`` (any form of it) in the
        reference; how many of its occurrences they cover; how many there are."""
        wanted = {j for j, token in enumerate(self.reference) if same_word(token, word)}
        right, covered = 0, set()
        for clip in found:
            places = next((p for at, p in self.places.items() if abs(at - clip.start) < 0.02), [])
            hits = wanted.intersection(places)
            right += bool(hits)
            covered |= hits
        return right, len(covered), len(wanted)


def alignment(segments: list[dict[str, Any]], reference: str) -> Alignment:
    """The transcript (videogrep's JSON) aligned to the reference text: equal words, and
    words put one for one in place of as many (a misheard word keeps its place)."""
    words = [w for s in segments for w in s["words"]]
    heard, owner = [], []
    for number, word in enumerate(words):
        for token in tokens(word["word"]):
            heard.append(token)
            owner.append(number)
    truth = tokens(reference)
    places: dict[float, list[int]] = {}
    matcher = SequenceMatcher(None, heard, truth, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                places.setdefault(words[owner[i]]["start"], []).append(j)
    return Alignment(truth, places)


def finding(run: Run, alignments: dict[str, Alignment]) -> tuple[int, int, int]:
    """``run``'s clips against the references of the recordings that have one."""
    totals = [0, 0, 0]
    for file, aligned in alignments.items():
        counts = aligned.finding(run.word, [f for f in run.found if f.file == file])
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
    return (totals[0], totals[1], totals[2])


def same_word(heard: str, word: str) -> bool:
    """Whether a heard word is ``word`` in some form (its Snowball stem, as search compares)."""
    return stem(word) in {stem(token) for token in WORD.findall(heard)}


# ---- DEERIn ------------------------------------------------------------------------


def deerin_run(settings: Settings, collection: str, word: str, pad: float, folder: Path) -> Run:
    """DEERIn's supercut of ``word``: the clips found in-process, the film made by the
    command a user runs (timed), and where each padded clip lies in it (whole frames of
    the output's rate, as the renderer cuts them)."""
    plain = make_supercut(settings, SupercutRequest(word, collection, limit=MOST))
    padded = make_supercut(
        settings, SupercutRequest(word, collection, pad_before=pad, pad_after=pad, limit=MOST)
    )
    out = folder / f"deerin-{collection}-{word}.mp4"
    command = [str(DEERIN), "--data-dir", str(settings.data_dir), "supercut", word,
               "-c", collection, "--pad", str(pad), "--max", str(MOST), "-o", str(out)]  # fmt: skip
    wall = timed_command(command)
    return Run("DEERIn", word, clips_found(plain), pieces_of(padded, output_format(padded)),
               out, wall)  # fmt: skip


def clips_found(edit: Edit) -> list[Found]:
    return [Found(Path(edit.sources[c.video_id].path).name, c.start, c.end) for c in edit.clips]


def pieces_of(edit: Edit, fmt: Format) -> list[Piece]:
    pieces, at = [], 0.0
    for clip in edit.clips:
        pieces.append(Piece(Path(edit.sources[clip.video_id].path).name, clip.start, clip.end, at))
        at += fmt.frames(clip.start, clip.end) / fmt.fps
    return pieces


def timed_command(command: list[str], env: dict[str, str] | None = None) -> float:
    began = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - began
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return wall


# ---- videogrep ---------------------------------------------------------------------


@dataclass(frozen=True)
class Peer:
    """videogrep, and a folder of links to the files beside the transcripts it reads."""

    program: Path
    folder: Path
    files: tuple[str, ...]

    def env(self) -> dict[str, str]:
        return {**os.environ, "IMAGEIO_FFMPEG_EXE": shutil.which("ffmpeg") or "ffmpeg"}

    def command(self, word: str, *more: str) -> list[str]:
        return [str(self.program), "--input", *(str(self.folder / f) for f in self.files),
                "--search", rf"(?i)\b{re.escape(word)}\b", "--search-type", "fragment",
                *more]  # fmt: skip

    def run(self, word: str, pad: float, out_folder: Path) -> Run:
        found = [Found(f, s, e) for f, s, e in self.listed(word, 0.0)]
        durations = {f: seconds_of(SPEECH / f) for f in self.files}
        pieces, at = [], 0.0
        for file, start, end in self.listed(word, pad):
            end = min(end, durations[file])  # as videogrep cuts it
            pieces.append(Piece(file, start, end, at))
            at += end - start
        if not found:
            return Run("videogrep", word, [], [], None, 0.0)
        sound = all(f.endswith((".mp3", ".flac")) for f in self.files)
        out = out_folder / f"videogrep-{self.folder.name}-{word}{'.mp3' if sound else '.mp4'}"
        wall = timed_command(self.command(word, "--padding", str(pad), "--output", str(out)),
                             self.env())  # fmt: skip
        return Run("videogrep", word, found, pieces, out, wall)

    def listed(self, word: str, pad: float) -> list[tuple[str, float, float]]:
        """The clips videogrep would cut (its --demo listing): file, start, end."""
        command = self.command(word, "--padding", str(pad), "--demo")
        done = subprocess.run(command, capture_output=True, text=True, env=self.env(), check=True)
        clips = []
        for line in done.stdout.splitlines():
            parts = line.split(maxsplit=3)
            if len(parts) >= 3 and re.fullmatch(r"[\d.]+", parts[1]):
                clips.append((Path(parts[0]).name, float(parts[1]), float(parts[2])))
        return clips


def peer_folder(folder: Path, files: tuple[str, ...], transcripts: dict[str, list]) -> Path:
    """Links to ``files`` with a videogrep JSON transcript beside each (never in the repo)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in files:
        (folder / name).symlink_to(SPEECH / name)
        words = transcripts[name]
        (folder / Path(name).with_suffix(".json")).write_text(json.dumps(words))
    return folder


def videogrep_transcript(settings: Settings, video_id: str) -> list[dict[str, Any]]:
    """DEERIn's transcript in videogrep's JSON (vosk's layout: segments with words)."""
    transcript = artefacts.read(VideoFolder.for_video(settings.data_dir, video_id), Transcript)
    return [
        {"content": segment.text.strip(), "start": segment.start, "end": segment.end,
         "words": [{"word": w.word.strip(), "start": w.start, "end": w.end, "conf": 1.0}
                   for w in segment.words]}
        for segment in transcript.segments
    ]  # fmt: skip


# ---- hearing the clips again -------------------------------------------------------


def heard_again(
    model: Any, run: Run, floors: dict[str, float], spoken: dict[str, list[dict[str, Any]]]
) -> list[Heard]:
    """Each occurrence ``run`` found, looked for where its output holds it; ``spoken`` is
    the transcript the side cut from (file → videogrep's JSON), which says which of its
    words a pause bounds."""
    if run.output is None:
        return []
    sound = decoded(run.output)
    said_in: dict[Piece, list[dict[str, Any]]] = {}
    results = []
    for found in run.found:
        piece = next(p for p in run.pieces if p.file == found.file
                     and p.start - 1e-3 <= found.start and found.end <= p.end + 1e-3)  # fmt: skip
        first = round(piece.at * audio.RATE)
        samples = sound[first : first + round((piece.end - piece.start) * audio.RATE)]
        if piece not in said_in:
            segments = transcribe(model, [audio.Window(0.0, samples)]).segments
            said_in[piece] = [w for s in segments for w in s["words"]]
        start, end = found.start - piece.start, found.end - piece.start
        heard = matched(found, start, end, said_in[piece], run.word)
        previous, following = pauses_around(found, spoken[found.file])
        heard.pause_start_error, heard.pause_end_error = at_pauses(
            samples, (start, end), floors[found.file],
            (previous and previous - piece.start, following and following - piece.start),
        )  # fmt: skip
        results.append(heard)
    return results


def matched(
    found: Found, start: float, end: float, words: list[dict[str, Any]], word: str
) -> Heard:
    """The heard word nearest where the clip put ``word`` (``start``, ``end`` into the
    stretch heard), if one is within NEAR."""
    said = " ".join(w["word"].strip() for w in words)
    near = [w for w in words if same_word(w["word"], word) and abs(w["start"] - start) <= NEAR]
    if not near:
        return Heard(found, said)
    best = min(near, key=lambda w: abs(w["start"] - start))
    return Heard(found, said, best["start"] - start, best["end"] - end)


def pauses_around(found: Found, segments: list[dict[str, Any]]) -> tuple[float | None, ...]:
    """Where the word before the clip ends and the word after it starts, in the side's
    transcript, where either is a pause (PAUSE s or more) away; None where it is not."""
    times = sorted((w["start"], w["end"]) for s in segments for w in s["words"])
    before = [e for s, e in times if s < found.start - 1e-3]
    after = [s for s, e in times if s > found.end - 1e-3 and s > found.start + 1e-3]
    previous = before[-1] if before and found.start - before[-1] >= PAUSE else None
    following = after[0] if after and after[0] - found.end >= PAUSE else None
    return previous, following


def at_pauses(
    samples: np.ndarray,
    clip: tuple[float, float],
    floor: float,
    neighbours: tuple[float | None, float | None],
) -> tuple[float | None, float | None]:
    """The errors of a clip's ends against the sound's own edges, where a pause bounds
    the word (``neighbours``: where the word before ends and the word after starts, None
    where no pause lies between): the one truth here that needs no recogniser. The edge is
    where a quiet of PAUSE s ends (or begins) between the word's loudest 10 ms and its
    neighbour; quiet is under QUIET_OVER_FLOOR times the recording's noise floor and
    under QUIET_SHARE of that loudest 10 ms. An edge further than SEARCH s from the clip's
    end is not taken (it is another sound: a breath, a noise)."""
    start, end = clip
    frames = len(samples) // FRAME
    level = np.sqrt((samples[: frames * FRAME].reshape(frames, FRAME) ** 2).mean(axis=1))
    first = min(frames - 1, int(start / STEP))
    peak = first + int(np.argmax(level[first : max(first + 1, int(end / STEP))]))
    quiet = level < max(QUIET_OVER_FLOOR * floor, QUIET_SHARE * level[peak])
    run = round(PAUSE / STEP)
    errors: list[float | None] = [None, None]
    previous, following = neighbours
    if previous is not None:
        lowest = max(run - 1, int(previous / STEP))
        onset = next((i + 1 for i in range(peak, lowest + run - 2, -1)
                      if quiet[i - run + 1 : i + 1].all()), None)  # fmt: skip
        errors[0] = None if onset is None else onset * STEP - start
    if following is not None:
        highest = min(frames - run, int(following / STEP))
        offset = next((i for i in range(peak, highest + 1) if quiet[i : i + run].all()), None)
        errors[1] = None if offset is None else offset * STEP - end
    return tuple(e if e is not None and abs(e) <= SEARCH else None for e in errors)  # type: ignore[return-value]


def noise_floor(samples: np.ndarray) -> float:
    """A recording's quiet: the 10th percentile of its 10 ms levels."""
    frames = len(samples) // FRAME
    level = np.sqrt((samples[: frames * FRAME].reshape(frames, FRAME) ** 2).mean(axis=1))
    return float(np.percentile(level, 10))


def decoded(path: Path) -> np.ndarray:
    """The file's first sound track as Whisper reads it (16 kHz mono)."""
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries", "stream=index",
         "-of", "csv=p=0", str(path)], capture_output=True, text=True, check=True,
    )  # fmt: skip
    done = audio.Decoding()
    parts = [w.samples for w in audio.windows(path, int(probe.stdout), 0.0, 1e9, 2, done)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)


def against_vosk(deerin: list[Run]) -> Tally:
    """DEERIn's manifesto clips against vosk's word times (no render, no Whisper)."""
    segments = json.loads((SPEECH / "manifesto.json").read_text())
    words = [w for s in segments for w in s["words"]]
    tally = Tally()
    for run in deerin:
        checks = []
        for found in run.found:
            near = [w for w in words if same_word(w["word"], run.word)
                    and abs(w["start"] - found.start) <= NEAR]  # fmt: skip
            best = min(near, key=lambda w: abs(w["start"] - found.start), default=None)
            checks.append(Heard(found) if best is None else
                          Heard(found, best["word"], best["start"] - found.start,
                                best["end"] - found.end))  # fmt: skip
        tally.add(Run(run.side, run.word, run.found, [], None, 0.0), checks, None)
    return tally


# ---- render time -------------------------------------------------------------------


class Sampler:
    """The most source files any one child process holds open at once (an ffmpeg input
    each), and the children's total memory, sampled every 0.1 s while a render runs."""

    def __init__(self, sources: set[str]) -> None:
        self.sources = sources
        self.files = 0
        self.memory = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            resident = 0
            for child in me.children(recursive=True):
                try:
                    held = sum(f.path in self.sources for f in child.open_files())
                    self.files = max(self.files, held)
                    resident += child.memory_info().rss
                except psutil.Error:
                    continue
            self.memory = max(self.memory, resident)
            time.sleep(0.1)


def synthetic_edit(settings: Settings, count: int, seed: int) -> Edit:
    """``count`` clips of mixed length (mostly a word or two, some seconds long), drawn
    at random from manifesto.mp4 and spoken_example.mp4."""
    wanted = {videos(settings, c)[COLLECTIONS[c][0]]: c for c in ("manifesto", "spoken")}
    sources, _ = edit_sources(settings, wanted)
    chosen = random.Random(seed)
    clips = []
    for _ in range(count):
        source = sources[chosen.choice(sorted(sources))]
        length = chosen.uniform(0.2, 1.0) if chosen.random() < 0.7 else chosen.uniform(1.0, 4.0)
        start = chosen.uniform(0.0, source.duration - length)
        clips.append(EditClip(video_id=source.video_id, start=start, end=start + length,
                              kind="speech"))  # fmt: skip
    return Edit(name="synthetic", made="bench", sources=sources, clips=clips)


def render_row(name: str, edit: Edit, folder: Path) -> dict[str, Any]:
    fmt = output_format(edit)
    row: dict[str, Any] = {"edit": name, "clips": len(edit.clips), "seconds": edit.duration,
                           "format": f"{fmt.width}x{fmt.height} at {fmt.rate}"}  # fmt: skip
    sides: dict[str, Callable[[Path], object]] = {
        "render": lambda out: render(edit, out, fmt=fmt),
        "concat_filter": lambda out: concat_filter_peer(edit, out, fmt),
    }
    for side, make in sides.items():
        out = folder / f"{side}-{re.sub(r'[^a-z0-9]+', '-', name)}.mp4"
        with Sampler({str(Path(s.path).resolve()) for s in edit.sources.values()}) as sampler:
            began = time.perf_counter()
            make(out)
            wall = time.perf_counter() - began
        row[side] = {"wall_s": round(wall, 2), "files_open": sampler.files,
                     "memory_mib": round(sampler.memory / 2**20),
                     "length_s": seconds_of(out)}  # fmt: skip
    return row


# ---- report ------------------------------------------------------------------------


def quantile(values: list[float], share: float) -> float:
    return float(np.quantile(values, share)) if values else float("nan")


def timing_cells(tally: Tally) -> str:
    within = sum(tally.both) / len(tally.both) if tally.both else float("nan")
    return (f"{statistics.median(tally.starts):.3f} / {quantile(tally.starts, 0.9):.3f} | "
            f"{statistics.median(tally.ends):.3f} / {quantile(tally.ends, 0.9):.3f} | "
            f"{within:.0%}")  # fmt: skip


def print_finding(words: tuple[str, ...], tallies: dict[str, Tally]) -> None:
    sides = " | ".join(f"{side} found / right / heard again" for side in tallies)
    print(f"\n| word | in the reference | {sides} |")
    print("|---|---:|" + "---:|" * len(tallies))
    for word in words:
        cells = [" / ".join(map(str, [t.by_word[word][i] for i in (1, 2, 4)]))
                 for t in tallies.values()]  # fmt: skip
        reference = next(iter(tallies.values())).by_word[word][0]
        print(f"| {word} | {reference} | {' | '.join(cells)} |")
    cells = [f"recall {t.recalled / t.reference:.2f}, precision {t.right / t.found:.2f}, "
             f"heard again {t.heard / t.found:.2f}" for t in tallies.values()]  # fmt: skip
    print(f"| **all** | {next(iter(tallies.values())).reference} | {' | '.join(cells)} |")


def print_timing(rows: list[tuple[str, str, Tally]]) -> None:
    print(
        f"\n| input | side | clips found | heard again | start error median / p90 s | "
        f"end error median / p90 s | both ends within {TOLERANCE} s | wall s (supercuts) |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for label, side, tally in rows:
        wall = f"{tally.wall:.1f} ({tally.runs})" if tally.wall else "—"
        print(f"| {label} | {side} | {tally.found} | {tally.heard} | {timing_cells(tally)} "
              f"| {wall} |")  # fmt: skip


def pause_cells(errors: list[float]) -> str:
    if not errors:
        return "0 | — | —"
    sizes = [abs(e) for e in errors]
    within = sum(e <= TOLERANCE for e in sizes) / len(sizes)
    return (f"{len(errors)} | {statistics.median(errors):+.3f} / {quantile(sizes, 0.9):.3f} | "
            f"{within:.0%}")  # fmt: skip


def print_pauses(rows: list[tuple[str, str, Tally]]) -> None:
    print(
        "\n| input | side | starts after a pause | start error median / p90 abs s | within "
        f"{TOLERANCE} s | ends before a pause | end error median / p90 abs s | within "
        f"{TOLERANCE} s |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for label, side, tally in rows:
        print(
            f"| {label} | {side} | {pause_cells(tally.pause_starts)} | "
            f"{pause_cells(tally.pause_ends)} |"
        )


def print_render(rows: list[dict[str, Any]]) -> None:
    print(
        "\n| edit | clips | output | DEERIn render() s | ffmpeg concat filter s | "
        "peer / DEERIn | files open at once (DEERIn / peer) | memory MiB (DEERIn / peer) |"
    )
    print("|---|---:|---|---:|---:|---:|---:|---:|")
    for row in rows:
        ours, peer = row["render"], row["concat_filter"]
        print(f"| {row['edit']} | {row['clips']} ({row['seconds']:.0f} s) | {row['format']} | "
              f"{ours['wall_s']:.1f} | {peer['wall_s']:.1f} | "
              f"{peer['wall_s'] / ours['wall_s']:.2f}x | {ours['files_open']} / "
              f"{peer['files_open']} | {ours['memory_mib']} / {peer['memory_mib']} |")  # fmt: skip


# ---- main --------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", type=Path, help="data dir to keep or reuse")
    parser.add_argument("--videogrep", type=Path, default=Path("/tmp/vg/bin/videogrep"),
                        help="the peer's command, in a venv of its own")  # fmt: skip
    parser.add_argument("--pad", type=float, default=PAD, help="seconds heard around a clip")
    parser.add_argument("--clips", type=int, default=200, help="clips in the synthetic edit")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not args.videogrep.exists():
        sys.exit(f"{args.videogrep} not found: python3 -m venv /tmp/vg && /tmp/vg/bin/pip "
                 "install -r bench/peers/requirements-videogrep.txt")  # fmt: skip
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        settings = make_store(args.store or scratch / "store")
        results = measure(settings, args, scratch)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, default=str))


def measure(settings: Settings, args: argparse.Namespace, scratch: Path) -> dict[str, Any]:
    model = open_model("speech", settings).model
    floors = {name: noise_floor(decoded(SPEECH / name))
              for names in COLLECTIONS.values() for name in names}  # fmt: skip
    texts = reference_texts()
    transcripts = {name: videogrep_transcript(settings, video_id)
                   for collection in ("readings", "manifesto")
                   for name, video_id in videos(settings, collection).items()}  # fmt: skip
    vosk_words = {"manifesto.mp4": json.loads((SPEECH / "manifesto.json").read_text())}
    peers = {
        "readings": Peer(args.videogrep, peer_folder(scratch / "ours-readings",
                         COLLECTIONS["readings"], transcripts), COLLECTIONS["readings"]),
        "manifesto": Peer(args.videogrep, peer_folder(scratch / "ours-manifesto",
                          COLLECTIONS["manifesto"], transcripts), COLLECTIONS["manifesto"]),
        "vosk": Peer(args.videogrep, peer_folder(scratch / "vosk-manifesto",
                     COLLECTIONS["manifesto"], vosk_words), COLLECTIONS["manifesto"]),
    }  # fmt: skip
    alignments = {name: alignment(transcripts[name], text) for name, text in texts.items()}
    outputs = scratch / "out"
    outputs.mkdir()
    tallies: dict[str, Tally] = {key: Tally() for key in
                                 ("readings DEERIn", "readings videogrep", "manifesto DEERIn",
                                  "manifesto videogrep", "vosk videogrep")}  # fmt: skip
    runs: list[dict[str, Any]] = []
    manifesto_runs = []
    for collection, words in (("readings", READING_WORDS), ("manifesto", MANIFESTO_WORDS)):
        reading = collection == "readings"
        for word in words:
            sides = [
                (f"{collection} DEERIn", deerin_run(settings, collection, word, args.pad, outputs)),
                (f"{collection} videogrep", peers[collection].run(word, args.pad, outputs)),
            ]
            if collection == "manifesto":
                sides.append(("vosk videogrep", peers["vosk"].run(word, args.pad, outputs)))
                manifesto_runs.append(sides[0][1])
            for key, run in sides:
                spoken = vosk_words if key.startswith("vosk") else transcripts
                heard = heard_again(model, run, floors, spoken)
                tallies[key].add(run, heard, finding(run, alignments) if reading else None)
                runs.append({"key": key, "word": word, "wall_s": run.wall,
                             "heard": [asdict(h) for h in heard]})  # fmt: skip
            print(f"  {collection} {word}: " + ", ".join(
                f"{key.split()[-1]} {len(run.found)} in {run.wall:.1f} s" for key, run in sides),
                flush=True)  # fmt: skip
    vosk = against_vosk(manifesto_runs)
    print_finding(READING_WORDS, {"DEERIn": tallies["readings DEERIn"],
                                  "videogrep": tallies["readings videogrep"]})  # fmt: skip
    rows = [
        ("readings", "DEERIn", tallies["readings DEERIn"]),
        ("readings", "videogrep on DEERIn's transcript", tallies["readings videogrep"]),
        ("manifesto.mp4", "DEERIn", tallies["manifesto DEERIn"]),
        ("manifesto.mp4", "videogrep on DEERIn's transcript", tallies["manifesto videogrep"]),
        ("manifesto.mp4", "videogrep on its manifesto.json (vosk)", tallies["vosk videogrep"]),
    ]
    print_timing([*rows, ("manifesto.mp4", "DEERIn's clips against vosk's word times", vosk)])
    print_pauses(rows)
    the = make_supercut(settings, SupercutRequest("the", limit=MOST))
    edits = {
        "'the', every collection": the,
        f"synthetic, {args.clips} clips": synthetic_edit(settings, args.clips, args.seed),
    }
    rendered = [render_row(name, edit, outputs) for name, edit in edits.items()]
    print_render(rendered)
    return {"runs": runs, "render": rendered,
            "tallies": {key: asdict(t) for key, t in tallies.items()}}  # fmt: skip


if __name__ == "__main__":
    main()
