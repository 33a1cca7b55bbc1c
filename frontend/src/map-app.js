// The collection map: every shot drawn where its layout puts it, a dot far out, its
// picture closer in. Shared by the server's page (map.js) and the static export
// (map-static.js), which differ in how the bundle is read and what the server can do
// (search, saving sets, opening the video).

import { el, plural, say, videoHref } from "./lib.js";
import { fetchSource, infoPages, scriptSource } from "./map-data.js";
import { BACKGROUND, createRenderer } from "./map-gl.js";
import { createFallback } from "./map-canvas.js";
import { View } from "./map-view.js";
import { AtlasLevel, GridIndex } from "./map-lod.js";
import { legend, palette, pointColours } from "./map-legend.js";
import { LassoPath, pointsInside } from "./map-lasso.js";
import { describeShot, frame, mapPage, summaryText } from "./map-ui.js";
import { drawLabels } from "./map-labels.js";
import { createSelection } from "./map-selection.js";

const THUMB_FROM = 14; // device px a point needs before pictures replace dots
const SHARP_FROM = 44; // ... and before the 128 px pictures replace the 32 px ones
const TRANSITION_MS = 700;
const OVERLAY_MAX = 300_000; // lit points drawn again on top (beyond, the dim ones may hide some)
const FRAMES_KEPT = 240;
const SAMPLE = 150_000; // points drawn while moving when all of them are too slow to draw
const SLOW_FRAME_MS = 45; // frames slower than this while moving: draw the sample instead
const NEAR_MAX = 200_000; // close in, points round the screen drawn instead of all, at most

/** Start the map in ``root``. ``server``: {api, collection} where a server answers, else null. */
export async function startMap(root, { base, isStatic, server }) {
  const source = isStatic ? scriptSource(base) : fetchSource(base);
  const map = createMap(root, source, { base, isStatic, server });
  await map.start();
}

/** ``size`` distinct point indexes of ``count``, spread evenly at random, in order. */
function sampleOf(count, size) {
  const out = new Uint32Array(size);
  const step = count / size;
  for (let j = 0; j < size; j++) out[j] = Math.min(count - 1, Math.floor((j + Math.random()) * step));
  return out;
}

