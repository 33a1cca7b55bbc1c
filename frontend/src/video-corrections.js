// Corrections: sending one (a word, a line, shots merged or split, an undo) and the
// video's history of them with who made each and when. Saved corrections are read back
// through the API (transcript, shots), so the page shows what search and exports see.

import { api, el, say, timecode } from "./lib.js";

/** The history section and ``correct(body, what)``, which stores a correction (at the
 * API's ``path``), says so, then lets ``changed(kind)`` reload what it touched. Errors (a
 * 403 included) are said. */
export function createCorrections(path, player, editable, changed) {
  const list = el("ol", { class: "history", reversed: true });
  const none = el("p", { class: "muted" }, "None yet.");
  const node = el(
    "section",
    { class: "corrections", "aria-labelledby": "corrections-heading" },
    el("h2", { id: "corrections-heading" }, "Corrections"),
    el("p", { class: "muted" }, "Kept apart from the machine's output, with who made each and when; newest first."),
    none,
    list,
  );

  async function load() {
    const data = await api(path);
    const items = data.corrections.map((c) => historyItem(c, player, editable ? undo : null)).reverse();
    list.replaceChildren(...items);
    none.hidden = items.length > 0;
  }

  async function correct(body, what) {
    try {
      const made = await api(path, { method: "POST", body });
      say(`Saved: ${what}.`);
      await Promise.all([changed(made.kind), load()]);
      return made;
    } catch (error) {
      say(error.message, "error");
      return null;
    }
  }

  function undo(correction) {
    return correct({ kind: "revert", target: correction.id }, `correction ${correction.id} is undone`);
  }

  return { node, load, correct };
}

function historyItem(correction, player, undo) {
  const made = new Date(correction.made);
  const at = correction.word_start ?? correction.segment_start ?? correction.at;
  const item = el(
    "li",
    { class: correction.applied ? "applied" : "not-applied" },
    at == null
      ? null
      : el(
          "button",
          { type: "button", class: "link-button", onclick: () => player.seek(at), "aria-label": `Play from ${timecode(at)}` },
          timecode(at),
        ),
    " ",
    describe(correction),
    el(
      "span",
      { class: "muted who" },
      ` by ${correction.by}, `,
      el("time", { datetime: correction.made }, Number.isNaN(made.valueOf()) ? correction.made : made.toLocaleString()),
    ),
    correction.applied ? null : el("span", { class: "badge" }, `not applied: ${correction.reason}`),
  );
  if (undo && correction.applied && correction.kind !== "revert") {
    item.append(" ", el("button", { type: "button", class: "secondary small", onclick: () => undo(correction) }, `Undo ${correction.id}`));
  }
  return item;
}

function describe(correction) {
  switch (correction.kind) {
    case "word":
      return `word “${correction.old}” → “${correction.new}”`;
    case "line":
      return `line → “${correction.new}”`;
    case "merge_shots":
      return "two shots merged (cut removed)";
    case "split_shot":
      return "shot split (cut added)";
    default:
      return `${correction.target} undone`;
  }
}
