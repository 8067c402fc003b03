"""The dashboards' charts: figures of the newest computation, as grouped bars drawn on the server.

Each chart is a `ChartSpec` (which measures, by month, theme or outcome) turned into rows of
bars. Like clusters/charts.py the SVG has no viewBox, so text stays at 16 CSS pixels on a
phone: x positions and bar widths are percentages of the chart's width, y positions pixels.
Pages show the last `MONTHS` months; each chart's CSV has every month computed.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from clusters.models import Theme
from config.spreadsheets import neutralise
from insights.models import Figure, Measure

MONTHS = 12
LABEL_HEIGHT = 24
LINE_HEIGHT = 20  # a row label's further lines
# A row label longer than this is drawn on several lines: SVG text does not wrap, and at
# 320 CSS pixels (WCAG 1.4.10 reflow) the chart is about 290 pixels wide, room for about 28
# bold characters ("Carbon capture, usage and storag" was cut off: newcomer probe).
LABEL_CHARS = 26
BAR_HEIGHT = 20
BAR_STEP = 26
ROW_GAP = 14
# Non-text contrast on white of at least 3:1 (WCAG 1.4.11): GOV.UK blue 5.2:1, dark grey
# 7.0:1, green 5.9:1. Each bar is also named in words beside it, so colour is not the only cue.
FILLS = ("#1d70b8", "#505a5f", "#00703c")

MISSION, CLUSTER, CHALLENGE = "mission", "cluster", "challenge"
BY_MONTH, BY_THEME, BY_OUTCOME = "month", "theme", "outcome"


@dataclass(frozen=True)
class ChartSpec:
    slug: str
    title: str
    by: str
    # (measure, the short word drawn beside its bar)
    series: tuple[tuple[str, str], ...]
    scopes: frozenset[str]

    @property
    def measures(self) -> list[str]:
        return [measure for measure, _ in self.series]

    @property
    def headers(self) -> list[str]:
        """The CSV's header: each measure's full name."""
        first = {BY_MONTH: "Month", BY_THEME: "Theme", BY_OUTCOME: "Outcome"}[self.by]
        if self.by == BY_OUTCOME:
            return [first, "Introductions"]
        return [first, *(Measure(measure).label for measure in self.measures)]

    @property
    def table_headers(self) -> list[str]:
        """The page's table: short, so that four columns fit a phone (the caption says more)."""
        return [self.headers[0], *(TABLE_WORDS.get(m, m) for m in self.headers[1:])]


TABLE_WORDS = {
    Measure.OFFERS_PUBLISHED.label: "Offers",
    Measure.NEEDS_PUBLISHED.label: "Needs",
    Measure.MATCHES_SUGGESTED.label: "Suggested",
    Measure.MARKED_INTERESTED.label: "Marked useful",
    Measure.INTRODUCTIONS_ASKED.label: "Asked for",
    Measure.INTRODUCTIONS_ACCEPTED.label: "Accepted",
    Measure.OUTCOMES_REPORTED.label: "Outcome reported",
}
EVERYWHERE = frozenset({MISSION, CLUSTER, CHALLENGE})
OUTCOMES = (
    Measure.OUTCOME_NOTHING,
    Measure.OUTCOME_TALKING,
    Measure.OUTCOME_TRIAL,
    Measure.OUTCOME_CONTRACT,
    Measure.OUTCOME_BID_SUBMITTED,
    Measure.OUTCOME_BID_WON,
)
SPECS = (
    ChartSpec(
        "open-challenges",
        "Open challenges by theme, when the figures were computed",
        BY_THEME,
        ((Measure.CHALLENGES_OPEN, "open"),),
        frozenset({MISSION, CLUSTER}),
    ),
    ChartSpec(
        "published",
        "Offers and needs published, by month",
        BY_MONTH,
        ((Measure.OFFERS_PUBLISHED, "offers"), (Measure.NEEDS_PUBLISHED, "needs")),
        EVERYWHERE,
    ),
    ChartSpec(
        "matches",
        "Matches suggested, and marked useful, by month",
        BY_MONTH,
        ((Measure.MATCHES_SUGGESTED, "suggested"), (Measure.MARKED_INTERESTED, "useful")),
        EVERYWHERE,
    ),
    ChartSpec(
        "introductions",
        "Introductions asked for, accepted, and with an outcome reported, by month",
        BY_MONTH,
        (
            (Measure.INTRODUCTIONS_ASKED, "asked"),
            (Measure.INTRODUCTIONS_ACCEPTED, "accepted"),
            (Measure.OUTCOMES_REPORTED, "outcome"),
        ),
        EVERYWHERE,
    ),
    ChartSpec(
        "outcomes",
        "What came of accepted introductions, the furthest each got, in all",
        BY_OUTCOME,
        tuple((measure, "") for measure in OUTCOMES),
        EVERYWHERE,
    ),
)


