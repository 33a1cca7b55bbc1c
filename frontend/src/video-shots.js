// The shot timeline: a strip of thumbnails (loaded lazily: a film has a thousand shots),
// one tab stop with ←/→ along it, a click to play from a shot, the shot being played
// marked. People may merge a shot with the one before or split one at the playhead.

import { el, say, thumbUrl, timecode } from "./lib.js";
import { follower, lastAtOrBefore, roving } from "./video-lists.js";

const EARLY = 0.01; // seconds: a seek to a shot's start lands in that shot
const RESTART = 1.0; // seconds into a shot after which "previous" replays it from its start
const THUMB_WIDTH = 160;

/** The shots section; ``correct(body, what)`` stores a correction (null: read-only). */
export function createShots(player, correct, details) {
  const count = el("span", { class: "count" });
  const strip = el("ol", { class: "shot-strip", "aria-label": "Shots: choose one to play from its start" });
  const merge = el("button", { type: "button", class: "secondary", disabled: true }, "Merge with the shot before");
  const split = el("button", { type: "button", class: "secondary", disabled: true }, "Split the shot at the playhead");
  const tools = correct ? el("div", { class: "shot-tools", role: "group", "aria-label": "Correct the shots" }, merge, split) : null;
  const node = el(
    "section",
    { class: "shots", "aria-labelledby": "shots-heading" },
    el("div", { class: "section-head" }, el("h2", { id: "shots-heading" }, "Shots ", count), tools),
    strip,
  );
  const aspect = details.width && details.height ? details.height / details.width : 9 / 16;
  let shots = [];
  let nodes = [];
  let starts = new Float64Array(0);
  let fps = null;
  let current = -1;
  const land = roving(strip, () => nodes);
  const scroller = follower(strip, "x", ["wheel", "touchmove", "pointerdown"]);

  strip.addEventListener("click", (event) => {
    const button = event.target.closest("[data-i]");
    if (button) player.seek(shots[Number(button.dataset.i)].start);
  });
  merge.addEventListener("click", () => {
    const shot = shots[current];
    if (!shot || current < 1) return say("Choose a shot after the first to merge it with the one before.", "error");
    correct({ kind: "merge_shots", at: shot.start }, `shots ${current} and ${current + 1} are one now`);
  });
  split.addEventListener("click", () => {
    const t = player.time();
    const shot = shots[current];
    const frame = fps ? 1 / fps : 0.04;
    if (!shot || t - shot.start < frame || shot.end - t < frame) {
      return say("Play or seek to inside a shot (not on its first or last frame) to split it there.", "error");
    }
    correct({ kind: "split_shot", at: t }, `shot ${current + 1} is split at ${timecode(t)}`);
  });

  const update = (t) => {
    const now = lastAtOrBefore(starts, t + EARLY);
    if (now === current) return;
    nodes[current]?.classList.remove("now");
    nodes[current]?.removeAttribute("aria-current");
    current = now;
    merge.disabled = current < 1;
    split.disabled = current < 0;
    const button = nodes[current];
    if (!button) return;
    button.classList.add("now");
    button.setAttribute("aria-current", "true");
    merge.setAttribute("aria-label", `Merge shot ${current + 1} with shot ${current}`);
    if (!strip.contains(document.activeElement)) land(button);
    scroller.follow(button.parentElement);
  };

  function render(data) {
    shots = data.shots;
    fps = data.fps;
    starts = Float64Array.from(shots, (s) => s.start);
    count.textContent = `(${shots.length})`;
    const fragment = document.createDocumentFragment();
    nodes = shots.map((shot, n) => {
      const button = shotButton(shot, n, aspect);
      fragment.append(el("li", {}, button));
      return button;
    });
    strip.replaceChildren(fragment);
    if (!shots.length) strip.append(el("li", { class: "muted" }, "No shots were found."));
    if (nodes.length) land(nodes[0]);
    current = -1;
    update(player.time());
  }

  player.onTick(update);
  return {
    node,
    render,
    /** The start of this shot (when well into it), else of the one before. */
    previous() {
      if (!shots.length) return;
      const here = Math.max(current, 0);
      const back = player.time() - shots[here].start > RESTART ? here : Math.max(here - 1, 0);
      player.seek(shots[back].start);
    },
    next() {
      if (current + 1 < shots.length) player.seek(shots[current + 1].start);
    },
  };
}

function shotButton(shot, n, aspect) {
  const tags = shot.tags?.length ? `; ${shot.tags.join(", ")}` : "";
  const scale = shot.scale ? `, ${shot.scale}` : "";
  const label = `Shot ${n + 1}, ${timecode(shot.start)} to ${timecode(shot.end)}${scale}${tags}`;
  const button = el(
    "button",
    { type: "button", class: "shot", tabindex: "-1", title: label, "aria-label": label, dataset: { i: n } },
    shot.thumb
      ? el("img", {
          src: thumbUrl(shot.thumb),
          alt: "",
          loading: "lazy",
          decoding: "async",
          width: THUMB_WIDTH,
          height: Math.round(THUMB_WIDTH * aspect),
        })
      : el("span", { class: "no-thumb" }),
    el("span", { class: "shot-caption" }, el("span", { class: "shot-number" }, `${n + 1}`), " ", timecode(shot.start)),
  );
  return button;
}
