// The places page: every place named in a collection, on a world map drawn from an
// outline that ships with the page (Natural Earth's countries, from world-atlas): no tile
// server, nothing fetched from elsewhere. Markers cluster as the map zooms out; a place
// (or a cluster that zooming cannot split) lists the moments it is named in, and choosing
// one plays the film beside the map from the second the name is said. The collection and
// years live in the address (/places?collection=news&from=1960&to=1965).

import "leaflet/dist/leaflet.css";
import "leaflet.markercluster/dist/MarkerCluster.css";
import "./places.css";
import L from "leaflet"; // Leaflet's own build, which sets the global L…
import "leaflet.markercluster"; // …that the cluster plugin extends
import { feature } from "topojson-client";
import countries from "world-atlas/countries-110m.json";
import { api, config, el, mediaOf, plural, say, setAddress, timecode, videoHref } from "./lib.js";

const MAX_ZOOM = 9;
const WORLD = [[-58, -170], [78, 190]]; // the inhabited world, whole in a laptop's window
const form = document.getElementById("places-filters");
const chooser = document.getElementById("places-collection");
const fromYear = document.getElementById("places-from");
const toYear = document.getElementById("places-to");
const count = document.getElementById("places-count");
const unplaced = document.getElementById("places-unplaced");
const notes = document.getElementById("places-notes");
const heading = document.getElementById("places-heading");
const facts = document.getElementById("places-facts");
const back = document.getElementById("places-back");
const list = document.getElementById("places-list");
const playerBox = document.getElementById("places-player");
const video = document.getElementById("places-video");
const playing = document.getElementById("places-playing");

const map = createMap(document.getElementById("places-map"));
const clusters = L.markerClusterGroup({
  maxClusterRadius: 48,
  showCoverageOnHover: false,
  spiderfyOnMaxZoom: false, // a cluster zooming cannot split lists its places instead
  iconCreateFunction: clusterIcon,
}).addTo(map);
const pins = new Map(); // place key → its marker's picture (kept when clusters redraw it)
let answer = null; // the last /api/places answer
let shown = []; // the keys of the places listed now (none: the list of all places)
let asked = 0; // the latest request, so a slow answer never overwrites a newer one
let chosen = 0; // the latest moment chosen, so a slow lookup never plays an older one
let framed = null; // the collection the view was last fitted to (years keep the view)

/** The map, the countries' outline as its only layer (no tiles), Natural Earth credited. */
function createMap(container) {
  const made = L.map(container, {
    // no further out than the world's width fills the map (Mercator's Antarctica would);
    // set once: the cluster plugin builds its levels from the zoom range it first sees
    minZoom: Math.max(0, Math.round(Math.log2(container.clientWidth / 256))),
    maxZoom: MAX_ZOOM,
    zoomSnap: 1, // the cluster plugin works in whole zoom levels (a fraction loses markers)
    worldCopyJump: false,
    maxBounds: [[-85, -240], [85, 240]],
    maxBoundsViscosity: 0.8,
  });
  made.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  made.attributionControl.addAttribution('Outline: <a href="https://www.naturalearthdata.com/">Natural Earth</a>');
  const land = feature(countries, countries.objects.countries);
  for (const country of land.features) country.geometry.coordinates = unwrapped(country.geometry);
  L.geoJSON(land, { interactive: false, style: { className: "places-land", weight: 0.6 } }).addTo(made);
  made.fitBounds(WORLD);
  return made;
}

/** A (multi)polygon's rings, each kept on one side of the antimeridian: Russia and Fiji
 * cross it (a step from 179° to −180°), which Leaflet would draw as a band round the
 * world. Each point moves by 360° to lie within 180° of the one before it. */
