// The map's camera: which part of the unit square (layout coordinates, y down) the
// canvas shows, and the eased zooms and pans that keyboard, buttons and wheel ask for.

const EASE_MS = 90; // time constant of an eased step: smooth, yet it follows the wheel

export class View {
  constructor() {
    this.x = 0.5; // the world point at the canvas centre
    this.y = 0.5;
    this.k = 1; // CSS pixels per world unit
    this.width = 1;
    this.height = 1;
    this.zoomLeft = 0; // log of the zoom factor still to apply
    this.anchor = [0, 0]; // the screen point a zoom keeps in place
    this.panLeft = [0, 0]; // screen pixels still to pan
    this.limits = [1, 1];
  }

  resize(width, height) {
    const fitted = this.k === this.fitScale();
    this.width = Math.max(1, width);
    this.height = Math.max(1, height);
    if (fitted) this.k = this.fitScale();
  }

  fitScale() {
    return Math.min(this.width, this.height) * 0.94;
  }

  /** Zoom limits as factors of the fitted scale: [far out, close in]. */
  setLimits(farthest, closest) {
    this.limits = [farthest, closest];
  }

  fit() {
    this.x = 0.5;
    this.y = 0.5;
    this.k = this.fitScale();
    this.zoomLeft = 0;
    this.panLeft = [0, 0];
  }

  /** How many times closer than the fitted view. */
  get zoom() {
    return this.k / this.fitScale();
  }

  toScreen(wx, wy) {
    return [(wx - this.x) * this.k + this.width / 2, (wy - this.y) * this.k + this.height / 2];
  }

  toWorld(sx, sy) {
    return [(sx - this.width / 2) / this.k + this.x, (sy - this.height / 2) / this.k + this.y];
  }

  /** The visible world rectangle [x0, y0, x1, y1], widened by ``margin`` screen pixels. */
  bounds(margin = 0) {
    const [x0, y0] = this.toWorld(-margin, -margin);
    const [x1, y1] = this.toWorld(this.width + margin, this.height + margin);
    return [x0, y0, x1, y1];
  }

  /** Zoom by ``factor`` at once, keeping the world point under (sx, sy) in place. */
  zoomAround(sx, sy, factor) {
    const [wx, wy] = this.toWorld(sx, sy);
    const fit = this.fitScale();
    this.k = Math.min(fit * this.limits[1], Math.max(fit * this.limits[0], this.k * factor));
    this.x = wx - (sx - this.width / 2) / this.k;
    this.y = wy - (sy - this.height / 2) / this.k;
  }

  panBy(dx, dy) {
    this.x -= dx / this.k;
    this.y -= dy / this.k;
  }

  /** Ask for an eased zoom (wheel, keys, buttons); a second ask adds to the first. */
  easeZoom(logFactor, sx = this.width / 2, sy = this.height / 2) {
    this.zoomLeft += logFactor;
    this.anchor = [sx, sy];
  }

  easePan(dx, dy) {
    this.panLeft = [this.panLeft[0] + dx, this.panLeft[1] + dy];
  }

  /** Advance the eased moves by ``dt`` ms; true while some are left. */
  step(dt) {
    const part = 1 - Math.exp(-dt / EASE_MS);
    if (this.zoomLeft) {
      const now = this.zoomLeft * part;
      this.zoomAround(this.anchor[0], this.anchor[1], Math.exp(now));
      this.zoomLeft = Math.abs(this.zoomLeft - now) < 1e-3 ? 0 : this.zoomLeft - now;
    }
    if (this.panLeft[0] || this.panLeft[1]) {
      const [dx, dy] = this.panLeft.map((left) => left * part);
      this.panBy(dx, dy);
      this.panLeft = this.panLeft.map((left, i) => (Math.abs(left - [dx, dy][i]) < 0.5 ? 0 : left - [dx, dy][i]));
    }
    return Boolean(this.zoomLeft || this.panLeft[0] || this.panLeft[1]);
  }
}
