"""Questions about the whole collection, answered from its graph with cited moments.

"Who appears most often with the mayor?" or "what are the main subjects of the 1960s
films?" are not answered by any one passage: retrieval would quote a few and miss the
rest. The graph counts every moment, so these questions are answered by counting its
links, and each line cites the moments that show it, as a passage answer does.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from deerin.errors import DeerinError
from deerin.index.schemas.graph import Evidence, GraphNode
from deerin.retrieve.answers import Answer, AnswerSentence, Citation, citation, video_facts
from deerin.retrieve.citations import content_stems
from deerin.retrieve.graph import normal, read_graph
from deerin.retrieve.graph_queries import GraphIndex
from deerin.retrieve.query import DECADE, Query
from deerin.retrieve.search import Searcher
from deerin.settings import Settings

WITH = re.compile(
    r"\b(?:who|which (?:people|persons?|faces?))\b.*?\b(?:with|alongside|beside)\s+"
    r"(?:the\s+)?(?P<name>[^?.!]+)",
    re.IGNORECASE,
)
SUBJECTS = re.compile(
    r"\b(?:main|chief|principal|most common|recurring|key|major)\s+(?:subjects?|topics?|themes?)\b"
    r"|\bwhat (?:are|were) the (?:[\w-]+ )*(?:films?|videos?|recordings?) about\b",
    re.IGNORECASE,
)
YEARS = re.compile(rf"{DECADE.pattern}|\b\d{{4}}\b")
SUBJECT_WORDS = re.compile(
    r"\b(?:what|are|were|the|main|chief|principal|most|common|recurring|key|major|subjects?|"
    r"topics?|themes?|of|in|films?|videos?|recordings?|collection|archive|about|this|these)\b",
    re.IGNORECASE,
)
TRAILING = re.compile(
    r"(?:\s+(?:most often|most|often))?(?:\s+(?:in|from|during|of)\s+(?:the\s+)?"
    r"(?:\d{4}s?\b|films?\b|videos?\b|collection\b|archive\b).*)?$",
    re.IGNORECASE,
)
PEOPLE = ("person",)
NAMED_KINDS = ("person", "place", "entity", "subject", "programme")
LISTED = 5  # lines of a graph answer
CITED = 2  # moments each line cites


def graph_answer(
    settings: Settings, searcher: Searcher, text: str, query: Query, notes: list[str]
) -> Answer | None:
    """The answer from the graph, or None when the question is not one the graph answers
    (or names nothing in it): then retrieval answers."""
    together = WITH.search(text)
    if together is None and not SUBJECTS.search(text):
        return None
    graphs = _graphs(settings, searcher, notes)
    if not graphs:
        return None
    if together is not None:
        name = TRAILING.sub("", together.group("name").strip())
        return _people_with(searcher, graphs, name, text, query, notes)
    if content_stems(SUBJECT_WORDS.sub(" ", YEARS.sub(" ", text))):
        return None  # "…of the films about the Clyde": a topic retrieval must find
    return _subjects(searcher, graphs, text, query, notes)


def _graphs(settings: Settings, searcher: Searcher, notes: list[str]) -> dict[str, GraphIndex]:
    found = {}
    for scope in searcher.scopes:
        try:
            found[scope.name] = GraphIndex(read_graph(settings, scope.name))
        except DeerinError as exc:
            notes.append(f"{scope.name}: {exc.problem}")
    return found


def _years(graph: GraphIndex, query: Query) -> set[str] | None:
    """The videos the question's years allow (None: every video)."""
    if query.filters.years is None:
        return None
    first, last = query.filters.years
    return {
        n.id.removeprefix("video:")
        for n in graph.graph.nodes
        if n.kind == "video" and n.detail.isdigit() and first <= int(n.detail) <= last
    }


