// The graph page: who and what appears with whom in a collection. One node at a time is
// drawn with its strongest neighbours (cytoscape); a click on a node centres the graph on
// it, and a node or a link shows its evidence beside the graph: every moment that shows
// it, with the film, the time, what is said or shown there and a link to that second.
// The lists on the left (found, linked, communities, most mentioned) reach every node by
// keyboard too. The node chosen lives in the address (/graph?node=place:2267057).

import "./graph.css";
import cytoscape from "cytoscape";
import { api, config, el, pageAddress, param, plural, say, setAddress, sourceName, timecode } from "./lib.js";
import { fillChooser } from "./collection-parts.js";

// Okabe and Ito's colours (told apart with every common colour blindness) and a shape
// for each kind, so the legend reads without colour too.
const KINDS = {
  person: { colour: "#D55E00", shape: "ellipse", label: "person" },
  place: { colour: "#0072B2", shape: "diamond", label: "place" },
  entity: { colour: "#E69F00", shape: "hexagon", label: "organisation, group, event" },
  subject: { colour: "#009E73", shape: "round-rectangle", label: "subject" },
  video: { colour: "#8a8f98", shape: "rectangle", label: "film" },
  programme: { colour: "#CC79A7", shape: "octagon", label: "programme" },
};
const PLURALS = { person: "people", entity: "entities", video: "films" };
const FIND_DELAY = 200; // ms after typing before the box looks names up
const MOST_ZOOM = 1.25; // a small neighbourhood is not blown up past this
const FONT = 15; // px of a node's label at the drawing's own size
const LABEL_ROOM = 120; // px along a ring for each node and its label
const RING_GAP = 105; // px between rings

const collection = config.collection || config.collections?.[0] || null;
const base = collection ? `/api/graph/${encodeURIComponent(collection)}` : "";
const $ = (id) => document.getElementById(id);
const count = $("graph-count");
const message = $("graph-message");
const layout = $("graph-layout");
const findForm = $("graph-find");
const findBox = $("graph-q");
const found = $("graph-found");
const foundCount = $("graph-found-count");
const nearSection = $("graph-near-section");
const near = $("graph-near");
const centreTitle = $("graph-centre");
const explain = $("graph-explain");
const canvas = $("graph-canvas");
const evidenceTitle = $("evidence-title");
const evidenceLive = $("evidence-live");
const evidenceBody = $("evidence-body");

let cy = null;
let summary = null;
let shown = null; // the neighbourhood drawn
let edgesById = new Map();
let asked = 0; // the latest request for a node: an older answer arriving late is dropped

/** The graph's hook for scripts and tests: cytoscape itself, the node drawn, open(id). */
window.deerinGraph = { cy: null, centre: () => shown?.node.id ?? null, open: (id) => open(id) };

function kindOf(kind) {
  return KINDS[kind] || KINDS.entity;
}

/** "3 people, 4 places": the counts by kind, in the legend's order. */
function countsText(counts) {
  return Object.keys(KINDS)
    .filter((kind) => counts[kind])
    .map((kind) => plural(counts[kind], kind, PLURALS[kind] || `${kind}s`))
    .join(", ");
}

/** A small picture of a kind's shape and colour, for the legend and the lists. */
function swatch(kind) {
  const { colour, shape } = kindOf(kind);
  const points = {
    diamond: "6,0 12,6 6,12 0,6",
    hexagon: "3,0.5 9,0.5 12,6 9,11.5 3,11.5 0,6",
    octagon: "3.5,0 8.5,0 12,3.5 12,8.5 8.5,12 3.5,12 0,8.5 0,3.5",
    rectangle: "0,2 12,2 12,10 0,10",
  }[shape];
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 12 12");
  svg.setAttribute("class", "graph-swatch");
  svg.setAttribute("aria-hidden", "true");
  svg.innerHTML = points
    ? `<polygon points="${points}" fill="${colour}"/>`
    : shape === "ellipse"
      ? `<circle cx="6" cy="6" r="6" fill="${colour}"/>`
      : `<rect x="0" y="1" width="12" height="10" rx="3" fill="${colour}"/>`;
  return svg;
}

/** One node in a list: a button that centres the graph on it, with a count (its
 * moments, unless ``n`` says how many link it to the node drawn). */
