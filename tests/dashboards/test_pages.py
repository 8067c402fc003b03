"""The public dashboards read the newest computation's figures and draw them as charts."""

import csv
import io
import re

import pytest
from django.urls import reverse

from clusters.models import Cluster, Theme
from insights.models import Computation, Measure
from tests.dashboards.helpers import add_figures, make_computation, month
from tests.factories import ChallengeFactory

pytestmark = pytest.mark.django_db

M = Measure


def chart_section(html, slug):
    """The HTML of one chart's section."""
    match = re.search(
        rf'<section class="cx-chart" aria-labelledby="chart-{slug}-title">(.*?)</section>',
        html,
        re.S,
    )
    assert match, f"no chart {slug}"
    return match.group(1)


def table_cells(section):
    """The table of a chart, as rows of cell texts (header row first)."""
    table = re.search(r"<table.*?</table>", section, re.S).group(0)
    rows = re.findall(r"<tr.*?</tr>", table, re.S)
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd].*?</t[hd]>", row, re.S)
        ]
        for row in rows
    ]


def bar_values(section):
    return [int(v) for v in re.findall(r'<text class="cx-chart__value"[^>]*>(\d+)</text>', section)]


def humber():
    return Cluster.objects.get(slug="humber")


# --- The empty state ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["mission", "cluster", "challenge"])
def test_pages_say_plainly_when_nothing_has_been_computed(client, name):
    challenge = ChallengeFactory()
    # A run that is still going, or failed, is not read.
    make_computation(state=Computation.State.RUNNING)
    args = {"mission": [], "cluster": ["humber"], "challenge": [challenge.ref]}[name]
    response = client.get(reverse(f"dashboards:{name}", args=args))
    assert response.status_code == 200
    html = response.content.decode()
    assert "No figures have been computed yet" in html
    assert "cx-chart__svg" not in html
    assert "Computed on" not in html


def test_csv_is_not_found_before_anything_is_computed(client):
    assert client.get(reverse("dashboards:mission-csv", args=["published"])).status_code == 404


# --- The charts' numbers -----------------------------------------------------------------


def test_cluster_charts_show_the_latest_computations_figures_by_month(client):
    old = make_computation(finished_at=make_computation().finished_at.replace(year=2026))
    add_figures(old, [(M.OFFERS_PUBLISHED, month(2026, 6), 999)], cluster=humber())
    computation = make_computation()
    add_figures(
        computation,
        [
            (M.OFFERS_PUBLISHED, month(2027, 6), 7),
            (M.OFFERS_PUBLISHED, month(2027, 4), 3),
            (M.NEEDS_PUBLISHED, month(2027, 6), 2),
            # Outside the page's 12 months: only in the CSV.
            (M.OFFERS_PUBLISHED, month(2026, 1), 5),
            # In all: not a month, so not in the monthly chart.
            (M.OFFERS_PUBLISHED, None, 15),
        ],
        cluster=humber(),
    )
    # Another cluster's and the mission's figures stay off Humber's page.
    add_figures(
        computation,
        [(M.OFFERS_PUBLISHED, month(2027, 6), 40)],
        cluster=Cluster.objects.get(slug="teesside"),
    )
    add_figures(computation, [(M.OFFERS_PUBLISHED, month(2027, 6), 50)])

    html = client.get(reverse("dashboards:cluster", args=["humber"])).content.decode()

    assert "Computed on 15 June 2027 at 12:00" in html
    section = chart_section(html, "published")
    cells = table_cells(section)
    assert cells[0] == ["Month", "Offers", "Needs"]
    assert len(cells) == 1 + 12
    assert cells[1] == ["July 2026", "0", "0"]
    assert cells[-3] == ["April 2027", "3", "0"]
    assert cells[-1] == ["June 2027", "7", "2"]
    assert sum(bar_values(section)) == 12
    assert "999" not in html and 40 not in bar_values(section) and 50 not in bar_values(section)


def test_bars_are_scaled_to_the_charts_largest_value(client):
    computation = make_computation()
    add_figures(
        computation,
        [(M.MATCHES_SUGGESTED, month(2027, 6), 10), (M.MARKED_INTERESTED, month(2027, 6), 5)],
        cluster=humber(),
    )
    section = chart_section(
        client.get(reverse("dashboards:cluster", args=["humber"])).content.decode(), "matches"
    )
    widths = re.findall(r'<rect x="30%" y="\d+" width="([\d.]+)%"', section)
    assert widths[-2:] == ["45.0", "22.5"]  # the largest at the most width, the other half
    assert ">suggested</text>" in section and ">useful</text>" in section


