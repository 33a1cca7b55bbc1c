"""A synthetic archive tape whose structure is known exactly: the demo and the test oracle.

Real footage has no ground truth to hand, so this builds a small tape the way archive
tapes look — line-up bars and tone, black, a slate, two programmes with cuts, a fade and
a dissolve, speech over pictures — from ffmpeg's lavfi sources and espeak-ng, and
writes down what it put where (``<tape>.truth.json``). Shot detection, transcripts and
technical checks are tested against that truth.

The tape is MPEG-2 video with PCM audio in Matroska, PAL 720x576 at 4:3 (16:15 pixels):
the kind of file archives hold and browsers cannot play, so the demo also shows a proxy
being made. Matroska keeps exact timestamps from 0, so truth frames are decode frames.
Text is drawn with Pillow's bundled font rather than ffmpeg's drawtext, which many
ffmpeg builds lack, so the tape looks the same wherever it is built.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import wave
from dataclasses import asdict, dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from deerin.errors import DeerinError
from deerin.index.store import TMP_PREFIX, atomic_write_json

FPS = 25
WIDTH, HEIGHT = 720, 576
SAMPLE_ASPECT = "16:15"  # PAL 4:3: 720x576 stored, 768x576 shown
SAMPLE_RATE = 48000
TONE_HZ = 1000
FADE_FRAMES = 15  # frames of fade-out, and again of fade-in
FADE_BLACK_FRAMES = 10  # black held between the fade-out and the fade-in
DISSOLVE_FRAMES = 25
SPEECH_RATE_WPM = 150
AUDIBLE = 0.02  # of full scale: where espeak's leading and trailing silence ends
TITLE = "DEERIn DEMO TAPE - REEL 1"
SIZE = f"s={WIDTH}x{HEIGHT}:r={FPS}"
# Slow sources are drawn at a half or a quarter of the size and scaled up: a quicker build.
HALF_SIZE = f"s={WIDTH // 2}x{HEIGHT // 2}:r={FPS}"
QUARTER_SIZE = f"s={WIDTH // 4}x{HEIGHT // 4}:r={FPS}"
UPSCALE = f"scale={WIDTH}:{HEIGHT}:flags=bilinear"
BLACK = f"color=c=black:{SIZE}"
NORMALISE = "setpts=PTS-STARTPTS,format=yuv420p,setsar=1"  # what concat needs of every input


@dataclass(frozen=True)
class _Piece:
    """One stretch of the tape as planned: what makes its pictures and how the next follows."""

    label: str
    kind: str  # bars | black | slate | shot
    seconds: float
    source: str  # lavfi source chain making WIDTH x HEIGHT frames at FPS
    text: str | None = None  # drawn over the source (slate lines are separated by "\n")
    drift: float = 0.0  # pixels per second the text moves to the right
    join: str = "cut"  # how the next piece follows: cut | fade | dissolve


@dataclass(frozen=True)
class _Line:
    """A sentence espeak-ng speaks, starting ``offset`` seconds into piece ``label``."""

    text: str
    label: str
    offset: float


PLAN = (
    _Piece("bars", "bars", 5.0, f"smptebars={SIZE}"),
    _Piece("black-1", "black", 1.0, BLACK),
    _Piece(
        "slate",
        "slate",
        4.0,
        f"color=c=0x202838:{SIZE}",
        text=f"{TITLE}\nPROGRAMME 1 / PROGRAMME 2\nSYNTHETIC TEST MATERIAL",
    ),
    _Piece("black-2", "black", 1.0, BLACK),
    _Piece("p1-testsrc2", "shot", 3.0, f"testsrc2={SIZE}"),
    _Piece(
        "p1-mandelbrot",
        "shot",
        4.5,
        f"mandelbrot={HALF_SIZE}:maxiter=100,{UPSCALE}",
    ),
    _Piece("p1-archive-card", "shot", 4.0, f"color=c=0x1a3a8a:{SIZE}", "THE ARCHIVE", 50.0),
    _Piece(
        "p1-life",
        "shot",
        4.0,
        f"life={QUARTER_SIZE}:seed=7:ratio=0.1:mold=10"
        f":life_color=0xffcc00:death_color=0x102040:mold_color=0x402010"
        f",scale={WIDTH}:{HEIGHT}:flags=neighbor",
        join="fade",
    ),
    _Piece(
        "p1-gradients",
        "shot",
        4.0,
        f"gradients={QUARTER_SIZE}:seed=1:speed=0.02:c0=0xff3000:c1=0x2040ff:nb_colors=2,{UPSCALE}",
        join="dissolve",
    ),
    _Piece("p1-spectrum", "shot", 4.0, f"colorspectrum={SIZE}:type=all,scroll=h=0.002"),
    _Piece("p1-news-card", "shot", 4.5, f"color=c=0xe07020:{SIZE}", "NEWS FILM 1962", 40.0),
    _Piece("black-3", "black", 2.0, BLACK),
    _Piece("p2-sierpinski", "shot", 4.0, f"sierpinski={HALF_SIZE}:seed=3,{UPSCALE}"),
    _Piece("p2-programme-card", "shot", 5.0, f"color=c=0x145a32:{SIZE}", "PROGRAMME 2", 30.0),
    _Piece(
        "p2-gradients",
        "shot",
        3.5,
        f"gradients={QUARTER_SIZE}:seed=2:speed=0.015:type=radial:c0=0xffe000:c1=0x00a050"
        f":nb_colors=2,{UPSCALE}",
    ),
    _Piece(
        "p2-spiral",
        "shot",
        3.0,
        f"gradients={QUARTER_SIZE}:seed=4:speed=0.03:type=spiral:c0=0x00c0c0:c1=0x800080"
        f":c2=0xffffff:nb_colors=3,{UPSCALE}",
    ),
    _Piece("p2-end-card", "shot", 5.5, f"color=c=0x6a1b9a:{SIZE}", "THE END", 20.0),
    _Piece("black-end", "black", 2.0, BLACK),
)

SPEECH = (
    _Line("Welcome to the demonstration tape, reel one.", "p1-mandelbrot", 0.5),
    _Line("The archive holds news film, documentaries and home movies.", "p1-gradients", 0.5),
    _Line(
        "Every shot and every spoken word can now be found in seconds.", "p2-programme-card", 0.5
    ),
)


@dataclass(frozen=True)
class Segment:
    """A stretch of the tape between two boundaries; segments tile the whole tape."""

    index: int
    kind: str  # bars | black | slate | shot
    label: str
    start_frame: int
    end_frame: int  # exclusive: the next segment's start_frame
    start_time: float
    end_time: float
    text: str | None  # the words on screen, for text recognition checks


@dataclass(frozen=True)
class Boundary:
    """Where one segment gives way to the next, in the terms of shots.json transitions.

    ``frame`` is the new segment's first frame; for a fade or dissolve it is the middle of
    the transition, which runs from ``start_frame`` to ``end_frame`` (exclusive). For a
    cut all three are equal.
    """

    kind: str  # cut | fade | dissolve
    frame: int
    time: float
    start_frame: int
    end_frame: int


@dataclass(frozen=True)
class Sentence:
    """A spoken sentence and when it is audible (seconds)."""

    text: str
    start: float
    end: float


@dataclass(frozen=True)
class Interval:
    """A span of the tape in seconds, end exclusive."""

    start: float
    end: float


@dataclass(frozen=True)
class DemoTape:
    """The tape that was built and the truth about it."""

    path: Path
    truth_path: Path
    fps: int
    width: int
    height: int
    sample_aspect: str
    sample_rate: int
    frame_count: int
    duration: float
    segments: tuple[Segment, ...]
    boundaries: tuple[Boundary, ...]
    sentences: tuple[Sentence, ...]
    bars: tuple[Interval, ...]
    tone: tuple[Interval, ...]
    black: tuple[Interval, ...]  # wholly black frames
    silence: tuple[Interval, ...]  # digital silence: neither tone nor speech

    def to_dict(self) -> dict[str, Any]:
        """The truth as JSON-ready data; the tape is named relative to the truth file."""
        data = asdict(self)
        data["path"] = self.path.name
        del data["truth_path"]
        data["tone_hz"] = TONE_HZ
        return data


def build_demo_tape(out_path: Path) -> DemoTape:
    """Build the demo tape at ``out_path`` (a .mkv) and its truth beside it.

    The same inputs always give the same tape: every random source has a fixed seed and
    the files are written without dates or encoder versions.
    """
    out_path.parent.mkdir(parents=True, exist_ok=True)
    placed = _place(PLAN)
    starts = {p.piece.label: _seconds(p.start) for p in placed}
    with tempfile.TemporaryDirectory(prefix=TMP_PREFIX, dir=out_path.parent) as scratch:
        work = Path(scratch)
        speech = [
            _speak(line, starts[line.label] + line.offset, work / f"speech{i}.wav")
            for i, line in enumerate(SPEECH)
        ]
        tape = _truth(out_path, placed, speech)
        cards = _render_cards(placed, work)
        _run(_ffmpeg_command(placed, cards, speech, tape, out_path.name), "ffmpeg", work)
        os.replace(work / out_path.name, out_path)
    atomic_write_json(tape.truth_path, tape.to_dict())
    return tape


@dataclass(frozen=True)
class _Placed:
    """A planned piece placed on the tape: where its own frames start and end."""

    piece: _Piece
    index: int
    start: int
    end: int


@dataclass(frozen=True)
class _Speech:
    """A spoken line as rendered: its wav file, where on the tape it starts, its audible part."""

    line: _Line
    wav: Path
    at: float  # tape time of the wav's first sample
    length: float  # seconds of the wav, including espeak's quiet lead-in and tail
    audible: Interval  # seconds within the wav


def _frames(seconds: float) -> int:
    return round(seconds * FPS)


def _seconds(frame: int) -> float:
    return round(frame / FPS, 6)


def _place(plan: tuple[_Piece, ...]) -> list[_Placed]:
    """Lay the pieces end to end: a fade adds black between them, a dissolve overlaps them."""
    placed: list[_Placed] = []
    position = 0
    for index, piece in enumerate(plan):
        join = plan[index - 1].join if index else "cut"
        if join == "fade":
            position += FADE_BLACK_FRAMES
        elif join == "dissolve":
            position -= DISSOLVE_FRAMES
        end = position + _frames(piece.seconds)
        placed.append(_Placed(piece, index, position, end))
        position = end
    return placed


def _boundary(before: _Placed, after: _Placed) -> Boundary:
    """The boundary between two placed pieces; gradual ones are split at their middle."""
    join = before.piece.join
    if join == "fade":
        start, end = before.end - FADE_FRAMES, after.start + FADE_FRAMES
    elif join == "dissolve":
        start, end = after.start, before.end
    else:
        start = end = after.start
    middle = (start + end) // 2
    return Boundary(join, middle, _seconds(middle), start, end)


def _speak(line: _Line, at: float, wav: Path) -> _Speech:
    """Speak ``line`` into ``wav`` with espeak-ng and find where its sound starts and ends."""
    _run(
        ["espeak-ng", "-v", "en", "-s", str(SPEECH_RATE_WPM), "-w", wav.name, line.text],
        "espeak-ng",
        wav.parent,
    )
    with wave.open(str(wav), "rb") as handle:
        rate = handle.getframerate()
        samples = np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2")
    loud = np.flatnonzero(np.abs(samples) > AUDIBLE * 32768)
    audible = Interval(int(loud[0]) / rate, (int(loud[-1]) + 1) / rate)
    return _Speech(line, wav, at, len(samples) / rate, audible)


def _truth(out_path: Path, placed: list[_Placed], speech: list[_Speech]) -> DemoTape:
    """What the tape will hold, worked out from the plan before a frame is made."""
    frame_count = placed[-1].end
    duration = _seconds(frame_count)
    boundaries = tuple(_boundary(a, b) for a, b in pairwise(placed))
    edges = [0, *(b.frame for b in boundaries), frame_count]
    segments = tuple(
        Segment(
            index=p.index,
            kind=p.piece.kind,
            label=p.piece.label,
            start_frame=edges[p.index],
            end_frame=edges[p.index + 1],
            start_time=_seconds(edges[p.index]),
            end_time=_seconds(edges[p.index + 1]),
            text=p.piece.text,
        )
        for p in placed
    )
    sentences = tuple(
        Sentence(s.line.text, round(s.at + s.audible.start, 3), round(s.at + s.audible.end, 3))
        for s in speech
    )
    bars = tuple(
        Interval(_seconds(p.start), _seconds(p.end)) for p in placed if p.piece.kind == "bars"
    )
    sounds = [*bars, *(Interval(s.at, s.at + s.length) for s in speech)]
    return DemoTape(
        path=out_path,
        truth_path=out_path.with_suffix(".truth.json"),
        fps=FPS,
        width=WIDTH,
        height=HEIGHT,
        sample_aspect=SAMPLE_ASPECT,
        sample_rate=SAMPLE_RATE,
        frame_count=frame_count,
        duration=duration,
        segments=segments,
        boundaries=boundaries,
        sentences=sentences,
        bars=bars,
        tone=bars,
        black=_black(placed),
        silence=_gaps(sounds, duration),
    )


def _black(placed: list[_Placed]) -> tuple[Interval, ...]:
    """Wholly black frames: the black pieces and the black held inside each fade."""
    spans = [(p.start, p.end) for p in placed if p.piece.kind == "black"]
    spans += [
        (before.end, after.start)
        for before, after in pairwise(placed)
        if before.piece.join == "fade"
    ]
    return tuple(Interval(_seconds(a), _seconds(b)) for a, b in sorted(spans))


def _gaps(sounds: list[Interval], duration: float) -> tuple[Interval, ...]:
    """The stretches of ``[0, duration)`` that no interval in ``sounds`` covers."""
    gaps: list[Interval] = []
    position = 0.0
    for sound in sorted(sounds, key=lambda s: s.start):
        if sound.start > position:
            gaps.append(Interval(position, sound.start))
        position = max(position, sound.end)
    if position < duration:
        gaps.append(Interval(position, duration))
    return tuple(Interval(round(gap.start, 3), round(gap.end, 3)) for gap in gaps)


def _render_cards(placed: list[_Placed], work: Path) -> dict[str, Path]:
    """Draw each piece's text as a transparent PNG to lay over its source.

    Pillow's bundled font needs no system fonts and draws alike on every machine; it
    has no dashes or other typographic signs, so the texts keep to plain ASCII.
    """
    cards: dict[str, Path] = {}
    for p in placed:
        if p.piece.text is None:
            continue
        lines = p.piece.text.split("\n")
        sizes = [64] if len(lines) == 1 else [46] + [30] * (len(lines) - 1)  # slate: title first
        card = Image.new("RGBA", (WIDTH, 60 * len(lines) + 40), (0, 0, 0, 0))
        draw = ImageDraw.Draw(card)
        for row, (line, size) in enumerate(zip(lines, sizes, strict=True)):
            draw.text(
                (WIDTH // 2, 50 + 60 * row),
                line,
                font=ImageFont.load_default(size=size),
                fill="white",
                anchor="mm",
            )
        cards[p.piece.label] = work / f"card{p.index}.png"
        card.save(cards[p.piece.label])
    return cards


def _ffmpeg_command(
    placed: list[_Placed],
    cards: dict[str, Path],
    speech: list[_Speech],
    tape: DemoTape,
    out_name: str,
) -> list[str]:
    """One ffmpeg run: every piece, transition and sound in one filter graph, then encode."""
    inputs: list[str] = []
    for card in cards.values():
        inputs += ["-loop", "1", "-framerate", str(FPS), "-i", card.name]
    for spoken in speech:
        inputs += ["-i", spoken.wav.name]
    card_inputs = {label: number for number, label in enumerate(cards)}
    graph = [*_video_graph(placed, card_inputs), *_audio_graph(speech, len(cards), tape)]
    return [
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *inputs,
        "-filter_complex", ";".join(graph),
        "-map", "[vout]", "-map", "[aout]",
        "-c:v", "mpeg2video", "-q:v", "4", "-g", "12", "-bf", "2",
        "-c:a", "pcm_s16le",
        "-map_metadata", "-1", "-metadata", f"title={TITLE}",
        "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact",
        out_name,
    ]  # fmt: skip


def _video_graph(placed: list[_Placed], card_inputs: dict[str, int]) -> list[str]:
    """Filter chains making each piece, the fades and dissolves, and their concatenation."""
    chains: list[str] = []
    streams: list[tuple[str, int]] = []  # (label, first frame) of each stream to concatenate
    for p in placed:
        join = placed[p.index - 1].piece.join if p.index else "cut"
        label = f"[v{p.index}]"
        chains.append(_piece_chain(p, join, card_inputs) + label)
        if join == "fade":
            chains.append(f"{BLACK},trim=end_frame={FADE_BLACK_FRAMES},{NORMALISE}[f{p.index}]")
            streams.append((f"[f{p.index}]", p.start - FADE_BLACK_FRAMES))
        if join == "dissolve":
            before, first = streams.pop()
            offset = (p.start - first) / FPS
            duration = DISSOLVE_FRAMES / FPS
            chains.append(
                f"{before}{label}xfade=transition=fade:duration={duration}:offset={offset}"
                f"[x{p.index}]"
            )
            streams.append((f"[x{p.index}]", first))
        else:
            streams.append((label, p.start))
    labels = "".join(label for label, _ in streams)
    sar = SAMPLE_ASPECT.replace(":", "/")
    chains.append(f"{labels}concat=n={len(streams)}:v=1:a=0,setsar={sar}[vout]")
    return chains


def _piece_chain(p: _Placed, join: str, card_inputs: dict[str, int]) -> str:
    """The filter chain for one piece: its source, its text, exactly its frames, its fades."""
    frames = p.end - p.start
    chain = p.piece.source
    if p.piece.label in card_inputs:
        n = p.index
        x = f"{p.piece.drift}*(t-{p.piece.seconds / 2})"
        chain += (
            f"[bg{n}];[{card_inputs[p.piece.label]}:v]format=rgba[tx{n}];"
            f"[bg{n}][tx{n}]overlay=x='{x}':y=(H-h)/2"
        )
    chain += f",trim=end_frame={frames},{NORMALISE}"
    if join == "fade":
        chain += f",fade=t=in:start_frame=0:nb_frames={FADE_FRAMES}"
    if p.piece.join == "fade":
        chain += f",fade=t=out:start_frame={frames - FADE_FRAMES}:nb_frames={FADE_FRAMES}"
    return chain


def _audio_graph(speech: list[_Speech], first_input: int, tape: DemoTape) -> list[str]:
    """Tone under the bars, each sentence at its time, digital silence everywhere else."""
    chains = [
        f"sine=frequency={TONE_HZ}:sample_rate={SAMPLE_RATE}"
        f",atrim=end_sample={_samples(tone.end - tone.start)}"
        f",adelay=delays={_samples(tone.start)}S:all=1[tone{i}]"
        for i, tone in enumerate(tape.tone)
    ]
    chains += [
        f"[{first_input + i}:a]aresample={SAMPLE_RATE}"
        f",adelay=delays={_samples(spoken.at)}S:all=1[speech{i}]"
        for i, spoken in enumerate(speech)
    ]
    labels = [f"[tone{i}]" for i in range(len(tape.tone))]
    labels += [f"[speech{i}]" for i in range(len(speech))]
    total = _samples(tape.duration)
    chains.append(
        f"{''.join(labels)}amix=inputs={len(labels)}:normalize=0:duration=longest"
        f",aformat=sample_fmts=s16:channel_layouts=mono"
        f",apad=whole_len={total},atrim=end_sample={total}[aout]"
    )
    return chains


def _samples(seconds: float) -> int:
    return round(seconds * SAMPLE_RATE)


def _run(command: list[str], tool: str, cwd: Path) -> None:
    """Run a command in ``cwd``, turning a missing tool or a failure into a DeerinError."""
    try:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise DeerinError(
            f"{tool} is not installed", hint=f"install {tool} (scripts/setup.sh does)"
        ) from exc
    if done.returncode != 0:
        reason = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "no message"
        raise DeerinError(
            f"{tool} failed while building the demo tape ({reason})",
            path=cwd,
            hint="check that ffmpeg has its lavfi sources and espeak-ng its English voice",
        )


def spoken_sentences(
    sentences: tuple[str, ...],
    wav: Path,
    *,
    pause: float,
    lead: float,
    voices: tuple[str, ...] = (),
) -> list[float]:
    """Write ``sentences`` spoken by espeak-ng (English unless ``voices`` says otherwise)
    into one mono wav, ``lead`` seconds of silence first and ``pause`` between them, and
    return where each sentence's sound truly starts: the known answer for word timings."""
    parts: list[np.ndarray] = []
    onsets: list[float] = []
    rate = 22050
    for number, sentence in enumerate(sentences):
        piece = wav.with_name(f"{wav.stem}-{number}.wav")
        voice = voices[number] if voices else "en"
        _run(["espeak-ng", "-v", voice, "-w", piece.name, sentence], "espeak-ng", wav.parent)
        with wave.open(str(piece), "rb") as handle:
            rate = handle.getframerate()
            samples = np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2")
        parts.append(np.zeros(round((lead if number == 0 else pause) * rate), dtype="<i2"))
        loud = np.flatnonzero(np.abs(samples) > AUDIBLE * 32767)
        onsets.append(float(sum(len(p) for p in parts) + loud[0]) / rate)
        parts.append(samples)
    parts.append(np.zeros(rate, dtype="<i2"))
    with wave.open(str(wav), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(np.concatenate(parts).tobytes())
    return onsets
