"""One settings object for the whole toolkit.

Values come, in rising order of precedence, from defaults, a ``deerin.toml`` file
(``./deerin.toml`` or the file named by ``DEERIN_CONFIG``), ``DEERIN_*`` environment
variables, and finally the command line, which passes overrides to :func:`load_settings`.
Nothing else in the package reads the environment.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

ShotMethod = Literal["auto", "pyscenedetect", "transnetv2"]


class Settings(BaseSettings):
    """Everything a user may configure. Field docs double as the settings reference."""

    model_config = SettingsConfigDict(env_prefix="DEERIN_", extra="ignore")

    data_dir: Path = Field(
        default=Path("deerin-data"),
        description="Where the catalogue database and every per-video artefact live.",
    )
    workers: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        ge=1,
        description="Videos processed in parallel by the local executor.",
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
    shot_method: ShotMethod = Field(
        default="auto",
        description="Shot detector: 'auto' picks TransNetV2 on a GPU, PySceneDetect on CPU.",
    )
    adaptive_threshold: float = Field(default=3.0, description="PySceneDetect adaptive cut ratio.")
    fade_threshold: float = Field(
        default=12.0, description="Mean luma under which a frame is black."
    )
    min_shot_seconds: float = Field(default=0.4, description="Shorter shots are merged.")
    transnet_threshold: float = Field(default=0.5, description="TransNetV2 boundary probability.")
    transnet_weights: Path | None = Field(
        default=None, description="Another copy of the TransNetV2 weights (.pth); bundled if unset."
    )
    device: Literal["auto", "cpu", "cuda"] = Field(
        default="auto", description="Where models run; 'auto' uses CUDA when present."
    )
    keyframe_quality: int = Field(default=90, ge=30, le=100, description="JPEG quality.")
    thumbnail_width: int = Field(default=320, ge=32, description="Width of WebP thumbnails.")
    barcode_width: int = Field(default=1200, ge=16, description="Columns in the colour barcode.")
    proxy: bool = Field(default=True, description="Make an H.264/AAC proxy for browser playback.")
    proxy_height: int = Field(default=480, ge=144, description="Proxy frame height in pixels.")
    proxy_crf: int = Field(default=26, ge=14, le=40, description="Proxy quality (x264 CRF).")
    log_json: bool = Field(default=False, description="Machine-readable JSON-lines logs.")
    skip_stages: list[str] = Field(
        default_factory=list,
        description="Stages not to run, e.g. ['captions', 'text'] (`deerin ingest --skip`).",
    )

    # Visual enrichment: which frames are looked at.
    sample_seconds: float = Field(
        default=3.0,
        gt=0.0,
        description="Analysis frames: every shot's middle frame plus one frame this often.",
    )
    analysis_size: int = Field(
        default=1024, ge=224, description="Longest side of analysis frames, in pixels."
    )

    # Models: a bundled name, a local path, a hub name, or (captions) an endpoint's model.
    tags_model: str = Field(
        default="efficientnet-lite0",
        description="Image tags and embeddings: efficientnet-lite0, or a CLIP/SigLIP hub "
        "name or local folder (transformers).",
    )
    faces_model: str = Field(
        default="yunet-sface",
        description="Face detection and embedding: yunet-sface, or a folder holding YuNet "
        "and SFace ONNX files.",
    )
    ocr_model: str = Field(
        default="rapidocr",
        description="On-screen text: rapidocr (PP-OCRv4), or a folder of PP-OCR ONNX files.",
    )
    shot_scale_model: str = Field(
        default="face-size",
        description="Shot scale: face-size (rules over faces), or an image classifier's hub "
        "name or local folder whose labels are ECS, CS, MS, FS, LS.",
    )
    caption_model: str = Field(
        default="composed",
        description="Captions: 'composed' (from the other signals, offline), or the model "
        "name to ask at vlm_endpoint.",
    )
    vlm_endpoint: str | None = Field(
        default=None,
        description="OpenAI-compatible server for captions and visual questions, e.g. "
        "http://localhost:11434/v1 (Ollama), vLLM, llama.cpp server.",
    )
    vlm_api_key: str | None = Field(default=None, description="API key for vlm_endpoint.")
    vlm_questions: list[str] = Field(
        default_factory=lambda: ["Describe this film still in one sentence."],
        description="Questions asked of every shot's middle frame.",
    )
    vlm_timeout: float = Field(default=60.0, gt=0, description="Seconds to wait per answer.")
    speech_model: str = Field(
        default="whisper-base",
        description="Speech to text: whisper-base (multilingual), whisper-tiny.en (fast, "
        "English), or a CTranslate2 Whisper model's hub name or local folder.",
    )
    entities_model: str = Field(
        default="en_core_web_sm",
        description="Named entities: en_core_web_sm (bundled spaCy), or another spaCy "
        "pipeline's package name or folder.",
    )
    text_embedding_model: str = Field(
        default="all-minilm-l6-v2",
        description="Text embeddings for semantic search: all-minilm-l6-v2, or a "
        "sentence-transformers hub name or local folder.",
    )
    llm_model: str = Field(
        default="smollm2-135m",
        description="Language model for titles and summaries: smollm2-135m (bundled, "
        "llama.cpp), a local .gguf file, or the model name to ask at llm_endpoint.",
    )
    llm_endpoint: str | None = Field(
        default=None,
        description="OpenAI-compatible server for the language model, e.g. "
        "http://localhost:11434/v1 (Ollama) or a vLLM server.",
    )
    llm_api_key: str | None = Field(default=None, description="API key for llm_endpoint.")
    llm_timeout: float = Field(default=120.0, gt=0, description="Seconds to wait per answer.")

    # Stage thresholds (each helper's section; keep to your own).
    # -- tags
    # -- faces and people
    faces_min_score: float = Field(
        default=0.8,
        ge=0.0,
        le=1.0,
        description="Faces: YuNet detection score a face needs to be kept. 0.8 keeps 98% of "
        "LFW faces with no false ones and drops most cartoon 'faces' (which score 0.6-0.8).",
    )
    faces_min_size: int = Field(
        default=20,
        ge=8,
        description="Faces: smallest face kept, in pixels of box height in the analysis "
        "frame; smaller ones are too blurred to recognise.",
    )
    faces_same_person: float = Field(
        default=0.45,
        ge=-1.0,
        le=1.0,
        description="Faces and people: SFace cosine similarity from which two faces (or a "
        "face and a person) count as the same person.",
    )
    # -- text and subtitles
    text_min_confidence: float = Field(
        default=0.6,
        ge=0.0,
        le=1.0,
        description="On-screen text: lines the recogniser is less sure of than this are "
        "dropped (textures read as stray characters at low confidence).",
    )
    text_detect_size: int = Field(
        default=640,
        ge=128,
        description="On-screen text: long side, in pixels, of the copy of each frame searched "
        "for text; smaller is faster, larger finds smaller text.",
    )
    subtitles_ocr_languages: list[str] = Field(
        default_factory=list,
        description="Subtitles: the languages (stream tags, e.g. ['eng', 'fre']) of the bitmap "
        "tracks to OCR; empty reads them all. The bundled recogniser reads Latin and Chinese "
        "script only.",
    )
    # -- technical checks
    tech_black_seconds: float = Field(
        default=0.2,
        gt=0.0,
        description="Technical checks: shortest stretch of black reported, in seconds "
        "(short enough to catch the black inside a fade).",
    )
    tech_black_pixel: float = Field(
        default=0.1,
        ge=0.0,
        le=1.0,
        description="Technical checks: luma (0-1 of the legal range) under which a pixel "
        "counts as black; a frame is black when 98 % of its pixels are.",
    )
    tech_freeze_seconds: float = Field(
        default=2.0,
        gt=0.0,
        description="Technical checks: shortest unchanging picture reported as frozen.",
    )
    tech_freeze_noise_db: float = Field(
        default=-60.0,
        le=0.0,
        description="Technical checks: difference between frames (dB) under which the "
        "picture counts as unchanged; raise it (e.g. -50) for noisy transfers.",
    )
    tech_silence_seconds: float = Field(
        default=1.0,
        gt=0.0,
        description="Technical checks: shortest silence reported, in seconds.",
    )
    tech_silence_db: float = Field(
        default=-60.0,
        le=0.0,
        description="Technical checks: level (dBFS) under which the sound counts as silence.",
    )
    tech_tone_seconds: float = Field(
        default=1.0,
        gt=0.0,
        description="Technical checks: shortest steady tone reported (line-up tone).",
    )
    tech_bars_seconds: float = Field(
        default=0.5,
        gt=0.0,
        description="Technical checks: shortest stretch of colour bars reported.",
    )
    tech_loudness_target: float = Field(
        default=-23.0,
        description="Technical checks: programme loudness aimed at, LUFS (EBU R128: -23).",
    )
    tech_loudness_tolerance: float = Field(
        default=1.0,
        ge=0.0,
        description="Technical checks: LU either side of the target within which the "
        "integrated loudness raises no 'loudness' event.",
    )
    tech_max_true_peak: float = Field(
        default=-1.0,
        description="Technical checks: highest true peak (dBTP) without a 'loudness' "
        "event (EBU R128: -1).",
    )
    # -- near-duplicates and captions
    duplicate_match: Literal["combined", "phash", "embedding"] = Field(
        default="combined",
        description="Near-duplicates: which signal makes two frames match: 'phash' "
        "(perceptual hash; robust to resizing, re-encoding, letterbox), 'embedding' (the "
        "tags model's image embeddings; more robust to crops), or 'combined' (either).",
    )
    duplicate_hamming: int = Field(
        default=10,
        ge=0,
        le=64,
        description="Near-duplicates: most of the 64 pHash bits two frames may differ in "
        "and still match (unrelated frames differ in about 32).",
    )
    duplicate_cosine: float = Field(
        default=0.85,
        ge=-1.0,
        le=1.0,
        description="Near-duplicates: image embedding cosine similarity from which two "
        "frames match.",
    )
    duplicate_video_fraction: float = Field(
        default=0.5,
        gt=0.0,
        le=1.0,
        description="Near-duplicates: share of one video's frames that must match the other "
        "video's frames in time order for the two to count as copies.",
    )
    duplicate_repeat_gap: float = Field(
        default=60.0,
        ge=0.0,
        description="Near-duplicates: within one video, shots closer than this (seconds) are "
        "not reported as repeated footage (a shot–reverse-shot dialogue looks alike).",
    )
    # -- transcripts and audio events
    transcript_window_seconds: float = Field(
        default=600.0,
        ge=10.0,
        description="Transcripts: the soundtrack is decoded and transcribed in windows of "
        "about this many seconds (cut in a pause), so a long file is never held whole.",
    )
    audio_silence_db: float = Field(
        default=-50.0,
        le=0.0,
        description="Audio events: level (dBFS) under which the sound counts as silence.",
    )
    audio_speech_threshold: float = Field(
        default=0.5,
        gt=0.0,
        lt=1.0,
        description="Audio events: Silero VAD speech probability from which a moment is speech.",
    )
    audio_speech_seconds: float = Field(
        default=0.3,
        gt=0.0,
        description="Audio events: shortest speech event; shorter runs join their neighbours.",
    )
    audio_silence_seconds: float = Field(
        default=0.5,
        gt=0.0,
        description="Audio events: shortest silence event; shorter pauses join their "
        "neighbours (the pauses between words stay inside speech).",
    )
    audio_music_seconds: float = Field(
        default=1.0,
        gt=0.0,
        description="Audio events: shortest music (other sound) event; shorter runs join "
        "their neighbours.",
    )
    # -- sidecar subtitles
    # -- entities and places
    # -- language models, summaries and text embeddings
    summary_segment_seconds: float = Field(
        default=240.0,
        gt=0,
        description="Summaries: the timeline is cut into parts of about this many seconds "
        "(between transcript segments), each with its own title and summary.",
    )
    summary_input_chars: int = Field(
        default=1500,
        ge=200,
        description="Summaries: the language model reads at most this many characters of "
        "each part (a small model loses the thread, and invents more, on long inputs).",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = Path(os.environ.get("DEERIN_CONFIG", "deerin.toml"))
        toml = TomlConfigSettingsSource(settings_cls, toml_file=toml_file)
        return (init_settings, env_settings, toml)


def load_settings(**overrides: Any) -> Settings:
    """Build settings, letting explicit (command-line) values win over file and environment."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
