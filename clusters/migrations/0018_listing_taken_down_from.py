"""What a listing was when staff took it down, so that restoring puts it back to that. A
taken-down listing now counts as once public by its `published_at` alone (staff may also take
down one still waiting, which was never public): those already down that were imported (no
`created_by`, and so no `published_at`) were published, and get the time they were taken
down, so that they stay in the API's list of removals; those made on the site and never
published are restored as drafts."""

from django.db import migrations, models
from django.db.models import F


def stamp(apps, schema_editor):
    Listing = apps.get_model("clusters", "Listing")
    down = Listing.objects.filter(status="taken_down", taken_down_from="")
    down.filter(published_at__isnull=True, created_by__isnull=True).update(
        published_at=F("taken_down_at")
    )
    # Made on the site and never published: taken down as a draft (or while waiting) by the
    # code before. Restoring makes it a draft again, for its organisation to send, never a
    # published listing (re-probe, stop 29). The rest were published.
    down.filter(published_at__isnull=True).update(taken_down_from="draft")
    down.filter(published_at__isnull=False).update(taken_down_from="published")


class Migration(migrations.Migration):
    dependencies = [
        ("clusters", "0017_published_at_of_rejected_imports"),
    ]

    operations = [
        migrations.AddField(
            model_name="listing",
            name="taken_down_from",
            field=models.CharField(blank=True, editable=False, max_length=10),
        ),
        migrations.RunPython(stamp, migrations.RunPython.noop),
    ]
