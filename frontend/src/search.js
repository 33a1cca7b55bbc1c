// The search page: one box with the grammar of docs/search.md, the ways of matching
// words, a picture to search with (chosen or dropped), "more like this" on every shot,
// facets that add terms to the box, and hits that open the video at their moment.
// The box, the modes and "more like this" live in the address (reload, back, links).

import { api, config, el, pageAddress, param, plural, say, setAddress, thumbUrl, timecode, videoHref } from "./lib.js";
import { posterLink, soundPoster } from "./collection-parts.js";
import { facetGroups, kindName } from "./search-facets.js";
import { hidePreview, highlighted, showPreview } from "./search-preview.js";

const PAGE = 24;
const DEFAULT_MODES = ["words", "meaning"];
const EXCERPT = 220; // characters of a passage shown on a hit

const form = document.getElementById("search-form");
const box = document.getElementById("q");
const modeBoxes = [...form.querySelectorAll('input[name="mode"]')];
const pictureInput = document.getElementById("picture");
const pictureKind = document.getElementById("picture-kind");
const drop = document.getElementById("drop");
const extra = document.getElementById("query-extra");
const messages = document.getElementById("messages");
const count = document.getElementById("search-count");
const list = document.getElementById("hits");
const more = document.getElementById("more");
const facetsPanel = document.getElementById("facets");
const facetList = document.getElementById("facet-groups");
// what else to make of the hits: a supercut of the words, a sequence of the shots
const edits = el("p", { class: "search-edits", hidden: true });
count.after(edits);

const search = { q: "", modes: DEFAULT_MODES, like: null, likeLabel: null, picture: null };
let shown = []; // the hits on the page
let names = {}; // person names of the hits, by collection then id
let asked = 0; // the latest request: an older answer arriving late is dropped

function readAddress() {
  const modes = param("mode", "").split(",").filter((mode) => modeBoxes.some((b) => b.value === mode));
  search.q = param("q", "");
  search.modes = modes.length ? modes : DEFAULT_MODES;
  search.like = param("like") || null;
  search.likeLabel = null;
  box.value = search.q;
  for (const each of modeBoxes) each.checked = search.modes.includes(each.value);
}

/** The address of this search: the box, the modes where not the default, the shot. */
function remember() {
  const modes = search.modes.join(",");
  const entries = [
    ["q", search.q],
    ["mode", modes === DEFAULT_MODES.join(",") ? "" : modes],
    ["like", search.like],
  ];
  setAddress(pageAddress(entries.filter(([, value]) => value), "/search"));
}

/** Ask the server: a picture is posted, anything else is a GET the address can repeat. */
function request(offset) {
  if (search.picture) {
    const body = new FormData();
    body.append("file", search.picture.file);
    body.append("q", search.q);
    body.append("kind", search.picture.kind);
    body.append("limit", String(offset + PAGE)); // no offset for an upload: ask for more
    if (config.collection) body.append("collection", config.collection);
    return api("/api/search/picture", { method: "POST", form: body });
  }
  const query = new URLSearchParams({ q: search.q, mode: search.modes.join(","), limit: PAGE, offset });
  if (search.like) query.set("like", search.like);
  if (config.collection) query.set("collection", config.collection);
  return api(`/api/search?${query}`);
}

async function run({ append = false } = {}) {
  showExtra();
  hidePreview();
  if (!search.q && !search.like && !search.picture) {
    clear();
    return;
  }
  const mine = ++asked;
  const offset = append ? shown.length : 0;
  list.setAttribute("aria-busy", "true");
  more.disabled = true;
  if (!append) count.textContent = "Searching…";
  try {
    const result = await request(offset);
    if (mine !== asked) return;
    const fresh = search.picture && append ? result.hits.slice(offset) : result.hits;
    render(result, fresh, append);
  } catch (error) {
    if (mine !== asked) return;
    // #messages is an alert: a screen reader reads it out once (the status line would repeat it)
    messages.replaceChildren(el("p", { class: "error" }, error.message));
    count.textContent = append ? count.textContent : "The search could not be run.";
    if (!append) clearHits();
  } finally {
    if (mine === asked) {
      list.removeAttribute("aria-busy");
      more.disabled = false;
    }
  }
}

function clear() {
  asked++;
  messages.replaceChildren();
  count.textContent = "";
  clearHits();
}

function clearHits() {
  shown = [];
  edits.hidden = true;
  list.replaceChildren();
  more.hidden = true;
  facetsPanel.hidden = true;
}

