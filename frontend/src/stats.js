// The statistics page: a collection's figures and trends by year, one film's charts, or
// films side by side. The charts are the report's own sections (the server draws them,
// as `deerin stats -o report.html` does); this script puts them on the page, lets a
// person pick films to compare (kept in the address: /stats?video=A&video=B), and makes
// each chart's PNG (the report file does that with an inline script, which this page's
// Content-Security-Policy forbids).

import { api, config, downloadBlob, el, param, plural, say, setAddress } from "./lib.js";
import { fillChooser } from "./collection-parts.js";

const MOST = 8; // films side by side (stats.MOST_FILMS)
const PAGE = 500; // cards per request (/api/videos' limit)
const collection = config.collection || (config.collections?.length === 1 ? config.collections[0] : null);
const heading = document.getElementById("stats-title");
const count = document.getElementById("stats-count");
const downloads = document.getElementById("stats-downloads");
const pick = document.getElementById("stats-pick");
const films = document.getElementById("stats-films");
const compare = document.getElementById("stats-compare");
const whole = document.getElementById("stats-whole");
const report = document.getElementById("stats-report");

/** The videos the address asks for (none: the collection). */
function chosen() {
  return new URLSearchParams(location.search).getAll("video");
}

/** What the API is asked: the videos in the address, else the collection. */
function query() {
  const asked = new URLSearchParams();
  const videos = chosen();
  for (const video of videos) asked.append("video", video);
  if (!videos.length && collection) asked.set("collection", collection);
  return asked;
}

/** The address of these videos (none: the whole collection), the chosen collection kept. */
function address(videos) {
  const target = new URLSearchParams();
  const named = param("collection");
  if (named) target.set("collection", named);
  for (const video of videos) target.append("video", video);
  const text = target.toString();
  return `${location.pathname}${text ? `?${text}` : ""}`;
}

async function show() {
  const asked = query();
  if (!asked.toString()) {
    count.textContent = "Choose a collection to see its statistics.";
    return;
  }
  report.setAttribute("aria-busy", "true");
  count.textContent = "Counting shots…";
  try {
    const answer = await api(`/api/stats/charts?${asked}`);
    heading.textContent = answer.title;
    document.title = `${answer.title} · DEERIn`;
    report.innerHTML = answer.html; // the server's own markup, every text escaped there
    installPng(report);
    offerDownloads(asked);
    const videos = chosen();
    count.textContent = videos.length > 1 ? `${plural(videos.length, "film")} side by side` : "";
  } catch (error) {
    report.replaceChildren();
    downloads.hidden = true;
    count.textContent = `The statistics could not be read: ${error.message}`;
    say(error.message, "error");
  } finally {
    report.removeAttribute("aria-busy");
  }
}

/** The whole report, as `deerin stats -o` writes it. */
function offerDownloads(asked) {
  const link = (format, label) =>
    el("a", { class: "button secondary small", href: `/api/stats/report.${format}?${asked}`, download: true }, label);
  downloads.replaceChildren(
    "Download the report: ",
    link("html", "Download report (HTML)"),
    " ",
    link("csv", "CSV"),
    " ",
    link("json", "JSON"),
  );
  downloads.hidden = false;
}

/** Each chart's PNG link draws its SVG on a canvas, twice the size, on white. */
function installPng(root) {
  for (const link of root.querySelectorAll("a[data-png]")) {
    link.addEventListener("click", async (event) => {
      event.preventDefault();
      try {
        downloadBlob(await png(document.getElementById(link.dataset.png)), link.dataset.name);
      } catch (error) {
        say(`The PNG could not be drawn: ${error.message}`, "error");
      }
    });
  }
}

async function png(svg) {
  const text = new XMLSerializer().serializeToString(svg);
  const source = URL.createObjectURL(new Blob([text], { type: "image/svg+xml" }));
  try {
    const image = new Image();
    image.src = source;
    await image.decode();
    const canvas = el("canvas", { width: svg.viewBox.baseVal.width * 2, height: svg.viewBox.baseVal.height * 2 });
    const context = canvas.getContext("2d");
    context.fillStyle = "#fff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.drawImage(image, 0, 0, canvas.width, canvas.height);
    return await new Promise((resolve, reject) =>
      canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("the browser drew nothing"))), "image/png"),
    );
  } finally {
    URL.revokeObjectURL(source);
  }
}

/** Every video of the collection, page by page. */
async function cards() {
  const found = [];
  for (let offset = 0; ; offset += PAGE) {
    const asked = new URLSearchParams({ collection, sort: "title", limit: PAGE, offset });
    const page = await api(`/api/videos?${asked}`);
    found.push(...page.videos);
    if (found.length >= page.total || !page.videos.length) return found;
  }
}

/** A checkbox per film of the collection; Compare opens the picked ones side by side. */
async function fillPicker() {
  if (!collection) return;
  try {
    const videos = await cards();
    films.replaceChildren(
      ...videos.map((video) =>
        el(
          "li",
          {},
          el(
            "label",
            {},
            el("input", { type: "checkbox", name: "video", value: video.id, onchange: picked }),
            " ",
            video.title,
            video.year ? el("span", { class: "muted" }, ` (${video.year})`) : null,
          ),
        ),
      ),
    );
    pick.hidden = !videos.length;
    whole.href = address([]);
    syncPicker();
  } catch (error) {
    say(`The films could not be listed: ${error.message}`, "error");
  }
}

function boxes() {
  return [...films.querySelectorAll("input[type=checkbox]")];
}

/** The boxes as the address has them. */
function syncPicker() {
  const videos = new Set(chosen());
  for (const box of boxes()) box.checked = videos.has(box.value);
  whole.hidden = !videos.size;
  picked();
}

function picked() {
  const n = boxes().filter((box) => box.checked).length;
  compare.disabled = n < 1 || n > MOST;
  if (n > MOST) compare.textContent = `At most ${MOST} films`;
  else compare.textContent = n === 1 ? "Show this film" : n ? `Compare ${n} films` : "Compare";
}

pick.addEventListener("submit", (event) => {
  event.preventDefault();
  setAddress(address(boxes().filter((box) => box.checked).map((box) => box.value)));
  syncPicker();
  show().then(() => report.querySelector("h2, table")?.scrollIntoView({ block: "start" }));
});

window.addEventListener("popstate", () => {
  syncPicker();
  show();
});

fillChooser(document.getElementById("collections"));
fillPicker();
show();
