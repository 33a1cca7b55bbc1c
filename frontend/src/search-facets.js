// The search page's facets: each value a button that adds its term of the grammar
// (docs/search.md) to the search box, or takes it out again, and searches.

import { el } from "./lib.js";

// The layers `in:` accepts; other kinds of match (a shot, a face, a place) have no term.
const SOURCES = ["speech", "subtitles", "text", "captions", "summary", "metadata", "tags"];
// What each kind of match is called: on a facet, on a hit and in its preview alike.
const KINDS = {
  speech: "speech",
  subtitles: "subtitles",
  text: "on-screen text",
  captions: "captions",
  summary: "summary",
  metadata: "catalogue record",
  tags: "tags",
  shot: "picture",
  face: "face",
  place: "place",
  video: "video",
};
const SCALES = { ECS: "extreme close-up", CS: "close-up", MS: "medium", FS: "full", LS: "long" };
const SHOWN = 8; // values shown before "all N"

/** Each facet: its heading, how a value reads, and the term that picks it (or null). */
const FACETS = [
  ["video", "Video", (v) => v, (v) => `video:${quoted(v)}`],
  ["kind", "Found in", kindName, (v) => (SOURCES.includes(v) ? `in:${v}` : null)],
  ["person", "Person", (v) => v, (v) => `person:${quoted(v)}`],
  ["year", "Year", (v) => v, (v) => `year:${v}`],
  ["media", "Media", (v) => (v === "sound" ? "sound recordings" : "films"), (v) => `media:${v}`],
  ["scale", "Shot scale", (v) => (SCALES[v] ? `${SCALES[v]} (${v})` : v), (v) => `scale:${v}`],
  ["lang", "Language", (v) => v, (v) => `lang:${quoted(v)}`],
  ["collection", "Collection", (v) => v, (v) => `collection:${quoted(v)}`],
];

// The search box's tokens as the server reads them (deerin.retrieve.query.TOKEN).
const TOKEN = /(-?)(?:([A-Za-z_]+):)?("[^"]*(?:"|$)|\S+)/g;

/** The name of a kind of match ("text" → "on-screen text"). */
export function kindName(kind) {
  return KINDS[kind] || kind;
}

function quoted(value) {
  const bare = String(value).replaceAll('"', "");
  return /[\s:]/.test(bare) || !bare ? `"${bare}"` : bare;
}

/** A term's identity: its field and value, case and quotes aside. */
function key(field, value) {
  return `${(field || "").toLowerCase()}:${value.replace(/^"|"$/g, "").toLowerCase()}`;
}

function find(text, term) {
  const [wanted] = [...term.matchAll(TOKEN)].map((m) => key(m[2], m[3]));
  return [...text.matchAll(TOKEN)].find((m) => !m[1] && key(m[2], m[3]) === wanted);
}

function hasTerm(text, term) {
  return Boolean(find(text, term));
}

/** The search box with the term added, or taken out when it is already there. */
function toggleTerm(text, term) {
  const found = find(text, term);
  if (!found) return `${text.trim()} ${term}`.trim();
  return `${text.slice(0, found.index)} ${text.slice(found.index + found[0].length)}`.replace(/\s+/g, " ").trim();
}

/** The facets of a result as headed lists of toggle buttons; `choose(term)` searches. */
export function facetGroups(facets, text, choose) {
  return FACETS.filter(([name]) => Object.keys(facets[name] || {}).length).map(([name, heading, label, term]) => {
    const values = Object.entries(facets[name]);
    const items = values.map(([value, count], at) => {
      const chosen = term(value);
      const body = [el("span", { class: "facet-value" }, label(value)), el("span", { class: "facet-count" }, count)];
      const item = chosen
        ? el(
            "button",
            {
              type: "button",
              class: "facet",
              "aria-pressed": String(hasTerm(text, chosen)),
              dataset: { term: chosen },
              title: chosen,
              onclick: () => choose(toggleTerm(text, chosen), chosen),
            },
            body,
          )
        : el("span", { class: "facet" }, body);
      return el("li", { hidden: at >= SHOWN }, item);
    });
    const list = el("ul", { class: "facet-values", "aria-labelledby": `facet-${name}` }, items);
    const more =
      values.length > SHOWN
        ? el("button", { type: "button", class: "link-button", "aria-expanded": "false", onclick: (event) => showAll(event, list) }, `All ${values.length}`)
        : null;
    return el("section", { class: "facet-group", dataset: { facet: name } }, el("h3", { id: `facet-${name}` }, heading), list, more);
  });
}

function showAll(event, list) {
  for (const item of list.children) item.hidden = false;
  event.target.setAttribute("aria-expanded", "true");
  event.target.hidden = true;
  list.children[SHOWN]?.querySelector("button")?.focus();
}
