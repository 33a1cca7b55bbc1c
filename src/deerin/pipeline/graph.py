"""The stage graph: which stages and collection steps exist, and the order they run in.

Nobody keeps the order by hand: it follows from what each stage declares it reads
(``requires`` and ``optional``). The graph is built once from every plugin's stages and
checked as it is built, so a misspelt name, two stages with one name or a cycle stop
DEERIn at start-up with one line saying which, instead of a video failing later. The
order is topological and otherwise the order plugins registered their stages in, so
it is the same on every run and every machine.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from deerin import plugins
from deerin.errors import closest
from deerin.plugins import PluginError
from deerin.plugins.stage import PROBE, Stage
from deerin.plugins.step import CollectionStep
from deerin.settings import Settings


@dataclass(frozen=True)
class StageGraph:
    """Stages in run order, collection steps in run order, both checked."""

    stages: tuple[type[Stage], ...]
    steps: tuple[type[CollectionStep], ...]

    @classmethod
    def build(
        cls, stages: Iterable[type[Stage]], steps: Iterable[type[CollectionStep]]
    ) -> StageGraph:
        """Check the declarations and order the stages; raises PluginError naming the fault."""
        stages, steps = list(stages), list(steps)
        for item, kind in [*((s, Stage) for s in stages), *((s, CollectionStep) for s in steps)]:
            if not (isinstance(item, type) and issubclass(item, kind) and hasattr(item, "name")):
                raise PluginError(
                    f"a plugin registered {item!r}, which is not a {kind.__name__} class "
                    "with a name",
                    hint="check the plugin's stages() and collection_steps() hooks",
                )
        names = [stage.name for stage in stages] + [step.name for step in steps]
        for name in {n for n in names if names.count(n) > 1}:
            raise PluginError(f"two stages or steps are called {name!r}", hint=_who(name, stages))
        known = {stage.name for stage in stages}
        for item in [*stages, *steps]:
            for needed in (*item.requires, *item.optional):
                if needed not in known:
                    raise PluginError(
                        f"{item.name} reads from {needed!r}, which is not a stage",
                        hint=_suggest(needed, known),
                    )
        if PROBE not in known:
            raise PluginError("no stage is called 'probe'; every video starts with it")
        return cls(tuple(_ordered(stages)), tuple(steps))

    def names(self) -> list[str]:
        """Every stage's name, in run order."""
        return [stage.name for stage in self.stages]

    def step_names(self) -> list[str]:
        return [step.name for step in self.steps]

    def check(self, names: Iterable[str], option: str, extra: Iterable[str] = ()) -> None:
        """Refuse a name that is no stage or step (``--skip``/``--redo``), with the closest."""
        known = {*self.names(), *self.step_names(), *extra}
        for name in names:
            if name not in known:
                raise PluginError(
                    f"{option} {name}: there is no stage or collection step of that name",
                    hint=_suggest(name, known),
                )

    def dependents(self, names: Iterable[str]) -> set[str]:
        """``names`` and every stage that reads from them, directly or not."""
        found = set(names)
        for stage in self.stages:  # in run order: readers come after what they read
            if found.intersection(stage.requires + stage.optional):
                found.add(stage.name)
        return found

    def plan(self, skipped: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The stages to run with ``skipped`` left out, and the stages also left out
        because they require one of those (they could not run without it)."""
        left_out = set(skipped)
        also: list[str] = []
        for stage in self.stages:
            if stage.name not in left_out and left_out.intersection(stage.requires):
                left_out.add(stage.name)
                also.append(stage.name)
        return tuple(n for n in self.names() if n not in left_out), tuple(also)

    def build_stages(self, settings: Settings, names: Iterable[str]) -> list[Stage]:
        """Instances of the named stages, in run order."""
        wanted = set(names)
        self.check(wanted, "stage")
        return [cls(settings) for cls in self.stages if cls.name in wanted]

    def build_steps(self, settings: Settings, stages: Iterable[str]) -> list[CollectionStep]:
        """The collection steps whose per-video inputs are among the stages being run."""
        running = set(stages)
        skipped = set(settings.run.skip_stages)
        return [
            cls(settings)
            for cls in self.steps
            if running.issuperset(cls.requires) and cls.name not in skipped
        ]


@cache
def stage_graph() -> StageGraph:
    """The graph of every registered stage and step, built and checked once per process."""
    return StageGraph.build(plugins.collect("stages"), plugins.collect("collection_steps"))


def _ordered(stages: list[type[Stage]]) -> list[type[Stage]]:
    """Topological order (Kahn's), ties broken by registration order; a cycle is an error."""
    position = {stage.name: n for n, stage in enumerate(stages)}
    reads = {stage.name: set(stage.requires + stage.optional) for stage in stages}
    ordered: list[type[Stage]] = []
    placed: set[str] = set()
    while len(ordered) < len(stages):
        ready = [s for s in stages if s.name not in placed and reads[s.name] <= placed]
        if not ready:
            stuck = sorted((n for n in reads if n not in placed), key=position.get)
            raise PluginError(
                f"the stages {', '.join(stuck)} read from each other in a cycle",
                hint="one of them must stop declaring the other in requires or optional",
            )
        first = min(ready, key=lambda s: position[s.name])
        ordered.append(first)
        placed.add(first.name)
    return ordered


def _suggest(name: str, known: Iterable[str]) -> str:
    guess = closest(name, sorted(known))
    choices = ", ".join(sorted(known))
    return f"did you mean {guess}? (known: {choices})" if guess else f"known: {choices}"


def _who(name: str, stages: list[type[Stage]]) -> str:
    modules = sorted({s.__module__ for s in stages if s.name == name})
    return f"registered by {', '.join(modules)}; rename one" if modules else "rename one"
