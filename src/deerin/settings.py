"""One settings object for the whole toolkit, grouped by what each setting configures.

Values come, in rising order of precedence, from the defaults here, a ``deerin.toml``
file (``./deerin.toml`` or the file named by ``DEERIN_CONFIG``), ``DEERIN_*``
environment variables, and the command line. A key is written ``group.name``: in
``deerin.toml`` as ``name`` under ``[group]``, in the environment as
``DEERIN_GROUP_NAME`` (``DEERIN_DATA_DIR`` for the one top-level key). An unknown key,
anywhere, is an error that names it and the closest valid key: a typo must never be
silently ignored. `deerin config` prints every value and where it came from, with API
keys masked. Nothing else in the package reads the environment.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_origin

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from deerin.errors import DeerinError
from deerin.errors import closest as nearest

CONFIG_VARIABLE = "DEERIN_CONFIG"  # names the settings file; not a setting itself
ENV_PREFIX = "DEERIN_"
MASK = "********"
DEFAULT, FILE, ENVIRONMENT, FLAG = "default", "file", "environment", "flag"


class Group(BaseModel):
    """Settings of one part of the toolkit. Unknown keys are refused, values are fixed."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Run(Group):
    """How an ingest runs: where, on how many workers, which stages."""

    workers: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        ge=1,
        description="Videos processed in parallel by the local executor [default: cores].",
    )
    executor: Literal["local", "ray"] = Field(
        default="local",
        description="Where videos are processed: 'local' is a process pool on this machine "
        "('workers' of them); 'ray' hands each video to a Ray cluster as one task.",
    )
    ray_address: str | None = Field(
        default=None,
        description="The Ray cluster to use: unset starts Ray on this machine; 'auto' joins "
        "the cluster this machine belongs to (after `ray start`); or 'ray://HOST:10001'.",
    )
    ray_cpus_per_video: float = Field(
        default=1.0,
        gt=0,
        description="CPUs Ray reserves for each video's task; its models get as many threads.",
    )
    skip_stages: tuple[str, ...] = Field(
        default=(),
        description="Stages not to run, e.g. ['captions', 'text'] (`deerin ingest --skip`).",
    )
    log_json: bool = Field(default=False, description="Machine-readable JSON-lines logs.")


class Models(Group):
    """Which model each capability uses: a bundled name, a local path, a hub name already
    in the local Hugging Face cache, or (captions, language_model) a model at an endpoint.
    `deerin models` shows what each resolves to."""

    device: Literal["auto", "cpu", "cuda"] = Field(
        default="auto", description="Where models run; 'auto' uses CUDA when present."
    )
    shots: str = Field(
        default="auto",
        description="Shot detector: 'auto' (TransNetV2 on a GPU, PySceneDetect on CPU), "
        "pyscenedetect, transnetv2, or another copy of the TransNetV2 weights (.pth).",
    )
    tags: str = Field(
        default="efficientnet-lite0",
        description="Image tags and embeddings: efficientnet-lite0, or a CLIP/SigLIP hub "
        "name or local folder (transformers).",
    )
    faces: str = Field(
        default="yunet-sface",
        description="Face detection and embedding: yunet-sface, or a folder holding YuNet "
        "and SFace ONNX files.",
    )
    ocr: str = Field(
        default="rapidocr",
        description="On-screen text: rapidocr (PP-OCRv4), or a folder of PP-OCR ONNX files.",
    )
    shot_scale: str = Field(
        default="face-size",
        description="Shot scale: face-size (rules over faces), or an image classifier's hub "
        "name or local folder whose labels are ECS, CS, MS, FS, LS.",
    )
    captions: str = Field(
        default="composed",
        description="Captions: 'composed' (from the other signals, offline), or the model "
        "name to ask at vlm.endpoint.",
    )
    speech: str = Field(
        default="whisper-base",
        description="Speech to text: whisper-base (multilingual), whisper-tiny.en (fast, "
        "English), or a CTranslate2 Whisper model's hub name or local folder.",
    )
    entities: str = Field(
        default="en_core_web_sm",
        description="Named entities: en_core_web_sm (bundled spaCy), or another spaCy "
        "pipeline's package name or folder.",
    )
    text_embeddings: str = Field(
        default="all-minilm-l6-v2",
        description="Text embeddings for semantic search: all-minilm-l6-v2, or a "
        "sentence-transformers hub name or local folder.",
    )
    language_model: str = Field(
        default="smollm2-135m",
        description="Language model for titles and summaries: smollm2-135m (bundled, "
        "llama.cpp), a local .gguf file, or the model name to ask at llm.endpoint.",
    )


