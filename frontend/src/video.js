// The video page: the player (the proxy when the browser cannot play the original) with
// the transcript beside it, the shot timeline, the layers on one time axis with the colour
// barcode, the generated title and summary, exports and corrections. The details come
// first, so the player is up before the long parts (thousands of words, a thousand
// shots) arrive; each part then draws itself once and follows the player's clock.

import { api, config, el, param, say } from "./lib.js";
import { exportsSection, recordSection, videoHeader } from "./video-about.js";
import { createCorrections } from "./video-corrections.js";
import { createLayers } from "./video-layers.js";
import { createPlayer, installShortcuts, playerControls } from "./video-player.js";
import { createShots } from "./video-shots.js";
import { createTranscript } from "./video-transcript.js";

const root = document.getElementById("video-page");
const NO_SHOTS = { node: "", previous() {}, next() {} };  // a sound recording has none

async function main() {
  const base = `/api/videos/${encodeURIComponent(config.video)}`;
  const details = await api(base);
  const player = createPlayer(details, Number(param("t", "0")));
  const load = {
    transcript: async () => transcript.render(await api(`${base}/transcript`)),
    shots: async () => {
      if (player.sound) return;
      const data = await api(`${base}/shots`);
      shots.render(data);
      layers.renderShots(data);
    },
    layers: async () => layers.render(await api(`${base}/layers`)),
  };
  // a word or line touches the transcript; shots also move the tags' layer; an undo either
  const changed = (kind) =>
    kind === "word" || kind === "line" ? load.transcript() : Promise.all([load.transcript(), load.shots(), load.layers()]);
  const corrections = createCorrections(`${base}/corrections`, player, config.editable, changed);
  const correct = config.editable ? corrections.correct : null;
  const transcript = createTranscript(player, correct);
  const shots = player.sound ? NO_SHOTS : createShots(player, correct, details);
  const layers = createLayers(player, details);

  root.classList.toggle("sound", player.sound);
  root.replaceChildren(
    videoHeader(details, player),
    el(
      "div",
      { class: "stage" },
      el(
        "section",
        { class: "player-column", "aria-label": "Player" },
        el("div", { class: "frame" }, player.media, details.src ? null : unplayable()),
        playerControls(player, shots),
        shortcutsHelp(player.sound),
      ),
      transcript.node,
    ),
    shots.node,
    layers.node,
    el("div", { class: "video-more" }, exportsSection(details), corrections.node, recordSection(details)),
  );
  installShortcuts(player, shots);
  const parts = [load.transcript(), load.shots(), load.layers(), corrections.load()];
  for (const failed of (await Promise.allSettled(parts)).filter((p) => p.status === "rejected")) {
    say(failed.reason.message, "error");
  }
}

function unplayable() {
  const why = "This browser cannot play the file, and no proxy of it was made";
  return el("p", { class: "unplayable" }, `${why}: run \`deerin ingest\` with the proxy stage to make one.`);
}

function shortcutsHelp(sound) {
  const key = (text) => el("kbd", {}, text);
  return el(
    "p",
    { class: "shortcuts muted" },
    "Keys: ",
    key("Space"),
    " or ",
    key("k"),
    " play/pause · ",
    key("←"),
    " ",
    key("→"),
    " 5 s",
    sound ? null : [" · ", key(","), " ", key("."), " previous/next shot"],
  );
}

main().catch((error) => {
  root.replaceChildren(el("p", { class: "error", role: "alert" }, `This video cannot be shown: ${error.message}`));
  say(error.message, "error");
});
