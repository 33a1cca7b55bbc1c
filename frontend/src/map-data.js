// Reading a map bundle (docs: the map bundle contract): the same relative paths over two
// transports. The server's page fetches them; a static export opened from file:// may not
// fetch() and WebGL refuses its images, so there every file is also a script that hands
// its payload (JSON text, base64, a data: URL) to a global callback.

/** The map was made again since the page read meta.json (the server answers 409 to an
 * old ``?v=``): its points are other points now, so nothing more is asked for. */
export class MapChanged extends Error {
  constructor() {
    super("The map has changed since this page was opened: reload the page.");
    this.name = "MapChanged";
  }
}

/** The server's transport: fetch() under ``base`` (e.g. "/api/map/shared/"). Once the
 * map's version is known (``source.version = meta.version``), addresses carry it: the
 * server lets a browser keep such files until the map changes, and answers 409 once it
 * has: ``source.onchanged()`` is called (once), and every later request fails at once. */
export function fetchSource(base) {
  const source = { version: "", stale: false, onchanged: () => {} };
  const address = (path) => (source.version ? `${base}${path}?v=${encodeURIComponent(source.version)}` : base + path);
  async function get(path) {
    if (source.stale) throw new MapChanged();
    const response = await fetch(address(path));
    if (response.status === 409) {
      if (!source.stale) {
        source.stale = true;
        source.onchanged();
      }
      throw new MapChanged();
    }
    if (!response.ok) throw new Error(`${path}: ${response.status} ${response.statusText}`);
    return response;
  }
  return Object.assign(source, {
    json: async (path) => (await get(path)).json(),
    binary: async (path) => (await get(path)).arrayBuffer(),
    // Decoded off the main thread: a thousand 1024 px pages must not stall panning.
    image: async (path) => createImageBitmap(await (await get(path)).blob()),
    imageUrl: async (path) => address(path),
  });
}

/** The export's transport: a <script src="base/path.js"> per file, which calls
 * window.deerinMapData(path, payload). Payloads are dropped once handed over, so a
 * page of thumbnails is held once (as its texture), not twice. */
export function scriptSource(base) {
  const waiting = new Map(); // path -> {promise, resolve, reject}
  window.deerinMapData = (path, payload) => waiting.get(path)?.resolve(payload);

  function load(path) {
    const known = waiting.get(path);
    if (known) return known.promise;
    const entry = {};
    entry.promise = new Promise((resolve, reject) => Object.assign(entry, { resolve, reject }));
    waiting.set(path, entry);
    const tag = document.createElement("script");
    tag.src = `${base}${path}.js`;
    tag.onerror = () => entry.reject(new Error(`${path}: not in this export`));
    tag.onload = () => entry.reject(new Error(`${path}: its script handed nothing over`)); // no-op once resolved
    document.head.append(tag);
    const done = () => {
      waiting.delete(path);
      tag.remove();
    };
    entry.promise.then(done, done);
    return entry.promise;
  }

  return {
    json: async (path) => JSON.parse(await load(path)),
    binary: async (path) => decodeBase64(await load(path)),
    image: async (path) => {
      const picture = new Image();
      picture.src = await load(path);
      await picture.decode();
      return picture;
    },
    imageUrl: load,
  };
}

/** Base64 text as an ArrayBuffer (the browser's own decoder where it has one). */
function decodeBase64(text) {
  if (Uint8Array.fromBase64) return Uint8Array.fromBase64(text).buffer;
  const chars = atob(text);
  const bytes = new Uint8Array(chars.length);
  for (let i = 0; i < chars.length; i++) bytes[i] = chars.charCodeAt(i);
  return bytes.buffer;
}

/** Pages of shot details (info/<page>.json), fetched on demand, the latest ``keep`` held. */
export function infoPages(source, perPage, keep = 64) {
  const pages = new Map(); // page -> Promise<list>, oldest first
  function page(number) {
    let loading = pages.get(number);
    if (loading) pages.delete(number); // re-inserted below: now the newest
    else loading = source.json(`info/${number}.json`);
    pages.set(number, loading);
    loading.catch(() => pages.delete(number));
    while (pages.size > keep) pages.delete(pages.keys().next().value);
    return loading;
  }
  return {
    /** The details of point ``index``: {v, t, s, a, b, tc, c, tags, people, scale}. */
    async of(index) {
      const list = await page(Math.floor(index / perPage));
      return list[index % perPage];
    },
  };
}