def _people_with(
    searcher: Searcher,
    graphs: dict[str, GraphIndex],
    name: str,
    text: str,
    query: Query,
    notes: list[str],
) -> Answer | None:
    lines: list[tuple[int, str, list[tuple[str, Evidence]]]] = []
    asked: GraphNode | None = None
    for collection, graph in graphs.items():
        found = graph.find(name, NAMED_KINDS)
        if not found:
            continue
        asked = asked or found[0]
        allowed = _years(graph, query)
        for near in graph.neighbours(found[0].id, PEOPLE):
            if _part_of_name(near.node.label, found[0].label):
                continue  # "karl" beside "Karl Marx": one name heard in parts
            seen = [edge for edge in near.edges if edge.kind == "together"]  # not a model's
            counts = Counter(
                {v: n for edge in seen for v, n in edge.videos.items()
                 if allowed is None or v in allowed}
            )  # fmt: skip
            weight, videos = sum(counts.values()), len(counts)
            moments = [e for edge in seen for e in edge.evidence if e.video_id in counts]
            if not weight:
                continue
            line = (f"{near.node.label} is seen or named with {found[0].label} {_times(weight)}, "
                    f"in {videos} film{'s' if videos != 1 else ''}.")  # fmt: skip
            lines.append((weight, line, [(collection, e) for e in moments[:CITED]]))
    if asked is None:
        notes.append(f"The graph has nobody and nothing called “{name}”; passages are searched.")
        return None
    if not lines:
        years = query.filters.years
        where = f"the films of {years[0]}–{years[1]}" if years else "the collection"
        return Answer(question=text, found=False, mode="graph",
                      answer=f"No one is seen or named with {asked.label} in {where}.",
                      sentences=[], citations=[], notes=notes)  # fmt: skip
    lines.sort(key=lambda line: -line[0])
    return _answer(searcher, text, lines[:LISTED], notes)


def _subjects(
    searcher: Searcher, graphs: dict[str, GraphIndex], text: str, query: Query, notes: list[str]
) -> Answer:
    counts: Counter[tuple[str, str]] = Counter()
    moments: dict[tuple[str, str], list[Evidence]] = defaultdict(list)
    films: dict[tuple[str, str], set[str]] = defaultdict(set)
    for collection, graph in graphs.items():
        allowed = _years(graph, query)
        for edge in graph.graph.edges:
            video = edge.target.removeprefix("video:")
            node = graph.nodes.get(edge.source)
            if edge.kind != "in" or node is None or node.kind not in NAMED_KINDS:
                continue
            if allowed is not None and video not in allowed:
                continue
            key = (collection, node.id)
            counts[key] += edge.weight
            moments[key] += edge.evidence
            films[key].add(video)
    if not counts:
        none = "The graph holds no subjects for those films."
        return Answer(question=text, found=False, mode="graph", answer=none, sentences=[],
                      citations=[], notes=notes)  # fmt: skip
    lines = []
    for (collection, node_id), weight in counts.most_common(LISTED):
        node = graphs[collection].nodes[node_id]
        count = len(films[(collection, node_id)])
        line = (f"{node.label} ({_kind(node)}): {_times(weight, 'moment')} in {count} "
                f"film{'s' if count != 1 else ''}.")  # fmt: skip
        lines.append(
            (weight, line, [(collection, e) for e in moments[(collection, node_id)][:CITED]])
        )
    return _answer(searcher, text, lines, notes)


def _part_of_name(label: str, asked: str) -> bool:
    words, named = set(normal(label).split()), set(normal(asked).split())
    return bool(words) and (words <= named or named <= words)


def _kind(node: GraphNode) -> str:
    return node.detail.lower() if node.kind == "entity" and node.detail else node.kind


def _times(count: int, noun: str = "time") -> str:
    return f"{count} {noun}{'s' if count != 1 else ''}"


def _answer(
    searcher: Searcher,
    text: str,
    lines: list[tuple[int, str, list[tuple[str, Evidence]]]],
    notes: list[str],
) -> Answer:
    """Each line with its moments numbered as citations."""
    wanted = {(c, e.video_id) for _, _, cited in lines for c, e in cited}
    facts = video_facts(searcher, wanted)
    citations: list[Citation] = []
    sentences = []
    for _, line, cited in lines:
        numbers = []
        for collection, e in cited:
            citations.append(citation(len(citations) + 1, collection, e.video_id, facts,
                                      e.source, e.start, e.end, e.text))  # fmt: skip
            numbers.append(len(citations))
        sentences.append(AnswerSentence(text=line, citations=numbers, support=1.0, kept=True))
    notes = [*notes, "Counted from the collection's graph: every moment two things are seen, "
             "said or shown together."]  # fmt: skip
    answer = " ".join(f"{s.text} {''.join(f'[{n}]' for n in s.citations)}" for s in sentences)
    return Answer(question=text, found=True, mode="graph", answer=answer, sentences=sentences,
                  citations=citations, notes=notes)  # fmt: skip