function render(result, fresh, append) {
  names = { ...names, ...result.people };
  messages.replaceChildren(...result.warnings.map((warning) => el("p", { class: "warning" }, warning)));
  shown = append ? [...shown, ...fresh] : fresh;
  const cards = fresh.map(hitCard);
  if (append) list.append(...cards);
  else list.replaceChildren(...cards);
  summarise(result);
  offerEdits();
  more.hidden = shown.length >= result.total || !fresh.length;
  more.textContent = `More hits (${shown.length} of ${result.total} shown)`;
  facetsPanel.hidden = !Object.keys(result.facets).length;
  facetList.replaceChildren(...facetGroups(result.facets, search.q, chooseFacet));
  if (append) cards[0]?.querySelector("a.title")?.focus();
}

/** Links to the supercut and sequence pages for the words in the box (a shot or a
 * picture searched with cannot be carried there in an address). */
function offerEdits() {
  edits.hidden = !search.q || Boolean(search.like || search.picture) || !shown.length;
  if (edits.hidden) return;
  const link = (path, text, title) => el("a", { class: "button secondary small", href: pageAddress([["q", search.q]], path), title }, text);
  edits.replaceChildren(
    link("/supercut", "Supercut", "Every moment these words are said or shown, back to back"),
    " ",
    link("/sequence", "Make a sequence", "A sequence cut from the shots this search finds"),
  );
}

function summarise(result) {
  if (!result.total) {
    count.textContent = "No hits. Try other words, fewer filters, or Meaning.";
    return;
  }
  const hits = plural(result.total, "hit");
  const methods = Object.values(result.methods).join("; ");
  count.replaceChildren(
    `${hits}${shown.length < result.total ? `, ${shown.length} shown` : ""}`,
    el("span", { class: "muted methods" }, ` · ${methods} · ${Math.round(result.took_ms)} ms`),
  );
}

/** A long passage cut around its first mark, the marks moved with it. */
function excerpt(text, marks) {
  if (text.length <= EXCERPT) return [text, marks];
  const first = marks.length ? Math.min(...marks.map(([at]) => at)) : 0;
  const from = Math.max(0, Math.min(first - 60, text.length - EXCERPT));
  const cut = text.slice(from, from + EXCERPT);
  const moved = marks.map(([a, b]) => [a - from, b - from]).filter(([a, b]) => a >= 0 && b <= cut.length);
  const before = from > 0 ? "…" : "";
  const after = from + EXCERPT < text.length ? "…" : "";
  return [`${before}${cut}${after}`, moved.map(([a, b]) => [a + before.length, b + before.length])];
}

function matchLine(match) {
  const [text, marks] = excerpt(match.text, match.marks);
  return el(
    "p",
    { class: "match", dataset: { kind: match.kind } },
    el("span", { class: "kind" }, kindName(match.kind)),
    " ",
    highlighted(text, marks),
  );
}

function span(hit) {
  const long = hit.end - hit.start >= 0.5;
  return long ? `${timecode(hit.start)}–${timecode(hit.end)}` : timecode(hit.start);
}

function hitCard(hit) {
  const href = videoHref(hit.video_id, hit.start);
  const people = hit.people.map((id) => names[hit.collection]?.[id] || id);
  const title = `${hit.file} at ${timecode(hit.start)}`;
  const card = el(
    "li",
    { class: "card hit", dataset: { video: hit.video_id, start: hit.start, file: hit.file } },
    posterLink(href, hit.thumbnail, soundPoster),
    el(
      "div",
      { class: "body" },
      el(
        "h3",
        { class: "card-title" },
        el("a", { class: "title", href }, hit.file, " ", el("span", { class: "time" }, el("span", { class: "visually-hidden" }, "at "), span(hit))),
      ),
      hit.matches.slice(0, 2).map(matchLine),
      people.length ? el("p", { class: "people muted" }, `People: ${people.join(", ")}`) : null,
      el("p", { class: "methods muted" }, hit.methods.join(" · ")),
      hit.shot !== null && hit.media === "film"
        ? el(
            "button",
            { type: "button", class: "secondary small like", onclick: () => moreLikeThis(hit), "aria-label": `More like this: shot ${hit.shot} of ${hit.file}` },
            "More like this",
          )
        : null,
    ),
  );
  card.addEventListener("mouseenter", () => showPreview(card, hit, title));
  card.addEventListener("mouseleave", hidePreview);
  card.addEventListener("focusin", () => showPreview(card, hit, title));
  card.addEventListener("focusout", (event) => card.contains(event.relatedTarget) || hidePreview());
  return card;
}