function nodeButton(node, n = null) {
  const counted = n === null ? `${plural(node.mentions, "moment")} in ${plural(node.videos, "film")}` : `${plural(n, "moment")} linking them`;
  return el(
    "li",
    {},
    el(
      "button",
      { type: "button", class: "graph-node-button", dataset: { node: node.id }, onclick: () => open(node.id) },
      swatch(node.kind),
      el("span", { class: "graph-node-label" }, node.label),
      el("span", { class: "graph-node-n", title: counted, "aria-hidden": "true" }, n === null ? node.mentions : `${n}×`),
      el("span", { class: "visually-hidden" }, ` (${node.kind}, ${counted})`),
    ),
  );
}

function showMessage(text) {
  message.textContent = text;
  message.hidden = false;
  layout.hidden = true;
}

async function start() {
  fillChooser($("collections"));
  if (!collection) {
    count.textContent = "";
    showMessage("No collections yet: ingest a folder first (deerin ingest FOLDER -c NAME), then its graph is made.");
    return;
  }
  try {
    summary = await api(base);
  } catch (error) {
    showMessage(`The graph of ${collection} could not be read: ${error.message}`);
    return;
  }
  $("graph-title").textContent = `Graph of ${collection}`;
  document.title = `Graph of ${collection} · DEERIn`;
  count.textContent = `${plural(summary.nodes, "node")} (${countsText(summary.counts)}), ${plural(summary.edges, "link")}, ${plural(
    summary.communities.length,
    "community",
    "communities",
  )} in ${plural(summary.videos, "film")}`;
  if (!summary.nodes || !summary.top.length) {
    showMessage(
      `The graph of ${collection} has no people, places or subjects yet: they come from faces, ` +
        "transcripts, on-screen text and subtitles, so ingest with those stages.",
    );
    return;
  }
  layout.hidden = false;
  explain.textContent =
    `Links: seen, said or shown within ${summary.window} s of each other or in one shot; a thicker line, more moments. ` +
    "Dashed: a relation read by a language model, to be checked. Click a node to centre on it, a node or a link for its evidence." +
    summary.notes.map((note) => ` Note: ${note}.`).join("");
  fillLegend();
  fillCommunities();
  $("graph-top").replaceChildren(...summary.top.map((node) => nodeButton(node)));
  fillDownloads();
  makeGraph();
  const wanted = param("node");
  const first = wanted ? await resolve(wanted) : summary.top[0].id;
  if (first) await open(first, { replace: true });
}

/** A node asked for in the address: its id, else the best node of that name. */
async function resolve(text) {
  if (text.includes(":")) return text;
  findBox.value = text;
  const answer = await api(`${base}/find?${new URLSearchParams({ q: text })}`).catch(() => ({ nodes: [] }));
  showFound(answer.nodes, text);
  if (!answer.nodes.length) return summary.top[0].id;
  return answer.nodes[0].id;
}

function fillLegend() {
  const entries = Object.keys(KINDS)
    .filter((kind) => summary.counts[kind])
    .map((kind) => el("li", {}, swatch(kind), ` ${kindOf(kind).label}`));
  const line = (style, text) => el("li", {}, el("span", { class: `graph-line ${style}`, "aria-hidden": "true" }), ` ${text}`);
  $("graph-legend").replaceChildren(
    ...entries,
    line("together", "together"),
    line("in", "in a film"),
    line("model", "read by a model"),
    el("li", { class: "muted" }, "size: moments"),
  );
}

function fillCommunities() {
  const list = $("graph-communities");
  if (!summary.communities.length) {
    list.replaceChildren(el("li", { class: "muted" }, "No communities: too few links."));
    return;
  }
  list.replaceChildren(
    ...summary.communities.map((community) => {
      const first = community.members[0];
      return el(
        "li",
        { class: "graph-community" },
        el(
          "button",
          {
            type: "button",
            class: "link-button graph-community-button",
            dataset: { community: community.id },
            onclick: () => first && open(first.id),
            "aria-label": `Centre on ${first?.label}: ${community.summary}`,
          },
          community.summary,
        ),
        el("span", { class: "muted small-print" }, ` ${plural(community.size, "node")}${community.summary_by === "model" ? ", summed up by a model" : ""}`),
      );
    }),
  );
}

function fillDownloads() {
  const link = (path, label) => el("a", { class: "button secondary small", href: `${base}/${path}`, download: true }, label);
  $("graph-downloads").replaceChildren(
    link("graph.graphml", "GraphML"),
    link("graph-nodes.csv", "CSV nodes"),
    link("graph-edges.csv", "CSV links"),
  );
}