def test_open_challenges_by_theme_lists_every_theme_with_its_figure(client):
    computation = make_computation()
    ccus = Theme.objects.get(slug="ccus")
    add_figures(
        computation,
        [(M.CHALLENGES_OPEN, None, 4, ccus), (M.CHALLENGES_OPEN, None, 9)],
        cluster=humber(),
    )
    section = chart_section(
        client.get(reverse("dashboards:cluster", args=["humber"])).content.decode(),
        "open-challenges",
    )
    cells = table_cells(section)
    assert cells[0] == ["Theme", "Open challenges"]
    assert [ccus.name, "4"] in cells
    assert len(cells) == 1 + Theme.objects.count()
    assert sum(int(row[1]) for row in cells[1:]) == 4


def test_challenge_dashboard_shows_the_challenges_own_figures_and_outcomes(client):
    challenge = ChallengeFactory()
    other = ChallengeFactory()
    computation = make_computation()
    add_figures(
        computation,
        [
            (M.INTRODUCTIONS_ASKED, month(2027, 5), 6),
            (M.INTRODUCTIONS_ACCEPTED, month(2027, 5), 4),
            (M.OUTCOMES_REPORTED, month(2027, 6), 1),
            (M.OUTCOME_CONTRACT, None, 1),
        ],
        challenge=challenge,
        cluster=challenge.cluster,
    )
    add_figures(computation, [(M.INTRODUCTIONS_ASKED, month(2027, 5), 80)], challenge=other)
    html = client.get(reverse("dashboards:challenge", args=[challenge.ref])).content.decode()
    cells = table_cells(chart_section(html, "introductions"))
    assert cells[-2] == ["May 2027", "6", "4", "0"]
    assert cells[-1] == ["June 2027", "0", "0", "1"]
    outcomes = table_cells(chart_section(html, "outcomes"))
    assert ["a contract", "1"] in outcomes
    assert ["nothing came of it", "0"] in outcomes
    # Themes are a cluster's view: a challenge's page has no theme chart.
    assert "chart-open-challenges-title" not in html


def test_mission_dashboard_reads_the_figures_for_everywhere(client):
    computation = make_computation()
    add_figures(computation, [(M.NEEDS_PUBLISHED, month(2027, 6), 11)])
    add_figures(computation, [(M.NEEDS_PUBLISHED, month(2027, 6), 3)], cluster=humber())
    html = client.get(reverse("dashboards:mission")).content.decode()
    assert table_cells(chart_section(html, "published"))[-1] == ["June 2027", "0", "11"]


# --- CSV ---------------------------------------------------------------------------------


