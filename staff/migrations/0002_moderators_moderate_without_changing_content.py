"""Moderators get the new "moderate" permissions instead of "change" (issue #10, defect 5)."""

from django.db import migrations


def sync(apps, schema_editor):
    from staff.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0001_staff_roles"),
        ("clusters", "0004_moderation_takedowns_reviews_and_renames"),
    ]

    # Going back leaves the groups as they are: people may have been put in them since.
    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
