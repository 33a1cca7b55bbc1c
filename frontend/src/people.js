// The people page: the people the faces step grouped in a collection, each with its
// faces, and the decisions a person makes about them (name, merge, split, reject),
// posted to the API, which stores them, regroups and re-indexes before answering.

import { api, config, el, plural, say, thumbUrl, timecode, videoHref } from "./lib.js";
import { fillChooser } from "./collection-parts.js";

const collection = config.collection || (config.collections?.length === 1 ? config.collections[0] : null);
const tools = document.getElementById("people-tools");
const filter = document.getElementById("people-filter");
const help = document.getElementById("people-help");
const count = document.getElementById("people-count");
const list = document.getElementById("people");
let people = [];

const base = collection ? `/api/people/${encodeURIComponent(collection)}` : "";

function label(person) {
  return person.name || `Unnamed person ${person.id}`;
}

function faceUrl(example) {
  return `${base}/faces/${encodeURIComponent(example.video_id)}/${encodeURIComponent(example.face_id)}.jpg`;
}

async function load() {
  list.setAttribute("aria-busy", "true");
  try {
    people = (await api(base)).people;
    render();
  } catch (error) {
    count.textContent = `The people could not be listed: ${error.message}`;
    say(error.message, "error");
  } finally {
    list.removeAttribute("aria-busy");
  }
}

function render() {
  const needle = filter.value.trim().toLowerCase();
  const shown = people.filter(
    (person) =>
      !needle ||
      [person.name, person.id, ...person.videos.map((video) => video.title)].some((text) => text?.toLowerCase().includes(needle)),
  );
  const total = people.length;
  if (!total) count.textContent = `No people in ${collection} yet: faces are grouped into people when a collection is ingested.`;
  else if (shown.length === total) count.textContent = `${plural(total, "person", "people")} in ${collection}`;
  else count.textContent = `${shown.length} of ${total} people in ${collection}`;
  tools.hidden = !total;
  list.replaceChildren(...shown.map(card));
}

function card(person) {
  const titles = Object.fromEntries(person.videos.map((video) => [video.id, video.title]));
  const heading = `person-${person.id}`;
  return el(
    "li",
    { class: "card person", dataset: { person: person.id }, "aria-labelledby": heading },
    el(
      "div",
      { class: "person-head" },
      el("img", { class: "face", src: thumbUrl(person.thumb), alt: "", loading: "lazy", width: 112, height: 112 }),
      el(
        "div",
        {},
        el("h2", { id: heading, tabindex: "-1" }, label(person)),
        el("p", { class: "muted" }, summary(person)),
        el("ul", { class: "person-videos", "aria-label": `Videos of ${label(person)}` }, person.videos.map((video) => el("li", {}, el("a", { href: videoHref(video.id) }, video.title)))),
      ),
    ),
    examples(person, titles),
    config.editable ? controls(person) : null,
  );
}

function summary(person) {
  const faces = `${plural(person.faces, "face")} in ${plural(person.videos.length, "video")}`;
  return `${person.name ? `${person.id} · ` : ""}${faces}`; // an unnamed heading has the id
}

function examples(person, titles) {
  const faces = person.examples.map((example) => {
    const where = `${titles[example.video_id] || example.video_id}${example.time === null ? "" : ` at ${timecode(example.time)}`}`;
    const image = el("img", { src: faceUrl(example), alt: `Face in ${where}`, loading: "lazy", width: 96, height: 96 });
    const select = config.editable
      ? el(
          "label",
          { class: "select-face" },
          el("input", { type: "checkbox", name: "face", value: `${example.video_id}/${example.face_id}` }),
          " Select",
          el("span", { class: "visually-hidden" }, ` the face in ${where}`),
        )
      : null;
    return el("li", {}, el("a", { href: videoHref(example.video_id, example.time), title: where }, image), select);
  });
  const more = person.faces > person.examples.length ? el("p", { class: "muted" }, `${person.examples.length} of ${person.faces} faces shown`) : null;
  return el("div", { class: "examples" }, el("h3", { class: "visually-hidden" }, `Faces of ${label(person)}`), el("ul", { class: "faces" }, faces), more);
}

