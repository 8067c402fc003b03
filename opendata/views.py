"""The open data page (what each download holds, field by field) and the downloads.

The files are served here, never from MEDIA_URL: the media folder also holds private
uploads (enquiry attachments). Only files named by the newest release are served.
"""

from django.core.files.storage import default_storage
from django.http import FileResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from insights.models import Measure

from .datasets import BUILD_TIME_TEXT, BY_NAME, DATASETS, FORMATS, LICENCE_NAME, LICENCE_URL
from .models import OpenDataRelease

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


@require_safe
def index(request):
    release = OpenDataRelease.objects.newest()
    datasets = []
    for dataset in DATASETS:
        downloads = []
        for extension in FORMATS:
            name = f"{dataset.name}.{extension}"
            entry = release.files.get(name) if release else None
            if entry:
                downloads.append(
                    {
                        "name": name,
                        "format": extension.upper(),
                        "size": entry["size"],
                        "rows": entry["rows"],
                        "url": reverse("opendata:download", args=[dataset.name, extension]),
                    }
                )
        datasets.append({"dataset": dataset, "downloads": downloads})
    return render(
        request,
        "opendata/index.html",
        {
            "release": release,
            "datasets": datasets,
            "build_time": BUILD_TIME_TEXT,
            "licence_name": LICENCE_NAME,
            "licence_url": LICENCE_URL,
            "measures": Measure.choices,
            "crumbs": [("Home", reverse("home")), ("Open data", None)],
        },
    )


def _not_available(request, release):
    return render(
        request,
        "opendata/not_available.html",
        {"release": release, "build_time": BUILD_TIME_TEXT},
        status=404,
    )


@require_safe
def download(request, dataset, extension):
    release = OpenDataRelease.objects.newest()
    known = dataset in BY_NAME and extension in FORMATS
    entry = release.files.get(f"{dataset}.{extension}") if release and known else None
    if entry is None:
        return _not_available(request, release)
    try:
        handle = default_storage.open(entry["path"], "rb")
    except FileNotFoundError:
        return _not_available(request, release)
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"cluster-exchange-{dataset}-{release.built_at:%Y-%m-%d}.{extension}",
        content_type=CONTENT_TYPES[extension],
    )
    # A new release comes once a day: an hour's caching keeps a copy at most an hour stale.
    response["Cache-Control"] = "public, max-age=3600"
    response["Last-Modified"] = http_date(release.built_at.timestamp())
    response["ETag"] = f'"open-data-{release.pk}-{dataset}-{extension}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Link"] = f'<{LICENCE_URL}>; rel="license"'
    return response