class Endpoint(Group):
    """An OpenAI-compatible server (Ollama, vLLM, llama.cpp server, LM Studio)."""

    endpoint: str | None = Field(
        default=None,
        description="The server's OpenAI-compatible base URL, e.g. http://localhost:11434/v1 "
        "(Ollama).",
    )
    api_key: SecretStr | None = Field(
        default=None, description="Its API key, if it wants one (never shown)."
    )
    timeout: float = Field(default=60.0, gt=0, description="Seconds to wait per answer.")


class Vlm(Endpoint):
    """The server that answers questions about pictures (captions, models.captions)."""

    questions: tuple[str, ...] = Field(
        default=("Describe this film still in one sentence.",),
        description="Questions asked of every shot's middle frame.",
    )


class Llm(Endpoint):
    """The server that runs the language model (titles, summaries); unset, the model in
    models.language_model runs here."""

    timeout: float = Field(default=120.0, gt=0, description="Seconds to wait per answer.")


class Shots(Group):
    """Shot boundaries and the colour barcode."""

    adaptive_threshold: float = Field(default=3.0, description="PySceneDetect adaptive cut ratio.")
    fade_threshold: float = Field(
        default=12.0, description="Mean luma under which a frame is black."
    )
    min_shot_seconds: float = Field(default=0.4, description="Shorter shots are merged.")
    transnet_threshold: float = Field(default=0.5, description="TransNetV2 boundary probability.")
    barcode_width: int = Field(default=1200, ge=16, description="Columns in the colour barcode.")


class Keyframes(Group):
    """The stills of every shot and their thumbnails."""

    quality: int = Field(default=90, ge=30, le=100, description="JPEG quality.")
    thumbnail_width: int = Field(default=320, ge=32, description="Width of WebP thumbnails.")


class Proxy(Group):
    """The browser copy of files a browser cannot play."""

    enabled: bool = Field(default=True, description="Make an H.264/AAC proxy when needed.")
    height: int = Field(default=480, ge=144, description="Proxy frame height in pixels.")
    crf: int = Field(default=26, ge=14, le=40, description="Proxy quality (x264 CRF).")


class Frames(Group):
    """The analysis frames every visual model reads."""

    sample_seconds: float = Field(
        default=3.0,
        gt=0.0,
        description="Every shot's middle frame plus one frame this often, in seconds.",
    )
    analysis_size: int = Field(
        default=1024, ge=224, description="Longest side of analysis frames, in pixels."
    )


class Faces(Group):
    """Faces and the people they are grouped into."""

    min_score: float = Field(
        default=0.8,
        ge=0.0,
        le=1.0,
        description="YuNet detection score a face needs to be kept. 0.8 keeps 98% of LFW "
        "faces with no false ones and drops most cartoon 'faces' (which score 0.6-0.8).",
    )
    min_size: int = Field(
        default=20,
        ge=8,
        description="Smallest face kept, in pixels of box height in the analysis frame; "
        "smaller ones are too blurred to recognise.",
    )
    same_person: float = Field(
        default=0.45,
        ge=-1.0,
        le=1.0,
        description="SFace cosine similarity from which two faces (or a face and a person) "
        "count as the same person.",
    )


class Text(Group):
    """On-screen text."""

    min_confidence: float = Field(
        default=0.6,
        ge=0.0,
        le=1.0,
        description="Lines the recogniser is less sure of than this are dropped (textures "
        "read as stray characters at low confidence).",
    )
    detect_size: int = Field(
        default=640,
        ge=128,
        description="Long side, in pixels, of the copy of each frame searched for text; "
        "smaller is faster, larger finds smaller text.",
    )


class Subtitles(Group):
    """Subtitle streams and sidecar files."""

    ocr_languages: tuple[str, ...] = Field(
        default=(),
        description="The languages (stream tags, e.g. ['eng', 'fre']) of the bitmap tracks "
        "to OCR; empty reads them all. The bundled recogniser reads Latin and Chinese "
        "script only.",
    )


