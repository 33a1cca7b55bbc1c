// The static export's page has no server to write the page's config into it: give lib.js
// the config it reads (a read-only page of no collection) before it is evaluated. Import
// this first.

const node = document.createElement("script");
node.type = "application/json";
node.id = "deerin-config";
node.textContent = JSON.stringify({ page: "map", collection: null, collections: [], editable: false, needs_token: false });
document.head.append(node);
