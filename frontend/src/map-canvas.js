// The map without WebGL2: dots written straight into a 2-D canvas's pixels (no pictures,
// no layout transitions), so a browser without it still shows where the shots lie.

import { BACKGROUND } from "./map-gl.js";

/** A renderer with the WebGL one's interface, drawing dots only. */
export function createFallback(canvas) {
  const context = canvas.getContext("2d");
  let colours = new Uint8Array(0);
  return {
    name: "Canvas 2D (no WebGL2)",
    textured: false,
    positions: (data) => data,
    colours(data) {
      colours = data;
    },
    subset() {},
    finish() {},
    draw({ view, dpr, to, dot }) {
      const width = Math.round(view.width * dpr);
      const height = Math.round(view.height * dpr);
      if (canvas.width !== width || canvas.height !== height) [canvas.width, canvas.height] = [width, height];
      const image = context.createImageData(width, height);
      const pixels = new Uint32Array(image.data.buffer);
      const [r, g, b] = BACKGROUND.map((c) => Math.round(c * 255));
      pixels.fill((255 << 24) | (b << 16) | (g << 8) | r);
      const side = Math.max(1, Math.round(Math.min(dot, 6)));
      const scale = view.k * dpr;
      for (let i = 0; i < colours.length / 4; i++) {
        const x = Math.round((to[2 * i] - view.x) * scale + width / 2 - side / 2);
        const y = Math.round((to[2 * i + 1] - view.y) * scale + height / 2 - side / 2);
        if (x < 0 || y < 0 || x + side > width || y + side > height) continue;
        const o = i * 4;
        const value = (255 << 24) | (colours[o + 2] << 16) | (colours[o + 1] << 8) | colours[o];
        for (let row = 0; row < side; row++) pixels.fill(value, (y + row) * width + x, (y + row) * width + x + side);
      }
      context.putImageData(image, 0, 0);
    },
  };
}
