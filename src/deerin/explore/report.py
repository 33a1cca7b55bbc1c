"""Film statistics as one HTML file that opens anywhere, offline: every chart an inline
SVG drawn here, each with its numbers as CSV and downloads as SVG, PNG and CSV (the
PNG drawn from the SVG by the browser; nothing is fetched from anywhere).
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Sequence
from urllib.parse import quote

from deerin.explore.stats import CLOSENESS, CollectionStats, FilmStats

WIDTH, HEIGHT, PAD = 640, 220, 36
INK, BAR, LINE = "#1c1c1c", "#0b5cad", "#c2410c"
SCRIPT = """
for (const link of document.querySelectorAll("a[data-png]")) {
  link.addEventListener("click", (event) => {
    event.preventDefault();
    const svg = document.getElementById(link.dataset.png);
    const image = new Image();
    image.onload = () => {
      const canvas = document.createElement("canvas");
      canvas.width = svg.viewBox.baseVal.width * 2;
      canvas.height = svg.viewBox.baseVal.height * 2;
      const context = canvas.getContext("2d");
      context.fillStyle = "#fff";
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(image, 0, 0, canvas.width, canvas.height);
      const save = document.createElement("a");
      save.download = link.dataset.name;
      save.href = canvas.toDataURL("image/png");
      save.click();
    };
    image.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(svg.outerHTML);
  });
}
"""


class Chart:
    """One chart: its SVG and the table it draws."""

    def __init__(self, key: str, title: str, header: Sequence[str], rows: list[list]) -> None:
        self.key, self.title, self.header, self.rows = key, title, header, rows

    def csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(self.header)
        writer.writerows(self.rows)
        return buffer.getvalue()

    def bars(self) -> str:
        """A bar per row: label in the first column, value in the second."""
        values = [float(row[1] or 0) for row in self.rows]
        top = max(values, default=0) or 1.0
        step = (WIDTH - 2 * PAD) / max(1, len(values))
        parts = []
        for n, (row, value) in enumerate(zip(self.rows, values, strict=True)):
            tall = (HEIGHT - 2 * PAD) * value / top
            x, y = PAD + n * step, HEIGHT - PAD - tall
            parts.append(
                f'<rect x="{x + 2:.1f}" y="{y:.1f}" width="{step - 4:.1f}" height="{tall:.1f}" '
                f'fill="{BAR}"><title>{html.escape(str(row[0]))}: {value:g}</title></rect>'
                f'<text x="{x + step / 2:.1f}" y="{HEIGHT - PAD + 14}" font-size="10" '
                f'text-anchor="middle" fill="{INK}">{html.escape(str(row[0]))}</text>'
            )
        return self._svg("".join(parts), top)

    def line(self) -> str:
        """A line through the rows' values in order (time along the x axis); bars when
        there are too few points for a line (a film under two minutes)."""
        values = [float(row[1] or 0) for row in self.rows]
        if len(values) < 2:
            return self.bars()
        top = max(values, default=0) or 1.0
        step = (WIDTH - 2 * PAD) / max(1, len(values) - 1)
        points = " ".join(
            f"{PAD + n * step:.1f},{HEIGHT - PAD - (HEIGHT - 2 * PAD) * v / top:.1f}"
            for n, v in enumerate(values)
        )
        return self._svg(
            f'<polyline points="{points}" fill="none" stroke="{LINE}" stroke-width="2"/>', top
        )

    def _svg(self, body: str, top: float) -> str:
        axis = (
            f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" '
            f'stroke="{INK}"/><text x="{PAD - 4}" y="{PAD}" font-size="10" text-anchor="end" '
            f'fill="{INK}">{top:g}</text>'
        )
        return (
            f'<svg id="{self.key}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} '
            f'{HEIGHT}" role="img" aria-label="{html.escape(self.title)}" '
            f'font-family="sans-serif">{axis}{body}</svg>'
        )


def film_charts(film: FilmStats) -> list[tuple[Chart, str]]:
    """A film's charts: shot lengths, cuts per minute, scales, faces and speech."""
    prefix = f"f{film.video_id[:8]}"
    lengths = Chart(
        f"{prefix}-lengths", "Shot lengths (seconds)", ("bin", "shots"),
        [[_bin(b.low, b.high), b.count] for b in film.lengths.histogram],
    )  # fmt: skip
    cuts = Chart(
        f"{prefix}-cuts", "Cuts per minute along the film", ("minute", "cuts_per_minute"),
        [[n + 1, round(m.cuts_per_minute, 3)] for n, m in enumerate(film.minutes)],
    )  # fmt: skip
    scales = Chart(
        f"{prefix}-scales", "Share of screen time by shot scale", ("scale", "share"),
        [[s, round(film.scales.get(s, 0.0), 3)] for s in CLOSENESS],
    )  # fmt: skip
    seen = Chart(
        f"{prefix}-faces", "Share of each minute with a face on screen", ("minute", "faces"),
        [[n + 1, round(m.faces or 0.0, 3)] for n, m in enumerate(film.minutes)],
    )  # fmt: skip
    said = Chart(
        f"{prefix}-speech", "Share of each minute with speech", ("minute", "speech"),
        [[n + 1, round(m.speech or 0.0, 3)] for n, m in enumerate(film.minutes)],
    )  # fmt: skip
    return [
        (lengths, lengths.bars()),
        (cuts, cuts.line()),
        (scales, scales.bars()),
        (seen, seen.line()),
        (said, said.line()),
    ]


