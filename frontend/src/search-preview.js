// The search page's hover preview: a larger picture of a hit and, for speech, its words
// with their times, beside the hit the pointer (or the keyboard's focus) is on.

import { el, thumbUrl, timecode } from "./lib.js";
import { kindName } from "./search-facets.js";

const WORDS_BEFORE = 8;
const WORDS_SHOWN = 36;
const SHOW_MS = 150; // a pointer passing over the grid shows nothing

const panel = document.getElementById("hit-preview");
let pending = null;
let current = null; // the card the preview stands beside

/** Text with the marked spans as <mark> (the spans the server gives for «…»). */
export function highlighted(text, marks = []) {
  const nodes = [];
  let at = 0;
  for (const [first, last] of [...marks].sort((a, b) => a[0] - b[0])) {
    if (first < at) continue;
    nodes.push(text.slice(at, first), el("mark", {}, text.slice(first, last)));
    at = last;
  }
  nodes.push(text.slice(at));
  return nodes.filter((node) => node !== "");
}

/** The spoken words around the first matched one, each with its time. */
function spoken(words) {
  const first = Math.max(0, words.findIndex((word) => word.match));
  const from = Math.max(0, first - WORDS_BEFORE);
  return el(
    "p",
    { class: "preview-words" },
    words.slice(from, from + WORDS_SHOWN).map((word) => {
      const text = word.match ? el("mark", {}, word.word) : el("span", {}, word.word);
      return el("span", { class: "word" }, text, el("small", {}, timecode(word.start)));
    }),
  );
}

function content(hit, title) {
  const picture = hit.thumbnail ? el("img", { src: thumbUrl(hit.thumbnail), alt: "" }) : null;
  const matches = hit.matches.slice(0, 3).map((match) =>
    el(
      "div",
      { class: "preview-match" },
      el("p", { class: "muted" }, `${kindName(match.kind)} · ${timecode(match.start)}–${timecode(match.end)} · ${match.method}`),
      match.words?.length ? spoken(match.words) : el("p", {}, highlighted(match.text, match.marks)),
    ),
  );
  return [picture, el("p", { class: "preview-title" }, title), ...matches];
}

/** Show the preview of `hit` beside `card`, where the screen has room for it. */
export function showPreview(card, hit, title) {
  clearTimeout(pending);
  pending = setTimeout(() => {
    current = card;
    panel.replaceChildren(...content(hit, title).filter(Boolean));
    panel.hidden = false;
    place(card);
    panel.querySelector("img")?.addEventListener("load", () => place(card), { once: true });
  }, SHOW_MS);
}

export function hidePreview() {
  clearTimeout(pending);
  current = null;
  panel.hidden = true;
}

function place(card) {
  const box = card.getBoundingClientRect();
  const width = panel.offsetWidth;
  const height = panel.offsetHeight;
  const margin = 8;
  const right = box.right + margin;
  const left = right + width <= innerWidth ? right : Math.max(margin, box.left - margin - width);
  const top = Math.min(Math.max(margin, box.top), Math.max(margin, innerHeight - height - margin));
  panel.style.left = `${left}px`;
  panel.style.top = `${top}px`;
}

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") hidePreview();
});
window.addEventListener("scroll", () => current && place(current), { passive: true });
