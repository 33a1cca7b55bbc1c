// The supercut page, after playphrase.me: type a phrase, and every moment it is said or
// shown plays back to back from the original files, the phrase as caption, the film and
// time below; skip, replay, widen the context; download the supercut as an MP4 or a
// timeline. The phrase and options live in the address (/supercut?q=…).

import { clipsPage } from "./clip-player.js";

clipsPage({
  endpoint: "/api/supercut",
  fields: { q: "", match: "words", order: "time", max: "200" },
  widen: true,
  query(values, context) {
    const asked = new URLSearchParams({ order: values.order, max: values.max });
    // a regular expression is the box's text; the API's q then holds filters only
    asked.set(values.match === "regex" ? "regex" : "q", values.q);
    if (values.match === "meaning") asked.set("meaning", "true");
    if (context) {
      asked.set("pad_before", context);
      asked.set("pad_after", context);
    }
    return asked;
  },
});
