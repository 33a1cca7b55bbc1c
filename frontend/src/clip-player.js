// What the supercut and sequence pages share: the clip player, the list of clips and the
// downloads. The player plays clips of the original files back to back, nothing
// rendered: two <video> elements take turns, and while one plays a clip the other has
// loaded the next and waits at its first frame, so a cut is a swap. Each clip plays from
// its start to its end (both widened by the context, on the supercut page), then the
// next one starts. A sound recording plays in the same element, a card in its picture.

import { api, config, el, pageAddress, param, plural, say, setAddress, thumbUrl, timecode } from "./lib.js";

const CONTEXT_MOST = 10; // seconds of context either side of a clip
const FORMATS = [
  ["otio", "OTIO"],
  ["edl", "EDL"],
  ["fcpxml", "FCPXML"],
  ["xml", "FCP7 XML"],
  ["vtt", "WebVTT"],
  ["csv", "CSV"],
];

/** The player in ``root``; ``onClip(index)`` after each change of clip, ``onContext()``
 * after each change of context. ``widen``: offer the context buttons. */
export function createClipPlayer(root, { widen = false, onClip = () => {}, onContext = () => {} } = {}) {
  const decks = [deck(), deck()];
  const caption = el("p", { class: "clip-caption" });
  const soundCard = el("div", { class: "clip-sound", hidden: true }, el("span", { class: "clip-sound-mark", "aria-hidden": "true" }, "♪"), el("span", {}, "Sound recording"));
  const unplayable = el("p", { class: "clip-unplayable", hidden: true }, "This browser cannot play this clip's file.");
  const screen = el("div", { class: "clip-screen" }, decks[0].media, decks[1].media, soundCard, unplayable, caption);
  const where = el("p", { class: "clip-where" });
  const live = el("p", { class: "visually-hidden", "aria-live": "polite", id: "clip-live" });
  const playButton = el("button", { type: "button", class: "play", "aria-keyshortcuts": "Space", onclick: () => toggle() }, "Play");
  const contextLabel = el("span", { class: "clip-context", id: "clip-context" }, "context ±0 s");
  const button = (label, text, keys, action, id) =>
    el("button", { type: "button", class: "secondary", id, "aria-label": label, "aria-keyshortcuts": keys, onclick: action }, text);
  const controls = el(
    "div",
    { class: "player-controls", role: "group", "aria-label": "Player controls" },
    button("Previous clip", "◀ Previous", "ArrowLeft p", () => go(index - 1), "clip-previous"),
    playButton,
    button("Replay this clip", "↺ Replay", "r", () => go(index), "clip-replay"),
    button("Skip to the next clip", "Skip ▶", "ArrowRight n", () => skip(), "clip-skip"),
    widen ? button("Widen the context by a second each side", "Widen", "w", () => setContext(context + 1), "clip-widen") : null,
    widen ? button("Narrow the context by a second each side", "Narrow", "Shift+W", () => setContext(context - 1), "clip-narrow") : null,
    widen ? contextLabel : null,
  );
  const keys = el(
    "p",
    { class: "muted small-print" },
    "Keys: Space pauses, → or n skips, ← or p goes back, r replays",
    widen ? ", w widens the context (Shift+W narrows it)." : ".",
  );
  screen.addEventListener("click", () => toggle()); // as on most players: the picture pauses
  root.replaceChildren(screen, where, controls, keys, live);

  let clips = [];
  let index = -1;
  let active = 0; // the deck on screen
  let context = 0;
  let frame = 0;
  let finished = false;

  const from = (clip) => Math.max(0, clip.start - context);
  const to = (clip) => Math.min(clip.length || Infinity, clip.end + context);

  function deck() {
    const media = el("video", { class: "clip-deck", preload: "auto", playsinline: true, "aria-hidden": "true" });
    const made = { media, clip: null, from: 0 };
    media.addEventListener("loadedmetadata", () => seekTo(made));
    media.addEventListener("play", () => {
      if (!frame) frame = requestAnimationFrame(watch);
      sync();
    });
    media.addEventListener("pause", sync);
    media.addEventListener("timeupdate", () => made === decks[active] && check()); // rAF sleeps in a background tab
    media.addEventListener("ended", () => made === decks[active] && !finished && next());
    media.addEventListener("error", () => made === decks[active] && showUnplayable(true));
    return made;
  }

  /** Make ``d`` ready to play ``clip`` from its (widened) start. */
  function cue(d, clip) {
    d.clip = clip;
    d.from = from(clip);
    if (!clip.media) {
      d.media.removeAttribute("src");
      return;
    }
    if (d.media.getAttribute("src") !== clip.media) d.media.src = clip.media; // seeks on loadedmetadata
    else seekTo(d);
  }

  function seekTo(d) {
    if (d.clip && d.media.readyState >= 1) d.media.currentTime = d.from;
  }

  /** Play clip ``i`` (the preloaded deck when it holds it), and preload the next. */
  function go(i) {
    if (!clips.length) return;
    index = Math.max(0, Math.min(clips.length - 1, i));
    finished = false;
    const clip = clips[index];
    const spare = decks[1 - active];
    if (spare.clip === clip && spare.from === from(clip) && spare.media.readyState >= 1) active = 1 - active;
    else cue(decks[active], clip);
    const shown = decks[active];
    const hidden = decks[1 - active];
    hidden.media.pause();
    for (const d of decks) {
      d.media.classList.toggle("shown", d === shown);
      d.media.setAttribute("aria-hidden", String(d !== shown));
    }
    shown.media.setAttribute("aria-label", `Clip ${index + 1} of ${clips.length}`);
    if (clips[index + 1]) cue(hidden, clips[index + 1]);
    else hidden.clip = null;
    showUnplayable(!clip.media);
    describe(clip);
    if (clip.media) start(shown);
    else shown.media.pause();
    onClip(index);
  }

  function start(d) {
    // a browser that waits for a click before it plays sound refuses: say what to press
    d.media.play().catch((error) => {
      if (error.name === "NotAllowedError") say("Press Play (or Space) to start: this browser waits for you before it plays sound.");
      else if (error.name !== "AbortError") say(error.message, "error");
    });
  }

  function skip() {
    if (index + 1 < clips.length) go(index + 1);
    else say("This is the last clip.");
  }

  function next() {
    if (index + 1 < clips.length) return go(index + 1);
    decks[active].media.pause();
    finished = true;
    live.textContent = `The end: all ${plural(clips.length, "clip")} played. Press Play to start again.`;
  }

  /** Past the clip's end: the next one. Called each frame while playing. */
  function check() {
    const d = decks[active];
    if (!d.clip || d.media.paused || d.media.seeking || finished) return;
    if (d.media.currentTime >= to(d.clip)) next();
  }

  function watch() {
    frame = 0;
    check();
    if (!decks[active].media.paused) frame = requestAnimationFrame(watch);
  }

  function toggle() {
    const d = decks[active];
    if (!clips.length) return;
    if (finished) go(0);
    else if (d.media.paused) start(d);
    else d.media.pause();
  }

  function sync() {
    const playing = !decks[active].media.paused;
    playButton.textContent = playing ? "Pause" : "Play";
    playButton.setAttribute("aria-label", playing ? "Pause" : "Play");
  }

  /** Context either side of every clip: the clip playing starts again with it. */
  function setContext(seconds) {
    const wanted = Math.max(0, Math.min(CONTEXT_MOST, seconds));
    if (wanted === context) return;
    context = wanted;
    contextLabel.textContent = `context ±${context} s`;
    if (index >= 0) {
      const d = decks[active];
      const playing = !d.media.paused;
      cue(d, clips[index]);
      if (clips[index + 1]) cue(decks[1 - active], clips[index + 1]);
      if (!playing) d.media.pause();
    }
    live.textContent = `Context ${context} seconds either side.`;
    onContext();
  }

  function describe(clip) {
    caption.textContent = clip.caption;
    caption.hidden = !clip.caption;
    soundCard.hidden = !clip.sound;
    soundCard.lastChild.textContent = `Sound recording: ${clip.file}`;
    where.replaceChildren(
      el("span", { class: "clip-n" }, `${index + 1} of ${clips.length}`),
      " · ",
      el("a", { href: clip.video_page, class: "clip-film" }, clip.title),
      " · ",
      el("span", { class: "clip-time" }, `${timecode(clip.start)}–${timecode(clip.end)}`),
      clip.scale ? ` · ${clip.scale}` : "",
    );
    const said = clip.caption ? `“${clip.caption}”, ` : "";
    live.textContent = `Clip ${index + 1} of ${clips.length}: ${said}${clip.title} at ${timecode(clip.start)}.`;
  }

  function showUnplayable(shown) {
    unplayable.hidden = !shown;
  }

  function installKeys() {
    document.addEventListener("keydown", (event) => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || !clips.length) return;
      const target = event.target;
      if (target.closest?.("input, textarea, select, [contenteditable]:not([contenteditable=false])")) return;
      const pressable = target.closest?.("button, a, summary, [role=button]");
      const actions = {
        " ": pressable ? null : toggle,
        ArrowRight: skip,
        n: skip,
        ArrowLeft: () => go(index - 1),
        p: () => go(index - 1),
        r: () => go(index),
        w: widen ? () => setContext(context + 1) : null,
        W: widen ? () => setContext(context - 1) : null,
      };
      const action = actions[event.key];
      if (!action) return;
      event.preventDefault();
      action();
    });
  }
  installKeys();

  return {
    /** Play ``list`` from its first clip. */
    load(list) {
      clips = list;
      index = -1;
      for (const d of decks) d.clip = null;
      go(0);
    },
    go,
    /** Stop playing (a new search is on its way). */
    stop() {
      clips = [];
      for (const d of decks) d.media.pause();
    },
    get context() {
      return context;
    },
  };
}

