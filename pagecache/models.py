"""The content generation: one row, whose value changes whenever public content changes."""

from django.db import models


class Generation(models.Model):
    """The one row (pk 1) naming the current version of everything the public pages show.

    Every cached page's key holds this value, so changing it retires every cached page at
    once, in every process on every machine: they all read it from the same database. The
    value is random, not a counter, so that it never returns to an earlier value (a counter
    would after a database restore, or in tests when a transaction rolls back) and pages
    cached under that earlier value can never be served again.
    """

    value = models.BigIntegerField()
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "pagecache_generation"

    def __str__(self):
        return f"Page cache generation {self.value}"