function moreLikeThis(hit) {
  search.like = `${hit.video_id}:${hit.shot}`;
  search.likeLabel = { file: hit.file, shot: hit.shot, thumbnail: hit.thumbnail };
  forgetPicture();
  search.q = "";
  box.value = "";
  remember();
  run().then(() => count.focus());
}

/** What the search looks for beside the box: a shot or a picture, each with a way out. */
function showExtra() {
  const parts = [];
  if (search.like) {
    const label = search.likeLabel;
    const what = label ? `shot ${label.shot} of ${label.file}` : `shot ${search.like.split(":").pop()} of video ${search.like.split(":")[0]}`;
    parts.push(
      label?.thumbnail ? el("img", { src: thumbUrl(label.thumbnail), alt: "" }) : null,
      el("span", {}, `More like ${what}`),
      el("button", { type: "button", class: "secondary small", onclick: () => dropLike() }, "Stop: search the box only"),
    );
  }
  if (search.picture) {
    const kind = search.picture.kind === "face" ? "the person in" : "shots like";
    parts.push(
      el("img", { src: search.picture.url, alt: "" }),
      el("span", {}, `Searching ${kind} ${search.picture.file.name}`),
      el("button", { type: "button", class: "secondary small", onclick: () => dropPicture() }, "Remove the picture"),
    );
  }
  extra.replaceChildren(...parts.filter(Boolean));
  extra.hidden = !parts.length;
}

function dropLike() {
  search.like = null;
  remember();
  run();
  box.focus();
}

function dropPicture() {
  forgetPicture();
  run();
  box.focus();
}

/** No picture to search with any more (its preview's object URL freed). */
function forgetPicture() {
  if (search.picture) URL.revokeObjectURL(search.picture.url);
  search.picture = null;
  pictureInput.value = "";
}

function usePicture(file) {
  if (!file) return;
  if (!/^image\/(jpeg|png|webp)$/.test(file.type)) {
    say(`${file.name} is no JPEG, PNG or WebP picture`, "error");
    return;
  }
  if (search.picture) URL.revokeObjectURL(search.picture.url);
  search.picture = { file, kind: pictureKind.value, url: URL.createObjectURL(file) };
  search.like = null;
  remember();
  run();
}

function chooseFacet(text, term) {
  box.value = text;
  search.q = text;
  remember();
  run().then(() => facetList.querySelector(`button[data-term="${CSS.escape(term)}"]`)?.focus());
}

/** The person and place fields typed into the box for the user, the cursor where the name goes. */
function addField(field) {
  const base = box.value.trimEnd();
  const start = `${base}${base ? " " : ""}${field}:`;
  box.value = field === "person" ? `${start}""` : start;
  box.focus();
  const at = start.length + (field === "person" ? 1 : 0);
  box.setSelectionRange(at, at);
}

function onModes(event) {
  const chosen = modeBoxes.filter((each) => each.checked).map((each) => each.value);
  if (!chosen.length) {
    event.target.checked = true;
    say("Words are matched in at least one way: keep one of Words, Meaning, Pictures.");
    return;
  }
  search.modes = chosen;
  search.q = box.value.trim(); // what the box says now, as if submitted
  if (search.q || search.like) {
    remember();
    run();
  }
}

function start() {
  readAddress();
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    search.q = box.value.trim();
    remember();
    run();
  });
  for (const each of modeBoxes) each.addEventListener("change", onModes);
  for (const button of form.querySelectorAll("button[data-field]")) {
    button.addEventListener("click", () => addField(button.dataset.field));
  }
  pictureInput.addEventListener("change", () => usePicture(pictureInput.files[0]));
  pictureKind.addEventListener("change", () => {
    if (!search.picture) return;
    search.picture.kind = pictureKind.value;
    run();
  });
  // a file dropped anywhere on the form is a picture to search with; text dragged into the
  // box stays the browser's to drop
  form.addEventListener("dragover", (event) => {
    if (!event.dataTransfer.types.includes("Files")) return;
    event.preventDefault();
    drop.classList.add("dragging");
  });
  form.addEventListener("dragleave", (event) => form.contains(event.relatedTarget) || drop.classList.remove("dragging"));
  form.addEventListener("drop", (event) => {
    drop.classList.remove("dragging");
    const file = event.dataTransfer.files[0];
    if (!file) return;
    event.preventDefault();
    usePicture(file);
  });
  more.addEventListener("click", () => run({ append: true }));
  window.addEventListener("popstate", () => {
    readAddress();
    forgetPicture();
    run();
  });
  run();
}

start();