/** The clips as a list: picture, film, time, scale and what is said; a click plays one. */
export function fillClipList(list, clips, play) {
  list.replaceChildren(
    ...clips.map((clip, i) =>
      el(
        "li",
        {},
        el(
          "button",
          { type: "button", class: "clip-item", dataset: { start: clip.start }, onclick: () => play(i), "aria-label": `Play clip ${clip.n}: ${clip.caption ? `“${clip.caption}”, ` : ""}${clip.file} at ${timecode(clip.start)}` },
          clip.thumbnail ? el("img", { src: thumbUrl(clip.thumbnail), alt: "", loading: "lazy", width: 160, height: 90 }) : el("span", { class: "clip-thumb", "aria-hidden": "true" }, clip.sound ? "♪" : ""),
          el(
            "span",
            { class: "clip-text" },
            el("span", { class: "clip-item-title" }, `${clip.n}. ${clip.title}`),
            el("span", { class: "muted clip-item-time" }, `${timecode(clip.start)}–${timecode(clip.end)}${clip.scale ? ` · ${clip.scale}` : ""} · ${clip.kind}`),
            clip.caption ? el("span", { class: "clip-item-caption" }, clip.caption) : null,
          ),
        ),
      ),
    ),
  );
}

/** Mark clip ``index`` of the list as the one playing, scrolled into the list's view (the
 * list's own scrolling: the page stays where the reader put it). */
