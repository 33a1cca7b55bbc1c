"""Film statistics as one HTML file that opens anywhere, offline: every chart an inline
SVG drawn here, each with its numbers as CSV and downloads as SVG, PNG and CSV (the
PNG drawn from the SVG by the browser; nothing is fetched from anywhere).

The web app's statistics page shows these same sections (its own script makes the PNG:
its pages allow no inline script), so the page and the file draw identical charts.
"""

from __future__ import annotations

import csv
import html
import io
import math
from collections.abc import Sequence
from urllib.parse import quote

from deerin.explore.stats import (
    CLOSENESS,
    CollectionStats,
    Comparison,
    FilmStats,
    close_up_share,
    time_share,
)

Report = FilmStats | CollectionStats | Comparison
WIDTH, HEIGHT, PAD = 640, 220, 36
INK, BAR, LINE = "#1c1c1c", "#0b5cad", "#c2410c"
# Films side by side, and the scales of a stacked bar: Okabe and Ito's colours, which
# people with any colour blindness tell apart (yellow left out: unreadable on white);
# as many as stats.MOST_FILMS.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#000000", "#999999")
LABEL = 18  # characters of a film's name under a bar or in a legend
TICKS = 12  # labels along a line's x axis, at most
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
    """One chart: its SVG and the table it draws (a label, then a column per series)."""

    def __init__(self, key: str, title: str, header: Sequence[str], rows: list[list]) -> None:
        self.key, self.title, self.header, self.rows = key, title, header, rows

    @property
    def series(self) -> Sequence[str]:
        return self.header[1:]

    def csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(self.header)
        writer.writerows(self.rows)
        return buffer.getvalue()

    def bars(self) -> str:
        """A group of bars per row, one per series (one series: one bar per row)."""
        values = self._values()
        top = max((v for row in values for v in row), default=0) or 1.0
        step = (WIDTH - 2 * PAD) / max(1, len(values))
        width = (step - 4) / max(1, len(self.series))
        parts = []
        for n, (row, heights) in enumerate(zip(self.rows, values, strict=True)):
            x = PAD + n * step
            for k, value in enumerate(heights):
                tall = (HEIGHT - 2 * PAD) * value / top
                parts.append(
                    f'<rect x="{x + 2 + k * width:.1f}" y="{HEIGHT - PAD - tall:.1f}" '
                    f'width="{width:.1f}" height="{tall:.1f}" fill="{self._colour(k, BAR)}">'
                    f"<title>{self._tip(row[0], k, value)}</title></rect>"
                )
            parts.append(self._tick(x + step / 2, row[0]))
        return self._svg("".join(parts), top)

    def line(self) -> str:
        """A line per series through the rows' values in order (time along the x axis);
        bars when there are too few points for a line (a film under two minutes)."""
        values = self._values()
        if len(values) < 2:
            return self.bars()
        top = max((v for row in values for v in row), default=0) or 1.0
        step = (WIDTH - 2 * PAD) / (len(values) - 1)
        lines = []
        for k in range(len(self.series)):
            points = " ".join(
                f"{PAD + n * step:.1f},{HEIGHT - PAD - (HEIGHT - 2 * PAD) * row[k] / top:.1f}"
                for n, row in enumerate(values)
            )
            lines.append(
                f'<polyline points="{points}" fill="none" stroke="{self._colour(k, LINE)}" '
                f'stroke-width="2"><title>{html.escape(self.series[k])}</title></polyline>'
            )
        stride = math.ceil(len(values) / TICKS)
        ticks = [self._tick(PAD + n * step, row[0]) for n, row in enumerate(self.rows)]
        return self._svg("".join(lines + ticks[::stride]), top)

    def stacked(self) -> str:
        """A bar per row, its series stacked (shares of a whole: a film's shot scales)."""
        values = self._values()
        top = max((sum(row) for row in values), default=0) or 1.0
        step = (WIDTH - 2 * PAD) / max(1, len(values))
        parts = []
        for n, (row, heights) in enumerate(zip(self.rows, values, strict=True)):
            x, base = PAD + n * step, float(HEIGHT - PAD)
            for k, value in enumerate(heights):
                tall = (HEIGHT - 2 * PAD) * value / top
                base -= tall
                parts.append(
                    f'<rect x="{x + 4:.1f}" y="{base:.1f}" width="{step - 8:.1f}" '
                    f'height="{tall:.1f}" fill="{PALETTE[k % len(PALETTE)]}">'
                    f"<title>{self._tip(row[0], k, value)}</title></rect>"
                )
            parts.append(self._tick(x + step / 2, row[0]))
        return self._svg("".join(parts), top, legend=True)

    def _values(self) -> list[list[float]]:
        return [[float(v or 0) for v in row[1 : len(self.header)]] for row in self.rows]

    def _colour(self, k: int, single: str) -> str:
        return single if len(self.series) == 1 else PALETTE[k % len(PALETTE)]

    def _tip(self, label: object, k: int, value: float) -> str:
        named = f"{label}, {self.series[k]}" if len(self.series) > 1 else str(label)
        return html.escape(f"{named}: {value:g}")

    def _tick(self, x: float, label: object) -> str:
        return (
            f'<text x="{x:.1f}" y="{HEIGHT - PAD + 14}" font-size="10" text-anchor="middle" '
            f'fill="{INK}">{html.escape(short(str(label)))}</text>'
        )

    def _legend(self) -> str:
        """The series' colours and names above the chart, four to a row."""
        width = (WIDTH - 2 * PAD) / 4
        return "".join(
            f'<rect x="{PAD + (k % 4) * width:.1f}" y="{4 + (k // 4) * 14}" width="10" '
            f'height="10" fill="{PALETTE[k % len(PALETTE)]}"/><text x="'
            f'{PAD + (k % 4) * width + 14:.1f}" y="{13 + (k // 4) * 14}" font-size="10" '
            f'fill="{INK}">{html.escape(short(name))}</text>'
            for k, name in enumerate(self.series)
        )

    def _svg(self, body: str, top: float, legend: bool = False) -> str:
        axis = (
            f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" '
            f'stroke="{INK}"/><text x="{PAD - 4}" y="{PAD}" font-size="10" text-anchor="end" '
            f'fill="{INK}">{top:g}</text>'
        )
        key = self._legend() if legend or len(self.series) > 1 else ""
        return (
            f'<svg id="{self.key}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} '
            f'{HEIGHT}" role="img" aria-label="{html.escape(self.title)}" '
            f'font-family="sans-serif">{axis}{key}{body}</svg>'
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


def comparison_charts(films: list[FilmStats]) -> list[tuple[Chart, str]]:
    """Films side by side on the same axes: shot lengths as each film's share of its
    shots in the same bins, the pace along each film's running time in tenths (films of
    any length line up), each film's scales stacked, faces and speech on screen."""
    names = film_names(films)
    bins = [_bin(b.low, b.high) for b in films[0].lengths.histogram]
    lengths = Chart(
        "compare-lengths", "Shot lengths: share of each film's shots (seconds)", ("bin", *names),
        [[label, *(round(f.lengths.histogram[n].count / (f.lengths.count or 1), 3)
                   for f in films)] for n, label in enumerate(bins)],
    )  # fmt: skip
    pace = Chart(
        "compare-pace", "Cuts per minute along each film (tenths of its running time)",
        ("part", *names),
        [[f"{(n + 1) * 10}%", *(round(f.pace[n], 3) if f.pace else 0.0 for f in films)]
         for n in range(max((len(f.pace) for f in films), default=0))],
    )  # fmt: skip
    scales = Chart(
        "compare-scales", "Share of screen time by shot scale", ("film", *CLOSENESS),
        [[name, *(round(f.scales.get(s, 0.0), 3) for s in CLOSENESS)]
         for name, f in zip(names, films, strict=True)],
    )  # fmt: skip
    seen = Chart(
        "compare-seen", "Share of each film with a face on screen, and with speech",
        ("film", "faces", "speech"),
        [[name, *(round(time_share(f, what) or 0.0, 3) for what in ("faces", "speech"))]
         for name, f in zip(names, films, strict=True)],
    )  # fmt: skip
    return [
        (lengths, lengths.bars()),
        (pace, pace.line()),
        (scales, scales.stacked()),
        (seen, seen.bars()),
    ]


def year_charts(report: CollectionStats) -> list[tuple[Chart, str]]:
    """The collection's trends by year: shot length, pace and close-ups, each where any
    year has it (close-ups need the shot-scale stage)."""
    trends = (
        ("years-asl", "Average shot length by year (seconds)", "average"),
        ("years-cuts", "Cuts per minute by year", "cuts_per_minute"),
        ("years-close-ups", "Share of screen time in close-up by year", "close_ups"),
    )
    charts = []
    for key, title, field in trends:
        values = [getattr(year, field) for year in report.by_year]
        if any(value is not None for value in values):
            chart = Chart(
                key, title, ("year", field),
                [[y.year, round(v or 0.0, 3)] for y, v in zip(report.by_year, values, strict=True)],
            )  # fmt: skip
            charts.append((chart, chart.bars()))
    return charts


def report_title(report: Report) -> str:
    if isinstance(report, CollectionStats):
        return f"Film statistics: {report.collection}"
    if isinstance(report, Comparison):
        return f"Film statistics: {', '.join(film_names(report.films))}"
    return f"Film statistics: {report.title}"


def report_sections(report: Report, each_film: bool = True) -> str:
    """The report's body: the figures as a table, the collection's trends or the films
    side by side, then (with ``each_film``) each film's own charts."""
    films = report_films(report)
    sections = [_side_by_side(films) if isinstance(report, Comparison) else _summary(films)]
    if isinstance(report, CollectionStats):
        pooled = report.lengths
        sections.append(
            f"<p>All {pooled.count} shots: average {number(pooled.average)} s, "
            f"median {number(pooled.median)} s.</p>"
        )
        trends = "".join(_figure(chart, svg) for chart, svg in year_charts(report))
        sections.append(f"<section><h2>By year</h2>{trends}</section>" if trends else "")
    if isinstance(report, Comparison):
        charts = "".join(_figure(chart, svg) for chart, svg in comparison_charts(report.films))
        sections.append(f"<section><h2>Side by side</h2>{charts}</section>")
    for film in films if each_film else []:
        charts = "".join(_figure(chart, svg) for chart, svg in film_charts(film))
        sections.append(f"<section><h2>{html.escape(film.title)}</h2>{charts}</section>")
    return "".join(sections)


def report_html(report: Report) -> str:
    """The whole report as one file that works offline."""
    title = html.escape(report_title(report))
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{title}</title><style>{STYLE}</style></head><body>"
        f"<h1>{title}</h1>{report_sections(report)}<script>{SCRIPT}</script>"
        "</body></html>\n"
    )