class Tech(Group):
    """Technical checks: black, colour bars, frozen pictures, silence, tone, loudness."""

    black_seconds: float = Field(
        default=0.2,
        gt=0.0,
        description="Shortest stretch of black reported, in seconds (short enough to catch "
        "the black inside a fade).",
    )
    black_pixel: float = Field(
        default=0.1,
        ge=0.0,
        le=1.0,
        description="Luma (0-1 of the legal range) under which a pixel counts as black; a "
        "frame is black when 98 % of its pixels are.",
    )
    freeze_seconds: float = Field(
        default=2.0, gt=0.0, description="Shortest unchanging picture reported as frozen."
    )
    freeze_noise_db: float = Field(
        default=-60.0,
        le=0.0,
        description="Difference between frames (dB) under which the picture counts as "
        "unchanged; raise it (e.g. -50) for noisy transfers.",
    )
    silence_seconds: float = Field(
        default=1.0, gt=0.0, description="Shortest silence reported, in seconds."
    )
    silence_db: float = Field(
        default=-60.0, le=0.0, description="Level (dBFS) under which the sound counts as silence."
    )
    tone_seconds: float = Field(
        default=1.0, gt=0.0, description="Shortest steady tone reported (line-up tone)."
    )
    bars_seconds: float = Field(
        default=0.5, gt=0.0, description="Shortest stretch of colour bars reported."
    )
    loudness_target: float = Field(
        default=-23.0, description="Programme loudness aimed at, LUFS (EBU R128: -23)."
    )
    loudness_tolerance: float = Field(
        default=1.0,
        ge=0.0,
        description="LU either side of the target within which the integrated loudness "
        "raises no 'loudness' event.",
    )
    max_true_peak: float = Field(
        default=-1.0,
        description="Highest true peak (dBTP) without a 'loudness' event (EBU R128: -1).",
    )


class Audio(Group):
    """Audio events: speech, music (other sound), silence and tone."""

    silence_db: float = Field(
        default=-50.0, le=0.0, description="Level (dBFS) under which the sound counts as silence."
    )
    speech_threshold: float = Field(
        default=0.5,
        gt=0.0,
        lt=1.0,
        description="Silero VAD speech probability from which a moment is speech.",
    )
    speech_seconds: float = Field(
        default=0.3, gt=0.0, description="Shortest speech event; shorter runs join neighbours."
    )
    silence_seconds: float = Field(
        default=0.5,
        gt=0.0,
        description="Shortest silence event; shorter pauses join their neighbours (the "
        "pauses between words stay inside speech).",
    )
    music_seconds: float = Field(
        default=1.0,
        gt=0.0,
        description="Shortest music (other sound) event; shorter runs join their neighbours.",
    )


class Transcript(Group):
    """Transcripts."""

    window_seconds: float = Field(
        default=600.0,
        ge=10.0,
        description="The soundtrack is decoded and transcribed in windows of about this many "
        "seconds (cut in a pause), so a long file is never held whole.",
    )


class Duplicates(Group):
    """Near-duplicate shots and videos across a collection."""

    match: Literal["combined", "phash", "embedding"] = Field(
        default="combined",
        description="Which signal makes two frames match: 'phash' (perceptual hash; robust "
        "to resizing, re-encoding, letterbox), 'embedding' (the tags model's image "
        "embeddings; more robust to crops), or 'combined' (either).",
    )
    hamming: int = Field(
        default=10,
        ge=0,
        le=64,
        description="Most of the 64 pHash bits two frames may differ in and still match "
        "(unrelated frames differ in about 32).",
    )
    cosine: float = Field(
        default=0.85,
        ge=-1.0,
        le=1.0,
        description="Image embedding cosine similarity from which two frames match.",
    )
    video_fraction: float = Field(
        default=0.5,
        gt=0.0,
        le=1.0,
        description="Share of one video's frames that must match the other video's frames "
        "in time order for the two to count as copies.",
    )
    repeat_gap: float = Field(
        default=60.0,
        ge=0.0,
        description="Within one video, shots closer than this (seconds) are not reported as "
        "repeated footage (a shot-reverse-shot dialogue looks alike).",
    )