/** The page's colours, read from its stylesheet (light or dark theme). */
function colours() {
  const style = getComputedStyle(document.documentElement);
  const read = (name, fallback) => style.getPropertyValue(name).trim() || fallback;
  return { ink: read("--ink", "#1c1c1c"), panel: read("--panel", "#fff"), muted: read("--muted", "#555"), focus: read("--focus", "#c2410c") };
}

/** How nodes and links are drawn: colour and shape by kind, size by moments, width by
 * weight; links read by a model dashed and labelled with their relation. */
function graphStyle(c) {
  return [
    {
      selector: "node",
      style: {
        "background-color": (node) => kindOf(node.data("kind")).colour,
        shape: (node) => kindOf(node.data("kind")).shape,
        width: "data(size)",
        height: "data(size)",
        label: "data(label)",
        color: c.ink,
        "font-size": FONT,
        "text-valign": "bottom",
        "text-margin-y": 4,
        "text-wrap": "ellipsis",
        "text-max-width": 150,
        "text-background-color": c.panel,
        "text-background-opacity": 0.85,
        "text-background-padding": 2,
        "text-background-shape": "roundrectangle",
        "border-width": 1.5,
        "border-color": c.panel,
      },
    },
    { selector: "node[kind = 'video']", style: { width: 34, height: 24, "font-style": "italic" } },
    { selector: "node.centre", style: { "border-width": 4, "border-color": c.ink, "font-weight": "bold", "z-index": 10 } },
    { selector: "node:selected", style: { "border-width": 4, "border-color": c.focus } },
    {
      selector: "edge",
      style: {
        width: "data(width)",
        "line-color": c.muted,
        opacity: 0.2,
        "curve-style": "bezier",
      },
    },
    { selector: "edge[kind = 'in']", style: { "line-style": "dotted", width: 1.5 } },
    { selector: "edge[kind = 'part_of']", style: { "line-style": "dotted", "line-color": KINDS.programme.colour } },
    { selector: "edge.linked", style: { "line-color": c.ink, opacity: 0.55 } },
    {
      selector: "edge[by = 'model']",
      style: {
        "line-style": "dashed",
        "line-color": c.focus,
        opacity: 0.9,
        label: "data(relation)",
        "font-size": 12,
        color: c.ink,
        "text-rotation": "autorotate",
        "text-background-color": c.panel,
        "text-background-opacity": 0.85,
        "text-background-padding": 1,
      },
    },
    { selector: "edge:selected", style: { "line-color": c.focus, opacity: 1, "z-index": 9 } },
  ];
}

function makeGraph() {
  const options = { minZoom: 0.2, maxZoom: 3, wheelSensitivity: 0.3, boxSelectionEnabled: false };
  cy = cytoscape({ container: canvas, style: graphStyle(colours()), ...options });
  window.deerinGraph.cy = cy;
  cy.on("tap", "node", (event) => {
    const id = event.target.id();
    if (id === shown?.node.id) showNodeEvidence(shown);
    else open(id, { from: shown?.node.id });
  });
  cy.on("tap", "edge", (event) => showEdgeEvidence(edgesById.get(event.target.id())));
  cy.on("mouseover", "node, edge", () => (canvas.style.cursor = "pointer"));
  cy.on("mouseout", "node, edge", () => (canvas.style.cursor = ""));
  $("graph-fit").addEventListener("click", () => cy.fit(undefined, 30));
}

/** Centre on a node: fetch its neighbourhood, draw it, show its evidence. ``from``: the
 * node it was reached from, whose links to it are shown first. */
async function open(id, { from = null, replace = false, push = true } = {}) {
  const ticket = ++asked;
  canvas.setAttribute("aria-busy", "true");
  let answer;
  try {
    answer = await api(`${base}/node?${new URLSearchParams({ id })}`);
  } catch (error) {
    say(error.message, "error");
    evidenceLive.textContent = `That node could not be opened: ${error.message}`;
    return;
  } finally {
    canvas.removeAttribute("aria-busy");
  }
  if (ticket !== asked) return;
  shown = answer;
  if (push) setAddress(pageAddress([["node", id]]), { replace });
  draw(answer);
  fillNear(answer);
  showNodeEvidence(answer, from);
}

