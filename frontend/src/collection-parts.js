// Parts the collection page shares with the search and people pages: the chooser of
// collections, a card's poster, and the poster a sound recording gets (it has no picture).

import { config, el, thumbUrl } from "./lib.js";

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

/** A card's poster: its picture (lazy: a page holds dozens), else what ``fallback()``
 * draws, and ``more`` on top. A link the mouse can use, hidden from the Tab key and screen
 * readers: the card's title links to the same place and says what it is. */
export function posterLink(href, thumbnail, fallback, ...more) {
  const picture = thumbnail
    ? el("img", { src: thumbUrl(thumbnail), alt: "", loading: "lazy", decoding: "async", width: 320, height: 180 })
    : fallback();
  return el("a", { class: "poster-link", href, tabindex: "-1", "aria-hidden": "true" }, picture, ...more);
}

/** A loudspeaker and sound waves in place of a poster frame (decoration: the card's
 * facts say it is a sound recording). */
export function soundPoster() {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 64 36");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.innerHTML =
    '<path d="M20 14h5l7-6v20l-7-6h-5z" fill="currentColor"/>' +
    '<path d="M36 13a7 7 0 0 1 0 10M39 9a12 12 0 0 1 0 18M42 5a17 17 0 0 1 0 26" ' +
    'fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>';
  return el("div", { class: "poster sound-poster" }, svg, el("span", { "aria-hidden": "true" }, "Sound"));
}
