// Level of detail: a grid index of a layout's points (what is visible, what is under the
// pointer, what a lasso holds, without a pass over a million points), and the atlas
// pages: requested for the visible points only, the pages holding most of them first, a
// few at a time, and held as textures up to a cap, the least recently drawn let go.

const RETRIES = 3; // a failed atlas page is asked for again this many times at most
const RETRY_MS = 5000; // ... after this long, then twice as long, ...

/** Points of one layout bucketed in a G x G grid of the unit square (a counting sort). */
export class GridIndex {
  constructor(xy) {
    const count = xy.length / 2;
    const side = Math.max(1, Math.min(1024, Math.round(Math.sqrt(count / 4))));
    const cells = new Uint32Array(count);
    const starts = new Uint32Array(side * side + 1);
    for (let i = 0; i < count; i++) {
      const cell = this.cellOf(xy[2 * i], side) + side * this.cellOf(xy[2 * i + 1], side);
      cells[i] = cell;
      starts[cell + 1]++;
    }
    for (let c = 0; c < side * side; c++) starts[c + 1] += starts[c];
    const fill = starts.slice(0, side * side);
    const items = new Uint32Array(count);
    for (let i = 0; i < count; i++) items[fill[cells[i]]++] = i;
    Object.assign(this, { xy, side, starts, items });
  }

  cellOf(value, side) {
    return Math.min(side - 1, Math.max(0, Math.floor(value * side)));
  }

  /** Call ``visit(i)`` for every point inside [x0, x1] x [y0, y1]; stop when it says true. */
  within(x0, y0, x1, y1, visit) {
    const { xy, side, starts, items } = this;
    const [c0, c1] = [this.cellOf(x0, side), this.cellOf(x1, side)];
    const [r0, r1] = [this.cellOf(y0, side), this.cellOf(y1, side)];
    for (let row = r0; row <= r1; row++) {
      for (let column = c0; column <= c1; column++) {
        const cell = row * side + column;
        for (let at = starts[cell]; at < starts[cell + 1]; at++) {
          const i = items[at];
          const x = xy[2 * i];
          const y = xy[2 * i + 1];
          if (x >= x0 && x <= x1 && y >= y0 && y <= y1 && visit(i)) return;
        }
      }
    }
  }

  /** The point nearest (x, y) within ``radius`` (world units), or -1. */
  nearest(x, y, radius) {
    let best = -1;
    let bestDistance = radius * radius;
    this.within(x - radius, y - radius, x + radius, y + radius, (i) => {
      const d = (this.xy[2 * i] - x) ** 2 + (this.xy[2 * i + 1] - y) ** 2;
      if (d <= bestDistance) [best, bestDistance] = [i, d];
    });
    return best;
  }
}

/** One atlas level ({size, per_page, columns}) of ``count`` points: its pages as textures. */
export class AtlasLevel {
  constructor(level, count, { source, renderer, cap, concurrency, changed }) {
    Object.assign(this, level, { count, source, renderer, cap, concurrency, changed });
    this.pages = new Map(); // page -> texture, least recently drawn first
    this.loading = new Set();
    this.wanted = []; // pages to ask for, most needed first
    this.failed = new Set(); // pages that failed, until their retry is due
    this.tries = new Map(); // page -> failed tries so far
    this.requests = []; // every page asked for, in order (tests and benchmarks read it)
    this.visible = []; // pages with visible points, most first
  }

  /** The visible points decide which pages to ask for: those holding most of them first.
   * ``visible`` maps page -> visible points on it. */
  want(visible) {
    const order = [...visible.entries()].sort((a, b) => b[1] - a[1]).map(([page]) => page);
    this.visible = order;
    for (const page of order) this.touch(page);
    this.needed = new Set(order.slice(0, this.cap));
    this.wanted = order.slice(0, this.cap).filter((page) => !this.pages.has(page) && !this.failed.has(page));
    this.pump();
  }

  /** Mark a loaded page as just used (the newest in the least-recently-used order). */
  touch(page) {
    const texture = this.pages.get(page);
    if (texture === undefined) return;
    this.pages.delete(page);
    this.pages.set(page, texture);
  }

  pump() {
    while (this.loading.size < this.concurrency && this.wanted.length) {
      const page = this.wanted.shift();
      if (this.loading.has(page) || this.pages.has(page)) continue;
      this.load(page);
    }
  }

  async load(page) {
    this.loading.add(page);
    this.requests.push(page);
    try {
      const picture = await this.source.image(`atlas/${this.size}/${page}.jpg`);
      this.pages.set(page, this.renderer.texture(picture));
      picture.close?.(); // an ImageBitmap's pixels: on the GPU now
      this.evict();
      this.changed();
    } catch (error) {
      this.failed.add(page);
      if (error.name !== "MapChanged") this.retryLater(page);
      console.warn(`map: atlas page ${this.size}/${page}: ${error.message}`);
    } finally {
      this.loading.delete(page);
      this.pump();
    }
  }

  /** A failure may pass (a server busy, a network blip): ask for the page again after a
   * while, a few times, so its region does not stay dark until the page is reloaded. */
  retryLater(page) {
    const tries = (this.tries.get(page) || 0) + 1;
    this.tries.set(page, tries);
    if (tries > RETRIES) return;
    setTimeout(() => {
      this.failed.delete(page);
      if (!this.needed?.has(page)) return; // asked for again once it is in view
      this.wanted.push(page);
      this.pump();
    }, RETRY_MS * tries);
  }

  /** Over the cap: let go of the least recently drawn pages no longer needed. */
  evict() {
    for (const [page, texture] of this.pages) {
      if (this.pages.size <= this.cap) break;
      if (this.needed?.has(page)) continue;
      this.renderer.dropTexture(texture);
      this.pages.delete(page);
    }
  }

  /** The loaded pages among ``visible`` (page numbers), as the renderer takes them. */
  drawable(visible) {
    const out = [];
    for (const page of visible) {
      const texture = this.pages.get(page);
      if (texture === undefined) continue;
      const first = page * this.per_page;
      out.push({ texture, first, count: Math.min(this.per_page, this.count - first), columns: this.columns, size: this.size });
    }
    return out;
  }
}
