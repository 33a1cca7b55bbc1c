import { config } from "./lib.js";
// TODO: the people page
console.debug(config);