class Summary(Group):
    """Generated titles and summaries."""

    segment_seconds: float = Field(
        default=240.0,
        gt=0,
        description="The timeline is cut into parts of about this many seconds (between "
        "transcript segments), each with its own title and summary.",
    )
    input_chars: int = Field(
        default=1500,
        ge=200,
        description="The language model reads at most this many characters of each part (a "
        "small model loses the thread, and invents more, on long inputs).",
    )


class Map(Group):
    """The collection map (`deerin map`): how shots are laid out and grouped."""

    layouts: tuple[
        Literal["image", "image_tsne", "text", "grid", "date", "video", "place"], ...
    ] = Field(
        default=("image", "image_tsne", "text", "grid", "date", "video", "place"),
        description="The layouts made: 'image' (UMAP of the shots' pictures, the default "
        "view), 'image_tsne' (t-SNE of them), 'text' (UMAP of what is said and shown), "
        "'grid' (the image map as a tidy grid), 'date', 'video' and 'place'.",
    )
    fit_sample: int = Field(
        default=25000,
        ge=50,
        description="Shots the projections are fitted on; every other shot is placed among "
        "its nearest fitted neighbours, which keeps a million shots to minutes.",
    )
    neighbours: int = Field(
        default=15,
        ge=2,
        le=200,
        description="UMAP's neighbourhood size: smaller keeps small groups apart, larger "
        "shows the collection's overall shape.",
    )
    min_cluster: int = Field(
        default=0,
        ge=0,
        description="The fewest shots a cluster has [default 0: about 1 % of the fitted "
        "shots, at least 5].",
    )
    seed: int = Field(default=0, description="Random seed: the same collection, the same map.")


class Search(Group):
    """The search index and how queries are answered."""

    index_uri: str | None = Field(
        default=None,
        description="Where the search index lives: a folder, or an object-store URI such as "
        "'s3://bucket/deerin-index' for a collection that outgrows one disk [default: "
        "the 'index' folder of the data dir].",
    )
    ann_threshold: int = Field(
        default=10000,
        ge=256,
        description="Rows from which a table's vectors get an approximate nearest-neighbour "
        "index (IVF-HNSW); below it, exact search is fast enough and exact.",
    )
    candidates: int = Field(
        default=100,
        ge=10,
        le=10000,
        description="Hits each kind of query fetches before fusion, merging and facets.",
    )
    merge_gap: float = Field(
        default=1.0,
        ge=0.0,
        description="Hits in one video closer than this (seconds) are merged into one time "
        "range, as WISE does; 0 merges only overlapping hits.",
    )
    bridge_labels: int = Field(
        default=3,
        ge=1,
        le=20,
        description="Text-to-picture without CLIP: how many ImageNet labels nearest the "
        "query (by text embedding) stand for it in the image space.",
    )
    max_image_pixels: int = Field(
        default=50_000_000,
        ge=1_000_000,
        description="The largest query picture accepted, in pixels (a bigger one is refused "
        "before it is decoded).",
    )


class Ask(Group):
    """Questions answered from the collection (`deerin ask`, the Ask page)."""

    mode: Literal["auto", "extractive", "model"] = Field(
        default="auto",
        description="Who writes the answer: 'extractive' quotes the best passages (no model "
        "writes anything); 'model' has the language model write it from the numbered "
        "passages; 'auto' uses the model when llm.endpoint or a model other than the "
        "bundled SmolLM2 is set, else extractive (the bundled model invents facts).",
    )
    passages: int = Field(
        default=6, ge=1, le=20, description="Numbered passages an answer is written from."
    )
    support: float = Field(
        default=0.5,
        gt=0.0,
        le=1.0,
        description="Share of a sentence's content words its cited passage must hold, or "
        "the sentence is left out as unsupported.",
    )


class Graph(Group):
    """The collection's graph (the collection step `graph`): who and what appears with whom."""

    window: float = Field(
        default=20.0,
        ge=0.0,
        description="Seconds within which two moments of one video count as together (a "
        "shot they share counts too).",
    )
    evidence: int = Field(
        default=8, ge=1, le=100, description="Moments kept on each link as its evidence."
    )
    relations: int = Field(
        default=200,
        ge=0,
        description="Passages naming two or more nodes that the language model at "
        "llm.endpoint reads for relations (0: none). Without an endpoint, none are read.",
    )


