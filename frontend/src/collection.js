// The collection page: one page of cards at a time from GET /api/videos (the server
// sorts, filters and pages, so 10,000 videos cost no more than 48), the state in the
// address so that reload, back and a bookmark give the same page.

import { api, config, el, pageAddress, plural, say, setAddress, timecode, videoHref } from "./lib.js";
import { fillChooser, posterLink, soundPoster } from "./collection-parts.js";

const DEFAULTS = { q: "", media: "", has: [], sort: "title", order: "asc", offset: 0, limit: 48 };
const MEDIA = ["film", "sound"];
const TYPING_MS = 300;

const form = document.getElementById("filters");
const count = document.getElementById("count");
const list = document.getElementById("videos");
const pager = document.getElementById("pages");
let asked = 0; // the latest request: an older answer arriving late is dropped
let typing = null;

/** The page's state as the address says it (anything odd falls back to the default). */
function readState() {
  const query = new URLSearchParams(location.search);
  const number = (name, fallback) => {
    const value = Number.parseInt(query.get(name), 10);
    return Number.isFinite(value) && value >= 0 ? value : fallback;
  };
  return {
    q: query.get("q") || "",
    media: MEDIA.includes(query.get("media")) ? query.get("media") : "",
    has: query.getAll("has").flatMap((value) => value.split(",")).filter(Boolean),
    sort: query.get("sort") || DEFAULTS.sort,
    order: query.get("order") === "desc" ? "desc" : "asc",
    offset: number("offset", 0),
    limit: Math.min(500, Math.max(1, number("limit", DEFAULTS.limit))),
  };
}

/** The address of a state: only what differs from the defaults, so links stay short. */
function address(state) {
  const asText = (value) => (Array.isArray(value) ? value.join(",") : String(value));
  const differs = Object.entries(state)
    .map(([key, value]) => [key, asText(value)])
    .filter(([key, text]) => text && text !== asText(DEFAULTS[key]));
  return pageAddress(differs);
}

/** The form shows the state (on load and on back/forward). */
function showState(state) {
  form.elements.q.value = state.q;
  form.elements.media.value = state.media;
  for (const box of form.querySelectorAll('input[name="has"]')) box.checked = state.has.includes(box.value);
  form.elements.sort.value = state.sort;
  form.elements.order.value = state.order;
  form.elements.limit.value = String(state.limit);
  if (form.elements.limit.value !== String(state.limit)) {
    form.elements.limit.append(el("option", { value: state.limit }, state.limit)); // from the address
    form.elements.limit.value = String(state.limit);
  }
}

/** The state the form asks for, from its first page. */
function formState() {
  return {
    q: form.elements.q.value.trim(),
    media: form.elements.media.value,
    has: [...form.querySelectorAll('input[name="has"]:checked')].map((box) => box.value),
    sort: form.elements.sort.value,
    order: form.elements.order.value,
    offset: 0,
    limit: Number(form.elements.limit.value),
  };
}

async function load(state) {
  const mine = ++asked;
  const query = new URLSearchParams({
    q: state.q,
    sort: state.sort,
    order: state.order,
    offset: state.offset,
    limit: state.limit,
  });
  if (config.collection) query.set("collection", config.collection);
  if (state.media) query.set("media", state.media);
  if (state.has.length) query.set("has", state.has.join(","));
  list.setAttribute("aria-busy", "true");
  try {
    const page = await api(`/api/videos?${query}`);
    if (mine !== asked) return;
    render(page, state);
  } catch (error) {
    if (mine !== asked) return;
    count.textContent = `The videos could not be listed: ${error.message}`;
    say(error.message, "error");
  } finally {
    if (mine === asked) list.removeAttribute("aria-busy");
  }
}

function render(page, state) {
  const { total, offset, videos } = page;
  if (!total) count.textContent = "No video or sound recording matches these filters.";
  else if (!videos.length) count.textContent = `No videos on this page: there are ${total.toLocaleString()}.`;
  else {
    const first = (offset + 1).toLocaleString();
    const last = (offset + videos.length).toLocaleString();
    count.textContent = `${first}–${last} of ${plural(total, "video", "videos and recordings")}`;
  }
  list.replaceChildren(...videos.map(card));
  renderPager(total, state);
}

