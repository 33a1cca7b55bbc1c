// The ask page: a question answered from the collection, every sentence citing the
// moments of the films that say or show it, so a researcher can check each claim. A
// citation's number plays its moment in the player beside the answer (and is a link to
// the video page at that second); hovering or focusing it lights its source in the
// numbered list below. Who wrote the answer is said plainly: passages quoted, a language
// model (to be checked), or the collection's graph counted. The question lives in the
// address (/ask?q=…), so an answer can be bookmarked, shared and reached with Back.

import "./ask.css";
import { api, config, el, mediaOf, param, plural, say, setAddress, sourceName, timecode } from "./lib.js";

const MODES = ["auto", "extractive", "model"];
const SLOW = 2500; // ms of waiting after which the status line says a model takes time

const $ = (id) => document.getElementById(id);
const form = $("ask-form");
const box = $("ask-q");
const submit = $("ask-submit");
const chooser = $("ask-collection");
const years = $("ask-year");
const writer = $("ask-mode");
const empty = $("ask-empty");
const examples = $("ask-examples");
const status = $("ask-status");
const messages = $("messages");
const result = $("ask-result");
const playerBox = $("ask-player");
const video = $("ask-video");
const audio = $("ask-audio");
const playing = $("ask-playing");

let citations = new Map(); // number → citation of the answer shown
let latest = 0; // the latest question: a late answer to an older one is dropped
let chosen = 0; // the latest moment asked for: a late load of an older one is dropped
let waiting = 0; // the timer of the status line while an answer is awaited

/** The form's question and options. */
function asked() {
  return { q: box.value.trim(), collection: chooser.value, year: years.value.trim(), mode: writer.value };
}

/** The query of the address and of the API: what was asked, the defaults left out. */
function query(question) {
  const entries = Object.entries(question).filter(([key, value]) => value && !(key === "mode" && value === "auto"));
  return new URLSearchParams(entries);
}

/** Fill the form from the address (on opening, and on Back and Forward). */
function readAddress() {
  const names = config.collections || [];
  const wanted = param("collection", config.collection || "");
  chooser.value = names.includes(wanted) ? wanted : "";
  box.value = param("q", "");
  years.value = param("year", "");
  writer.value = MODES.includes(param("mode")) ? param("mode") : "auto";
  empty.hidden = Boolean(box.value.trim());
}

async function run(question) {
  const mine = ++latest;
  messages.replaceChildren();
  if (!question.q) {
    busy(false);
    result.hidden = true;
    status.textContent = "";
    return;
  }
  busy(true);
  try {
    const answer = await api(`/api/ask?${query(question)}`);
    if (mine === latest) show(answer);
  } catch (error) {
    if (mine !== latest) return;
    result.hidden = true;
    status.textContent = "";
    messages.replaceChildren(el("p", { class: "error" }, error.message));
  } finally {
    if (mine === latest) busy(false);
  }
}

/** While an answer is awaited: the page says so, and after a while why it may take long
 * (once: a status line that counted seconds would be read out every second). */
function busy(on) {
  clearTimeout(waiting);
  for (const part of [form, result]) part.setAttribute("aria-busy", String(on));
  submit.textContent = on ? "Asking…" : "Ask";
  if (!on) return;
  status.textContent = "Looking through the collection…";
  waiting = setTimeout(() => (status.textContent = "Still working: a language model can take several seconds…"), SLOW);
}

function show(answer) {
  citations = new Map(answer.citations.map((c) => [c.n, c]));
  const cited = answer.found && answer.citations.length > 0;
  $("ask-who").replaceChildren(...whoWrote(answer));
  $("ask-who").dataset.mode = answer.mode;
  $("ask-text").replaceChildren(body(answer));
  fillLeftOut(answer.sentences.filter((s) => !s.kept));
  $("ask-notes").replaceChildren(...answer.notes.map((note) => el("li", {}, note)));
  $("ask-sources").replaceChildren(...(cited ? answer.citations.map(sourceItem) : []));
  $("ask-sources-section").hidden = !cited;
  stopPlayer();
  playerBox.hidden = !cited;
  result.hidden = false;
  const spent = took(answer.took_ms);
  status.textContent = cited ? `Answered in ${spent}, citing ${plural(answer.citations.length, "source")}.` : `Nothing found (${spent}).`;
  if (cited) play(firstCited(answer), { start: false });
}

