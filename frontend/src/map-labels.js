// Cluster labels drawn over the map at their centres in the layout shown (between two
// layouts, moving with the points): the largest clusters first, none over another.

const MOST = 80;
const FONT = "600 12px system-ui, sans-serif";

/** Draw on ``context`` (CSS pixels) the labels of ``clusters`` ({label, size, centers}). */
export function drawLabels(context, view, clusters, from, to, mix) {
  if (!clusters?.length) return;
  const placed = [];
  context.font = FONT;
  context.textAlign = "center";
  context.textBaseline = "middle";
  context.lineJoin = "round";
  const bySize = [...clusters].sort((a, b) => b.size - a.size);
  for (const cluster of bySize) {
    if (placed.length >= MOST) break;
    const start = cluster.centers?.[from];
    const end = cluster.centers?.[to];
    if (!start || !end) continue;
    const [x, y] = view.toScreen(start[0] + (end[0] - start[0]) * mix, start[1] + (end[1] - start[1]) * mix);
    if (x < -100 || y < -20 || x > view.width + 100 || y > view.height + 20) continue;
    const width = context.measureText(cluster.label).width + 8;
    const box = [x - width / 2, y - 9, x + width / 2, y + 9];
    if (placed.some((other) => box[0] < other[2] && box[2] > other[0] && box[1] < other[3] && box[3] > other[1])) continue;
    placed.push(box);
    context.lineWidth = 4;
    context.strokeStyle = "rgb(10 10 12 / 0.85)";
    context.strokeText(cluster.label, x, y);
    context.fillStyle = "#f4f4f4";
    context.fillText(cluster.label, x, y);
  }
}