class Web(Group):
    """The web app (`deerin serve`): who may change things, and what it accepts."""

    edit_token: SecretStr | None = Field(
        default=None,
        description="The editing token: when set, corrections, people decisions and other "
        "edits need it (typed once in the web app). Without it, edits are allowed only while "
        "the app listens on this machine alone; with --host it is then read-only.",
    )
    upload_mb: int = Field(
        default=20,
        ge=1,
        le=200,
        description="The largest picture the search page accepts, in megabytes.",
    )


class Settings(Group):
    """Everything a user may configure. Field descriptions double as the settings reference."""

    data_dir: Path = Field(
        default=Path("deerin-data"),
        description="Where the catalogue database and every per-video artefact live.",
    )
    run: Run = Field(default_factory=Run)
    models: Models = Field(default_factory=Models)
    vlm: Vlm = Field(default_factory=Vlm)
    llm: Llm = Field(default_factory=Llm)
    shots: Shots = Field(default_factory=Shots)
    keyframes: Keyframes = Field(default_factory=Keyframes)
    proxy: Proxy = Field(default_factory=Proxy)
    frames: Frames = Field(default_factory=Frames)
    faces: Faces = Field(default_factory=Faces)
    text: Text = Field(default_factory=Text)
    subtitles: Subtitles = Field(default_factory=Subtitles)
    tech: Tech = Field(default_factory=Tech)
    audio: Audio = Field(default_factory=Audio)
    transcript: Transcript = Field(default_factory=Transcript)
    duplicates: Duplicates = Field(default_factory=Duplicates)
    summary: Summary = Field(default_factory=Summary)
    map: Map = Field(default_factory=Map)
    search: Search = Field(default_factory=Search)
    ask: Ask = Field(default_factory=Ask)
    graph: Graph = Field(default_factory=Graph)
    web: Web = Field(default_factory=Web)

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> Settings:
        """Defaults with ``values`` (dotted keys, e.g. ``{"run.workers": 1}``) on top."""
        return cls().merged(values)

    def merged(self, values: Mapping[str, Any], source: str = FLAG) -> Settings:
        """These settings with ``values`` (dotted keys) on top, checked like any input."""
        return _validated(_nest(self.model_dump(), values), {key: source for key in values})


# -- keys: what exists, what it used to be called, what is secret -------------------

# Keys of DEERIn 0.1, before settings were grouped: named in errors so an old
# deerin.toml gets told where each moved.
RENAMED = {
    "workers": "run.workers",
    "executor": "run.executor",
    "ray_address": "run.ray_address",
    "ray_cpus_per_video": "run.ray_cpus_per_video",
    "skip_stages": "run.skip_stages",
    "log_json": "run.log_json",
    "device": "models.device",
    "shot_method": "models.shots",
    "transnet_weights": "models.shots",
    "tags_model": "models.tags",
    "faces_model": "models.faces",
    "ocr_model": "models.ocr",
    "shot_scale_model": "models.shot_scale",
    "caption_model": "models.captions",
    "speech_model": "models.speech",
    "entities_model": "models.entities",
    "text_embedding_model": "models.text_embeddings",
    "llm_model": "models.language_model",
    "vlm_endpoint": "vlm.endpoint",
    "vlm_api_key": "vlm.api_key",
    "vlm_questions": "vlm.questions",
    "vlm_timeout": "vlm.timeout",
    "llm_endpoint": "llm.endpoint",
    "llm_api_key": "llm.api_key",
    "llm_timeout": "llm.timeout",
    "adaptive_threshold": "shots.adaptive_threshold",
    "fade_threshold": "shots.fade_threshold",
    "min_shot_seconds": "shots.min_shot_seconds",
    "transnet_threshold": "shots.transnet_threshold",
    "barcode_width": "shots.barcode_width",
    "keyframe_quality": "keyframes.quality",
    "thumbnail_width": "keyframes.thumbnail_width",
    "proxy": "proxy.enabled",
    "proxy_height": "proxy.height",
    "proxy_crf": "proxy.crf",
    "sample_seconds": "frames.sample_seconds",
    "analysis_size": "frames.analysis_size",
    "subtitles_ocr_languages": "subtitles.ocr_languages",
    "transcript_window_seconds": "transcript.window_seconds",
}
PREFIXED = {
    "faces": "faces",
    "text": "text",
    "tech": "tech",
    "audio": "audio",
    "duplicates": "duplicate",
    "summary": "summary",
}  # group: its 0.1 key prefix