function controls(person) {
  const id = person.id;
  const nameInput = el("input", { id: `name-${id}`, name: "name", type: "text", value: person.name || "", maxlength: 200, autocomplete: "off", required: true });
  const others = people.filter((other) => other.id !== id);
  const mergeSelect = el(
    "select",
    { id: `merge-${id}` },
    el("option", { value: "" }, "Choose…"),
    others.map((other) => el("option", { value: other.id }, `${label(other)}${other.name ? ` (${other.id})` : ""}`)),
  );
  return el(
    "div",
    { class: "person-controls" },
    el(
      "form",
      { class: "name-form", onsubmit: (event) => nameSubmitted(event, person, nameInput) },
      el("label", { for: `name-${id}` }, "Name"),
      nameInput,
      el("button", { type: "submit" }, "Save name"),
    ),
    others.length
      ? el(
          "div",
          { class: "merge" },
          el("label", { for: `merge-${id}` }, "Same person as"),
          mergeSelect,
          el("button", { type: "button", class: "secondary", onclick: (event) => merge(event, person, mergeSelect) }, "Merge"),
        )
      : null,
    el(
      "div",
      { class: "face-actions" },
      person.faces > 1
        ? el("button", { type: "button", class: "secondary", onclick: (event) => split(event, person) }, "Split off selected faces")
        : null,
      el("button", { type: "button", class: "secondary danger", onclick: (event) => reject(event, person) }, "Reject…"),
    ),
  );
}

function selectedFaces(event) {
  return [...event.target.closest(".person").querySelectorAll('input[name="face"]:checked')].map((box) => box.value);
}

/** Post one decision; while the server regroups, the card is busy. Then list again. */
async function decide(event, person, action, body, done) {
  const item = event.target.closest(".person");
  const buttons = item.querySelectorAll("button, input, select");
  item.setAttribute("aria-busy", "true");
  for (const control of buttons) control.disabled = true;
  say(`Saving: ${action}…`);
  try {
    await api(`${base}/${encodeURIComponent(person.id)}/${action}`, { method: "POST", body });
    await load();
    say(done);
    const again = document.getElementById(`person-${person.id}`);
    (action === "name" && again ? again : count).focus();
  } catch (error) {
    say(error.message, "error");
    for (const control of buttons) control.disabled = false;
    item.removeAttribute("aria-busy");
  }
}

function nameSubmitted(event, person, input) {
  event.preventDefault();
  const name = input.value.trim();
  if (!name) {
    say("Type a name first", "error");
    input.focus();
    return;
  }
  decide(event, person, "name", { name }, `${person.id} is now named ${name}`);
}

function merge(event, person, select) {
  const other = people.find((each) => each.id === select.value);
  if (!other) {
    say("Choose the person to merge with first", "error");
    select.focus();
    return;
  }
  decide(event, person, "merge", { other: other.id }, `${label(other)} merged into ${label(person)}`);
}

function split(event, person) {
  const faces = selectedFaces(event);
  if (!faces.length) {
    say("Select the faces that are someone else first (the Select boxes under the faces)", "error");
    return;
  }
  if (faces.length === person.faces) {
    say("Those are all of this person's faces: leave at least one", "error");
    return;
  }
  decide(event, person, "split", { faces }, `${plural(faces.length, "face")} split off ${label(person)} as a new person`);
}

function reject(event, person) {
  const faces = selectedFaces(event);
  const what = faces.length
    ? `the ${plural(faces.length, "selected face")} of ${label(person)}`
    : `${label(person)} (all ${plural(person.faces, "face")})`;
  if (!window.confirm(`Reject ${what}? They leave the people list and search.`)) return;
  decide(event, person, "reject", { faces }, `Rejected ${what}`);
}

function start() {
  fillChooser(document.getElementById("collections"));
  if (!collection) {
    count.textContent = "Choose a collection to see its people.";
    return;
  }
  help.textContent = config.editable
    ? "Name a person, merge two that are one, select faces that are someone else and split them off, or reject faces that are no person."
    : "This server is read-only: people can be seen, not changed.";
  filter.addEventListener("input", render);
  load();
}

start();
