"""Public dashboards: the map of the clusters and the mission's figures, and each cluster's
and challenge's, read from the newest finished computation (never computed on page load)."""

import csv

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header

from clusters.models import Challenge, Cluster
from insights.models import Computation

from . import charts
from .gb_map import ATTRIBUTION, HEIGHT, WIDTH, map_points


def _crumbs(*trail):
    return [("Home", reverse("home")), *trail]


def _page(request, template, scope, subject, csv_name, context):
    computation = Computation.objects.latest_done()
    context["computation"] = computation
    context["charts"] = (
        charts.build_charts(
            computation,
            scope,
            subject,
            lambda spec: reverse(csv_name, kwargs={**context["url_kwargs"], "chart": spec.slug}),
        )
        if computation
        else []
    )
    return render(request, template, context)


def mission_dashboard(request):
    clusters = list(Cluster.objects.all())
    return _page(
        request,
        "dashboards/mission.html",
        charts.MISSION,
        None,
        "dashboards:mission-csv",
        {
            "clusters": clusters,
            "points": map_points(clusters),
            "map_width": WIDTH,
            "map_height": HEIGHT,
            "attribution": ATTRIBUTION,
            "url_kwargs": {},
            "nav_section": "clusters",
            "crumbs": _crumbs(("Mission dashboard", None)),
        },
    )


def cluster_dashboard(request, slug):
    cluster = get_object_or_404(Cluster, slug=slug)
    return _page(
        request,
        "dashboards/cluster.html",
        charts.CLUSTER,
        cluster,
        "dashboards:cluster-csv",
        {
            "cluster": cluster,
            "url_kwargs": {"slug": cluster.slug},
            "nav_section": "clusters",
            "crumbs": _crumbs(
                ("Clusters", reverse("clusters:cluster-list")),
                (cluster.name, cluster.get_absolute_url()),
                ("Dashboard", None),
            ),
        },
    )


def challenge_dashboard(request, ref):
    challenge = get_object_or_404(Challenge.objects.select_related("cluster"), ref=ref)
    return _page(
        request,
        "dashboards/challenge.html",
        charts.CHALLENGE,
        challenge,
        "dashboards:challenge-csv",
        {
            "challenge": challenge,
            "url_kwargs": {"ref": challenge.ref},
            "nav_section": "challenges",
            "crumbs": _crumbs(
                ("Clusters", reverse("clusters:cluster-list")),
                (challenge.cluster.name, challenge.cluster.get_absolute_url()),
                (challenge.title, challenge.get_absolute_url()),
                ("Dashboard", None),
            ),
        },
    )


def _csv(scope, subject, name, chart):
    spec = charts.spec_named(scope, chart)
    computation = Computation.objects.latest_done()
    if spec is None or computation is None:
        raise Http404("No such chart, or no figures computed yet.")
    day = timezone.localdate(computation.finished_at).isoformat()  # UK date, as the months
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    # Built by Django, which quotes or encodes whatever the name holds.
    response["Content-Disposition"] = content_disposition_header(
        True, f"cluster-exchange-{name}-{spec.slug}-{day}.csv"
    )
    csv.writer(response).writerows(charts.csv_rows(computation, scope, subject, spec))
    return response


def mission_csv(request, chart):
    return _csv(charts.MISSION, None, "all-clusters", chart)


def cluster_csv(request, slug, chart):
    cluster = get_object_or_404(Cluster, slug=slug)
    return _csv(charts.CLUSTER, cluster, cluster.slug, chart)


def challenge_csv(request, ref, chart):
    challenge = get_object_or_404(Challenge, ref=ref)
    return _csv(charts.CHALLENGE, challenge, f"challenge-{challenge.ref}", chart)
