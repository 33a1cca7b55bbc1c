// Shared by every page: the page's config, the JSON API, time codes, the editor's name
// and token, and the status line. Pages import what they need; esbuild bundles it.

export const config = JSON.parse(document.getElementById("deerin-config").textContent);

const TOKEN_KEY = "deerin.token";
const EDITOR_KEY = "deerin.editor";

/** A remembered value ("" when none). A browser that keeps no site data (Firefox with
 * storage turned off, cookies blocked) throws or has no localStorage: the page still
 * works, reading the name and token from the header's fields instead of keeping them. */
function stored(key) {
  try {
    return localStorage.getItem(key) || "";
  } catch {
    return "";
  }
}

function store(key, value) {
  try {
    localStorage.setItem(key, value);
  } catch {
    say("This browser keeps no site data: the name and token last until the page is left.");
  }
}

/** GET or POST JSON; a failure throws an Error whose message is the server's one line
 * and whose ``status`` is the HTTP status (409: what it was asked about changed). */
export async function api(path, { method = "GET", body, form } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") {
    headers["X-DEERIn-Editor"] = encodeURIComponent(remembered(EDITOR_KEY, "editor-name"));
    const token = remembered(TOKEN_KEY, "editor-token");
    if (token) headers["X-DEERIn-Token"] = token;
  }
  let payload;
  if (form) payload = form;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const response = await fetch(path, { method, headers, body: payload });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw Object.assign(new Error(data.error || `${response.status} ${response.statusText}`), { status: response.status });
  return data;
}

/** Hand ``blob`` to the browser as a download named ``name`` (the page made it: a
 * chart's PNG, a map selection's JSON). The address is let go once the browser has it. */
export function downloadBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = el("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Seconds as 0:00:00.0 (hours only when needed). Rounded once, in whole tenths (or
 * seconds), before it is split: 59.96 s reads 1:00.0, never 0:60.0. */
export function timecode(seconds, decimals = 1) {
  const scale = 10 ** decimals;
  const units = Math.round(Math.max(0, seconds || 0) * scale);
  const whole = Math.floor(units / scale);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const sec = String(whole % 60).padStart(2, "0");
  const rest = decimals ? `${sec}.${String(units % scale).padStart(decimals, "0")}` : sec;
  return h ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

/** A URL for a thumbnail path the API gives (relative to the data dir). */
export function thumbUrl(path) {
  return path ? `/api/thumbnail/${path.split("/").map(encodeURIComponent).join("/")}` : "";
}

/** Build an element: el("a", {href: "/", class: "x"}, "text", child…). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Tell the user something in the status line (read by screen readers too). */
export function say(message, kind = "info") {
  const status = document.getElementById("status");
  status.textContent = message;
  status.dataset.kind = kind;
  status.classList.add("shown");
  clearTimeout(say.timer);
  say.timer = setTimeout(() => status.classList.remove("shown"), kind === "error" ? 8000 : 4000);
}

/** The name or token: as kept, else as typed in the header's field ``id``. */
function remembered(key, id) {
  return stored(key) || document.getElementById(id)?.value.trim() || "";
}

/** A labelled field of the header whose value is kept under ``key`` once changed. */
function rememberedField(key, label, attributes) {
  const field = el("input", { ...attributes, value: stored(key), onchange: (event) => store(key, event.target.value.trim()) });
  return [el("label", { for: attributes.id, class: "visually-hidden" }, label), field];
}

/** The header's editing controls: your name (kept with every correction) and, when the
 * server asks for one, the editing token. Read-only servers say so instead. */
function editorControls() {
  const box = document.getElementById("editor");
  if (!box) return;
  if (!config.editable) {
    box.append(el("span", { class: "badge", title: "This server allows no edits" }, "Read-only"));
    return;
  }
  const name = { id: "editor-name", type: "text", placeholder: "Your name", autocomplete: "name" };
  box.append(...rememberedField(EDITOR_KEY, "Your name (kept with your edits)", name));
  if (config.needs_token) {
    const token = { id: "editor-token", type: "password", placeholder: "Edit token", autocomplete: "off" };
    box.append(...rememberedField(TOKEN_KEY, "Editing token", token));
  }
}

/** The query string's value (or a default). */
export function param(name, fallback = null) {
  return new URLSearchParams(location.search).get(name) ?? fallback;
}

/** A link to a video at a time. */
export function videoHref(videoId, time) {
  const at = time ? `?t=${Number(time).toFixed(2)}` : "";
  return `/video/${encodeURIComponent(videoId)}${at}`;
}

/** "1 face", "2 faces", "1,204 shots": a count and its noun. */
export function plural(count, one, many = `${one}s`) {
  const n = Number(count) || 0;
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}

/** This page's address with ``entries`` as its query, after the collection the address
 * chose (kept through every state of a page, so a chosen collection stays chosen). */
export function pageAddress(entries, path = location.pathname) {
  const query = new URLSearchParams();
  const chosen = param("collection");
  if (chosen) query.set("collection", chosen);
  for (const [key, value] of entries) query.set(key, value);
  const text = query.toString();
  return `${path}${text ? `?${text}` : ""}`;
}

/** Show ``target`` in the address bar (a new history entry, or in place of this one),
 * unless it is there already: reload, back and a bookmark then give the same page. */
export function setAddress(target, { replace = false } = {}) {
  if (target === `${location.pathname}${location.search}`) return;
  if (replace) history.replaceState(null, "", target);
  else history.pushState(null, "", target);
}

editorControls();

const mediaAsked = new Map(); // video id → Promise of { src, sound }

/** What a player loads for a video and whether it is a sound recording: the video page's
 * answer (the original when a browser plays it, else its proxy), asked once per video. */
export function mediaOf(videoId) {
  if (!mediaAsked.has(videoId)) {
    const asking = api(`/api/videos/${encodeURIComponent(videoId)}`).then((details) => ({ src: details.src, sound: details.media === "sound" }));
    asking.catch(() => mediaAsked.delete(videoId));
    mediaAsked.set(videoId, asking);
  }
  return mediaAsked.get(videoId);
}

// What each kind of passage or moment is, in words (a graph link's "face+transcript" too).
const SOURCE_NAMES = {
  face: "face",
  speech: "speech",
  transcript: "speech",
  subtitles: "subtitles",
  text: "on-screen text",
  captions: "picture description",
  summary: "summary",
  model: "read by a language model",
  metadata: "catalogue",
};

/** A source ("speech", "face+transcript") as a person reads it: "speech", "face + speech". */
export function sourceName(source) {
  return [...new Set(source.split("+").map((part) => SOURCE_NAMES[part] || part))].join(" + ");
}
