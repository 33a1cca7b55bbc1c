// Colouring by a facet: a colour per value (a ramp for years, distinct hues otherwise),
// each point's colour from its value, and the legend: value, count and swatch, where
// choosing entries lights up their points.

import { el, plural } from "./lib.js";

const NONE = 65535; // a point with no value (no person, no year)
const NONE_COLOUR = [95, 99, 104];
const FEW = [
  [78, 161, 255], [255, 159, 64], [97, 214, 118], [255, 99, 132], [186, 137, 255], [255, 214, 79],
  [64, 224, 208], [244, 117, 214], [166, 206, 57], [255, 138, 101], [139, 180, 230], [230, 190, 138],
];
const RAMP = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]]; // viridis
const SHOWN = 60; // legend entries before "Show all"

/** RGB bytes per value of ``facet`` (3 per value). */
export function palette(facet) {
  const values = facet.values;
  const table = new Uint8Array(values.length * 3);
  const numbers = numericLabels(facet);
  const numeric = numbers !== null;
  const rank = numeric ? rankOf(numbers) : null;
  values.forEach((_, i) => {
    let rgb;
    if (numeric) rgb = ramp(rank[i] / Math.max(1, values.length - 1));
    else if (values.length <= FEW.length) rgb = FEW[i];
    else rgb = hue(i);
    table.set(rgb, i * 3);
  });
  return table;
}

/** The values as numbers where every label is one (years): they get a ramp, in order. */
function numericLabels(facet) {
  const numbers = facet.values.map((value) => Number(value.label));
  return facet.values.length > 1 && numbers.every((n) => Number.isFinite(n)) ? numbers : null;
}

function rankOf(numbers) {
  const order = numbers.map((n, i) => [n, i]).sort((a, b) => a[0] - b[0]);
  const rank = new Array(numbers.length);
  order.forEach(([, i], r) => (rank[i] = r));
  return rank;
}

function ramp(t) {
  const at = t * (RAMP.length - 1);
  const low = Math.min(RAMP.length - 2, Math.floor(at));
  const part = at - low;
  return RAMP[low].map((c, j) => Math.round(c + (RAMP[low + 1][j] - c) * part));
}

/** Many values: hues a golden angle apart, lightness varied, all readable on the dark map. */
function hue(i) {
  const h = (i * 0.618034) % 1;
  const l = [0.62, 0.5, 0.72][i % 3];
  const s = 0.7;
  const f = (n) => {
    const k = (n + h * 12) % 12;
    return Math.round(255 * (l - s * Math.min(l, 1 - l) * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}

export function swatch(table, value) {
  const rgb = value === NONE ? NONE_COLOUR : table.subarray(value * 3, value * 3 + 3);
  return `rgb(${rgb[0]} ${rgb[1]} ${rgb[2]})`;
}

/** Every point's RGBA: its value's colour; where something is lit (a search, chosen legend
 * entries, a selection), the rest dimmed into the ground (A low). ``lit(i)`` or null. */
export function pointColours(codes, table, lit, background) {
  const out = new Uint8Array(codes.length * 4);
  const ground = background.map((c) => c * 255);
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i];
    const at = code === NONE ? -1 : code * 3;
    let r = at < 0 ? NONE_COLOUR[0] : table[at];
    let g = at < 0 ? NONE_COLOUR[1] : table[at + 1];
    let b = at < 0 ? NONE_COLOUR[2] : table[at + 2];
    let a = 255;
    if (lit && !lit(i)) {
      r = ground[0] + (r - ground[0]) * 0.22;
      g = ground[1] + (g - ground[1]) * 0.22;
      b = ground[2] + (b - ground[2]) * 0.22;
      a = 56;
    }
    const o = i * 4;
    out[o] = r;
    out[o + 1] = g;
    out[o + 2] = b;
    out[o + 3] = a;
  }
  return out;
}

/** The legend of ``facet``: a list of toggle buttons; ``chosen`` (a Set of value indexes)
 * is changed in place and ``changed()`` called. */
export function legend(facet, table, chosen, changed) {
  const numbers = numericLabels(facet);
  const order = facet.values.map((value, i) => ({ ...value, i }));
  if (numbers) order.sort((a, b) => numbers[a.i] - numbers[b.i]);
  else order.sort((a, b) => b.count - a.count);
  const list = el("ul", { class: "map-legend-list" });
  const more = el("button", { type: "button", class: "link-button" });
  const clear = el("button", { type: "button", class: "secondary small", hidden: chosen.size === 0 }, "Show all values");
  let all = false;

  function entry(value) {
    const pressed = chosen.has(value.i);
    return el(
      "li",
      {},
      el(
        "button",
        {
          type: "button",
          class: "map-legend-entry",
          "aria-pressed": String(pressed),
          dataset: { value: String(value.i) },
          onclick: () => {
            if (chosen.has(value.i)) chosen.delete(value.i);
            else chosen.add(value.i);
            render();
            changed();
          },
        },
        el("span", { class: "swatch", style: `background:${swatch(table, value.i)}`, "aria-hidden": "true" }),
        el("span", { class: "label" }, value.label || "(none)"),
        el("span", { class: "n" }, value.count.toLocaleString()),
      ),
    );
  }

  function render() {
    const shown = all ? order : order.slice(0, SHOWN);
    const focused = document.activeElement?.dataset?.value;
    list.replaceChildren(...shown.map(entry));
    if (focused !== undefined) list.querySelector(`[data-value="${focused}"]`)?.focus();
    more.hidden = order.length <= SHOWN;
    more.textContent = all ? `Show the ${SHOWN} largest` : `Show all ${plural(order.length, "value")}`;
    clear.hidden = chosen.size === 0;
  }
  more.addEventListener("click", () => {
    all = !all;
    render();
  });
  clear.addEventListener("click", () => {
    chosen.clear();
    render();
    changed();
  });
  render();
  if (!order.length) return el("p", { class: "muted small-print" }, `No shot has a ${facet.label.toLowerCase()} yet.`);
  return el(
    "div",
    { class: "map-legend" },
    el("p", { class: "muted small-print" }, "Choose values to light up their shots."),
    list,
    el("p", {}, more, " ", clear),
  );
}
