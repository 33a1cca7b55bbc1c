"""Which stages exist, in the order they run. Adding a stage means adding it here."""

from __future__ import annotations

from collections.abc import Iterable

from deerin.pipeline.stage import Stage
from deerin.settings import Settings


def stage_classes() -> list[type[Stage]]:
    """Every stage, in dependency order (imports are local so workers load only these)."""
    from deerin.enrich.keyframes import KeyframesStage
    from deerin.enrich.shots.stage import ShotsStage
    from deerin.media.probe_stage import ProbeStage
    from deerin.media.proxy import ProxyStage

    return [ProbeStage, ShotsStage, KeyframesStage, ProxyStage]


def stage_names() -> list[str]:
    return [cls.name for cls in stage_classes()]


def build_stages(settings: Settings, names: Iterable[str]) -> list[Stage]:
    """Instantiate the named stages in dependency order."""
    wanted = set(names)
    unknown = wanted - set(stage_names())
    if unknown:
        raise ValueError(f"unknown stage(s): {', '.join(sorted(unknown))}")
    return [cls(settings) for cls in stage_classes() if cls.name in wanted]
