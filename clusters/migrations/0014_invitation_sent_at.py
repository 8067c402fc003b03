"""Invitation.sent_at: when its email last went, for the daily limit (a re-sent invitation
counts on the day it is sent again). Existing rows were sent when they were made."""

import django.utils.timezone
from django.db import migrations, models
from django.db.models import F


def sent_when_made(apps, schema_editor):
    apps.get_model("clusters", "Invitation").objects.update(sent_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("clusters", "0013_listing_and_challenge_sync_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="invitation",
            name="sent_at",
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False),
        ),
        migrations.RunPython(sent_when_made, migrations.RunPython.noop, elidable=True),
    ]
