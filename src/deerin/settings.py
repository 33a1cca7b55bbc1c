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

    # Stage thresholds (each helper's section; keep to your own).
    # -- tags
    # -- faces and people
    # -- text and subtitles
    # -- technical checks
    # -- near-duplicates and captions

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