@cache
def keys() -> tuple[str, ...]:
    """Every valid dotted key, in the order `deerin config` shows them."""
    found = []
    for name, field in Settings.model_fields.items():
        kind = field.annotation
        if isinstance(kind, type) and issubclass(kind, Group):
            found += [f"{name}.{inner}" for inner in kind.model_fields]
        else:
            found.append(name)
    return tuple(found)


@cache
def _old_names() -> dict[str, str]:
    """Every 0.1 flat key and its new dotted key (the prefixed groups follow one rule)."""
    old = dict(RENAMED)
    for key in keys():
        group, _, name = key.partition(".")
        if group in PREFIXED:
            old[f"{PREFIXED[group]}_{name}"] = key
    return old


def closest(key: str) -> str | None:
    """The valid key a mistyped or old ``key`` most likely means."""
    valid = keys()
    old = _old_names()
    if key in old:
        return old[key]
    flat = {k.replace(".", "_"): k for k in valid}
    match = nearest(key, [*valid, *flat, *old])
    if match is None:
        return None
    return old.get(match) or flat.get(match) or match


def is_secret(key: str) -> bool:
    """Whether a key holds a secret (an API key): its value is never shown."""
    return key.endswith(("api_key", "edit_token"))


def shown(key: str, value: Any) -> str:
    """A value as `deerin config` and error messages show it, secrets masked."""
    if value is None:
        return "(not set)"
    if is_secret(key) or isinstance(value, SecretStr):
        return MASK
    if isinstance(value, tuple | list):
        return json.dumps(list(value), ensure_ascii=False)
    return without_password(str(value))


def without_password(text: str) -> str:
    """A URL's password (``http://user:secret@host``) masked."""
    return re.sub(r"(://[^/:@\s]+):[^/@\s]+@", rf"\1:{MASK}@", text)


# -- loading: defaults < deerin.toml < DEERIN_* < flags ------------------------------


@dataclass(frozen=True)
class Loaded:
    """The effective settings and where each value that is not a default came from."""

    settings: Settings
    sources: dict[str, str]  # dotted key -> "file deerin.toml", "environment DEERIN_…", "flag"

    def rows(self) -> Iterator[tuple[str, str, str]]:
        """(key, value as shown, source) for every key, in a fixed order."""
        data = self.settings.model_dump()
        for key in keys():
            group, _, name = key.partition(".")
            value = data[group][name] if name else data[group]
            yield key, shown(key, value), self.sources.get(key, DEFAULT)