function draw(answer) {
  const most = Math.max(1, ...answer.nodes.filter((n) => n.kind !== "video").map((n) => n.mentions));
  const heaviest = Math.max(1, ...answer.edges.map((e) => e.weight));
  edgesById = new Map(answer.edges.map((edge, i) => [`e${i}`, edge]));
  const centre = answer.node.id;
  const elements = [
    ...answer.nodes.map((node) => ({
      group: "nodes",
      data: { id: node.id, label: node.label, kind: node.kind, size: 24 + 40 * Math.sqrt(node.mentions / most) },
      classes: node.id === centre ? "centre" : "",
    })),
    ...answer.edges.map((edge, i) => ({
      group: "edges",
      data: {
        ...{ id: `e${i}`, source: edge.source, target: edge.target },
        ...{ kind: edge.kind, by: edge.by, relation: edge.relation, width: 1 + 7 * Math.sqrt(edge.weight / heaviest) },
      },
      classes: edge.source === centre || edge.target === centre ? "linked" : "",
    })),
  ];
  cy.batch(() => {
    cy.elements().remove();
    cy.add(elements);
  });
  ringLayout(answer, centre);
  cy.fit(undefined, 30);
  if (cy.zoom() > MOST_ZOOM) {
    cy.zoom(MOST_ZOOM);
    cy.center();
  }
  // A big neighbourhood is drawn smaller: its labels grow to stay readable (up to 1.4×).
  const grow = Math.min(1.4, Math.max(1, 0.9 / cy.zoom()));
  cy.nodes().style("font-size", FONT * grow);
  cy.getElementById(centre).style("font-size", (FONT + 2) * grow);
  centreTitle.textContent = answer.node.label;
  const drawn = answer.nodes.length - 1;
  canvas.setAttribute(
    "aria-label",
    `${answer.node.label} and ${plural(drawn, "neighbour")}${answer.more ? ` (${answer.more} more not drawn)` : ""}: ` +
      `the list "Linked to ${answer.node.label}" holds the same`,
  );
}

/** Rings around the centre, the strongest neighbours on the inner ring and the films
 * last; each ring as wide as its nodes' labels need, stretched to the drawing's shape. */
function ringLayout(answer, centre) {
  const others = answer.nodes.filter((n) => n.id !== centre && n.kind !== "video");
  const films = answer.nodes.filter((n) => n.kind === "video");
  const rings = [];
  let left = [...others, ...films];
  let size = 8;
  while (left.length) {
    rings.push(left.slice(0, size));
    left = left.slice(size);
    size = Math.round(size * 1.6);
  }
  const aspect = Math.sqrt(Math.min(2, (canvas.clientWidth || 4) / (canvas.clientHeight || 3)));
  cy.getElementById(centre).position({ x: 0, y: 0 });
  let radius = 0;
  rings.forEach((ring, r) => {
    radius = Math.max(radius + RING_GAP, (ring.length * LABEL_ROOM) / (2 * Math.PI));
    const turn = r % 2 ? Math.PI / ring.length : 0; // rings staggered: labels do not line up
    ring.forEach((node, i) => {
      const angle = -Math.PI / 2 + turn + (2 * Math.PI * i) / ring.length;
      cy.getElementById(node.id).position({ x: radius * Math.cos(angle) * aspect, y: (radius * Math.sin(angle)) / aspect });
    });
  });
}

/** The neighbours drawn, as a list the keyboard reaches, most linked first. */
function fillNear(answer) {
  const centre = answer.node.id;
  const linking = new Map();
  for (const edge of answer.edges) {
    const other = edge.source === centre ? edge.target : edge.target === centre ? edge.source : null;
    if (other) linking.set(other, (linking.get(other) || 0) + edge.weight);
  }
  const neighbours = answer.nodes.slice(1);
  const more = answer.more ? ` (the ${neighbours.length} most linked; ${answer.more} more)` : "";
  $("graph-near-title").textContent = `Linked to ${answer.node.label}${more}`;
  near.replaceChildren(...neighbours.map((node) => nodeButton(node, linking.get(node.id) || 0)));
  nearSection.hidden = !neighbours.length;
  for (const button of document.querySelectorAll(".graph-node-button")) {
    button.setAttribute("aria-current", button.dataset.node === centre ? "true" : "false");
  }
}

/** A list of moments: film, time, source, what is said or shown, a link to it. */
function momentList(moments) {
  return el(
    "ol",
    { class: "graph-moments" },
    moments.map((moment) =>
      el(
        "li",
        { class: "graph-moment" },
        el(
          "p",
          { class: "graph-moment-where" },
          el("a", { href: moment.link, class: "graph-moment-link", title: moment.file }, moment.title),
          " ",
          el("span", { class: "graph-moment-time" }, timecode(Math.floor(moment.start), 0)),
          " ",
          el("span", { class: "graph-moment-source" }, sourceName(moment.source)),
        ),
        moment.text ? el("p", { class: "graph-moment-text" }, `“${moment.text}”`) : null,
        moment.file && moment.file !== moment.title ? el("p", { class: "graph-moment-file muted" }, moment.file) : null,
      ),
    ),
  );
}

