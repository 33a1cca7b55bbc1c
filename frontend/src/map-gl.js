// The map's WebGL2 renderer. One draw puts all N points down as squares in their facet
// colour (as GL points: one vertex each, where an instanced quad costs four, which a
// software renderer such as SwiftShader feels at a million); then, per visible atlas page,
// one instanced draw of that page's contiguous run of points as quads textured with its
// cells. WebGL2 has no base instance, so a page's run is reached by pointing the
// per-point attributes at a byte offset; gl_InstanceID is then the cell in the page.

const VERTEX = `#version 300 es
layout(location = 0) in vec2 a_corner;
layout(location = 1) in vec2 a_from;
layout(location = 2) in vec2 a_to;
layout(location = 3) in vec4 a_color;
uniform vec2 u_view;     // world point at the centre
uniform vec2 u_scale;    // world unit -> clip space
uniform vec2 u_pixel;    // one device pixel in clip space
uniform float u_mix;     // 0: the layout left, 1: the layout chosen
uniform float u_size;    // quad side, device pixels
uniform float u_columns; // cells per atlas row (textured draws)
uniform float u_cell;    // cell side in texels
uniform bool u_points;   // a GL point per vertex (dots), else a quad per instance
out vec4 v_color;
out vec2 v_uv;
out vec2 v_local;
void main() {
  vec2 world = mix(a_from, a_to, u_mix);
  vec2 clip = (world - u_view) * u_scale;
  v_color = a_color;
  if (u_points) {
    gl_Position = vec4(clip, 0.0, 1.0);
    gl_PointSize = u_size;
    return;
  }
  vec2 corner = a_corner - 0.5;
  gl_Position = vec4(clip + corner * u_size * u_pixel * vec2(1.0, -1.0), 0.0, 1.0);
  float id = float(gl_InstanceID);
  vec2 cell = vec2(mod(id, u_columns), floor(id / u_columns));
  // half a texel in from the cell's edges: no bleeding from the neighbour's picture
  float inset = 0.5 / u_cell;
  v_uv = (cell + inset + a_corner * (1.0 - 2.0 * inset)) / u_columns;
  v_local = a_corner * u_size;
}`;

const FRAGMENT = `#version 300 es
precision highp float;
in vec4 v_color;
in vec2 v_uv;
in vec2 v_local;
uniform sampler2D u_atlas;
uniform bool u_textured;
uniform float u_border; // device pixels of facet colour round a picture
uniform float u_size;
uniform vec3 u_background;
out vec4 colour;
void main() {
  if (!u_textured) { colour = vec4(v_color.rgb, 1.0); return; }
  bool edge = any(lessThan(v_local, vec2(u_border))) || any(greaterThan(v_local, vec2(u_size - u_border)));
  vec3 picture = edge ? v_color.rgb : texture(u_atlas, v_uv).rgb;
  colour = vec4(mix(u_background, picture, v_color.a), 1.0); // a dimmed point fades into the ground
}`;

export const BACKGROUND = [0.086, 0.09, 0.102];

