"""Listings held back when their organisation was rejected count as once public by their
`published_at` alone from now on (ListingQuerySet.once_public). An imported listing has none:
those already held back (waiting, organisation rejected, made by an import: no `created_by`)
get the time they were held back, so that they stay in the API's list of removals."""

from django.db import migrations
from django.db.models import F


def stamp(apps, schema_editor):
    Listing = apps.get_model("clusters", "Listing")
    Listing.objects.filter(
        status="pending",
        organisation__status="rejected",
        published_at__isnull=True,
        created_by__isnull=True,
    ).update(published_at=F("updated_at"))


class Migration(migrations.Migration):
    dependencies = [("clusters", "0016_invitation_cancelled_at")]

    operations = [migrations.RunPython(stamp, migrations.RunPython.noop)]