def specs_for(scope: str) -> list[ChartSpec]:
    return [spec for spec in SPECS if scope in spec.scopes]


def spec_named(scope: str, slug: str) -> ChartSpec | None:
    return next((spec for spec in specs_for(scope) if spec.slug == slug), None)


def scope_filter(scope: str, subject=None) -> Q:
    """Which figures belong to a page: everything, one cluster, or one challenge."""
    if scope == MISSION:
        return Q(cluster=None, challenge=None)
    if scope == CLUSTER:
        return Q(cluster=subject, challenge=None)
    return Q(challenge=subject, theme=None)


def _month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _add_months(month: datetime.date, n: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + n
    return datetime.date(index // 12, index % 12 + 1, 1)


def last_month(computation) -> datetime.date:
    return _month(timezone.localtime(computation.finished_at).date())


def load_figures(computation, where: Q, specs, *, since=None) -> dict:
    """The figures the charts need, in one query: {(measure, month, theme_id): value}."""
    wanted = Q(pk__in=[])
    for spec in specs:
        if spec.by == BY_MONTH:
            months = Q(month__isnull=False) if since is None else Q(month__gte=since)
            wanted |= Q(measure__in=spec.measures, theme=None) & months
        elif spec.by == BY_THEME:
            wanted |= Q(measure__in=spec.measures, theme__isnull=False, month=None)
        else:
            wanted |= Q(measure__in=spec.measures, theme=None, month=None)
    rows = (
        Figure.objects.filter(where, wanted, computation=computation)
        .order_by()
        .values_list("measure", "month", "theme_id", "value")
    )
    figures = {}
    for measure, month, theme_id, value in rows:
        key = (measure, month, theme_id)
        # Tolerate a task that wrote a figure twice: the larger is the fuller count.
        figures[key] = max(value, figures.get(key, 0))
    return figures


def table_rows(spec: ChartSpec, figures: dict, *, months=None, themes=()) -> list[tuple]:
    """(label, [values]) per row: the chart's numbers, for its bars, its table and its CSV."""
    if spec.by == BY_MONTH:
        return [
            (month, [figures.get((measure, month, None), 0) for measure in spec.measures])
            for month in months
        ]
    if spec.by == BY_THEME:
        return [
            (theme.name, [figures.get((measure, None, theme.pk), 0) for measure in spec.measures])
            for theme in themes
        ]
    return [
        (Measure(measure).label.removeprefix("Outcome: "), [figures.get((measure, None, None), 0)])
        for measure in spec.measures
    ]


def window(computation, months: int = MONTHS) -> list[datetime.date]:
    end = last_month(computation)
    return [_add_months(end, n) for n in range(1 - months, 1)]


def all_months(computation, spec: ChartSpec, figures: dict) -> list[datetime.date]:
    """From the earliest month with a figure (or the window's start) to the computation's."""
    end = last_month(computation)
    present = [
        month for (measure, month, _), _ in figures.items() if month and measure in spec.measures
    ]
    start = min([*present, window(computation)[0]])
    out, month = [], start
    while month <= end:
        out.append(month)
        month = _add_months(month, 1)
    return out


@dataclass(frozen=True)
class Bar:
    word: str
    value: int
    fill: str
    width_percent: float
    value_x_percent: float
    bar_y: int
    text_y: int


@dataclass(frozen=True)
class Row:
    label: str
    label_y: int
    bars: list[Bar]
    values: list[int]
    lines: tuple[str, ...] = ()  # the label as drawn, a line each

    @property
    def more_lines(self) -> tuple[str, ...]:
        return self.lines[1:]


def label_lines(text: str, width: int = LABEL_CHARS) -> tuple[str, ...]:
    """`text` in lines of at most `width` characters, broken between words (a word longer
    than that stands on a line of its own)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return tuple(lines) or (text,)


@dataclass(frozen=True)
class Chart:
    spec: ChartSpec
    rows: list[Row]
    height: int
    bar_x_percent: int
    csv_url: str

    @property
    def total(self) -> int:
        return sum(sum(row.values) for row in self.rows)


def draw(spec: ChartSpec, rows: list[tuple], csv_url: str) -> Chart:
    """Grouped horizontal bars, one group a row, scaled to the chart's largest value.

    One series: bars start at the left edge, up to 75 % wide. Several: each bar's word in
    the first 30 %, bars up to 45 % wide after it. Either way a value of 5 digits still fits
    after the longest bar at 320 CSS pixels (tests/browser/test_reflow.py).
    """
    single = len(spec.series) == 1 or spec.by == BY_OUTCOME
    bar_x, max_width = (0, 75) if single else (30, 45)
    largest = max((value for _, values in rows for value in values), default=0) or 1
    drawn, top = [], 0
    for label, values in rows:
        text = label.strftime("%B %Y") if isinstance(label, datetime.date) else label
        lines = label_lines(text)
        label_height = LABEL_HEIGHT + (len(lines) - 1) * LINE_HEIGHT
        bars = []
        for i, value in enumerate(values):
            bar_y = top + label_height + i * BAR_STEP
            width = round(max_width * value / largest, 1)
            bars.append(
                Bar(
                    word="" if single else spec.series[i][1],
                    value=value,
                    fill=FILLS[i % len(FILLS)],
                    width_percent=width,
                    value_x_percent=round(bar_x + width, 1),
                    bar_y=bar_y,
                    text_y=bar_y + BAR_HEIGHT // 2,
                )
            )
        drawn.append(Row(label=text, label_y=top + 10, bars=bars, values=values, lines=lines))
        top += label_height + len(values) * BAR_STEP + ROW_GAP
    return Chart(
        spec=spec,
        rows=drawn,
        height=max(top - ROW_GAP, 0),
        bar_x_percent=bar_x,
        csv_url=csv_url,
    )


def build_charts(computation, scope: str, subject, csv_url_for) -> list[Chart]:
    """Every chart of a page from one query of figures (and one of themes if it has them)."""
    specs = specs_for(scope)
    months = window(computation)
    figures = load_figures(computation, scope_filter(scope, subject), specs, since=months[0])
    themes = list(Theme.objects.all()) if any(s.by == BY_THEME for s in specs) else []
    return [
        draw(spec, table_rows(spec, figures, months=months, themes=themes), csv_url_for(spec))
        for spec in specs
    ]


def _cell(label) -> str:
    """A row's label for a spreadsheet: a month as 2027-06; text that a spreadsheet would
    run as a formula is quoted with an apostrophe (config.spreadsheets)."""
    if isinstance(label, datetime.date):
        return label.strftime("%Y-%m")
    return neutralise(label)


def csv_rows(computation, scope: str, subject, spec: ChartSpec) -> list[list]:
    """The header and every row of one chart, every month computed."""
    figures = load_figures(computation, scope_filter(scope, subject), [spec])
    themes = list(Theme.objects.all()) if spec.by == BY_THEME else []
    months = all_months(computation, spec, figures) if spec.by == BY_MONTH else None
    rows = table_rows(spec, figures, months=months, themes=themes)
    return [spec.headers, *([_cell(label), *values] for label, values in rows)]