function unwrapped(geometry) {
  const ring = (points) =>
    points.reduce((kept, [lon, lat]) => {
      const before = kept.length ? kept[kept.length - 1][0] : lon;
      kept.push([lon + 360 * Math.round((before - lon) / 360), lat]);
      return kept;
    }, []);
  const polygon = (rings) => rings.map(ring);
  return geometry.type === "Polygon" ? polygon(geometry.coordinates) : geometry.coordinates.map(polygon);
}

/** A place's key: its name and spot, as the server groups them. */
const keyOf = (place) => `${place.name}|${place.lat}|${place.lon}`;

/** A marker's picture: a circle with a count in it (growing with the count), a name
 * beside it, and what a screen reader says. */
function pinBody(count, name, said) {
  return el(
    "span",
    { class: "places-pin-inner" },
    el("span", { class: "places-pin-body" }, el("span", { class: "places-pin-count", "aria-hidden": "true" }, count)),
    name ? el("span", { class: "places-pin-name", "aria-hidden": "true" }, name) : null,
    el("span", { class: "visually-hidden" }, said),
  );
}

function pinIcon(place) {
  const size = Math.round(24 + 7 * Math.log2(place.mentions));
  const html = pinBody(place.mentions, place.name, `${place.name}: ${plural(place.mentions, "mention")}`);
  pins.set(keyOf(place), html);
  return L.divIcon({ className: "places-pin", html, iconSize: [size, size] });
}

function clusterIcon(cluster) {
  const places = cluster.getAllChildMarkers().map((marker) => marker.options.place);
  const mentions = places.reduce((sum, place) => sum + place.mentions, 0);
  const size = Math.round(34 + 8 * Math.log2(places.length));
  const names = `${places.map((place) => place.name).slice(0, 6).join(", ")}${places.length > 6 ? "…" : ""}`;
  const html = pinBody(mentions, null, `${plural(places.length, "place")} (${names}): ${plural(mentions, "mention")}`);
  html.classList.toggle("chosen", places.some((place) => shown.includes(keyOf(place))));
  return L.divIcon({ className: "places-pin places-cluster", html, iconSize: [size, size] });
}

/** Mark the places listed beside the map on it (a cluster holding one, too). */
function markChosen() {
  for (const [key, html] of pins) html.classList.toggle("chosen", shown.includes(key));
  clusters.refreshClusters();
}

const pressed = (event) => event.type === "click" || ["Enter", " "].includes(event.originalEvent?.key);

/** Every place of the answer on the map, clustered. */
function drawMarkers(places) {
  clusters.clearLayers();
  pins.clear();
  const markers = places.map((place) => {
    const marker = L.marker([place.lat, place.lon], {
      icon: pinIcon(place),
      title: `${place.name}: ${plural(place.mentions, "mention")}`,
      place,
      riseOnHover: true,
    });
    marker.on("click keypress", (event) => pressed(event) && showPlaces([place]));
    return marker;
  });
  clusters.addLayers(markers);
}

// A cluster at the deepest zoom, or of places at one spot, cannot be split: list them all.
clusters.on("clusterclick clusterkeypress", (event) => {
  if (!pressed(event)) return;
  const markers = event.layer.getAllChildMarkers();
  const spots = new Set(markers.map((marker) => marker.getLatLng().toString()));
  if (spots.size === 1 || map.getZoom() >= MAX_ZOOM) showPlaces(markers.map((marker) => marker.options.place));
});

/** ``text`` with the first ``name`` in it marked. */
function markedContext(text, name) {
  const at = text.toLowerCase().indexOf(name.toLowerCase());
  if (at < 0 || !name) return [text];
  return [text.slice(0, at), el("mark", {}, text.slice(at, at + name.length)), text.slice(at + name.length)];
}

function yearSpan(place) {
  if (place.first_year === null) return "";
  return place.first_year === place.last_year ? ` · ${place.first_year}` : ` · ${place.first_year}–${place.last_year}`;
}

function placeFacts(place) {
  const country = place.country ? `${place.country} · ` : "";
  return `${country}${plural(place.mentions, "mention")} in ${plural(place.videos, "film")}${yearSpan(place)}`;
}