def report_csv(report: Report) -> str:
    """One film: a row per shot (length, scale). Several, or a collection: a row per film."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if isinstance(report, FilmStats):
        writer.writerow(["shot", "length", "scale"])
        for index, (length, scale) in enumerate(
            zip(report.shots, report.scale_sequence, strict=True)
        ):
            writer.writerow([index, f"{length:.3f}", scale])
        return buffer.getvalue()
    shares = [f"share_{scale}" for scale in CLOSENESS]
    writer.writerow(["video_id", "file", "title", "year", "duration", "shots", "asl", "median",
                     "cuts_per_minute", "analytical_runs", *shares, "faces", "speech"])  # fmt: skip
    for film in report.films:
        writer.writerow(
            [film.video_id, film.file, film.title, film.year or "", f"{film.duration:.2f}",
             film.lengths.count, number(film.lengths.average, 3), number(film.lengths.median, 3),
             number(film.cuts_per_minute, 3), film.analytical_runs,
             *[number(film.scales.get(scale), 3) for scale in CLOSENESS],
             number(time_share(film, "faces"), 3), number(time_share(film, "speech"), 3)]
        )  # fmt: skip
    return buffer.getvalue()


def report_films(report: Report) -> list[FilmStats]:
    return [report] if isinstance(report, FilmStats) else report.films


def film_names(films: list[FilmStats]) -> list[str]:
    """Each film's title, with its file where two films share a title."""
    titles = [film.title for film in films]
    return [
        f"{film.title} ({film.file})" if titles.count(film.title) > 1 else film.title
        for film in films
    ]


