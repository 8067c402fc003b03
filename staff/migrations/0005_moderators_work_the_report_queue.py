"""Moderators and programme admins work the queue of reports from visitors (issue #12)."""

from django.db import migrations


def sync(apps, schema_editor):
    from staff.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0004_moderators_decide_cluster_teams"),
        ("reports", "0001_reports_of_listings_and_organisations"),
    ]

    # Going back leaves the groups as they are: people may have been put in them since.
    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
