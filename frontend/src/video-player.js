// The video page's player and its clock: one <video> (or <audio>) whose time every other
// part follows. Parts subscribe with onTick(); the clock calls them once per animation
// frame while playing and on every seek, so each part only compares an index it found by
// binary search (video-lists.js) with the one it drew last: nothing is redrawn on a tick
// that did not move.

import { el, say, thumbUrl, timecode } from "./lib.js";

const STEP = 5; // seconds ←/→ and the step buttons move

/** The player for the video's details: the media element, its controls, the clock. */
export function createPlayer(details, startAt) {
  const sound = details.media === "sound";
  const media = el(sound ? "audio" : "video", {
    id: "player",
    controls: true,
    preload: "metadata",
    playsinline: true,
    "aria-label": `${sound ? "Sound recording" : "Video"}: ${details.title}`,
    poster: !sound && details.card?.poster ? thumbUrl(details.card.poster) : null,
  });
  const listeners = [];
  let frame = 0;
  let duration = details.duration || 0;

  const emit = () => {
    const t = media.currentTime;
    for (const listener of listeners) listener(t);
  };
  const tick = () => {
    emit();
    frame = media.paused || media.ended ? 0 : requestAnimationFrame(tick);
  };
  for (const name of ["seeking", "seeked", "timeupdate", "loadedmetadata", "pause", "ended"]) {
    media.addEventListener(name, emit);
  }
  media.addEventListener("play", () => {
    if (!frame) frame = requestAnimationFrame(tick);
  });
  media.addEventListener("durationchange", () => {
    if (Number.isFinite(media.duration) && media.duration > 0) duration = media.duration;
  });
  // the server chose a file browsers play, yet this one may lack the codec (a Firefox
  // without H.264 on Linux): say so rather than show a player that never starts
  media.addEventListener("error", () => say(`This browser cannot play ${details.file}: ${media.error?.message || "the format is not supported"}.`, "error"));

  const player = {
    media,
    sound,
    get duration() {
      return duration;
    },
    time: () => media.currentTime,
    onTick(listener) {
      listeners.push(listener);
      listener(media.currentTime);
    },
    seek(t) {
      media.currentTime = Math.min(Math.max(0, t), duration || t);
      emit(); // draw the new place at once, before the media has found it
    },
    step: (seconds) => player.seek(media.currentTime + seconds),
    toggle() {
      // a pause before playback began rejects with AbortError: nothing to tell
      if (media.paused || media.ended) media.play().catch((error) => error.name === "AbortError" || say(error.message, "error"));
      else media.pause();
    },
  };
  startWhenReady(player, startAt);
  if (!details.src) {
    media.removeAttribute("controls");
  } else {
    media.src = details.src;
  }
  return player;
}

/** ?t=SECONDS: go there as soon as the media knows its length. */
function startWhenReady(player, startAt) {
  if (!(startAt > 0)) return;
  const go = () => player.seek(startAt);
  if (player.media.readyState >= 1) go();
  else player.media.addEventListener("loadedmetadata", go, { once: true });
}

/** The buttons under the player: play, step, previous and next shot, the time. */
export function playerControls(player, shots) {
  const play = el("button", { type: "button", class: "play", "aria-keyshortcuts": "Space k" }, "Play");
  const sync = () => {
    const playing = !player.media.paused && !player.media.ended;
    play.textContent = playing ? "Pause" : "Play";
    play.setAttribute("aria-label", playing ? "Pause" : "Play");
  };
  play.addEventListener("click", () => player.toggle());
  for (const name of ["play", "pause", "ended"]) player.media.addEventListener(name, sync);
  sync();
  const clock = el("span", { class: "clock", "aria-hidden": "true" }, "0:00.0");
  let shown = "";
  player.onTick((t) => {
    const text = `${timecode(t)} / ${timecode(player.duration)}`;
    if (text !== shown) clock.textContent = shown = text;
  });
  const button = (label, text, keys, action) =>
    el("button", { type: "button", class: "secondary", "aria-label": label, "aria-keyshortcuts": keys, onclick: action }, text);
  const bar = el(
    "div",
    { class: "player-controls", role: "group", "aria-label": "Player controls" },
    play,
    button(`Back ${STEP} seconds`, `−${STEP} s`, "ArrowLeft", () => player.step(-STEP)),
    button(`Forward ${STEP} seconds`, `+${STEP} s`, "ArrowRight", () => player.step(STEP)),
    player.sound ? null : button("Previous shot", "◀ Shot", ",", () => shots.previous()),
    player.sound ? null : button("Next shot", "Shot ▶", ".", () => shots.next()),
    clock,
  );
  if (!player.media.src) bar.querySelectorAll("button").forEach((b) => (b.disabled = true));
  return bar;
}

/** Keyboard shortcuts when focus is not where typing goes: Space/k play and pause, ←/→
 * step 5 s, ',' '.' the previous and next shot. Space on a button or link keeps its own
 * meaning (pressing it). */
export function installShortcuts(player, shots) {
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (typing(target)) return;
    const pressable = target !== player.media && target.closest?.("button, a, summary, [role=button]");
    const actions = {
      " ": pressable ? null : () => player.toggle(),
      k: () => player.toggle(),
      ArrowLeft: () => player.step(-STEP),
      ArrowRight: () => player.step(STEP),
      ",": player.sound ? null : () => shots.previous(),
      ".": player.sound ? null : () => shots.next(),
    };
    const action = actions[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  });
}

function typing(target) {
  return Boolean(target.closest?.("input, textarea, select, [contenteditable]:not([contenteditable=false])"));
}
