// Shared by every page: the page's config, the JSON API, time codes, the editor's name
// and token, and the status line. Pages import what they need; esbuild bundles it.

export const config = JSON.parse(document.getElementById("deerin-config").textContent);

const TOKEN_KEY = "deerin.token";
const EDITOR_KEY = "deerin.editor";

/** GET or POST JSON; a failure throws an Error whose message is the server's one line. */
export async function api(path, { method = "GET", body, form } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") {
    headers["X-DEERIn-Editor"] = encodeURIComponent(editorName());
    const token = localStorage.getItem(TOKEN_KEY);
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
  if (!response.ok) throw new Error(data.error || `${response.status} ${response.statusText}`);
  return data;
}

/** Seconds as 0:00:00.0 (hours only when needed). */
export function timecode(seconds, decimals = 1) {
  const s = Math.max(0, seconds || 0);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = (s % 60).toFixed(decimals).padStart(decimals ? 3 + decimals : 2, "0");
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

export function editorName() {
  return localStorage.getItem(EDITOR_KEY) || "";
}

/** The header's editing controls: your name (kept with every correction) and, when the
 * server asks for one, the editing token. Read-only servers say so instead. */
export function editorControls() {
  const box = document.getElementById("editor");
  if (!box) return;
  if (!config.editable) {
    box.append(el("span", { class: "badge", title: "This server allows no edits" }, "Read-only"));
    return;
  }
  const name = el("input", {
    id: "editor-name",
    type: "text",
    value: editorName(),
    placeholder: "Your name",
    autocomplete: "name",
    onchange: (event) => localStorage.setItem(EDITOR_KEY, event.target.value.trim()),
  });
  box.append(el("label", { for: "editor-name", class: "visually-hidden" }, "Your name (kept with your edits)"), name);
  if (config.needs_token) {
    const token = el("input", {
      id: "editor-token",
      type: "password",
      value: localStorage.getItem(TOKEN_KEY) || "",
      placeholder: "Edit token",
      autocomplete: "off",
      onchange: (event) => localStorage.setItem(TOKEN_KEY, event.target.value.trim()),
    });
    box.append(el("label", { for: "editor-token", class: "visually-hidden" }, "Editing token"), token);
  }
}

/** The query string's value (or a default). */
export function param(name, fallback = null) {
  return new URLSearchParams(location.search).get(name) ?? fallback;
}

/** A link to a video at a time. */
export function videoHref(videoId, time) {
  const at = time ? `?t=${Number(time).toFixed(2)}` : "";
  return `/video/${videoId}${at}`;
}

editorControls();