def test_csv_has_every_month_computed_exactly(client):
    computation = make_computation()
    add_figures(
        computation,
        [
            (M.OFFERS_PUBLISHED, month(2026, 4), 5),
            (M.NEEDS_PUBLISHED, month(2027, 6), 2),
            (M.OFFERS_PUBLISHED, None, 5),
        ],
        cluster=humber(),
    )
    response = client.get(reverse("dashboards:cluster-csv", args=["humber", "published"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="cluster-exchange-humber-published-2027-06-15.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    expected = [["Month", "Offers published", "Needs published"], ["2026-04", "5", "0"]]
    expected += [[f"2026-{m:02}", "0", "0"] for m in range(5, 13)]
    expected += [[f"2027-{m:02}", "0", "0"] for m in range(1, 6)]
    expected += [["2027-06", "0", "2"]]
    assert rows == expected


def test_each_chart_links_to_its_csv_and_each_csv_answers(client):
    challenge = ChallengeFactory()
    make_computation()
    for name, args in [("mission", []), ("cluster", ["teesside"]), ("challenge", [challenge.ref])]:
        html = client.get(reverse(f"dashboards:{name}", args=args)).content.decode()
        links = re.findall(r'href="([^"]+\.csv)"', html)
        assert len(links) >= 4
        for link in links:
            response = client.get(link)
            assert response.status_code == 200, link
            assert response["Content-Type"].startswith("text/csv")


def test_theme_csv_names_each_theme(client):
    computation = make_computation()
    hydrogen = Theme.objects.get(slug="hydrogen")
    add_figures(computation, [(M.CHALLENGES_OPEN, None, 3, hydrogen)])
    response = client.get(reverse("dashboards:mission-csv", args=["open-challenges"]))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["Theme", "Open challenges"]
    assert [hydrogen.name, "3"] in rows
    assert len(rows) == 1 + Theme.objects.count()


@pytest.mark.parametrize(
    "name,args",
    [
        ("dashboards:cluster", ["atlantis"]),
        ("dashboards:challenge", ["no-such-challenge"]),
        ("dashboards:cluster-csv", ["atlantis", "published"]),
        ("dashboards:challenge-csv", ["no-such-challenge", "published"]),
        ("dashboards:mission-csv", ["no-such-chart"]),
        # A challenge has no theme chart.
        ("dashboards:challenge-csv", ["CHALLENGE", "open-challenges"]),
    ],
)
def test_unknown_cluster_challenge_or_chart_is_not_found(client, name, args):
    challenge = ChallengeFactory()
    make_computation()
    args = [challenge.ref if a == "CHALLENGE" else a for a in args]
    assert client.get(reverse(name, args=args)).status_code == 404


# --- Escaping ----------------------------------------------------------------------------


def test_names_and_titles_are_escaped(client):
    challenge = ChallengeFactory(title="<script>alert(1)</script> & more")
    theme = Theme.objects.get(slug="ccus")
    theme.name = "<b>CCUS</b>"
    theme.save()
    cluster = humber()
    cluster.name = '<img src=x onerror="alert(1)">'
    cluster.save()
    computation = make_computation()
    add_figures(computation, [(M.CHALLENGES_OPEN, None, 2, theme)], cluster=cluster)
    pages = [
        reverse("dashboards:mission"),
        reverse("dashboards:cluster", args=["humber"]),
        reverse("dashboards:challenge", args=[challenge.ref]),
    ]
    for url in pages:
        html = client.get(url).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>CCUS" not in html
    assert "&lt;b&gt;CCUS&lt;/b&gt;" in client.get(pages[1]).content.decode()


# --- Query counts ------------------------------------------------------------------------


def fill(computation, months, themes, challenge):
    measures = [m for m, _ in Measure.choices]
    rows = []
    for n in range(months):
        # June 2027 and the months before it
        index = 2027 * 12 + 5 - n
        rows += [(m, month(index // 12, index % 12 + 1), n + 1) for m in measures]
    rows += [(m, None, 1) for m in measures]
    rows += [(M.CHALLENGES_OPEN, None, 2, t) for t in themes]
    rows += [(M.OFFERS_PUBLISHED, month(2027, 6), 2, t) for t in themes]
    for scope in ({}, {"cluster": humber()}):
        add_figures(computation, rows, **scope)
    add_figures(computation, [r[:3] for r in rows if len(r) == 3], challenge=challenge)


@pytest.mark.parametrize("months,themes", [(2, 1), (36, 10)])
def test_query_counts_do_not_grow_with_months_or_themes(
    client, months, themes, django_assert_max_num_queries
):
    challenge = ChallengeFactory()
    fill(make_computation(), months, list(Theme.objects.all()[:themes]), challenge)
    for url, budget in [
        (reverse("dashboards:mission"), 4),
        (reverse("dashboards:cluster", args=["humber"]), 4),
        (reverse("dashboards:challenge", args=[challenge.ref]), 3),
        (reverse("dashboards:cluster-csv", args=["humber", "published"]), 3),
        (reverse("dashboards:mission-csv", args=["open-challenges"]), 3),
    ]:
        with django_assert_max_num_queries(budget):
            assert client.get(url).status_code == 200


# --- The map -----------------------------------------------------------------------------


def circles(html):
    return {
        slug: float(r)
        for slug, r in re.findall(
            r'<circle class="cx-map__circle" data-cluster="([\w-]+)"[^>]* r="([\d.]+)"', html
        )
    }


def test_map_shows_each_of_the_six_clusters_linked_to_its_page(client):
    html = client.get(reverse("dashboards:mission")).content.decode()
    radii = circles(html)
    assert set(radii) == {
        "humber",
        "south-wales",
        "grangemouth",
        "teesside",
        "merseyside",
        "southampton",
    }
    for cluster in Cluster.objects.all():
        assert f'<a class="cx-map__link" href="{cluster.get_absolute_url()}"' in html
    assert 'role="group" aria-labelledby="map-title map-desc"' in html
    assert "Natural Earth" in html and "world-atlas" in html
    # The coast is drawn from the build's path data, not fetched.
    assert 'class="cx-map__land"' in html


def test_map_circles_area_grows_with_emissions(client):
    html = client.get(reverse("dashboards:mission")).content.decode()
    radii = circles(html)
    emissions = {c.slug: float(c.emissions_mtco2) for c in Cluster.objects.all()}
    ordered = sorted(emissions, key=emissions.get)
    assert [radii[s] for s in ordered] == sorted(radii[s] for s in ordered)
    assert radii["humber"] > radii["teesside"] > radii["southampton"] * 0.99
    # Area in proportion: r² / emissions is the same for every cluster (to rounding).
    ratios = [radii[s] ** 2 / emissions[s] for s in emissions]
    assert max(ratios) / min(ratios) < 1.02


def test_more_emissions_gives_a_bigger_circle(client):
    before = circles(client.get(reverse("dashboards:mission")).content.decode())["teesside"]
    Cluster.objects.filter(slug="teesside").update(emissions_mtco2=10)
    after = circles(client.get(reverse("dashboards:mission")).content.decode())["teesside"]
    assert after > before


def test_map_puts_clusters_where_they_are():
    from dashboards.gb_map import PLACES, project

    x = {slug: project(lat, lon)[0] for slug, (lat, lon, _, _) in PLACES.items()}
    y = {slug: project(lat, lon)[1] for slug, (lat, lon, _, _) in PLACES.items()}
    # North is up, east is right: Grangemouth is the most northerly, Humber the most easterly,
    # Southampton the most southerly, South Wales the most westerly.
    assert min(y, key=y.get) == "grangemouth"
    assert max(y, key=y.get) == "southampton"
    assert max(x, key=x.get) == "humber"
    assert min(x, key=x.get) == "south-wales"


def test_pages_link_to_the_dashboards(client):
    challenge = ChallengeFactory()
    assert (
        reverse("dashboards:mission")
        in client.get(reverse("clusters:cluster-list")).content.decode()
    )
    assert (
        reverse("dashboards:cluster", args=["humber"])
        in client.get(reverse("clusters:cluster-detail", args=["humber"])).content.decode()
    )
    assert (
        reverse("dashboards:challenge", args=[challenge.ref])
        in client.get(challenge.get_absolute_url()).content.decode()
    )


def test_dashboards_have_no_inline_script_or_style_for_the_content_security_policy(client):
    from tests.test_security_headers import INLINE

    challenge = ChallengeFactory()
    add_figures(make_computation(), [(M.OFFERS_PUBLISHED, month(2027, 6), 1)])
    for url in [
        reverse("dashboards:mission"),
        reverse("dashboards:cluster", args=["humber"]),
        reverse("dashboards:challenge", args=[challenge.ref]),
    ]:
        html = client.get(url).content.decode()
        assert not INLINE.search(html), INLINE.search(html).group(0)


def test_outline_drawn_at_build_time_fits_the_maps_view_box():
    from django.conf import settings

    from dashboards.gb_map import HEIGHT, WIDTH

    outline = (settings.BASE_DIR / "templates" / "dashboards" / "_gb_outline.html").read_text()
    assert "Natural Earth" in outline and "world-atlas" in outline
    path = re.search(r' d="([^"]+)"', outline).group(1)
    points = [tuple(map(float, p.split())) for p in re.split(r"[MLZ]", path) if p.strip()]
    assert len(points) > 1000
    xs, ys = [x for x, _ in points], [y for _, y in points]
    assert 0 <= min(xs) < 20 and WIDTH - 20 < max(xs) <= WIDTH
    assert 0 <= min(ys) < 20 and HEIGHT - 20 < max(ys) <= HEIGHT


def test_csv_quotes_a_name_a_spreadsheet_would_run_as_a_formula(client):
    theme = Theme.objects.get(slug="ccus")
    theme.name = '=HYPERLINK("http://example.com","CCUS")'
    theme.save()
    add_figures(make_computation(), [(M.CHALLENGES_OPEN, None, 1, theme)])
    response = client.get(reverse("dashboards:mission-csv", args=["open-challenges"]))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert ["'" + theme.name, "1"] in rows


def test_a_long_row_label_is_drawn_on_lines_that_fit_a_phone(client):
    """SVG text does not wrap: "Carbon capture, usage and storage" was cut at 320 pixels
    (tests/browser/test_reflow.py checks it in a browser)."""
    from dashboards.charts import LABEL_CHARS, label_lines

    lines = label_lines("Carbon capture, usage and storage")
    assert lines == ("Carbon capture, usage and", "storage")
    assert all(len(line) <= LABEL_CHARS for line in lines)
    assert label_lines("Skills") == ("Skills",)
    assert label_lines("Decarbonisationprogrammesupport") == ("Decarbonisationprogrammesupport",)
    add_figures(make_computation(), [(M.CHALLENGES_OPEN, None, 4, Theme.objects.get(slug="ccus"))])
    html = client.get(reverse("dashboards:mission")).content.decode()
    assert '>Carbon capture, usage and<tspan x="0" dy="20">storage</tspan></text>' in html