export function markPlaying(list, index) {
  const items = list.querySelectorAll(".clip-item");
  items.forEach((item, i) => (i === index ? item.setAttribute("aria-current", "true") : item.removeAttribute("aria-current")));
  const shown = items[index]?.parentElement;
  if (!shown) return;
  if (shown.offsetTop < list.scrollTop) list.scrollTop = shown.offsetTop;
  else if (shown.offsetTop + shown.offsetHeight > list.scrollTop + list.clientHeight) list.scrollTop = shown.offsetTop + shown.offsetHeight - list.clientHeight;
}

/** Links to download the edit, made of ``base`` and the query ``params()`` gives now. */
export function fillDownloads(box, base, params, answer) {
  const capped = answer.clips.length > answer.render_most;
  const mp4 = el(
    "a",
    { class: "button small", href: `${base}/download.mp4?${params()}`, dataset: { format: "mp4" }, onclick: () => say("Rendering the MP4: the download starts when it is made (a second or so a clip).") },
    capped ? `MP4 (the first ${answer.render_most} clips)` : "MP4",
  );
  const links = FORMATS.map(([format, label]) => el("a", { class: "button secondary small", href: `${base}/download.${format}?${params()}`, dataset: { format } }, label));
  box.replaceChildren(el("span", {}, "Download: "), mp4, ...links);
  box.hidden = false;
}

