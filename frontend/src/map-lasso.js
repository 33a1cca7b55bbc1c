// The lasso: a free polygon drawn over the map; the points of the current layout inside
// it, found through the grid index (only the polygon's bounding box is visited) and an
// even-odd crossing test, fast enough for a million points.

/** Indexes of the points inside ``polygon`` ([[x, y], ...] in world units) that ``keep(i)``
 * accepts (null: all), in point order. */
export function pointsInside(index, polygon, keep) {
  if (polygon.length < 3) return new Uint32Array(0);
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of polygon) {
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
  }
  const xs = Float64Array.from(polygon, (p) => p[0]);
  const ys = Float64Array.from(polygon, (p) => p[1]);
  const found = [];
  index.within(x0, y0, x1, y1, (i) => {
    if ((!keep || keep(i)) && inside(xs, ys, index.xy[2 * i], index.xy[2 * i + 1])) found.push(i);
  });
  return Uint32Array.from(found).sort();
}

function inside(xs, ys, x, y) {
  let crossings = false;
  for (let a = 0, b = xs.length - 1; a < xs.length; b = a++) {
    if (ys[a] > y !== ys[b] > y && x < ((xs[b] - xs[a]) * (y - ys[a])) / (ys[b] - ys[a]) + xs[a]) crossings = !crossings;
  }
  return crossings;
}

/** Collects the polygon while the pointer is down: a point every few pixels. */
export class LassoPath {
  constructor() {
    this.points = []; // screen points
  }

  start(x, y) {
    this.points = [[x, y]];
  }

  add(x, y) {
    const [lx, ly] = this.points[this.points.length - 1];
    if ((x - lx) ** 2 + (y - ly) ** 2 >= 9) this.points.push([x, y]);
  }

  get active() {
    return this.points.length > 0;
  }

  end() {
    const done = this.points;
    this.points = [];
    return done;
  }

  /** The path on the overlay's 2-D context (dashed, closed back to its start). */
  draw(context) {
    if (this.points.length < 2) return;
    context.save();
    context.beginPath();
    this.points.forEach(([x, y], i) => (i ? context.lineTo(x, y) : context.moveTo(x, y)));
    context.closePath();
    context.fillStyle = "rgb(255 229 138 / 0.12)";
    context.fill();
    context.setLineDash([6, 4]);
    context.lineWidth = 2;
    context.strokeStyle = "#ffe58a";
    context.stroke();
    context.restore();
  }
}
