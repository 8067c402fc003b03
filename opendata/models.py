"""One build of the open data downloads: which stored files make it up, their sizes and rows.

A release row is created only once every one of its files is written, so the newest row
always names a complete set; the download views serve the newest one.
"""

from django.db import models


class OpenDataReleaseQuerySet(models.QuerySet):
    def newest(self):
        """The release being served, or None before the first build."""
        return self.order_by("-built_at", "-pk").first()


class OpenDataRelease(models.Model):
    built_at = models.DateTimeField(db_index=True)
    # The storage folder holding its files, unique to the build (open-data/<date>/<id>).
    folder = models.CharField(max_length=200, unique=True)
    # File name ("offers.csv") -> {"path": ..., "size": bytes, "rows": records}.
    files = models.JSONField(default=dict)
    # When the figures in it were computed (insights.models.Computation), or None if none yet.
    figures_computed_at = models.DateTimeField(null=True, blank=True)

    objects = OpenDataReleaseQuerySet.as_manager()

    class Meta:
        ordering = ["-built_at", "-pk"]

    def __str__(self):
        return f"Open data built {self.built_at:%Y-%m-%d %H:%M}"