/** A renderer on ``canvas``, or null where the browser has no WebGL2. */
export function createRenderer(canvas) {
  const gl = canvas.getContext("webgl2", { antialias: false, alpha: false, preserveDrawingBuffer: true });
  if (!gl) return null;
  const program = link(gl);
  const uniforms = {};
  for (let i = 0; i < gl.getProgramParameter(program, gl.ACTIVE_UNIFORMS); i++) {
    const { name } = gl.getActiveUniform(program, i);
    uniforms[name] = gl.getUniformLocation(program, name);
  }
  // Two attribute setups: points (one vertex a point) and quads (an instance a point).
  const points = gl.createVertexArray();
  gl.bindVertexArray(points);
  for (const location of [1, 2, 3]) gl.enableVertexAttribArray(location);
  const quads = gl.createVertexArray();
  gl.bindVertexArray(quads);
  const corners = gl.createBuffer();
  gl.bindBuffer(gl.ARRAY_BUFFER, corners);
  gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([0, 0, 1, 0, 0, 1, 1, 1]), gl.STATIC_DRAW);
  gl.enableVertexAttribArray(0);
  gl.vertexAttribPointer(0, 2, gl.FLOAT, false, 0, 0);
  for (const location of [1, 2, 3]) {
    gl.enableVertexAttribArray(location);
    gl.vertexAttribDivisor(location, 1);
  }
  const [, largestPoint] = gl.getParameter(gl.ALIASED_POINT_SIZE_RANGE);
  const colours = gl.createBuffer();
  const subset = () => ({ from: gl.createBuffer(), to: gl.createBuffer(), colours: gl.createBuffer(), count: 0 });
  const subsets = { overlay: subset(), sample: subset(), near: subset() };
  let count = 0;

  /** Point the per-point attributes at point ``first`` of these buffers. */
  function attributes(from, to, colourBuffer, first) {
    gl.bindBuffer(gl.ARRAY_BUFFER, from);
    gl.vertexAttribPointer(1, 2, gl.FLOAT, false, 0, first * 8);
    gl.bindBuffer(gl.ARRAY_BUFFER, to);
    gl.vertexAttribPointer(2, 2, gl.FLOAT, false, 0, first * 8);
    gl.bindBuffer(gl.ARRAY_BUFFER, colourBuffer);
    gl.vertexAttribPointer(3, 4, gl.UNSIGNED_BYTE, true, 0, first * 4);
  }

  function upload(buffer, data) {
    gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
    gl.bufferData(gl.ARRAY_BUFFER, data, gl.STATIC_DRAW);
  }

  return {
    gl,
    name: rendererName(gl),
    largestPoint,
    /** A layout's coordinates (2N floats) on the GPU. */
    positions(data) {
      const buffer = gl.createBuffer();
      upload(buffer, data);
      return buffer;
    },
    /** Every point's colour, RGBA bytes; A is how lit the point is (255 lit, less dimmed). */
    colours(data) {
      count = data.length / 4;
      upload(colours, data);
    },
    /** A subset of the points with its own copies of their places and colours: "overlay",
     * drawn again on top (search hits, a selection) so none hides under a dim one;
     * "sample", drawn instead of all while the map moves on a renderer too slow for all;
     * "near", the points on and round the screen, drawn instead of all when close in. */
    subset(name, from, to, colourData) {
      const set = subsets[name];
      upload(set.from, from);
      upload(set.to, to);
      upload(set.colours, colourData);
      set.count = colourData.length / 4;
    },
    texture(picture) {
      const texture = gl.createTexture();
      gl.bindTexture(gl.TEXTURE_2D, texture);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.LINEAR);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.LINEAR);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
      gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGB, gl.RGB, gl.UNSIGNED_BYTE, picture);
      return texture;
    },
    dropTexture(texture) {
      gl.deleteTexture(texture);
    },
    /** One frame. ``frame``: {view, dpr, from, to, mix, dot, thumb, pages: [{texture,
     * first, count, columns, size}], border, overlay, points: "all", "sample" or "near"}.
     * Sizes in device pixels. */
    draw(frame) {
      const { view, dpr } = frame;
      const width = Math.round(view.width * dpr);
      const height = Math.round(view.height * dpr);
      if (canvas.width !== width || canvas.height !== height) {
        canvas.width = width;
        canvas.height = height;
      }
      gl.viewport(0, 0, width, height);
      gl.clearColor(...BACKGROUND, 1);
      gl.clear(gl.COLOR_BUFFER_BIT);
      gl.useProgram(program);
      gl.bindVertexArray(points);
      gl.uniform1i(uniforms.u_points, 1);
      gl.uniform2f(uniforms.u_view, view.x, view.y);
      gl.uniform2f(uniforms.u_scale, (2 * view.k) / view.width, (-2 * view.k) / view.height);
      gl.uniform2f(uniforms.u_pixel, 2 / width, 2 / height);
      gl.uniform1f(uniforms.u_mix, frame.mix);
      gl.uniform3f(uniforms.u_background, ...BACKGROUND);
      gl.uniform1i(uniforms.u_textured, 0);
      gl.uniform1f(uniforms.u_size, Math.min(largestPoint, frame.dot));
      const { overlay } = subsets;
      const some = subsets[frame.points];
      if (some) {
        attributes(some.from, some.to, some.colours, 0);
        gl.drawArrays(gl.POINTS, 0, some.count);
      } else {
        attributes(frame.from, frame.to, colours, 0);
        gl.drawArrays(gl.POINTS, 0, count);
      }
      if (frame.overlay && overlay.count) {
        attributes(overlay.from, overlay.to, overlay.colours, 0);
        gl.drawArrays(gl.POINTS, 0, overlay.count);
      }
      if (frame.pages.length) {
        gl.bindVertexArray(quads);
        gl.uniform1i(uniforms.u_points, 0);
        gl.uniform1i(uniforms.u_textured, 1);
        gl.uniform1f(uniforms.u_size, frame.thumb);
        gl.uniform1f(uniforms.u_border, frame.border);
        gl.uniform1i(uniforms.u_atlas, 0);
        gl.activeTexture(gl.TEXTURE0);
        for (const page of frame.pages) {
          gl.bindTexture(gl.TEXTURE_2D, page.texture);
          gl.uniform1f(uniforms.u_columns, page.columns);
          gl.uniform1f(uniforms.u_cell, page.size);
          attributes(frame.from, frame.to, colours, page.first);
          gl.drawArraysInstanced(gl.TRIANGLE_STRIP, 0, 4, page.count);
        }
      }
    },
    /** Wait for the GPU: the first frame's time is when it is on screen, not queued. */
    finish() {
      gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, new Uint8Array(4));
    },
  };
}

function compile(gl, kind, text) {
  const shader = gl.createShader(kind);
  gl.shaderSource(shader, text);
  gl.compileShader(shader);
  if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) throw new Error(gl.getShaderInfoLog(shader));
  return shader;
}

function link(gl) {
  const program = gl.createProgram();
  gl.attachShader(program, compile(gl, gl.VERTEX_SHADER, VERTEX));
  gl.attachShader(program, compile(gl, gl.FRAGMENT_SHADER, FRAGMENT));
  gl.linkProgram(program);
  if (!gl.getProgramParameter(program, gl.LINK_STATUS)) throw new Error(gl.getProgramInfoLog(program));
  return program;
}

/** The GPU's name as the driver gives it (benchmarks report it), else WebGL's own. */
function rendererName(gl) {
  const debug = gl.getExtension("WEBGL_debug_renderer_info");
  return String(gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
}