/** The list of every place (most named first): the map's content, for keyboard and screen reader. */
function showAll() {
  shown = [];
  heading.textContent = "Places named";
  facts.textContent = answer?.places.length ? "Choose a place on the map or in this list to see when it is named." : "";
  back.hidden = true;
  const items = (answer?.places || []).map((place) =>
    el(
      "li",
      {},
      el(
        "button",
        { type: "button", class: "places-choice", onclick: () => showPlaces([place], { pan: true }) },
        el("span", { class: "places-choice-name" }, place.name),
        el("span", { class: "muted" }, placeFacts(place)),
      ),
    ),
  );
  list.replaceChildren(items.length ? el("ul", { class: "places-choices" }, items) : "");
  markChosen();
}

/** The moments of ``places`` (one, or the places of a cluster that cannot be split);
 * ``focus``: a person chose them, so their heading takes the focus. */
function showPlaces(places, { pan = false, focus = true } = {}) {
  shown = places.map(keyOf);
  const single = places.length === 1;
  heading.textContent = single ? places[0].name : `${plural(places.length, "place")} here`;
  facts.textContent = single ? placeFacts(places[0]) : places.map((place) => place.name).join(", ");
  back.hidden = false;
  list.replaceChildren(...places.map((place) => placeSection(place, single)));
  markChosen();
  if (pan && single) flyTo(places[0]);
  if (focus) heading.focus({ preventScroll: true });
}

function flyTo(place) {
  const marker = clusters.getLayers().find((layer) => keyOf(layer.options.place) === keyOf(place));
  if (marker) clusters.zoomToShowLayer(marker);
}

function placeSection(place, single) {
  const more = place.mentions - place.moments.length;
  return el(
    "section",
    { class: "places-place", "aria-label": place.name },
    single ? null : el("h3", {}, place.name, " ", el("span", { class: "muted" }, placeFacts(place))),
    el("ol", { class: "places-moments" }, place.moments.map((moment) => momentItem(place, moment))),
    more > 0 ? el("p", { class: "muted small-print" }, `and ${plural(more, "more mention")} (the first ${place.moments.length} are listed).`) : null,
  );
}

function momentItem(place, moment) {
  const at = timecode(moment.start, 0);
  const year = moment.year ? ` · ${moment.year}` : "";
  return el(
    "li",
    { class: "places-moment" },
    el(
      "button",
      {
        type: "button",
        class: "places-moment-play",
        "aria-label": `Play ${moment.title}${year} from ${at}: ${moment.context}`,
        onclick: (event) => play(moment, event.currentTarget),
      },
      el("span", { class: "places-moment-head" }, el("span", { class: "places-moment-title" }, moment.title), el("span", { class: "places-moment-when" }, `${at}${year}`)),
      el("span", { class: "places-moment-context" }, markedContext(moment.context, place.name)),
    ),
    el("a", { class: "places-moment-link", href: videoHref(moment.video_id, moment.start) }, `Video page at ${at}`),
  );
}

/** Play ``moment``'s film from the second its place is named. */
async function play(moment, button) {
  const mine = ++chosen;
  for (const other of list.querySelectorAll(".places-moment-play[aria-current]")) other.removeAttribute("aria-current");
  button.setAttribute("aria-current", "true");
  let src;
  try {
    src = (await mediaOf(moment.video_id)).src;
  } catch (error) {
    say(`${moment.file} cannot be played: ${error.message}`, "error");
    return;
  }
  if (mine !== chosen) return;
  if (!src) {
    say(`This browser cannot play ${moment.file}, and it has no proxy.`, "error");
    return;
  }
  playerBox.hidden = false;
  video.setAttribute("aria-label", `${moment.title}, from ${timecode(moment.start, 0)}`);
  playing.replaceChildren(el("span", { class: "places-moment-title" }, moment.title), ` ${moment.year ? `(${moment.year}) ` : ""}from ${timecode(moment.start, 0)}`);
  const start = () => {
    video.currentTime = moment.start;
    video.play().catch((error) => error.name === "AbortError" || say(error.message, "error"));
  };
  if (video.getAttribute("src") === src && video.readyState >= 1) start();
  else {
    video.addEventListener("loadedmetadata", () => mine === chosen && start(), { once: true });
    video.src = src;
  }
}
video.addEventListener("error", () => video.getAttribute("src") && say(`This browser cannot play this film: ${video.error?.message || "the format is not supported"}.`, "error"));

