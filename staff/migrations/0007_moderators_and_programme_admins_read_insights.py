"""Moderators and programme admins read the gap analysis and the funnel (issue #13)."""

from django.db import migrations


def sync(apps, schema_editor):
    from staff.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0006_programme_admins_see_outcomes"),
        ("insights", "0001_figures_computed_from_the_records"),
    ]

    # Going back leaves the groups as they are: people may have been put in them since.
    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