def report_html(report: FilmStats | CollectionStats) -> str:
    """The whole report: a summary table, then each film's charts."""
    films = report.films if isinstance(report, CollectionStats) else [report]
    title = (
        f"Film statistics: {report.collection}"
        if isinstance(report, CollectionStats)
        else f"Film statistics: {report.title}"
    )
    sections = [_summary(films)]
    if isinstance(report, CollectionStats) and report.by_year:
        years = Chart(
            "years", "Average shot length by year (seconds)", ("year", "average"),
            [[y.year, round(y.average or 0.0, 3)] for y in report.by_year],
        )  # fmt: skip
        sections.append(_figure(years, years.bars()))
    for film in films:
        charts = "".join(_figure(chart, svg) for chart, svg in film_charts(film))
        sections.append(f"<section><h2>{html.escape(film.title)}</h2>{charts}</section>")
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>{''.join(sections)}<script>{SCRIPT}</script>"
        "</body></html>\n"
    )


STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2rem;color:#1c1c1c;max-width:70rem}"
    "table{border-collapse:collapse}td,th{padding:.2rem .6rem;border-bottom:1px solid #ccc;"
    "text-align:right}td:first-child,th:first-child{text-align:left}figure{margin:1rem 0}"
    "svg{width:100%;max-width:640px;height:auto;background:#fff;border:1px solid #ddd}"
    "figcaption a{margin-right:.8rem}"
)


def _figure(chart: Chart, svg: str) -> str:
    name = chart.key
    data = quote(chart.csv())
    svg_data = quote(svg)
    return (
        f"<figure>{svg}<figcaption>{html.escape(chart.title)} — "
        f"<a download='{name}.svg' href='data:image/svg+xml;charset=utf-8,{svg_data}'>SVG</a>"
        f"<a href='#' data-png='{name}' data-name='{name}.png'>PNG</a>"
        f"<a download='{name}.csv' href='data:text/csv;charset=utf-8,{data}'>CSV</a>"
        "</figcaption></figure>"
    )


def _summary(films: list[FilmStats]) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(f.title)}</td><td>{f.year or ''}</td><td>{f.lengths.count}</td>"
        f"<td>{number(f.lengths.average)}</td><td>{number(f.lengths.median)}</td>"
        f"<td>{number(f.cuts_per_minute)}</td><td>{f.analytical_runs}</td></tr>"
        for f in films
    )
    return (
        "<table><thead><tr><th>film</th><th>year</th><th>shots</th><th>ASL (s)</th>"
        "<th>median (s)</th><th>cuts/min</th><th>LS→MS→CS</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def _bin(low: float, high: float | None) -> str:
    return f"{low:g}+" if high is None else f"{low:g}–{high:g}"


def number(value: float | None, digits: int = 2) -> str:
    """A statistic as text; '' where there is none (a film without shots has no ASL)."""
    return "" if value is None else f"{value:.{digits}f}"
