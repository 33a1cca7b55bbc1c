// The map page of the server: the collection's map from /api/map/<collection>/, with
// search (light up what a search finds), saving a selection as a set and links to videos.

import { api, config, el } from "./lib.js";
import { startMap } from "./map-app.js";

const root = document.getElementById("map-root");
// The server names the collection to map (the one asked for, else the first with a map).
const collection = config.map || config.collection;

if (collection) {
  startMap(root, { base: `/api/map/${encodeURIComponent(collection)}/`, isStatic: false, server: { api, collection } });
} else {
  root.replaceChildren(
    el("h1", {}, "Map"),
    el("p", {}, "Choose a collection to map:"),
    el(
      "ul",
      {},
      (config.collections || []).map((name) => el("li", {}, el("a", { href: `/map?${new URLSearchParams({ collection: name })}` }, name))),
    ),
  );
}
