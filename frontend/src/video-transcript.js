// The transcript beside the player: every word a button (one tab stop for them all,
// ←/→ move along), the word being said marked as playback goes, a click to play from a
// word. The words are drawn once per load; each tick only moves the mark, found by binary
// search over the words' start times. People may correct a word or a whole line.

import { el, say, timecode } from "./lib.js";
import { follower, lastAtOrBefore, roving } from "./video-lists.js";

const EARLY = 0.02; // seconds: a seek to a word's start lands on that word
const LINGER = 1.0; // seconds a word stays marked after it ends (unless the next begins)
const CLINGS = /^[.,;:!?%)\]}…’'”]/; // punctuation Whisper gives as a word of its own

/** The language's name in the reader's language ("en" → "English"), else the code. */
function languageName(code) {
  if (!code) return "";
  try {
    return new Intl.DisplayNames([navigator.language || "en"], { type: "language" }).of(code) || code;
  } catch {
    return code;
  }
}

/** The transcript section; ``correct(body, what)`` stores a correction (null: read-only). */
export function createTranscript(player, correct) {
  const follow = el("input", { type: "checkbox", id: "transcript-follow", checked: true });
  const language = el("p", { class: "transcript-language" });
  const text = el("div", {
    class: "transcript-text",
    role: "group",
    "aria-label": "Transcript: choose a word to play from it",
  });
  const section = el(
    "section",
    { class: "transcript", "aria-labelledby": "transcript-heading" },
    el(
      "div",
      { class: "section-head" },
      el("h2", { id: "transcript-heading" }, "Transcript"),
      el("label", { class: "follow" }, follow, " Follow playback"),
    ),
    language,
  );
  let words = [];
  let segments = [];
  let starts = new Float64Array(0);
  let current = -1;
  let selected = -1;
  const scroller = follower(text, "y", ["wheel", "touchmove"]);
  const land = roving(text, () => words.map((w) => w.node), (node) => choose(Number(node.dataset.i)));
  const editor = correct ? transcriptEditor(correct, () => chosen()) : null;
  if (editor) section.append(editor.node);
  section.append(text);

  const chosen = () => {
    const word = words[selected];
    return word ? { word, segment: segments[word.segment] } : null;
  };
  const choose = (i) => {
    selected = i;
    editor?.show(chosen());
  };

  text.addEventListener("click", (event) => {
    const node = event.target.closest("[data-i]");
    if (!node) return;
    const i = Number(node.dataset.i);
    player.seek(words[i].start);
    choose(i);
  });
  text.addEventListener("keydown", (event) => {
    if ((event.key === "e" || event.key === "F2") && event.target.dataset?.i && editor) {
      event.preventDefault();
      choose(Number(event.target.dataset.i));
      editor.open();
    }
  });
  const mark = (i, on) => {
    const node = words[i]?.node;
    if (!node) return;
    node.classList.toggle("now", on);
    if (on) node.setAttribute("aria-current", "true");
    else node.removeAttribute("aria-current");
  };
  // the form takes room from the words when it opens: keep the chosen one in sight
  editor?.node.addEventListener("toggle", () => scroller.reveal(words[selected]?.node || words[current]?.node));
  const update = (t) => {
    const i = lastAtOrBefore(starts, t + EARLY);
    const now = i >= 0 && t <= Math.max(words[i].end, words[i].start) + LINGER ? i : -1;
    if (now === current) return;
    mark(current, false);
    mark(now, true);
    current = now;
    if (now < 0) return;
    if (!text.contains(document.activeElement)) land(words[now].node);
    if (follow.checked) scroller.follow(words[now].node);
  };

  function render(data) {
    const drawn = draw(data);
    words = drawn.words;
    segments = drawn.segments;
    starts = Float64Array.from(words, (w) => w.start);
    current = -1;
    language.replaceChildren(...languageLine(data));
    text.replaceChildren(drawn.fragment);
    if (words.length) land(words[0].node);
    else text.append(el("p", { class: "muted" }, "Nothing was transcribed: no speech was heard."));
    if (editor) editor.node.hidden = !words.length;
    editor?.show(chosen());
    update(player.time());
  }

  player.onTick(update);
  return { node: section, render };
}

