"""App config for matching: the partnership matcher, its records, tasks and emails."""

from django.apps import AppConfig
from django.db.models.signals import pre_delete


def _record_cascaded_matches(sender, instance, **kwargs):
    """A listing about to be deleted takes its matches with it (both ways, by cascade):
    tombstones for them, for the API's removals list of matches, in one INSERT ... SELECT
    per listing. A receiver on Listing, not on Match: one on Match would cost a query per
    match and turn off Django's fast delete of matches in a rebuild."""
    from django.db.models import Q

    from . import services
    from .models import Match

    services.record_match_removals(
        Match.objects.filter(Q(source_listing=instance) | Q(target=instance)), reason="deleted"
    )


class MatchingConfig(AppConfig):
    name = "matching"
    verbose_name = "Matching"

    def ready(self):
        pre_delete.connect(
            _record_cascaded_matches,
            sender="clusters.Listing",
            dispatch_uid="match-removals-of-deleted-listing",
        )