function renderPager(total, state) {
  /** A link to the page at ``offset``, or the same words greyed out where there is none. */
  const step = (offset, possible, text, rel) => {
    if (!possible) return el("span", { class: "button secondary", "aria-disabled": "true" }, text);
    const next = { ...state, offset };
    return el("a", { class: "button secondary", href: address(next), rel, onclick: (event) => go(event, next) }, text);
  };
  const pages = Math.max(1, Math.ceil(total / state.limit));
  const at = Math.floor(state.offset / state.limit) + 1;
  pager.replaceChildren(
    step(Math.max(0, state.offset - state.limit), state.offset > 0, "← Previous", "prev"),
    el("span", { class: "muted" }, `Page ${at} of ${pages}`),
    step(state.offset + state.limit, state.offset + state.limit < total, "Next →", "next"),
  );
  pager.hidden = total <= state.limit && state.offset === 0;
}

/** Follow a pager link without reloading (a new tab or window is the browser's to open);
 * focus the count, which says where we are now. */
function go(event, state) {
  if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey || event.button) return;
  event.preventDefault();
  setAddress(address(state));
  load(state).then(() => {
    count.focus();
    count.scrollIntoView({ block: "start" });
  });
}

function title(video) {
  const catalogued = video.title && video.title !== video.file;
  if (catalogued || !video.generated_title) return [video.title || video.file];
  return [video.generated_title, " ", el("span", { class: "generated", title: "Made by a language model from the contents" }, "generated")];
}

function noPoster() {
  return el("div", { class: "poster no-poster" }, "No picture");
}

function card(video) {
  const href = videoHref(video.id);
  const sound = video.media === "sound";
  const duration = timecode(video.duration, 0);
  return el(
    "li",
    { class: `card video-card${sound ? " sound" : ""}`, dataset: { id: video.id, file: video.file } },
    posterLink(href, video.poster, sound ? soundPoster : noPoster, el("span", { class: "duration" }, duration)),
    el(
      "div",
      { class: "body" },
      el("h2", { class: "card-title" }, el("a", { class: "title", href }, title(video))),
      el("p", { class: "facts" }, facts(video, duration)),
      record(video),
      video.description ? el("p", { class: "description" }, video.description) : null,
      indicators(video),
    ),
  );
}

function facts(video, duration) {
  const shots = video.media === "sound" ? "sound recording" : plural(video.shots, "shot");
  const file = video.title !== video.file || video.generated_title ? el("span", { class: "file" }, video.file) : null;
  const parts = [el("span", { class: "shots" }, shots), video.languages.join(", "), file].filter(Boolean);
  return [el("span", { class: "visually-hidden" }, `Duration ${duration}, `), ...parts.flatMap((part, at) => (at ? [" · ", part] : [part]))];
}

function record(video) {
  const fields = [
    ["Date", video.date],
    ["Identifier", video.identifier],
    ["Rights", video.rights],
  ].filter(([, value]) => value);
  if (!fields.length) return null;
  return el("dl", { class: "record" }, fields.map(([name, value]) => [el("dt", {}, name), el("dd", {}, value)]));
}

/** What the video holds at a glance; each a word, not only a colour or an icon. */
function indicators(video) {
  const found = video.indicators;
  const people = found.people.filter((name) => !/^p\d+$/.test(name));
  const unnamed = found.people.length - people.length;
  const items = [
    found.speech && ["speech", "Speech"],
    found.text && ["text", "On-screen text"],
    found.faces && ["faces", plural(found.faces, "face")],
    people.length && ["people", `People: ${people.join(", ")}${unnamed ? ` +${unnamed}` : ""}`],
    !people.length && unnamed && ["people", plural(unnamed, "person", "people")],
    found.problems && ["problems", plural(found.problems, "technical problem")],
  ].filter(Boolean);
  if (!items.length) return null;
  return el(
    "ul",
    { class: "indicators", "aria-label": "What it holds" },
    items.map(([kind, text]) => el("li", { class: kind === "problems" ? "problem" : null, dataset: { kind } }, text)),
  );
}

function update(state, { replace = false } = {}) {
  setAddress(address(state), { replace });
  load(state);
}

function start() {
  fillChooser(document.getElementById("collections"), { all: "All collections" });
  const state = readState();
  showState(state);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(typing);
    update(formState());
  });
  form.addEventListener("input", (event) => {
    if (event.target.name !== "q") return;
    clearTimeout(typing);
    typing = setTimeout(() => update(formState(), { replace: true }), TYPING_MS);
  });
  form.addEventListener("change", (event) => {
    if (event.target.name !== "q") update(formState());
  });
  form.addEventListener("reset", (event) => {
    event.preventDefault();
    const kept = formState();
    showState({ ...DEFAULTS, sort: kept.sort, order: kept.order, limit: kept.limit });
    update(formState());
  });
  window.addEventListener("popstate", () => {
    const now = readState();
    showState(now);
    load(now);
  });
  load(state);
}

start();
