"""Which stages exist, in the order they run. Adding a stage means adding it here."""

from __future__ import annotations

from collections.abc import Iterable

from deerin.pipeline.collection import CollectionStep
from deerin.pipeline.stage import Stage
from deerin.settings import Settings


def stage_classes() -> list[type[Stage]]:
    """Every stage, in dependency order (imports are local so workers load only these)."""
    from deerin.enrich.audio_events import AudioStage
    from deerin.enrich.captions import CaptionsStage
    from deerin.enrich.duplicates.hashes import HashesStage
    from deerin.enrich.entities.stage import EntitiesStage
    from deerin.enrich.faces.stage import FacesStage
    from deerin.enrich.frames import FramesStage
    from deerin.enrich.keyframes import KeyframesStage
    from deerin.enrich.shot_scale import ShotScaleStage
    from deerin.enrich.shots.stage import ShotsStage
    from deerin.enrich.speech.stage import TranscriptStage
    from deerin.enrich.subtitles.stage import SubtitlesStage
    from deerin.enrich.summary import SummaryStage
    from deerin.enrich.tags.stage import TagsStage
    from deerin.enrich.technical.stage import TechStage
    from deerin.enrich.text.stage import TextStage
    from deerin.enrich.text_embeddings import TextEmbeddingsStage
    from deerin.media.probe_stage import ProbeStage
    from deerin.media.proxy import ProxyStage

    return [
        ProbeStage,
        ShotsStage,
        KeyframesStage,
        ProxyStage,
        FramesStage,
        TagsStage,
        FacesStage,
        ShotScaleStage,
        TextStage,
        SubtitlesStage,
        TechStage,
        HashesStage,
        CaptionsStage,
        AudioStage,
        TranscriptStage,
        EntitiesStage,
        TextEmbeddingsStage,
        SummaryStage,
    ]


def stage_names() -> list[str]:
    return [cls.name for cls in stage_classes()]


def build_stages(settings: Settings, names: Iterable[str]) -> list[Stage]:
    """Instantiate the named stages in dependency order."""
    wanted = set(names)
    unknown = wanted - set(stage_names())
    if unknown:
        raise ValueError(f"unknown stage(s): {', '.join(sorted(unknown))}")
    return [cls(settings) for cls in stage_classes() if cls.name in wanted]


def collection_step_classes() -> list[type[CollectionStep]]:
    """Every collection-wide step, in the order they run after the per-video stages."""
    from deerin.enrich.duplicates.groups import DuplicatesStep
    from deerin.enrich.faces.people import PeopleStep

    return [PeopleStep, DuplicatesStep]


def build_collection_steps(settings: Settings, stages: Iterable[str]) -> list[CollectionStep]:
    """The steps whose per-video inputs are among the stages being run."""
    running = set(stages)
    return [cls(settings) for cls in collection_step_classes() if running.issuperset(cls.requires)]