def short(text: str) -> str:
    """A name cut to fit under a bar or in a legend (the whole in the CSV and tooltip)."""
    return text if len(text) <= LABEL else f"{text[: LABEL - 1]}…"


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


def _side_by_side(films: list[FilmStats]) -> str:
    """A column per film, a row per figure: the films' numbers next to each other."""
    figures = [
        ("year", lambda f: str(f.year or "")),
        ("running time (s)", lambda f: number(f.duration, 1)),
        ("shots", lambda f: str(f.lengths.count)),
        ("ASL (s)", lambda f: number(f.lengths.average)),
        ("median (s)", lambda f: number(f.lengths.median)),
        ("shortest (s)", lambda f: number(f.lengths.shortest)),
        ("longest (s)", lambda f: number(f.lengths.longest)),
        ("deviation (s)", lambda f: number(f.lengths.deviation)),
        ("cuts/min", lambda f: number(f.cuts_per_minute)),
        ("LS→MS→CS", lambda f: str(f.analytical_runs)),
        *((f"{s} share", lambda f, s=s: _share(f.scales.get(s))) for s in CLOSENESS),
        ("close-up share", lambda f: _share(close_up_share(f) if f.scales else None)),
        ("faces on screen", lambda f: _share(time_share(f, "faces"))),
        ("speech", lambda f: _share(time_share(f, "speech"))),
    ]
    head = "".join(f'<th scope="col">{html.escape(name)}</th>' for name in film_names(films))
    rows = "".join(
        f'<tr><th scope="row">{html.escape(label)}</th>'
        + "".join(f"<td>{html.escape(read(film))}</td>" for film in films)
        + "</tr>"
        for label, read in figures
    )
    return (
        '<table class="side-by-side"><caption>The films side by side</caption><thead><tr>'
        f'<th scope="col">figure</th>{head}</tr></thead><tbody>{rows}</tbody></table>'
    )


def _share(value: float | None) -> str:
    return "" if value is None else f"{value:.0%}"


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
