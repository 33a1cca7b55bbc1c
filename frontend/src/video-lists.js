// The video page's long lists (words, shots, a layer's events) that follow the player:
// the item at a time by binary search, one tab stop for the whole list, and scrolling
// that keeps the current item in sight until the reader scrolls the list themselves.

const READER_SCROLLED = 4000; // ms a list stops following after the reader scrolls it

/** The index of the last value <= t in an ascending array (-1 when t is before all). */
export function lastAtOrBefore(sorted, t) {
  let low = 0;
  let high = sorted.length - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (sorted[middle] <= t) {
      found = middle;
      low = middle + 1;
    } else high = middle - 1;
  }
  return found;
}

/** One tab stop for a long list (words, shots, events): ←/→ (and Home/End) move along
 * it, Tab leaves it. ``items()`` gives the elements in order; ``onMove`` hears the new
 * one. Returns a function that makes an item the one Tab lands on. */
export function roving(container, items, onMove = () => {}) {
  let stop = null;
  const land = (item) => {
    if (item === stop || !item) return;
    if (stop) stop.tabIndex = -1;
    item.tabIndex = 0;
    stop = item;
  };
  container.addEventListener("keydown", (event) => {
    const list = items();
    const at = list.indexOf(document.activeElement);
    if (at < 0) return;
    const moves = { ArrowLeft: at - 1, ArrowRight: at + 1, Home: 0, End: list.length - 1 };
    if (!(event.key in moves) || event.altKey || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    event.stopPropagation(); // ←/→ move here, they do not step the player
    const next = list[Math.min(Math.max(moves[event.key], 0), list.length - 1)];
    land(next);
    next.focus();
    onMove(next);
  });
  container.addEventListener("focusin", (event) => {
    if (items().includes(event.target)) land(event.target);
  });
  return land;
}

/** Scrolls ``list`` (along ``axis``, "x" or "y") to keep an item in sight. ``follow(item)``
 * leaves the list alone for a while after the reader scrolled it (any of ``events``), so
 * nobody is pulled away from what they went to read; ``reveal(item)`` always scrolls. The
 * item's offset is measured from the list, which is its offsetParent (position: relative). */
export function follower(list, axis, events) {
  let scrolledAt = -Infinity;
  for (const name of events) list.addEventListener(name, () => (scrolledAt = performance.now()), { passive: true });
  const [start, size, scroll, client] =
    axis === "x" ? ["offsetLeft", "offsetWidth", "scrollLeft", "clientWidth"] : ["offsetTop", "offsetHeight", "scrollTop", "clientHeight"];
  const reveal = (item) => {
    if (!item) return;
    const at = item[start];
    if (at < list[scroll] || at + item[size] > list[scroll] + list[client]) list[scroll] = at - list[client] / 3;
  };
  return {
    reveal,
    follow: (item) => performance.now() - scrolledAt >= READER_SCROLLED && reveal(item),
  };
}
