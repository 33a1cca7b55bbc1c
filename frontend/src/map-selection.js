// The lasso's selection: how many shots, a few of their pictures, and what to do with
// them: save them as a named set on the server (search then finds them with
// set:"NAME"), or, in a static export, download them as JSON. The collection's saved
// sets below.

import { downloadBlob, el, plural, say } from "./lib.js";

const SHOWN = 8; // pictures of the selection shown
const DOWNLOAD_DETAILS = 20_000; // beyond, the download lists the points without their shots
const NAME_MAX = 80; // characters in a set's name (the server's limit)

/** The search that finds a set: its name quoted (a name may hold spaces), as the CLI
 * writes it. The server refuses a name with a double quote, so none needs escaping. */
function setQuery(name) {
  return `set:"${name}"`;
}

/** The sequence page for a set's shots. */
function sequenceHref(name, collection) {
  return `/sequence?${new URLSearchParams({ q: setQuery(name), collection })}`;
}

/** Sorted point numbers as half-open runs [[start, end], ...]: a lasso's points are
 * mostly consecutive (the Hilbert order), so 200,000 of them fit in a small request. */
function pointRanges(points) {
  const ranges = [];
  for (const point of points) {
    const last = ranges[ranges.length - 1];
    if (last && last[1] === point) last[1] = point + 1;
    else ranges.push([point, point + 1]);
  }
  return ranges;
}

/** The selection and sets panels. ``server``: {api, collection} or null (an export).
 * ``mapChanged()``: the server says the map is not the one this page shows any more. */
export function createSelection(parts, { meta, server, isStatic, info, thumbnail, clear, mapChanged }) {
  let points = null;
  let layout = "";
  const canSave = Boolean(server) && !meta.static && meta.editable !== false;
  const name = el("input", {
    id: "map-set-name",
    type: "text",
    maxlength: String(NAME_MAX),
    autocomplete: "off",
    required: true,
    "aria-describedby": "map-set-problem",
  });
  const problem = el("p", { id: "map-set-problem", class: "map-save-problem", role: "alert" });
  const saved = el("p", { class: "map-saved", hidden: true });
  const form = el(
    "form",
    { class: "map-save", hidden: !canSave },
    el("label", { for: "map-set-name" }, "Name of the set"),
    el("div", { class: "map-save-row" }, name, el("button", { type: "submit" }, "Save as set")),
    problem,
    saved,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    save();
  });
  const download = el("button", { type: "button", class: "secondary", hidden: canSave, onclick: () => downloadSelection() }, "Download selection (JSON)");
  const count = el("p", { class: "map-selection-count" });
  const pictures = el("ul", { class: "map-selection-frames" });
  const why = server && !canSave ? el("p", { class: "muted" }, "This server allows no edits: the selection cannot be saved here.") : null;
  const actions = el("p", {}, download, " ", el("button", { type: "button", class: "secondary", onclick: clear }, "Clear selection"));
  parts.selectionBody.replaceChildren(...[count, pictures, form, why, actions].filter(Boolean));

  async function save() {
    const label = name.value.trim();
    if (!label || !points) return;
    problem.textContent = "";
    try {
      const made = await server.api("/api/sets", {
        method: "POST",
        body: { collection: meta.collection, name: label, ranges: pointRanges(points), version: meta.version },
      });
      say(`Saved the set “${made.name}” (${plural(made.shots, "shot")}); search finds it with ${setQuery(made.name)}.`);
      name.value = "";
      saved.replaceChildren(`Saved “${made.name}”: `, el("a", { href: sequenceHref(made.name, meta.collection) }, "Make a sequence"));
      saved.hidden = false;
      listSets();
    } catch (error) {
      if (error.status === 409) return mapChanged();
      problem.textContent = `Not saved: ${error.message}`;
      say(error.message, "error");
    }
  }

  async function downloadSelection() {
    if (!points) return;
    const shots = points.length <= DOWNLOAD_DETAILS ? await Promise.all(Array.from(points, (i) => info.of(i).catch(() => null))) : null;
    const body = { collection: meta.collection, version: meta.version, layout, points: Array.from(points), shots };
    downloadBlob(new Blob([JSON.stringify(body, null, 1)], { type: "application/json" }), `${meta.collection}-selection.json`);
  }

  async function listSets() {
    if (!server || meta.static) return;
    try {
      const { sets } = await server.api(`/api/sets?${new URLSearchParams({ collection: meta.collection })}`);
      parts.sets.hidden = false;
      parts.setsBody.replaceChildren(
        sets.length
          ? el(
              "ul",
              { class: "map-set-list" },
              sets.map((set) =>
                el(
                  "li",
                  {},
                  el("a", { href: `/search?${new URLSearchParams({ q: setQuery(set.name), collection: meta.collection })}` }, set.name),
                  el("span", { class: "muted" }, ` ${plural(set.shots, "shot")}${set.by ? `, by ${set.by}` : ""} · `),
                  el("a", { href: sequenceHref(set.name, meta.collection), "aria-label": `Make a sequence of ${set.name}` }, "Make a sequence"),
                ),
              ),
            )
          : el("p", { class: "muted" }, "None yet: lasso some shots and save them."),
      );
    } catch (error) {
      parts.sets.hidden = true;
      console.warn(`map: sets: ${error.message}`);
    }
  }
  listSets();

  return {
    /** Show ``selected`` (point indexes, or null for none) picked in ``layoutName``. */
    show(selected, layoutName = "") {
      points = selected;
      layout = layoutName;
      parts.selection.hidden = !selected;
      if (!selected) return;
      count.textContent = `${plural(selected.length, "shot")} selected`;
      problem.textContent = "";
      saved.hidden = true;
      pictures.replaceChildren(...Array.from(selected.subarray(0, SHOWN), (i) => el("li", {}, thumbnail(i))));
      if (canSave) name.focus();
      else download.hidden = !isStatic;
    },
  };
}