/** The words of every segment as buttons, in one fragment (drawn once per load). */
function draw(data) {
  const fragment = document.createDocumentFragment();
  const words = [];
  const segments = [];
  for (const [n, segment] of data.segments.entries()) {
    const line = el(
      "p",
      { class: "segment", lang: segment.language || null },
      el("span", { class: "segment-time", "aria-hidden": "true" }, timecode(segment.start, 0)),
    );
    if (segment.language && segment.language !== data.language) {
      line.append(el("span", { class: "badge segment-language" }, languageName(segment.language)), " ");
    }
    // a segment without word times is one "word": it can be played from and corrected as a line
    const parts = segment.words.length
      ? segment.words
      : [{ start: segment.start, end: segment.end, word: segment.text.trim(), line: true }];
    for (const [k, part] of parts.entries()) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "w";
      button.tabIndex = -1;
      button.dataset.i = words.length;
      button.textContent = part.word;
      if (k && !CLINGS.test(part.word)) line.append(" ");
      line.append(button);
      words.push({ ...part, segment: n, node: button });
    }
    segments.push(segment);
    fragment.append(line);
  }
  return { fragment, words, segments };
}

function languageLine(data) {
  if (!data.language) return [];
  const runs = data.languages || [];
  const others = [...new Set(runs.map((r) => r.language).filter((code) => code !== data.language))];
  const line = [el("span", { class: "muted" }, "Language: "), el("strong", { lang: data.language }, languageName(data.language))];
  if (others.length) line.push(el("span", { class: "muted" }, `; also ${others.map(languageName).join(", ")}`));
  return line;
}

/** The correction form: the chosen word, and the line it is in. */
function transcriptEditor(correct, chosen) {
  const word = el("input", { id: "fix-word", type: "text", required: true, autocomplete: "off", disabled: true });
  const line = el("textarea", { id: "fix-line", rows: 3, required: true, disabled: true });
  const wordLabel = el("label", { for: "fix-word" }, "Word");
  const lineLabel = el("label", { for: "fix-line" }, "Line");
  const saveWord = el("button", { type: "submit", disabled: true }, "Save word");
  const saveLine = el("button", { type: "submit", disabled: true }, "Save line");
  const submit = (handler) => async (event) => {
    event.preventDefault();
    const target = chosen();
    if (target) await handler(target);
  };
  const wordForm = el(
    "form",
    {
      class: "fix",
      onsubmit: submit(async ({ word: w, segment }) => {
        const value = word.value.trim();
        if (value === w.word) return say("The word is unchanged: type what is said.", "error");
        await correct(
          { kind: "word", segment_start: segment.start, word_start: w.start, old: w.word, new: value },
          `the word “${w.word}” now reads “${value}”`,
        );
      }),
    },
    wordLabel,
    word,
    saveWord,
  );
  const lineForm = el(
    "form",
    {
      class: "fix",
      onsubmit: submit(async ({ segment }) => {
        const value = line.value.trim().replace(/\s+/g, " ");
        if (value === segment.text.trim()) return say("The line is unchanged: type what is said.", "error");
        await correct({ kind: "line", segment_start: segment.start, old: segment.text, new: value }, "the line is corrected");
      }),
    },
    lineLabel,
    line,
    saveLine,
  );
  const node = el(
    "details",
    { class: "correct" },
    el("summary", {}, "Correct the transcript"),
    el("p", { class: "muted hint" }, "Choose a word (click it, or ←/→ then e), type what is said, then save the word or its whole line."),
    wordForm,
    lineForm,
  );
  return {
    node,
    open() {
      node.open = true;
      (word.disabled ? line : word).focus();
    },
    show(target) {
      const wordless = !target || target.word.line;
      word.disabled = saveWord.disabled = wordless;
      line.disabled = saveLine.disabled = !target;
      word.value = wordless ? "" : target.word.word;
      line.value = target ? target.segment.text.trim() : "";
      wordLabel.textContent = wordless ? "Word" : `Word at ${timecode(target.word.start)}`;
      lineLabel.textContent = target ? `Line at ${timecode(target.segment.start)}` : "Line";
    },
  };
}
