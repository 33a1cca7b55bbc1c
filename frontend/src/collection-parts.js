// Parts the collection page shares with the search and people pages: the chooser of
// collections and the poster a sound recording gets (it has no picture to show).

import { config, el } from "./lib.js";

const SVG = "http://www.w3.org/2000/svg";

/** Links to each collection (and, where `all` is given, to all of them), the current one
 * marked; shown only when there is more than one collection to choose from. Links, not a
 * select: each choice is a page of its own that can be bookmarked and opened in a tab. */
export function fillChooser(nav, { all = null } = {}) {
  const names = config.collections || [];
  if (names.length < 2) return;
  const here = (name) => {
    const query = name ? `?${new URLSearchParams({ collection: name })}` : "";
    return `${location.pathname}${query}`;
  };
  const choices = [...(all ? [[null, all]] : []), ...names.map((name) => [name, name])];
  nav.append(
    el("span", { class: "chooser-label", id: `${nav.id}-label` }, "Collection:"),
    el(
      "ul",
      { "aria-labelledby": `${nav.id}-label` },
      choices.map(([name, label]) =>
        el("li", {}, el("a", { href: here(name), "aria-current": (config.collection || null) === name && "page" }, label)),
      ),
    ),
  );
  nav.hidden = false;
}

/** A loudspeaker and sound waves in place of a poster frame, labelled for screen readers
 * only where the picture is the only thing saying it is a sound recording. */
export function soundPoster({ labelled = false } = {}) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 64 36");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.innerHTML =
    '<path d="M20 14h5l7-6v20l-7-6h-5z" fill="currentColor"/>' +
    '<path d="M36 13a7 7 0 0 1 0 10M39 9a12 12 0 0 1 0 18M42 5a17 17 0 0 1 0 26" ' +
    'fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>';
  const attributes = labelled ? { role: "img", "aria-label": "Sound recording" } : {};
  return el("div", { class: "poster sound-poster", ...attributes }, svg, el("span", { "aria-hidden": "true" }, "Sound"));
}
