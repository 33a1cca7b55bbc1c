// The sequence page: the shots a search finds cut into a sequence by a strategy
// (chronological, similar pictures, analytical, to a clip's rhythm, as a prompt asks),
// played back to back from the original files, and downloaded as an MP4 or a timeline.
// The search and options live in the address (/sequence?q=set:"storm"&strategy=…).

import { clipsPage } from "./clip-player.js";
import { config } from "./lib.js";

const form = document.getElementById("clips-form");
const strategy = document.getElementById("strategy");

/** Show the fields the chosen strategy reads; the prompt strategy only with a language
 * model server (the server says whether it has one). */
function showFields() {
  const promptOption = strategy.querySelector('option[value="prompt"]');
  promptOption.disabled = !config.prompt;
  document.getElementById("prompt-hint").hidden = Boolean(config.prompt);
  if (!config.prompt && strategy.value === "prompt") strategy.value = "chronological";
  for (const part of form.querySelectorAll(".for-rhythm")) part.hidden = strategy.value !== "rhythm";
  for (const part of form.querySelectorAll(".for-prompt")) part.hidden = strategy.value !== "prompt";
}
strategy.addEventListener("change", showFields);

clipsPage({
  endpoint: "/api/sequence",
  fields: { q: "", strategy: "chronological", length: "60", rhythm: "", cut_on: "beats", prompt: "" },
  onFields: showFields,
  query(values) {
    const asked = new URLSearchParams({ q: values.q, strategy: values.strategy, length: values.length });
    if (values.strategy === "rhythm") {
      asked.set("rhythm", values.rhythm);
      asked.set("cut_on", values.cut_on);
    }
    if (values.strategy === "prompt") asked.set("prompt", values.prompt);
    return asked;
  },
});