/** Show the places (a little of the world round them), or the world when there are none. */
function frame(places) {
  framed = chooser.value;
  if (!places.length) return map.fitBounds(WORLD, { animate: false });
  const around = L.latLngBounds(places.map((place) => [place.lat, place.lon])).pad(0.6);
  map.fitBounds(around, { maxZoom: 4, animate: false });
}

/** The form's choices as the API's (and the address's) query. */
function choices() {
  const query = new URLSearchParams();
  if (chooser.value) query.set("collection", chooser.value);
  for (const [name, input] of [["from", fromYear], ["to", toYear]]) {
    if (input.value.trim()) query.set(name, String(Math.trunc(Number(input.value))));
  }
  return query;
}

/** " of 1960–1965", " of 1965 or later", " of 1960 or earlier" or "" (any year). */
function yearWords(from, to) {
  if (from !== null && to !== null) return ` of ${from}–${to}`;
  if (from !== null) return ` of ${from} or later`;
  return to !== null ? ` of ${to} or earlier` : "";
}

function countLine(found) {
  const years = yearWords(found.year_from, found.year_to);
  if (!found.places.length) return `No place on the map${years}.`;
  return `${plural(found.places.length, "place")} named ${plural(found.mentions, "time")} in ${plural(found.videos, "film")}${years}.`;
}

function showUnplaced(found) {
  unplaced.hidden = !found.unplaced.length;
  unplaced.replaceChildren(
    el("span", { class: "places-unplaced-label" }, "Named but not on the map: "),
    found.unplaced.map((name) => `${name.name} (${name.count})`).join(", "),
  );
  notes.hidden = !found.notes.length;
  notes.replaceChildren(...found.notes.map((note) => el("li", {}, note)));
}

/** Ask for the places the form chooses and draw them; the chosen places stay chosen. */
async function load() {
  const query = choices();
  const mine = ++asked;
  const text = query.toString();
  setAddress(`${location.pathname}${text ? `?${text}` : ""}`, { replace: true });
  count.textContent = "Finding places…";
  let found;
  try {
    found = await api(`/api/places?${text}`);
  } catch (error) {
    if (mine !== asked) return;
    count.textContent = `The places could not be read: ${error.message}`;
    say(error.message, "error");
    return;
  }
  if (mine !== asked) return;
  answer = found;
  count.textContent = countLine(found);
  drawMarkers(found.places);
  if (framed !== chooser.value) frame(found.places);
  showUnplaced(found);
  const still = found.places.filter((place) => shown.includes(keyOf(place)));
  if (still.length) showPlaces(still, { focus: false });
  else showAll();
}

function fillChooser() {
  for (const name of config.collections || []) chooser.append(el("option", { value: name }, name));
  const params = new URLSearchParams(location.search);
  chooser.value = (config.collections || []).includes(config.collection) ? config.collection : "";
  fromYear.value = params.get("from") || "";
  toYear.value = params.get("to") || "";
}

let typing = 0;
form.addEventListener("submit", (event) => {
  event.preventDefault();
  clearTimeout(typing);
  load();
});
chooser.addEventListener("change", () => load());
for (const input of [fromYear, toYear]) {
  input.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(load, 500); // a year is typed a digit at a time
  });
}
back.addEventListener("click", () => {
  showAll();
  heading.focus({ preventScroll: true });
});

fillChooser();
load();