/** Who wrote the answer, in one plain line (the notes below it say more). */
function whoWrote(answer) {
  if (answer.mode === "model") return [el("strong", {}, `Written by ${answer.model || "a language model"}`), " — check it against the sources."];
  if (answer.mode === "graph") return [el("strong", {}, "Counted from the collection's graph.")];
  if (answer.mode === "extractive") return [el("strong", {}, "Quoted from the collection:"), " no model wrote this."];
  return [];
}

/** How long the answer took: 240 ms, 3.1 s. */
function took(ms) {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** The kept sentences, each with its citations: a model's answer as prose, quotations and
 * counted lines one to a line. */
function body(answer) {
  if (!answer.found) return el("p", { class: "ask-none" }, answer.answer, el("span", { class: "muted" }, " Try other words, fewer years, or all collections."));
  const kept = answer.sentences.filter((s) => s.kept);
  if (answer.mode === "model") return el("p", { class: "ask-prose" }, kept.map((s) => [sentence(s, "span"), " "]));
  return el("ul", { class: "ask-lines" }, kept.map((s) => sentence(s, "li")));
}

function sentence(s, tag) {
  const checked = s.cited_by_check ? el("span", { class: "ask-checked muted" }, "(source found by the check)") : null;
  return el(tag, { class: "ask-sentence" }, s.text, " ", checked, el("span", { class: "cites" }, s.citations.map(citeLink)));
}

/** A citation's number: a link to the video page at its moment, which a plain click plays
 * here instead. */
function citeLink(n) {
  const c = citations.get(n);
  if (!c) return null;
  const label = `Source ${n}: ${c.title}${c.year ? ` (${c.year})` : ""} at ${at(c.start)}`;
  return el("a", { class: "cite", href: c.link, dataset: { n }, title: label, "aria-label": label }, String(n));
}

function fillLeftOut(left) {
  const details = $("ask-left-out");
  details.hidden = !left.length;
  details.open = false;
  $("ask-left-out-summary").textContent = `Left out: not supported by the passages cited (${left.length})`;
  $("ask-left-out-list").replaceChildren(
    ...left.map((s) => {
      const item = sentence(s, "li");
      item.append(el("span", { class: "ask-support muted" }, ` — the passages hold ${Math.round(s.support * 100)}% of its words`));
      return item;
    }),
  );
}

/** A numbered source: the film, its year, the time, what kind of passage, what it says. A
 * click plays it here; the link beside it opens the video page at that second. */
function sourceItem(c) {
  const when = at(c.start);
  return el(
    "li",
    { class: "ask-source", id: `source-${c.n}`, dataset: { n: c.n } },
    el(
      "button",
      { type: "button", class: "ask-source-play", dataset: { play: c.n } },
      el("span", { class: "ask-source-n", "aria-hidden": "true" }, c.n),
      el(
        "span",
        { class: "ask-source-body" },
        el(
          "span",
          { class: "ask-source-head" },
          el("span", { class: "visually-hidden" }, `Play source ${c.n}: `),
          el("span", { class: "ask-source-title" }, c.title),
          c.year ? el("span", { class: "muted" }, ` (${c.year})`) : null,
          el("span", { class: "ask-source-time" }, when),
          el("span", { class: "kind" }, sourceName(c.kind)),
        ),
        el("span", { class: "ask-source-text" }, c.text),
      ),
    ),
    el("a", { class: "ask-source-link small-print", href: c.link }, `Video page at ${when}`),
  );
}

/** A moment's time as m:ss, the second it starts in (12.6 s is 0:12, as a player shows it). */
function at(seconds) {
  return timecode(Math.floor(seconds), 0);
}

/** The source the first kept sentence cites (else the first source). */
function firstCited(answer) {
  const n = answer.sentences.find((s) => s.kept && s.citations.length)?.citations[0];
  return citations.get(n) || answer.citations[0];
}

/** Play citation ``c``'s moment from its first second (``start: false``: only cue it). */
async function play(c, { start = true } = {}) {
  const mine = ++chosen;
  for (const item of result.querySelectorAll(".ask-source")) item.toggleAttribute("aria-current", Number(item.dataset.n) === c.n);
  let media;
  try {
    media = await mediaOf(c.video_id);
  } catch (error) {
    if (mine === chosen) say(`${c.file} cannot be played: ${error.message}`, "error");
    return;
  }
  if (mine !== chosen) return;
  describe(c, media);
  const [player, other] = media.sound ? [audio, video] : [video, audio];
  other.pause();
  other.hidden = true;
  player.hidden = !media.src;
  playerBox.classList.toggle("sound", media.sound);
  $("ask-sound").hidden = !media.sound;
  if (!media.src) return;
  player.setAttribute("aria-label", `${media.sound ? "Sound recording" : "Video"}: ${c.title}, from ${at(c.start)}`);
  const go = () => {
    player.currentTime = c.start;
    if (!start) return;
    playerBox.scrollIntoView({ block: "nearest" }); // on a narrow screen it is below the answer
    player.play().catch((error) => error.name === "AbortError" || say(playRefused(error), "error"));
  };
  if (player.getAttribute("src") === media.src && player.readyState >= 1) go();
  else {
    player.addEventListener("loadedmetadata", () => mine === chosen && go(), { once: true });
    player.src = media.src;
  }
}

function playRefused(error) {
  return error.name === "NotAllowedError" ? "Press play: this browser waits for you before it plays sound." : error.message;
}

/** The line under the player: which source, where it comes from, its video page. */
function describe(c, media) {
  const when = at(c.start);
  const page = el("a", { href: c.link }, media.src ? `Open the video page at ${when}` : "its video page");
  const unplayable = media.src ? "" : `This browser cannot play ${c.file}, and it has no proxy: `;
  playing.replaceChildren(el("span", { class: "ask-source-n" }, c.n), " ", el("strong", {}, c.title), c.year ? ` (${c.year})` : "", ` at ${when} · `, unplayable, page);
}

function stopPlayer() {
  chosen++;
  for (const player of [video, audio]) {
    player.pause();
    player.removeAttribute("src");
    player.load(); // let the old film go
  }
  playing.replaceChildren();
}

/** Hovering or focusing a citation lights its source, and a source its citations. */
function light(target, on) {
  const n = target?.closest?.("[data-n]")?.dataset.n;
  if (!n) return;
  for (const part of result.querySelectorAll(`[data-n="${n}"]`)) part.classList.toggle("lit", on);
}

/** Example questions while the box is empty: made from what the collection's graph
 * mentions most, so that they find something; general ones where there is no graph. */
async function fillExamples() {
  const collection = chooser.value || config.collections?.[0];
  let top = [];
  if (collection) {
    try {
      top = (await api(`/api/graph/${encodeURIComponent(collection)}`)).top || [];
    } catch {
      // no graph yet: the general examples below
    }
  }
  const first = (kind) => top.find((node) => node.kind === kind)?.label;
  const subject = first("subject") || "harbour";
  const place = first("place");
  const questions = [
    `What is said about the ${subject}?`,
    place ? `Who appears most often with ${place}?` : null,
    "What are the main subjects of the films?",
  ].filter(Boolean);
  examples.replaceChildren(examples.firstElementChild, ...questions.map((text) => el("button", { type: "button", class: "chip", dataset: { example: text } }, text)));
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const question = asked();
  if (!question.q) {
    say("Type a question first.");
    box.focus();
    return;
  }
  setAddress(`/ask?${query(question)}`);
  run(question);
});
box.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
  event.preventDefault(); // Enter asks; Shift+Enter is a new line
  form.requestSubmit();
});
box.addEventListener("input", () => (empty.hidden = Boolean(box.value.trim())));
chooser.addEventListener("change", fillExamples);
examples.addEventListener("click", (event) => {
  const text = event.target.closest("[data-example]")?.dataset.example;
  if (!text) return;
  box.value = text;
  empty.hidden = true;
  form.requestSubmit();
});
result.addEventListener("click", (event) => {
  const target = event.target.closest("a.cite, [data-play]");
  if (!target || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return; // a new tab: the video page
  event.preventDefault();
  const c = citations.get(Number(target.dataset.n || target.dataset.play));
  if (c) play(c);
});
result.addEventListener("mouseover", (event) => light(event.target, true));
result.addEventListener("mouseout", (event) => light(event.target, false));
result.addEventListener("focusin", (event) => light(event.target, true));
result.addEventListener("focusout", (event) => light(event.target, false));
for (const player of [video, audio]) {
  player.addEventListener("error", () => player.getAttribute("src") && say(`This browser cannot play this film: ${player.error?.message || "the format is not supported"}.`, "error"));
}
window.addEventListener("popstate", () => {
  readAddress();
  run(asked());
});

for (const name of config.collections || []) chooser.append(el("option", { value: name }, name));
readAddress();
fillExamples();
run(asked());
