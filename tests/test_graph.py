"""The stage graph: its order follows the declared inputs, and every mistake in the
declarations stops DEERIn at start-up with one line."""

from __future__ import annotations

import pytest

from deerin.enrich.plugin import collection_steps, stages
from deerin.pipeline.graph import StageGraph, stage_graph
from deerin.plugins import PluginError
from deerin.plugins.stage import Stage, StageContext, StageOutput


def stage(name: str, requires: tuple[str, ...] = (), optional: tuple[str, ...] = ()) -> type:
    """A stage class that only declares (the graph never runs anything)."""

    class Declared(Stage):
        version = "1"

        def run(self, ctx: StageContext) -> StageOutput:
            raise AssertionError("the graph never runs a stage")

    Declared.name, Declared.requires, Declared.optional = name, requires, optional
    return Declared


def test_the_order_follows_the_declared_inputs_not_the_registration_order() -> None:
    registered = [
        stage("summary", ("probe",), ("transcript", "entities")),
        stage("entities", ("probe",), ("transcript",)),
        stage("transcript", ("probe",)),
        stage("probe"),
    ]
    assert StageGraph.build(registered, []).names() == [
        "probe", "transcript", "entities", "summary",
    ]  # fmt: skip


def test_the_built_in_order_puts_every_stage_after_what_it_reads() -> None:
    backwards = StageGraph.build(reversed(stages()), collection_steps())
    for graph in (stage_graph(), backwards):
        position = {name: n for n, name in enumerate(graph.names())}
        for each in graph.stages:
            for needed in each.requires + each.optional:
                assert position[needed] < position[each.name], (needed, each.name)
        assert graph.names()[0] == "probe"
    assert backwards.names() != stage_graph().names()  # ties follow registration order


def test_a_cycle_fails_at_start_up_naming_the_stages() -> None:
    looped = [stage("probe"), stage("a", ("probe", "b")), stage("b", ("a",)), stage("c")]
    with pytest.raises(PluginError, match="the stages a, b read from each other in a cycle"):
        StageGraph.build(looped, [])


def test_an_unknown_name_fails_at_start_up_with_the_closest() -> None:
    with pytest.raises(PluginError, match="keyframes reads from 'shotz'") as caught:
        StageGraph.build([stage("probe"), stage("shots"), stage("keyframes", ("shotz",))], [])
    assert "did you mean shots?" in caught.value.message
    optional = [stage("probe"), stage("captions", (), ("tagz",))]
    with pytest.raises(PluginError, match="captions reads from 'tagz'"):
        StageGraph.build(optional, [])


def test_two_stages_of_one_name_fail_at_start_up() -> None:
    with pytest.raises(PluginError, match="two stages or steps are called 'tags'"):
        StageGraph.build([stage("probe"), stage("tags"), stage("tags")], [])


def test_a_step_reading_an_unknown_stage_fails_too() -> None:
    step = collection_steps()[0]
    with pytest.raises(PluginError, match=f"{step.name} reads from 'faces'"):
        StageGraph.build([stage("probe")], [step])


def test_skipping_a_stage_leaves_out_what_cannot_run_without_it() -> None:
    graph = stage_graph()
    run, also = graph.plan(["shots"])
    assert "shots" not in run and {"keyframes", "frames", "tags", "faces"} <= set(also)
    assert {"transcript", "tech", "audio"} <= set(run)  # they never needed shots
    run, also = graph.plan(["tags"])
    assert also == () and "captions" in run  # captions only reads tags where they ran


def test_redo_reaches_every_stage_that_reads_from_the_one_redone() -> None:
    forced = stage_graph().dependents({"transcript"})
    assert {"transcript", "entities", "text_embeddings", "summary"} <= forced
    assert "shots" not in forced and "tags" not in forced


def test_an_unknown_name_in_skip_or_redo_is_refused_with_the_closest() -> None:
    with pytest.raises(PluginError, match="--skip captoins: there is no stage") as caught:
        stage_graph().check(["captoins"], "--skip")
    assert "did you mean captions?" in caught.value.message
    stage_graph().check(["people", "all"], "--redo", extra=("all",))  # steps and all are fine