function edgeName(edge) {
  const label = (id) => shown?.nodes.find((n) => n.id === id)?.label ?? id;
  if (edge.kind === "relation") return `${label(edge.source)} — ${edge.relation} — ${label(edge.target)}`;
  if (edge.kind === "in") return `${label(edge.source)} in ${label(edge.target)}`;
  if (edge.kind === "part_of") return `${label(edge.source)}, part of ${label(edge.target)}`;
  return `${label(edge.source)} and ${label(edge.target)}`;
}

function linkFacts(edge) {
  const kept = edge.evidence.length < edge.weight ? ` (the first ${edge.evidence.length} shown)` : "";
  const how = {
    together: "together",
    in: "seen, said or shown in the film",
    part_of: "in the catalogue",
    relation: "read by a language model: check it against the passage",
  }[edge.kind];
  return `${plural(edge.weight, "moment")}${kept}, ${how}`;
}

function showEdgeEvidence(edge) {
  if (!edge) return;
  evidenceTitle.textContent = edgeName(edge);
  evidenceLive.textContent = linkFacts(edge);
  evidenceBody.replaceChildren(momentList(edge.evidence));
  evidenceTitle.focus({ preventScroll: true });
}

/** "place, PT: 3 moments in 2 films"; a film: "film, 1968". */
function nodeFacts(node) {
  if (node.kind === "video") return ["film", node.detail].filter(Boolean).join(", ");
  return `${node.kind}${node.detail ? `, ${node.detail}` : ""}: ${plural(node.mentions, "moment")} in ${plural(node.videos, "film")}`;
}

/** A node's evidence: its links to the node it was reached from, then its own moments. */
function showNodeEvidence(answer, from = null) {
  const node = answer.node;
  evidenceTitle.textContent = node.label;
  evidenceLive.textContent = nodeFacts(node);
  const parts = [];
  const joins = (edge) => edge.kind !== "in" && new Set([edge.source, edge.target, from, node.id]).size === 2;
  const links = from ? answer.edges.filter(joins) : [];
  for (const edge of links) {
    parts.push(el("h3", {}, edgeName(edge)), el("p", { class: "muted small-print" }, linkFacts(edge)), momentList(edge.evidence));
  }
  if (node.kind === "video") {
    const id = node.id.slice("video:".length);
    parts.push(el("p", {}, el("a", { href: `/video/${encodeURIComponent(id)}` }, "Open the film")));
  }
  if (answer.moments.length) {
    const heading = node.kind === "video" ? "What is in it" : "Where it is seen, said or shown";
    parts.push(el("h3", {}, heading), momentList(answer.moments));
  }
  if (!parts.length) parts.push(el("p", { class: "muted" }, "No moments kept for it."));
  evidenceBody.replaceChildren(...parts);
}

function showFound(nodes, text) {
  foundCount.textContent = nodes.length
    ? `${plural(nodes.length, "match", "matches")} for “${text}”`
    : `Nothing called “${text}” in the graph.`;
  found.replaceChildren(...nodes.map((node) => nodeButton(node)));
  found.hidden = !nodes.length;
}

async function find(text, { pick = false } = {}) {
  const wanted = text.trim();
  if (!wanted) {
    found.hidden = true;
    foundCount.textContent = "";
    return;
  }
  try {
    const answer = await api(`${base}/find?${new URLSearchParams({ q: wanted })}`);
    if (findBox.value.trim() !== wanted) return; // typed on since
    showFound(answer.nodes, wanted);
    if (pick && answer.nodes.length) await open(answer.nodes[0].id, { from: shown?.node.id });
  } catch (error) {
    say(error.message, "error");
  }
}

findForm.addEventListener("submit", (event) => {
  event.preventDefault();
  clearTimeout(find.timer);
  find(findBox.value, { pick: true });
});
findBox.addEventListener("input", () => {
  clearTimeout(find.timer);
  find.timer = setTimeout(() => find(findBox.value), FIND_DELAY);
});
window.addEventListener("popstate", async () => {
  const wanted = param("node");
  if (summary?.top.length) open(wanted ? await resolve(wanted) : summary.top[0].id, { push: false });
});

start().catch((error) => showMessage(`The graph page could not start: ${error.message}`));