function createMap(root, source, { base, isStatic, server }) {
  let readyDone;
  let readyFailed;
  const hooks = {
    ready: new Promise((resolve, reject) => [readyDone, readyFailed] = [resolve, reject]),
    frameTimes: [],
    drawTimes: [],
    count: 0,
    renderer: "",
    atlasRequests: () => levels.flatMap((level) => level.requests.map((page) => `atlas/${level.size}/${page}.jpg`)),
  };
  // A map that fails says so on the page; the promise rejects for whoever awaits it
  // (tests, benchmarks) without an unhandled rejection when nobody does.
  hooks.ready.catch(() => {});
  window.deerinMap = hooks;
  source.onchanged = mapChanged;
  const parts = mapPage(root, { searchable: Boolean(server) });
  const view = new View();
  const lasso = new LassoPath();
  const state = {
    meta: null,
    layouts: new Map(), // name -> {xy, buffer, index}
    layout: null,
    from: null, // the layout points come from during a transition
    mix: 1,
    transitionStart: 0,
    facet: null, // {name, label, codes, table}
    chosen: new Set(),
    hits: null, // Uint8Array mask of a search's points, or null
    hitCount: 0,
    selected: null, // Uint32Array of point indexes
    sample: null, // a fixed random subset drawn while moving, where all are too slow
    near: null, // close in: the points on and round the screen (drawn instead of all)
    slow: false, // frames with every point took longer than SLOW_FRAME_MS
    selectedMask: null,
    broken: false, // drawing stopped: the graphics context was lost, or a frame threw
    lassoMode: false,
    hover: -1,
    cell: 0.01, // world side of a point's picture at natural packing
  };
  let renderer = null;
  let levels = [];
  let info = null;
  let selection = null;

  // ---- loading -----------------------------------------------------------------------

  async function start() {
    try {
      state.meta = await source.json("meta.json");
    } catch (error) {
      return fail(`This collection has no map yet (${error.message}). Run deerin map to make one.`);
    }
    try {
      await show();
    } catch (error) {
      if (error.name === "MapChanged") return; // mapChanged() has said so
      fail(`The map could not be drawn: ${error.message}`);
      console.error(error);
    }
  }

  async function show() {
    const meta = state.meta;
    source.version = meta.version;
    hooks.count = meta.count;
    parts.heading.textContent = `Map of ${meta.collection}`;
    state.cell = Math.min(0.06, 0.9 / Math.sqrt(Math.max(1, meta.count)));
    state.sample = meta.count > 2 * SAMPLE ? sampleOf(meta.count, SAMPLE) : null;
    view.setLimits(0.5, 320 / (state.cell * Math.max(1, view.fitScale())));
    info = infoPages(source, meta.info_per_page || 1024);
    renderer = createRenderer(parts.canvas) || fallback();
    hooks.renderer = renderer.name;
    parts.canvas.dataset.renderer = renderer.name;
    levels = meta.atlas
      .filter(() => renderer.textured !== false)
      .map(
        (level) =>
          new AtlasLevel(level, meta.count, { source, renderer, cap: level.size > 64 ? 48 : 64, concurrency: isStatic ? 3 : 6, changed: redraw }),
      );
    fillChoices();
    selection = createSelection(parts, { meta, server, isStatic, info, thumbnail, clear: clearSelection, mapChanged });
    resize();
    new ResizeObserver(resize).observe(parts.canvas.parentElement);
    bindInput();
    const first = meta.layouts[0]?.name;
    const facet = meta.facets.find((f) => f.name === "cluster") || meta.facets[0];
    await Promise.all([useLayout(first, false), useFacet(facet?.name)]);
    state.mix = 1;
    view.fit();
    redraw();
    if (server) {
      const asked = new URLSearchParams(location.search).get("q");
      if (asked) {
        parts.query.value = asked;
        highlight(asked);
      }
    }
  }

  function fail(message, reload = false) {
    readyFailed(new Error(message));
    notice(message, reload);
  }

  /** A message over the map (and in its text alternative); ``reload``: with a button
   * that reloads the page, the one way out of what it says. */
  function notice(message, reload = false) {
    const button = reload && el("button", { type: "button", onclick: () => location.reload() }, "Reload");
    parts.message.replaceChildren(message, ...(button ? [" ", button] : []));
    parts.message.hidden = false;
    parts.summary.textContent = message;
  }

  /** The server has made the map again: this page's point numbers mean other shots now.
   * Say so, offer a reload, and ask for nothing more. */
  function mapChanged() {
    source.stale = true;
    fail("The map has changed since this page was opened: reload the page.", true);
  }

  /** No WebGL2: say so, and draw dots with a 2-D canvas (no pictures). */
  function fallback() {
    notice("This browser gives the page no WebGL2, so the map shows dots only, more slowly. Turn on hardware acceleration to see the shots' pictures.");
    return createFallback(parts.canvas);
  }

  async function loadLayout(name) {
    let layout = state.layouts.get(name);
    if (!layout) {
      const xy = new Float32Array(await source.binary(`layout/${name}.bin`));
      layout = { xy, buffer: renderer.positions(xy), index: null };
      state.layouts.set(name, layout);
    }
    return layout;
  }

  function indexOf(name) {
    const layout = state.layouts.get(name);
    layout.index ??= new GridIndex(layout.xy);
    return layout.index;
  }

  async function useLayout(name, animate = true) {
    if (!name || name === state.layout) return;
    await loadLayout(name);
    state.from = animate && state.layout ? state.layout : name;
    state.layout = name;
    state.mix = animate ? 0 : 1;
    state.transitionStart = performance.now();
    parts.layout.value = name;
    composeOverlay();
    changed();
  }

  async function useFacet(name) {
    const described = state.meta.facets.find((f) => f.name === name);
    if (!described) return;
    const codes = new Uint16Array(await source.binary(`facet/${name}.bin`));
    state.facet = { ...described, codes, table: palette(described) };
    state.chosen = new Set();
    parts.facet.value = name;
    parts.legendBody.replaceChildren(legend(described, state.facet.table, state.chosen, compose));
    compose();
  }

  function fillChoices() {
    const { meta } = state;
    const option = (value, label) => Object.assign(document.createElement("option"), { value, textContent: label });
    parts.layout.replaceChildren(...meta.layouts.map((l) => option(l.name, l.label)));
    parts.facet.replaceChildren(...meta.facets.map((f) => option(f.name, f.label)));
  }

  // ---- colours: the facet, the search, the legend, the selection ----------------------

  /** Which points are lit (null: all): in the search's hits, of the chosen legend
   * values and, unless ``selection`` is false, in the lasso's selection. */
  function litTest(selection = true) {
    const { hits, chosen, facet, selectedMask } = state;
    const tests = [];
    if (hits) tests.push((i) => hits[i] === 1);
    if (chosen.size) tests.push((i) => chosen.has(facet.codes[i]));
    if (selectedMask && selection) tests.push((i) => selectedMask[i] === 1);
    if (!tests.length) return null;
    return tests.length === 1 ? tests[0] : (i) => tests.every((test) => test(i));
  }

  function compose() {
    if (!state.facet) return;
    const lit = litTest();
    renderer.colours(pointColours(state.facet.codes, state.facet.table, lit, BACKGROUND));
    state.lit = lit;
    composeOverlay();
    changed();
  }

  /** Lit points again, on top of the dimmed ones (dots only), and the moving sample. */
  function composeOverlay() {
    const lit = state.lit;
    if (!lit) renderer.subset("overlay", new Float32Array(0), new Float32Array(0), new Uint8Array(0));
    else {
      const chosen = [];
      for (let i = 0; i < hooks.count && chosen.length < OVERLAY_MAX; i++) if (lit(i)) chosen.push(i);
      subset("overlay", chosen, null);
    }
    if (state.sample) subset("sample", state.sample, lit);
    if (state.near) subset("near", state.near, lit);
  }

  /** Hand the renderer the places (both layouts of a transition) and colours of ``points``. */
  function subset(name, points, lit) {
    const from = state.layouts.get(state.from)?.xy;
    const to = state.layouts.get(state.layout)?.xy;
    if (!from || !to || !state.facet) return;
    const a = new Float32Array(points.length * 2);
    const b = new Float32Array(points.length * 2);
    points.forEach((i, j) => {
      a[2 * j] = from[2 * i];
      a[2 * j + 1] = from[2 * i + 1];
      b[2 * j] = to[2 * i];
      b[2 * j + 1] = to[2 * i + 1];
    });
    const codes = Uint16Array.from(points, (i) => state.facet.codes[i]);
    const test = lit && ((j) => lit(points[j]));
    renderer.subset(name, a, b, pointColours(codes, state.facet.table, test, BACKGROUND));
  }

  async function highlight(query) {
    const q = query.trim();
    setAddressQuery(q);
    if (!q) return clearHighlight();
    parts.count.textContent = "Searching…";
    try {
      const found = await server.api(`${base}highlight?${new URLSearchParams({ q })}`);
      const mask = new Uint8Array(hooks.count);
      for (const i of found.points) if (i >= 0 && i < mask.length) mask[i] = 1;
      state.hits = mask;
      state.hitCount = found.points.length;
      parts.count.textContent = `${state.hitCount.toLocaleString()} of ${hooks.count.toLocaleString()} shots lit up`;
      parts.count.dataset.hits = String(state.hitCount);
    } catch (error) {
      state.hits = null;
      parts.count.textContent = error.message;
      parts.count.dataset.hits = "";
    }
    compose();
  }

  function clearHighlight() {
    state.hits = null;
    parts.count.textContent = "";
    parts.count.dataset.hits = "";
    compose();
  }

  function setAddressQuery(q) {
    const address = new URL(location.href);
    if (q) address.searchParams.set("q", q);
    else address.searchParams.delete("q");
    if (address.href !== location.href) history.replaceState(null, "", address);
  }

  function select(polygon) {
    const world = polygon.map(([x, y]) => view.toWorld(x, y));
    // the lit points inside (a new lasso replaces the last selection)
    const points = pointsInside(indexOf(state.layout), world, litTest(false));
    state.selected = points.length ? points : null;
    state.selectedMask = null;
    if (points.length) {
      state.selectedMask = new Uint8Array(hooks.count);
      for (const i of points) state.selectedMask[i] = 1;
    }
    compose();
    selection.show(state.selected, state.layout);
    say(points.length ? `${plural(points.length, "shot")} selected.` : "No shots inside the lasso.");
  }

  function clearSelection() {
    state.selected = null;
    state.selectedMask = null;
    selection.show(null);
    compose();
  }

  // ---- drawing --------------------------------------------------------------------------

  let scheduled = false;
  let lastFrame = 0;
  let continuing = false;
  let drawnOnce = false;
  let previewed = false; // the last frame drew the sample only
  let slowFrames = 0;
  let stillTimer = 0;

  /** After a move drawn with the sample, all points again once the map is still. */
  function redrawWhenStill() {
    clearTimeout(stillTimer);
    stillTimer = setTimeout(() => {
      if (dragging) return redrawWhenStill();
      redraw();
    }, 150);
  }

  function redraw() {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(drawFrame);
  }

  function dpr() {
    return Math.min(2, window.devicePixelRatio || 1);
  }

  function thumbPixels() {
    return state.cell * view.k * dpr();
  }

  function drawFrame(now) {
    scheduled = false;
    if (!state.layout || !state.facet || state.broken) return;
    try {
      step(now);
    } catch (error) {
      // Thrown inside requestAnimationFrame: nobody else would hear of it.
      state.broken = true;
      fail(`The map could not be drawn: ${error.message}`);
      console.error(error);
    }
  }

  /** One frame: advance the eased moves and the layout transition, draw, and keep going
   * while something moves. */
  function step(now) {
    if (continuing || dragging) {
      remember(hooks.frameTimes, now - lastFrame);
      if (!previewed && now - lastFrame > SLOW_FRAME_MS && state.sample) slowFrames++;
      state.slow ||= slowFrames >= 3;
    }
    const dt = lastFrame ? Math.min(64, now - lastFrame) : 16;
    lastFrame = now;
    let moving = view.step(dt);
    if (state.mix < 1) {
      const t = Math.min(1, (now - state.transitionStart) / TRANSITION_MS);
      state.mix = t < 0.5 ? 2 * t * t : 1 - (-2 * t + 2) ** 2 / 2;
      if (t >= 1) {
        state.mix = 1;
        state.from = state.layout;
        composeOverlay();
      }
      moving = true;
    }
    const began = performance.now();
    previewed = state.slow && (moving || dragging);
    render(previewed);
    remember(hooks.drawTimes, performance.now() - began);
    if (!drawnOnce) {
      drawnOnce = true;
      renderer.finish(); // the first frame, drawn: how long all points take here
      state.slow = Boolean(state.sample) && performance.now() - began > SLOW_FRAME_MS;
      readyDone(performance.now());
    }
    continuing = moving;
    if (moving) redraw();
    else if (previewed) redrawWhenStill();
    changed(false);
  }

  function render(sampled = false) {
    const size = thumbPixels();
    const pictures = size >= THUMB_FROM;
    const pages = [];
    if (pictures && levels.length) {
      pages.push(...levels[0].drawable(levels[0].visible));
      if (size >= SHARP_FROM && levels[1]) pages.push(...levels[1].drawable(levels[1].visible));
    }
    renderer.draw({
      view,
      dpr: dpr(),
      from: state.layouts.get(state.from).buffer,
      to: state.layouts.get(state.layout).buffer,
      mix: state.mix,
      dot: Math.max(2, Math.min(size, pictures ? size : 12)),
      thumb: size,
      border: Math.min(3, size / 16),
      pages,
      overlay: !pictures,
      points: pictures && state.near ? "near" : sampled ? "sample" : "all",
    });
    drawOverlay(size);
  }

  function drawOverlay(size) {
    const canvas = parts.overlay;
    const ratio = dpr();
    const [width, height] = [Math.round(view.width * ratio), Math.round(view.height * ratio)];
    if (canvas.width !== width || canvas.height !== height) [canvas.width, canvas.height] = [width, height];
    const context = canvas.getContext("2d");
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, view.width, view.height);
    if (state.facet.name === "cluster" || view.zoom < 2.5) {
      drawLabels(context, view, state.meta.clusters, state.from, state.layout, state.mix);
    }
    // the shot under the pointer; with the keyboard, the one Enter opens
    const marked = state.hover >= 0 ? state.hover : parts.canvas.matches(":focus-visible") ? nearestCentre(false) : -1;
    if (marked >= 0 && state.mix === 1) {
      const xy = state.layouts.get(state.layout).xy;
      const [x, y] = view.toScreen(xy[2 * marked], xy[2 * marked + 1]);
      const half = Math.max(5, size / ratio / 2) + 2;
      context.strokeStyle = "#ffe58a";
      context.lineWidth = 2;
      context.strokeRect(x - half, y - half, 2 * half, 2 * half);
    }
    lasso.draw(context);
  }

  function remember(list, value) {
    list.push(Math.round(value * 10) / 10);
    if (list.length > FRAMES_KEPT) list.shift();
  }

  // ---- what is visible: the pages to ask for and the words for a screen reader -----------

  let changeTimer = 0;
  let lastWanted = 0;
  let lastShown = "";

  /** The view or the colours changed: redraw, then (at most every 120 ms) ask for pages. */
  function changed(draw = true) {
    if (draw) redraw();
    clearTimeout(changeTimer);
    const since = performance.now() - lastWanted;
    if (since > 120) refreshWanted();
    else changeTimer = setTimeout(refreshWanted, 120 - since);
  }

  function refreshWanted() {
    lastWanted = performance.now();
    const size = thumbPixels();
    const pictures = size >= THUMB_FROM && levels.length > 0 && !source.stale;
    const near = [];
    if (pictures) {
      const active = size >= SHARP_FROM ? levels : levels.slice(0, 1);
      const counts = active.map(() => new Map());
      const [x0, y0, x1, y1] = view.bounds(size / dpr());
      const wide = view.bounds(Math.max(view.width, view.height) / 2); // room to pan into
      indexOf(state.layout).within(...wide, (i) => {
        near.push(i);
        const [x, y] = [state.layouts.get(state.layout).xy[2 * i], state.layouts.get(state.layout).xy[2 * i + 1]];
        if (x < x0 || x > x1 || y < y0 || y > y1) return near.length > NEAR_MAX;
        active.forEach((level, j) => {
          const page = Math.floor(i / level.per_page);
          counts[j].set(page, (counts[j].get(page) || 0) + 1);
        });
        return near.length > NEAR_MAX;
      });
      active.forEach((level, j) => level.want(counts[j]));
    } else for (const level of levels) level.want(new Map());
    // close in, draw the points round the screen only (unless that is most of them)
    const nearNow = pictures && near.length <= NEAR_MAX && near.length < hooks.count / 2 ? Uint32Array.from(near) : null;
    if (nearNow || state.near) {
      state.near = nearNow;
      if (nearNow) subset("near", nearNow, state.lit);
      redraw();
    }
    const shown = levels.map((level) => level.visible.join()).join("/");
    if (shown !== lastShown) redraw(); // pages came into view (or left it)
    lastShown = shown;
    parts.summary.textContent = summaryText({
      count: hooks.count,
      layout: parts.layout.selectedOptions[0]?.textContent || state.layout,
      facet: state.facet?.label || "",
      thumbnails: pictures,
      zoom: view.zoom,
      lit: state.hits ? state.hitCount : null,
      selected: state.selected?.length || 0,
    });
  }

  // ---- pointer, wheel, keys ---------------------------------------------------------------

  const pointers = new Map();
  let dragging = false;
  let pressed = null; // where the pointer went down: a click if it barely moved
  let hoverAsked = -1;

  function local(event) {
    const box = parts.canvas.getBoundingClientRect();
    return [event.clientX - box.left, event.clientY - box.top];
  }

  function bindInput() {
    const canvas = parts.canvas;
    canvas.addEventListener("wheel", onWheel, { passive: false });
    canvas.addEventListener("pointerdown", onDown);
    canvas.addEventListener("pointermove", onMove);
    canvas.addEventListener("pointerup", onUp);
    canvas.addEventListener("pointercancel", onUp);
    canvas.addEventListener("pointerleave", () => setHover(-1));
    canvas.addEventListener("keydown", onKey);
    // the cross at the centre and the shot Enter opens are drawn while the map has focus
    canvas.addEventListener("focus", redraw);
    canvas.addEventListener("blur", redraw);
    canvas.addEventListener("webglcontextlost", () => {
      state.broken = true;
      fail("The graphics context was lost: reload the page.", true);
    });
    parts.zoomIn.addEventListener("click", () => zoomBy(Math.log(2)));
    parts.zoomOut.addEventListener("click", () => zoomBy(-Math.log(2)));
    parts.fit.addEventListener("click", () => {
      view.fit();
      changed();
    });
    parts.lasso.addEventListener("click", () => setLasso(!state.lassoMode));
    parts.layout.addEventListener("change", () => loading(useLayout(parts.layout.value)));
    parts.facet.addEventListener("change", () => loading(useFacet(parts.facet.value)));
    parts.search.addEventListener("submit", (event) => {
      event.preventDefault();
      highlight(parts.query.value);
    });
    parts.clear.addEventListener("click", () => {
      parts.query.value = "";
      highlight("");
      parts.query.focus();
    });
    hooks.zoomTo = (x, y, scale) => {
      Object.assign(view, { x, y, k: view.fitScale() * scale, zoomLeft: 0, panLeft: [0, 0] });
      changed();
      return nextFrame();
    };
    hooks.pan = (dx, dy) => {
      view.panBy(dx, dy);
      changed();
      return nextFrame();
    };
    hooks.ease = (logFactor) => zoomBy(logFactor);
    hooks.screenOf = (i) => {
      const xy = state.layouts.get(state.layout).xy;
      return view.toScreen(xy[2 * i], xy[2 * i + 1]);
    };
    hooks.worldOf = (i) => Array.from(state.layouts.get(state.layout).xy.subarray(2 * i, 2 * i + 2));
    hooks.thumbPixels = () => thumbPixels() / dpr();
  }

  /** Another layout or facet, asked for: a file that fails to come is said, not thrown
   * (a map changed since has said so already). */
  function loading(promise) {
    promise.catch((error) => error.name === "MapChanged" || say(`That could not be loaded: ${error.message}`, "error"));
  }

  function nextFrame() {
    return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  }

  function zoomBy(logFactor) {
    view.easeZoom(logFactor);
    changed();
  }

  function onWheel(event) {
    event.preventDefault();
    const lines = event.deltaMode === 1 ? 33 : event.deltaMode === 2 ? view.height : 1;
    const [x, y] = local(event);
    view.easeZoom(-event.deltaY * lines * 0.0018, x, y);
    changed();
  }

  function onDown(event) {
    parts.canvas.setPointerCapture(event.pointerId);
    pointers.set(event.pointerId, local(event));
    pressed = pointers.size === 1 ? local(event) : null;
    if (pointers.size === 1 && (state.lassoMode || event.shiftKey)) {
      lasso.start(...local(event));
      redraw();
    } else dragging = true;
    setHover(-1);
  }

  function onMove(event) {
    const at = local(event);
    if (!pointers.has(event.pointerId)) return hoverAt(at);
    const before = pointers.get(event.pointerId);
    if (lasso.active) {
      lasso.add(...at);
      redraw();
      return;
    }
    if (pointers.size === 2) {
      const [other] = [...pointers].filter(([id]) => id !== event.pointerId).map(([, p]) => p);
      const distance = (a) => Math.hypot(a[0] - other[0], a[1] - other[1]) || 1;
      view.zoomAround((at[0] + other[0]) / 2, (at[1] + other[1]) / 2, distance(at) / distance(before));
    }
    view.panBy((at[0] - before[0]) / pointers.size, (at[1] - before[1]) / pointers.size);
    pointers.set(event.pointerId, at);
    changed();
  }

  function onUp(event) {
    if (!pointers.has(event.pointerId)) return;
    pointers.delete(event.pointerId);
    const at = local(event);
    if (lasso.active) {
      const polygon = lasso.end();
      if (polygon.length > 2) select(polygon);
      setLasso(false);
      redraw();
    } else if (pressed && Math.hypot(at[0] - pressed[0], at[1] - pressed[1]) < 5 && event.type === "pointerup") {
      open(pointAt(at));
    }
    if (!pointers.size) dragging = false;
    pressed = null;
  }

  function onKey(event) {
    const step = 80;
    const actions = {
      ArrowLeft: () => view.easePan(step, 0),
      ArrowRight: () => view.easePan(-step, 0),
      ArrowUp: () => view.easePan(0, step),
      ArrowDown: () => view.easePan(0, -step),
      "+": () => view.easeZoom(Math.log(1.6)),
      "=": () => view.easeZoom(Math.log(1.6)),
      "-": () => view.easeZoom(-Math.log(1.6)),
      0: () => view.fit(),
      l: () => setLasso(!state.lassoMode),
      L: () => setLasso(!state.lassoMode),
      Enter: () => openCentre(),
      s: () => selectInView(),
      S: () => selectInView(),
      Escape: () => (lasso.active || state.lassoMode ? (lasso.end(), setLasso(false)) : clearSelection()),
    };
    const action = actions[event.key];
    if (!action || event.ctrlKey || event.metaKey || event.altKey) return;
    event.preventDefault();
    action();
    changed();
  }

  /** Enter: the shot nearest the centre of the view (marked there while the map has focus). */
  function openCentre() {
    const index = nearestCentre();
    if (index < 0) say("No shot in view: move the map onto some.");
    else open(index);
  }

  /** The shot nearest the centre of the view: sought in widening circles inside the view,
   * then (unless ``scan`` is false: a cheap answer for every frame) among all in view. */
  function nearestCentre(scan = true) {
    if (!state.layout) return -1;
    const grid = indexOf(state.layout);
    const inside = Math.min(view.width, view.height) / 2 / view.k;
    for (let radius = 24 / view.k; radius < inside; radius *= 4) {
      const found = grid.nearest(view.x, view.y, radius);
      if (found >= 0) return found;
    }
    if (!scan) return -1;
    let best = -1;
    let bestDistance = Infinity;
    grid.within(...view.bounds(), (i) => {
      const d = (grid.xy[2 * i] - view.x) ** 2 + (grid.xy[2 * i + 1] - view.y) ** 2;
      if (d < bestDistance) [best, bestDistance] = [i, d];
    });
    return best;
  }

  /** S: the shots in view, selected as a lasso round the whole view would. */
  function selectInView() {
    const [width, height] = [view.width, view.height];
    select([[0, 0], [width, 0], [width, height], [0, height]]);
  }

  function setLasso(on) {
    state.lassoMode = on;
    parts.lasso.setAttribute("aria-pressed", String(on));
    parts.canvas.classList.toggle("lassoing", on);
    if (on) say("Lasso: draw round the shots to select.");
  }

  /** The point under screen point ``at`` (its picture, or a few pixels round its dot). */
  function pointAt(at) {
    if (!state.layout || state.mix < 1) return -1;
    const [x, y] = view.toWorld(...at);
    const radius = Math.max(5, thumbPixels() / dpr() / 2) / view.k;
    return indexOf(state.layout).nearest(x, y, radius);
  }

  function hoverAt(at) {
    if (lasso.active) return;
    setHover(pointAt(at), at);
  }

  async function setHover(index, at) {
    if (index === state.hover) {
      if (index >= 0) placeTooltip(at);
      return;
    }
    state.hover = index;
    redraw();
    const tip = parts.tooltip;
    if (index < 0) {
      tip.hidden = true;
      return;
    }
    placeTooltip(at);
    hoverAsked = index;
    const shot = await info.of(index).catch(() => null);
    if (hoverAsked !== index || state.hover !== index) return;
    tip.replaceChildren(...shotCard(index, shot));
    tip.hidden = false;
  }

  function placeTooltip(at) {
    const tip = parts.tooltip;
    const right = at[0] > view.width - 300;
    const below = at[1] < view.height - 320;
    tip.style.left = right ? "" : `${at[0] + 16}px`;
    tip.style.right = right ? `${view.width - at[0] + 16}px` : "";
    tip.style.top = below ? `${at[1] + 16}px` : "";
    tip.style.bottom = below ? "" : `${view.height - at[1] + 16}px`;
  }

  function clusterLabel(shot) {
    return shot && shot.c >= 0 ? state.meta.clusters.find((c) => c.id === shot.c)?.label : "";
  }

  /** A shot's picture and words (tooltip, details panel). */
  function shotCard(index, shot) {
    if (!shot) return [thumbnail(index), "Details unavailable."];
    const title = document.createElement("p");
    title.className = "map-title";
    title.textContent = shot.t;
    return [thumbnail(index, shot.t), title, describeShot(shot, clusterLabel(shot))];
  }

  function thumbnail(index, label) {
    // From the server, both levels by address (the browser holds the 32 px page already);
    // in an export, the sharp page's data: URL, read when asked for.
    const url = (level, page) => {
      const path = `atlas/${level.size}/${page}.jpg`;
      if (!isStatic) return source.imageUrl(path);
      return level.size === Math.max(...state.meta.atlas.map((l) => l.size)) ? source.imageUrl(path) : null;
    };
    return frame(index, state.meta, url, label);
  }

  /** A click on a shot: its video at that moment; in an export, its details. */
  async function open(index) {
    if (index < 0) return;
    const shot = await info.of(index).catch(() => null);
    if (!shot) return;
    if (server && !state.meta.static) {
      location.assign(videoHref(shot.v, shot.a));
      return;
    }
    parts.details.hidden = false;
    parts.detailsBody.replaceChildren(...shotCard(index, shot));
    say(`${shot.t}, ${shot.tc}: its details are beside the map.`);
  }

  function resize() {
    const box = parts.canvas.parentElement.getBoundingClientRect();
    view.resize(box.width, box.height);
    if (state.meta) view.setLimits(0.5, 320 / (state.cell * view.fitScale()));
    changed();
  }

  return { start };
}
