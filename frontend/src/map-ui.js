// The map page's markup, built here so the server's page and the static export (a bare
// shell) share it: the bar (search, layout, colour, zoom, lasso), the stage (the map's
// canvas, an overlay for labels and the lasso, the tooltip), and the side panel (legend,
// selection, details of a shot, saved sets).

import { el, plural } from "./lib.js";

/** What the keys do, for the canvas's text alternative. ``linked``: a shot opens its video. */
function keys(linked) {
  return [
    "Arrow keys move the map, plus and minus zoom, 0 fits it to the screen.",
    `Enter ${linked ? "opens the video of" : "shows the details of"} the shot nearest the centre (marked with a cross).`,
    "S selects the shots in view; L starts a lasso (or Shift and drag), Escape ends it.",
  ].join(" ");
}

/** Build the page into ``root``; returns its parts by name. ``searchable``: a server
 * answers (search, sets, videos to open). */
export function mapPage(root, { searchable }) {
  const parts = {};
  const part = (name, node) => (parts[name] = node);
  const button = (name, label, attributes = {}) => part(name, el("button", { type: "button", id: `map-${name}`, ...attributes }, label));

  const search = el(
    "form",
    { class: "map-search", role: "search", "aria-label": "Light up shots on the map", hidden: !searchable },
    el("label", { for: "map-q", class: "visually-hidden" }, "Light up the shots that match"),
    part(
      "query",
      el("input", {
        id: "map-q",
        type: "search",
        maxlength: "1000",
        autocomplete: "off",
        spellcheck: "false",
        placeholder: 'Words, person:"Name"…',
        "aria-describedby": "map-q-hint",
      }),
    ),
    el("span", { id: "map-q-hint", class: "visually-hidden" }, 'The search page\'s words and fields; person:"Name" lights up where a person is seen.'),
    el("button", { type: "submit" }, "Light up"),
    button("clear", "Clear", { class: "secondary", "aria-label": "Clear the search" }),
  );
  parts.search = search;
  const select = (name, label) =>
    el("label", { class: "map-choice" }, el("span", {}, label), part(name, el("select", { id: `map-${name}` })));
  const bar = el(
    "div",
    { class: "map-bar" },
    el("h1", { id: "map-heading" }, part("heading", el("span", {}, "Map"))),
    search,
    select("layout", "Layout"),
    select("facet", "Colour"),
    el(
      "div",
      { class: "map-zoom", role: "group", "aria-label": "Zoom" },
      button("zoomOut", "−", { "aria-label": "Zoom out", title: "Zoom out (−)" }),
      button("zoomIn", "+", { "aria-label": "Zoom in", title: "Zoom in (+)" }),
      button("fit", "Fit", { title: "Show the whole map (0)" }),
    ),
    button("lasso", "Lasso", {
      class: "secondary",
      "aria-pressed": "false",
      title: "Draw round shots to select them (L, or Shift and drag; S selects the shots in view)",
    }),
  );

  const stage = el(
    "div",
    { class: "map-stage" },
    part(
      "canvas",
      el("canvas", {
        id: "map-canvas",
        tabindex: "0",
        role: "application",
        "aria-roledescription": "map",
        "aria-label": "Map of the collection's shots",
        "aria-describedby": "map-summary map-keys",
      }),
    ),
    part("overlay", el("canvas", { class: "map-overlay", "aria-hidden": "true" })),
    // how many shots a search lit up, over the map's corner (the bar keeps to one line)
    part("count", el("p", { class: "count map-count", id: "map-count", "aria-live": "polite" })),
    part("tooltip", el("div", { class: "map-tooltip", hidden: true, "aria-hidden": "true" })),
    part("message", el("p", { class: "map-message", role: "alert", hidden: true })),
    part("summary", el("p", { id: "map-summary", class: "visually-hidden" }, "Loading the map…")),
    el("p", { id: "map-keys", class: "visually-hidden" }, keys(searchable)),
    // shown while the map has keyboard focus (CSS): where Enter looks, and the keys
    el("div", { class: "map-cross", "aria-hidden": "true" }),
    el("p", { class: "map-key-hint", "aria-hidden": "true" }, `Enter: ${searchable ? "open" : "show"} the shot at the cross · S: select the shots in view`),
  );

  const section = (name, heading, ...children) =>
    part(
      name,
      el("section", { class: `map-panel map-${name}`, "aria-labelledby": `map-${name}-heading` }, el("h2", { id: `map-${name}-heading` }, heading), ...children),
    );
  const side = el(
    "aside",
    { class: "map-side", "aria-label": "Legend, selection and details" },
    section("legend", "Colours", part("legendBody", el("div", {}))),
    section("selection", "Selection", part("selectionBody", el("div", {}))),
    section("details", "Shot", part("detailsBody", el("div", {}))),
    section("sets", "Saved sets", part("setsBody", el("div", {}))),
  );
  parts.selection.hidden = true;
  parts.details.hidden = true;
  parts.sets.hidden = true;
  root.replaceChildren(bar, el("div", { class: "map-body" }, stage, side));
  return parts;
}

/** A shot's picture: its cell of the 128 px atlas over the 32 px one (shown at once when
 * the browser holds that page), as CSS sprites: no canvas, no decoding of our own.
 * ``url(level, page)``: the page's address, a Promise of it, or null. */
export function frame(index, meta, url, label) {
  const node = el("div", { class: "map-frame", role: "img", "aria-label": label || "The shot's frame" });
  const levels = [...meta.atlas].sort((a, b) => b.size - a.size);
  const layers = levels.map(async (level) => {
    const address = await url(level, Math.floor(index / level.per_page));
    if (!address) return null;
    const cell = index % level.per_page;
    const at = (n) => (level.columns > 1 ? (n / (level.columns - 1)) * 100 : 0);
    const position = `${at(cell % level.columns)}% ${at(Math.floor(cell / level.columns))}%`;
    return { image: `url("${address}")`, size: `${level.columns * 100}%`, position };
  });
  Promise.all(layers).then(
    (all) => {
      const shown = all.filter(Boolean);
      node.style.backgroundImage = shown.map((layer) => layer.image).join(", ");
      node.style.backgroundSize = shown.map((layer) => layer.size).join(", ");
      node.style.backgroundPosition = shown.map((layer) => layer.position).join(", ");
    },
    () => node.classList.add("missing"),
  );
  return node;
}

/** A shot's details (from info/<page>.json) as a definition list. */
export function describeShot(info, clusterLabel) {
  const rows = [
    ["Time", info.tc],
    ["Shot", info.s],
    ["Scale", info.scale],
    ["Tags", info.tags],
    ["People", (info.people || []).join(", ")],
    ["Cluster", clusterLabel],
  ].filter(([, value]) => value !== undefined && value !== null && value !== "");
  return el("dl", { class: "map-facts" }, rows.flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, String(value))]));
}

/** What the map shows, in words, for the canvas's text alternative. */
export function summaryText({ count, layout, facet, thumbnails, zoom, lit, selected }) {
  const parts = [
    `A map of ${plural(count, "shot")}, laid out ${layout}, coloured by ${facet}.`,
    thumbnails ? `Close in (×${zoom.toFixed(1)}): pictures of the shots.` : `Far out (×${zoom.toFixed(1)}): a dot per shot.`,
  ];
  if (lit !== null) parts.push(`${plural(lit, "shot")} lit up.`);
  if (selected) parts.push(`${plural(selected, "shot")} selected.`);
  return parts.join(" ");
}