/** Point the download links at the query ``params()`` gives now (the context changed). */
export function refreshDownloads(box, base, params) {
  for (const link of box.querySelectorAll("a[data-format]")) link.href = `${base}/download.${link.dataset.format}?${params()}`;
}

/** A page of clips: its form's fields live in the address; each submit asks ``endpoint``
 * for the clips and plays them. ``fields``: the form's named fields and their defaults;
 * ``query(values, context)``: the API's parameters for them, the context (seconds either
 * side, 0 for the clips the page plays) in the downloads; ``onFields()``: after the
 * fields were filled from the address. */
export function clipsPage({ endpoint, fields, query, widen = false, onFields = () => {} }) {
  const form = document.getElementById("clips-form");
  const messages = document.getElementById("messages");
  const count = document.getElementById("clips-count");
  const section = document.getElementById("clips-section");
  const list = document.getElementById("clips");
  const downloads = document.getElementById("clips-downloads");
  const playerBox = document.getElementById("clips-player");
  let latest = 0; // the latest request: an older answer arriving late is dropped
  let values = {};
  const downloadParams = () => params(player.context);
  const player = createClipPlayer(playerBox, {
    widen,
    onClip: (i) => markPlaying(list, i),
    onContext: () => refreshDownloads(downloads, endpoint, downloadParams),
  });

  function params(context = 0) {
    const asked = query(values, context);
    if (config.collection) asked.set("collection", config.collection);
    return asked;
  }

  // by selector, not form.elements[name]: a field named "length" is the form's count
  const field = (name) => form.querySelector(`[name="${name}"]`);

  function readAddress() {
    values = {};
    for (const [name, fallback] of Object.entries(fields)) {
      values[name] = param(name, fallback);
      if (field(name)) field(name).value = values[name];
    }
    onFields();
  }

  function readForm() {
    for (const [name, fallback] of Object.entries(fields)) values[name] = field(name)?.value.trim() || fallback;
  }

  /** The address holds what differs from the defaults. */
  function remember() {
    const entries = Object.entries(fields)
      .filter(([name, fallback]) => values[name] !== fallback)
      .map(([name]) => [name, values[name]]);
    setAddress(pageAddress(entries));
  }

  function clear() {
    player.stop();
    messages.replaceChildren();
    section.hidden = true;
    downloads.hidden = true;
    playerBox.hidden = true;
  }

  async function run() {
    clear();
    if (!values.q) {
      count.textContent = "";
      return;
    }
    const mine = ++latest;
    count.textContent = "Finding the clips…";
    try {
      const answer = await api(`${endpoint}?${params()}`);
      if (mine === latest) show(answer);
    } catch (error) {
      if (mine !== latest) return;
      if (error.status === 404) count.textContent = `${error.message}.`; // nothing to cut: no failure
      else {
        count.textContent = "";
        messages.replaceChildren(el("p", { class: "error" }, error.message));
      }
    }
  }

  function show(answer) {
    messages.replaceChildren(...answer.notes.map((note) => el("p", { class: "warning" }, note)));
    count.textContent = `${plural(answer.clips.length, "clip")}, ${timecode(answer.duration)} in all (${answer.made})`;
    fillClipList(list, answer.clips, (i) => player.go(i));
    section.hidden = false;
    playerBox.hidden = false;
    fillDownloads(downloads, endpoint, downloadParams, answer);
    player.load(answer.clips);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    readForm();
    remember();
    run();
  });
  window.addEventListener("popstate", () => {
    readAddress();
    run();
  });
  readAddress();
  run();
}