def load(
    flags: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Loaded:
    """Settings from file and environment with ``flags`` (dotted keys; None = not given) on top."""
    environ = os.environ if environ is None else environ
    path = Path(environ.get(CONFIG_VARIABLE, "deerin.toml"))
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for layer, source in (
        (_from_file(path, explicit=CONFIG_VARIABLE in environ), f"{FILE} {path}"),
        *_from_environment(environ),
        ({k: v for k, v in (flags or {}).items() if v is not None}, FLAG),
    ):
        values.update(layer)
        sources.update({key: source for key in layer})
    return Loaded(_validated(_nest({}, values), sources), sources)


def load_settings(flags: Mapping[str, Any] | None = None) -> Settings:
    """The effective settings (see :func:`load`)."""
    return load(flags).settings


def _from_file(path: Path, explicit: bool) -> dict[str, Any]:
    """The dotted keys a ``deerin.toml`` sets; unknown keys and bad TOML are errors."""
    if not path.is_file():
        if explicit:
            raise DeerinError(
                "the settings file named by DEERIN_CONFIG does not exist",
                path=path,
                hint="fix DEERIN_CONFIG or create the file",
            )
        return {}
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise DeerinError(f"cannot read the settings file ({exc})", path=path) from exc
    values: dict[str, Any] = {}
    for top, value in document.items():
        if isinstance(value, dict) and _is_group(top):
            values.update({f"{top}.{name}": inner for name, inner in value.items()})
        elif isinstance(value, dict):
            group = nearest(top, [g for g in Settings.model_fields if _is_group(g)])
            raise DeerinError(
                f"unknown group [{top}] in {path}",
                hint=f"did you mean [{group}]?" if group else "see `deerin config`",
            )
        else:
            values[top] = value
    for key in values:
        _check_key(key, f"{path}", _toml_spelling(key))
    return values


def _from_environment(environ: Mapping[str, str]) -> list[tuple[dict[str, Any], str]]:
    """Each ``DEERIN_*`` variable as a dotted key; an unknown one is an error."""
    layers = []
    for variable in sorted(environ):
        if not variable.startswith(ENV_PREFIX) or variable == CONFIG_VARIABLE:
            continue
        key = _env_key(variable)
        _check_key(key, "the environment", variable)
        layers.append(({key: _env_value(key, environ[variable])}, f"{ENVIRONMENT} {variable}"))
    return layers


def _env_key(variable: str) -> str:
    """``DEERIN_RUN_WORKERS`` -> ``run.workers``; ``DEERIN_DATA_DIR`` -> ``data_dir``."""
    name = variable[len(ENV_PREFIX) :].lower()
    group, _, rest = name.partition("_")
    return f"{group}.{rest}" if rest and _is_group(group) else name


def env_variable(key: str) -> str:
    """The environment variable that sets a dotted key."""
    return ENV_PREFIX + key.replace(".", "_").upper()


def _env_value(key: str, text: str) -> Any:
    """An environment string as the key's type wants it: lists as JSON or comma-separated."""
    if _annotation(key) is not None and get_origin(_annotation(key)) is tuple:
        stripped = text.strip()
        if stripped.startswith("["):
            try:
                return json.loads(stripped)
            except json.JSONDecodeError:
                pass
        return [part.strip() for part in stripped.split(",") if part.strip()]
    return text


def _toml_spelling(key: str) -> str:
    group, _, name = key.partition(".")
    return f"'{name}' under [{group}]" if name else f"'{key}'"


def _check_key(key: str, where: str, spelled: str) -> None:
    """Refuse a key that is not a setting, naming the closest valid one."""
    if key in keys():
        return
    guess = closest(key)
    if guess is None:
        hint = "see `deerin config` for every setting"
    elif "." in guess:
        group, _, name = guess.partition(".")
        hint = (
            f"did you mean {env_variable(guess)}?"
            if where == "the environment"
            else f"did you mean '{name}' under [{group}]?"
        )
    else:
        hint = f"did you mean {env_variable(guess) if where == 'the environment' else guess}?"
    raise DeerinError(f"unknown setting {spelled} in {where}", hint=hint)


def _is_group(name: str) -> bool:
    kind = Settings.model_fields[name].annotation if name in Settings.model_fields else None
    return isinstance(kind, type) and issubclass(kind, Group)


def _annotation(key: str) -> Any:
    group, _, name = key.partition(".")
    if not name:
        return Settings.model_fields[group].annotation if group in Settings.model_fields else None
    fields = Settings.model_fields[group].annotation.model_fields  # type: ignore[union-attr]
    return fields[name].annotation if name in fields else None


def _nest(base: dict[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` (a nested dict) with dotted ``values`` set into it."""
    nested = {k: dict(v) if isinstance(v, dict) else v for k, v in base.items()}
    for key, value in values.items():
        if key not in keys():
            _check_key(key, "the settings given", f"'{key}'")
        group, _, name = key.partition(".")
        if name:
            nested.setdefault(group, {})[name] = value
        else:
            nested[group] = value
    return nested


def _validated(nested: dict[str, Any], sources: Mapping[str, str]) -> Settings:
    """The settings object, or one line naming the bad value, where it came from and why."""
    try:
        settings = Settings.model_validate(nested)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(part) for part in error["loc"][:2])  # not the item of a list
        where = sources.get(key, DEFAULT)
        value = shown(key, error.get("input"))
        raise DeerinError(
            f"setting {key} = {value} (from {where}) is not valid: {error['msg']}",
            hint="fix it, or see `deerin config` for the settings and their values",
        ) from None
    if settings.data_dir.exists() and not settings.data_dir.is_dir():
        raise DeerinError(
            "the data dir is a file, not a folder",
            path=settings.data_dir,
            hint="choose a folder with --data-dir or DEERIN_DATA_DIR",
        )
    return settings
