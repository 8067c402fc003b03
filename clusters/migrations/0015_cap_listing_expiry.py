"""No listing stays open more than 12 months from now: the form now refuses an expiry date
further away (9999-12-31 went round the yearly reminder, found by an outside probe), and
listings saved with one before are brought back to 12 months from the day this runs."""

from datetime import timedelta

from django.db import migrations
from django.utils import timezone

LIFETIME = timedelta(days=365)  # clusters.services.LISTING_LIFETIME when this was written


def cap_expiry(apps, schema_editor):
    latest = timezone.localdate() + LIFETIME
    apps.get_model("clusters", "Listing").objects.filter(expires_on__gt=latest).update(
        expires_on=latest
    )


class Migration(migrations.Migration):
    dependencies = [
        ("clusters", "0014_invitation_sent_at"),
    ]

    operations = [migrations.RunPython(cap_expiry, migrations.RunPython.noop, elidable=True)]
