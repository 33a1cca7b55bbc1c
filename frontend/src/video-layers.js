// Everything time-coded on one time axis: a ruler, the colour barcode stretched over the
// film, the shots, then a row per layer (on-screen text, subtitles, people, tags,
// captions, names and places, technical and audio events) with its events as blocks.
// A playhead crosses every row; a click on a block or anywhere on a row plays from there.
// Blocks that overlap go on lanes of their own, a few at most, so none hides another.

import { el, timecode } from "./lib.js";
import { roving } from "./video-lists.js";

const MAX_LANES = 4;
const ZOOMS = [1, 2, 4, 8, 16];
const TICKS = 10; // about this many ruler marks across the visible width
const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];
const POINT = 0.004; // a moment (a caption) is drawn this share of the visible width

/** The layers section; ``render`` draws the layers, ``renderShots`` the shots row. */
export function createLayers(player, details) {
  const zoom = el(
    "select",
    { id: "layers-zoom" },
    ZOOMS.map((z) => el("option", { value: z }, z === 1 ? "Whole film" : `${z}×`)),
  );
  const axis = el("div", { class: "axis" });
  const scroller = el("div", { class: "axis-scroll" }, axis);
  const node = el(
    "section",
    { class: "layers", "aria-labelledby": "layers-heading" },
    el(
      "div",
      { class: "section-head" },
      el("h2", { id: "layers-heading" }, "Layers"),
      el("label", { for: "layers-zoom", class: "zoom" }, "Zoom "),
      zoom,
    ),
    scroller,
  );
  const playhead = el("div", { class: "playhead", "aria-hidden": "true" });
  let layers = [];
  let shots = [];
  let shown = -1;

  const duration = () => player.duration || details.duration || 0;
  const draw = () => {
    const total = duration();
    const scale = Number(zoom.value);
    axis.style.setProperty("--zoom", scale);
    const rows = [ruler(total, scale)];
    if (details.barcode) rows.push(barcodeRow(details.barcode));
    if (shots.length) rows.push(shotsRow(shots, total));
    for (const layer of layers) rows.push(layerRow(layer, total, scale));
    axis.replaceChildren(...rows, playhead);
    shown = -1;
    update(player.time());
  };
  const update = (t) => {
    const total = duration();
    const at = total ? Math.min(t / total, 1) : 0;
    if (Math.abs(at - shown) < 1e-4) return;
    shown = at;
    playhead.style.setProperty("--at", at); // on the line alone: the rows keep their styles
    keepInView(at);
  };
  const labelWidth = () => axis.querySelector(".axis-label")?.offsetWidth || 0;
  const scrollTo = (at) => {
    const label = labelWidth();
    scroller.scrollLeft = (axis.offsetWidth - label) * at - (scroller.clientWidth - label) / 4;
  };
  const keepInView = (at) => {
    if (zoom.value === "1") return;
    const label = labelWidth();
    const x = (axis.offsetWidth - label) * at;
    if (x < scroller.scrollLeft || x > scroller.scrollLeft + scroller.clientWidth - label) scrollTo(at);
  };

  axis.addEventListener("click", (event) => {
    const block = event.target.closest("[data-start]");
    if (block) return player.seek(Number(block.dataset.start));
    const track = event.target.closest(".axis-track");
    if (!track) return;
    const box = track.getBoundingClientRect();
    player.seek(((event.clientX - box.left) / box.width) * duration());
  });
  zoom.addEventListener("change", () => {
    draw();
    scrollTo(shown);
  });
  player.media.addEventListener("durationchange", draw);
  player.onTick(update);
  draw();
  return {
    node,
    render(data) {
      layers = data.layers;
      draw();
    },
    renderShots(data) {
      shots = data.shots;
      draw();
    },
  };
}

function row(label, track, name) {
  return el("div", { class: "axis-row", dataset: { layer: name } }, el("span", { class: "axis-label" }, label), track);
}

function ruler(total, scale) {
  const track = el("div", { class: "axis-track", "aria-hidden": "true" });
  if (total > 0) {
    const step = STEPS.find((s) => (total / scale) / s <= TICKS) || STEPS.at(-1);
    for (let t = 0; t < total; t += step) {
      track.append(el("span", { class: "tick", style: `left: ${(t / total) * 100}%` }, timecode(t, 0)));
    }
  }
  return row("Time", track, "time");
}

function barcodeRow(url) {
  const picture = el("img", {
    class: "barcode",
    src: url,
    alt: "The colour barcode: each moment's average colour, left to right",
  });
  return row("Colour", el("div", { class: "axis-track" }, picture), "barcode");
}

/** The cuts as alternating bands (the strip above is where the keyboard picks shots). */
function shotsRow(shots, total) {
  const track = el("div", { class: "axis-track", "aria-hidden": "true" });
  for (const [n, shot] of shots.entries()) {
    track.append(
      el(
        "span",
        {
          class: `band ${n % 2 ? "odd" : "even"}`,
          title: `Shot ${n + 1}`,
          style: place(shot.start, shot.end, total, 0),
          dataset: { start: shot.start },
        },
        `${n + 1}`,
      ),
    );
  }
  return row(`Shots (${shots.length})`, track, "shots");
}

function layerRow(layer, total, scale) {
  const label = `${layer.label} (${layer.events.length})`;
  const track = el("div", { class: "axis-track", role: "group", "aria-label": `${layer.label}: choose one to play from it` });
  if (!layer.events.length) {
    track.append(el("span", { class: "none muted" }, "none"));
    return row(label, track, layer.name);
  }
  const point = (total * POINT) / scale;
  const lanes = [];
  const blocks = [...layer.events]
    .sort((a, b) => a.start - b.start)
    .map((event) => {
      const lane = laneFor(lanes, event.start, Math.max(event.end, event.start + point));
      const text = event.text.replace(/\s+/g, " ").trim() || event.kind;
      const when = event.end > event.start ? `${timecode(event.start)}–${timecode(event.end)}` : timecode(event.start);
      const kind = event.kind && event.kind !== text ? `${event.kind}: ` : "";
      return el(
        "button",
        {
          type: "button",
          class: "event",
          tabindex: "-1",
          title: `${kind}${text} (${when})`,
          "aria-label": `${kind}${text}, ${when}`,
          style: place(event.start, event.end, total, lane),
          dataset: { start: event.start },
        },
        text,
      );
    });
  track.style.setProperty("--lanes", lanes.length);
  track.append(...blocks);
  const land = roving(track, () => blocks);
  land(blocks[0]);
  return row(label, track, layer.name);
}

/** The first lane free at ``start`` (or the one freed soonest when all are busy). */
function laneFor(lanes, start, end) {
  let lane = lanes.findIndex((busyUntil) => busyUntil <= start);
  if (lane < 0 && lanes.length < MAX_LANES) lane = lanes.length;
  if (lane < 0) lane = lanes.indexOf(Math.min(...lanes));
  lanes[lane] = end;
  return lane;
}

function place(start, end, total, lane) {
  const left = total ? (start / total) * 100 : 0;
  const width = total ? (Math.max(end - start, 0) / total) * 100 : 0;
  return `left: ${left}%; width: ${width}%; --lane: ${lane}`;
}
