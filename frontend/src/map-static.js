// The static export's map (deerin map export): a classic script opened from file://,
// which reads the bundle beside it through script tags (see map-data.js) and has no
// server: no search, no saving sets, no video links; a selection is downloaded instead.

import "./map-static-config.js";
import { startMap } from "./map-app.js";

const body = document.body;
startMap(document.getElementById("map-root"), { base: body.dataset.base || "data/", isStatic: body.dataset.static === "1", server: null });
